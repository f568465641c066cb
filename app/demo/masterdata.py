"""Demo master data as plain rows: customers (with contacts and addresses) and products.

Everything comes from one seeded `random.Random`, consumed in a fixed order, and
times are offsets from the demo's "now" (`demo_now`: the day the seed runs), so every
run on the same day produces the same rows, and a run on another day the same rows
moved by the days between. References to rows not inserted yet are list indexes, mapped
to ids at insert time.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.config import ConfigError
from app.demo import catalog_data as cd
from app.demo import people_data as pd

# The generator's seed: fixed, so one day always gives the same demo.
SEED = 20250630
# Overrides the demo's "today" (YYYY-MM-DD): tests, and a demo prepared for a given day.
TODAY_VARIABLE = "CRM_DEMO_TODAY"
# The demo's "now" is this hour (UTC) of its day: 08:00 in Shanghai, where its business
# is, and never later than the real clock on the day of the run, whatever its hour.
NOW_HOUR = time(0, 0, tzinfo=UTC)
CENT = Decimal("0.01")

_TIERS = [("STANDARD", 50), ("SILVER", 25), ("GOLD", 17), ("PLATINUM", 8)]
_CREDIT = {"STANDARD": "20000", "SILVER": "50000", "GOLD": "200000", "PLATINUM": "500000"}
_DISCOUNT = {"STANDARD": "0.00", "SILVER": "0.02", "GOLD": "0.05", "PLATINUM": "0.08"}
_ORDER_WEIGHT = {"STANDARD": 1.0, "SILVER": 1.5, "GOLD": 2.5, "PLATINUM": 4.0}
_REGION_WEIGHTS = [("East", 45), ("North", 30), ("South", 25)]


def demo_today(env: Mapping[str, str] | None = None) -> date:
    """The demo's day: CRM_DEMO_TODAY when set, else today in UTC."""
    raw = (os.environ if env is None else env).get(TODAY_VARIABLE, "").strip()
    if not raw:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{TODAY_VARIABLE} must be a date (YYYY-MM-DD), not {raw!r}") from None


def demo_now(today: date) -> datetime:
    """The "now" of the demo world, from which every demo time is an offset."""
    return datetime.combine(today, NOW_HOUR)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def pick(rng: random.Random, weighted: list[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


@dataclass
class Place:
    """One city of people_data.CITIES, unpacked."""

    region: str
    province: str
    province_en: str
    city: str
    city_en: str
    short: str
    districts: list[tuple[str, str]]
    postal: str
    area: str


PLACES = [Place(*c) for c in pd.CITIES]


@dataclass
class CustomerPlan:
    row: dict[str, Any]
    owner: int | None  # index into the SALES demo users
    contacts: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    place: Place | None = None
    district: str = ""
    order_weight: float = 1.0

    @property
    def ship_to(self) -> dict[str, Any]:
        return self.addresses[0]


def _place(rng: random.Random, region: str) -> Place:
    places = [p for p in PLACES if p.region == region]
    return pick(rng, [(p, 2.0 if i == 0 else 1.0) for i, p in enumerate(places)])


def _person_name(rng: random.Random, language: str) -> tuple[str, str]:
    """(display name, e-mail local part)."""
    if language == "en":
        first, last = rng.choice(pd.EN_FIRST), rng.choice(pd.EN_LAST)
        local = f"{first}.{last}".lower().encode("ascii", "ignore").decode().replace("'", "")
        return f"{first} {last}", local
    (surname, s_py), (given, g_py) = rng.choice(pd.SURNAMES), rng.choice(pd.GIVEN_NAMES)
    return surname + given, f"{g_py}.{s_py}"


def _company_name(rng: random.Random, language: str, place: Place, taken: set[str]
                  ) -> tuple[str, str]:
    """(company name, mail domain); names are unique within the demo."""
    while True:
        if language == "en":
            brand, industry = rng.choice(pd.EN_BRANDS), rng.choice(pd.EN_INDUSTRIES)
            name = f"{brand} {industry} ({place.city_en}) Co., Ltd."
            slug = (brand + industry).lower().replace(" ", "")
        else:
            (brand, b_py), (industry, i_py) = rng.choice(pd.ZH_BRANDS), rng.choice(
                pd.ZH_INDUSTRIES)
            name = f"{place.short}{brand}{industry}{rng.choice(pd.ZH_COMPANY_SUFFIXES)}"
            slug = f"{b_py}-{i_py}"
        if name not in taken:
            taken.add(name)
            return name, f"{slug}.example.com"


def _address(rng: random.Random, plan: CustomerPlan, place: Place, label: str,
             recipient: str, phone: str, default: bool, created: datetime) -> dict[str, Any]:
    district, district_en = rng.choice(place.districts)
    street, street_en = rng.choice(pd.STREETS)
    number, floor, room = rng.randint(1, 1999), rng.randint(2, 32), rng.randint(1, 20)
    tower = rng.choice("ABCD")
    if plan.row["language"] == "en":
        line1 = f"No. {number} {street_en}, {district_en} District"
        line2 = f"Room {floor}{room:02d}, Tower {tower}"
    else:
        line1 = f"{street}{number}号"
        line2 = f"{tower}座{floor}{room:02d}室"
    return {
        "label": label, "recipient": recipient, "phone": phone, "country": "CN",
        "region": place.region, "province": place.province, "city": place.city,
        "district": district, "line1": line1, "line2": line2,
        "postal_code": f"{place.postal}{rng.randint(0, 999):03d}",
        "is_default_shipping": default, "is_default_billing": default, "created_at": created,
    }


def _terms(rng: random.Random, kind: str) -> str:
    if kind == "PERSON":
        return pick(rng, [("PREPAID", 70), ("CASH_ON_DELIVERY", 30)])
    return pick(rng, [("PREPAID", 35), ("CASH_ON_DELIVERY", 10), ("NET_30", 40), ("NET_60", 15)])


def _customer(rng: random.Random, i: int, taken: set[str], sales: int, now: datetime
              ) -> CustomerPlan:
    first = i == 0  # the demo CUSTOMER login's company: Shanghai, GOLD, many orders
    language = "zh" if first or rng.random() >= 0.25 else "en"
    kind = "COMPANY" if first or rng.random() >= 0.2 else "PERSON"
    region = "East" if first else pick(rng, _REGION_WEIGHTS)
    place = PLACES[0] if first else _place(rng, region)
    tier = "GOLD" if first else pick(rng, _TIERS)
    status = "ACTIVE" if first else pick(rng, [("ACTIVE", 94), ("INACTIVE", 4), ("BLOCKED", 2)])
    created = now - timedelta(days=rng.randint(200, 720), minutes=rng.randint(0, 1439))
    if kind == "COMPANY":
        name, domain = _company_name(rng, language, place, taken)
        email = f"purchasing@{domain}"
        phone = f"{place.area}-{rng.randint(5000_0000, 8999_9999)}"
    else:
        name, local = _person_name(rng, language)
        domain, email, phone = "example.com", f"{local}{rng.randint(1, 99)}@example.com", \
            mobile(rng)
    terms = "NET_30" if first else _terms(rng, kind)
    credit = "0" if terms in ("PREPAID", "CASH_ON_DELIVERY") and kind == "PERSON" else \
        _CREDIT[tier]
    owner = 0 if first else (None if kind == "PERSON" else pick(
        rng, [(0, 40), *((k, 60 / max(sales - 1, 1)) for k in range(1, sales))]))
    row = {
        "code": f"C{i + 1:05d}", "name": name, "kind": kind, "email": email, "phone": phone,
        "tier": tier, "status": status, "region": place.region, "language": language,
        "credit_limit": Decimal(credit), "payment_terms": terms,
        "discount_rate": Decimal(_DISCOUNT[tier]),
        "notes": "重点客户 Key account" if tier == "PLATINUM" else "",
        "created_at": created, "updated_at": created, "version": 1,
    }
    plan = CustomerPlan(row=row, owner=owner, place=place)
    weight = _ORDER_WEIGHT[tier] * (0.5 if kind == "PERSON" else 1.0)
    plan.order_weight = 6.0 if first else weight * {"ACTIVE": 1, "INACTIVE": 0.3}.get(status, 0.2)
    _people(rng, plan, domain, kind, name, phone, created)
    return plan


def _people(rng: random.Random, plan: CustomerPlan, domain: str, kind: str, name: str,
            phone: str, created: datetime) -> None:
    language = plan.row["language"]
    titles = pd.EN_TITLES if language == "en" else pd.ZH_TITLES
    count = 1 if kind == "PERSON" else rng.choice([1, 2, 2, 3])
    for n in range(count):
        if kind == "PERSON":
            person, email, tel, title = name, plan.row["email"], phone, ""
        else:
            person, local = _person_name(rng, language)
            email, tel, title = f"{local}@{domain}", mobile(rng), rng.choice(titles)
        plan.contacts.append({"name": person, "title": title, "email": email, "phone": tel,
                              "is_primary": n == 0, "created_at": created})
    primary = plan.contacts[0]
    labels = (["Head office", "Warehouse"] if language == "en" else ["总部", "仓库"]) \
        if kind == "COMPANY" else (["Home"] if language == "en" else ["家"])
    places = [plan.place, _place(rng, plan.place.region)]
    for n, label in enumerate(labels[: 1 if kind == "PERSON" else rng.choice([1, 1, 2])]):
        plan.addresses.append(_address(rng, plan, places[n], label, primary["name"],
                                       primary["phone"], n == 0, created))


def build_customers(rng: random.Random, count: int, sales_users: int, now: datetime
                    ) -> list[CustomerPlan]:
    taken: set[str] = set()
    return [_customer(rng, i, taken, sales_users, now) for i in range(count)]


def build_products(rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    counters: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    created = now - timedelta(days=400)
    for category, base, unit, weight, variants in cd.PRODUCTS:
        prefix, ratio = cd.CATEGORIES[category]
        for variant, price in variants:
            counters[prefix] = counters.get(prefix, 0) + 1
            sku = f"{prefix}-{1000 + counters[prefix]}"
            price_d = Decimal(price)
            jitter = Decimal(str(round(ratio + rng.uniform(-0.05, 0.05), 3)))
            rows.append({
                "sku": sku, "name": f"{base} {variant}",
                "description": f"{base}（{variant}），{category}。正品行货，可开增值税专用发票。",
                "category": category, "unit": unit, "price": price_d,
                "cost": cents(price_d * jitter), "currency": "CNY",
                "weight_kg": cents(Decimal(str(weight))), "is_active": sku not in cd.INACTIVE_SKUS,
                "created_at": created + timedelta(hours=len(rows)),
                "updated_at": created + timedelta(hours=len(rows)),
            })
    return rows
