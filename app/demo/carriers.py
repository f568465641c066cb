"""Demo parcel facts, shipping agreements and carrier services with rate cards
(app/demo/carrier_data.py): deterministic, no random numbers. The rows are planned here;
app/demo/repository.py (write_carrier_services) writes them. The same services, as the
shipping rules see them (`SERVICE_TERMS`), price and date the demo's shipments
(app/demo/quotes.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from app.demo import carrier_data as kd
from app.demo import catalog_data as cd
from app.demo.masterdata import CustomerPlan
from app.shipping import rates
from app.shipping.models import ANY_REGION

REGIONS = sorted({w[2] for w in cd.WAREHOUSES})
# (carrier code, service spec) of every demo service, in the order they are inserted: a
# service's index here is its id in the plan (ServiceTerms.id, ShipmentPlan.service).
SERVICE_SPECS: list[tuple[str, tuple]] = [(code, spec) for code, specs in kd.SERVICES.items()
                                          for spec in specs]


def add_parcel_facts(products: list[dict[str, Any]]) -> None:
    """Each product's unit size by its base name, and the cold-chain flag."""
    bases = sorted((p[1] for p in cd.PRODUCTS), key=len, reverse=True)  # longest match first
    for row in products:
        base = next(b for b in bases if row["name"].startswith(b + " "))
        length, width, height = kd.PARCEL_SIZES[base]
        row.update(length_cm=Decimal(length), width_cm=Decimal(width),
                   height_cm=Decimal(height), cold_chain=row["name"] in kd.COLD_CHAIN_PRODUCTS)


def add_shipping_agreements(customers: list[CustomerPlan]) -> None:
    for plan in customers:
        threshold = kd.FREE_SHIPPING[plan.row["tier"]]
        plan.row["free_shipping_threshold"] = Decimal(threshold) if threshold else None


def service_row(carrier_id: int, spec: tuple, at: datetime) -> dict[str, Any]:
    code, name, level, divisor, max_kg, dims, cutoff, cod_fee, cold, _card = spec
    length, width, height = (Decimal(d) for d in dims) if dims else (None, None, None)
    return {
        "carrier_id": carrier_id, "code": code, "name": name, "level": level, "currency": "CNY",
        "is_active": True, "volumetric_divisor": divisor, "max_weight_kg": Decimal(max_kg),
        "max_length_cm": length, "max_width_cm": width, "max_height_cm": height,
        "cutoff_time": cutoff, "cod_supported": cod_fee is not None,
        "cod_fee": Decimal(cod_fee or "0"), "cold_chain": cold, "created_at": at,
        "updated_at": at,
    }


def rate_rules(service_id: int, card: tuple) -> list[dict[str, Any]]:
    """One rule per region for its same-region lane, one '*' -> '*' for every other."""
    (near_fee, near_kg, near_days), (far_fee, far_kg, far_days) = card
    same = [{"service_id": service_id, "origin_region": r, "destination_region": r,
             "base_fee": Decimal(near_fee), "per_kg_fee": Decimal(near_kg),
             "transit_days": near_days} for r in REGIONS]
    return [*same, {"service_id": service_id, "origin_region": ANY_REGION,
                    "destination_region": ANY_REGION, "base_fee": Decimal(far_fee),
                    "per_kg_fee": Decimal(far_kg), "transit_days": far_days}]


def _terms(index: int, code: str, spec: tuple) -> rates.ServiceTerms:
    """One demo service as app/shipping/quoting.py terms_of makes it from its rows; its id
    is its index in SERVICE_SPECS, its carrier's id the carrier's index in cd.CARRIERS."""
    carrier = next(i for i, c in enumerate(cd.CARRIERS) if c[0] == code)
    row = service_row(carrier, spec, datetime.min)  # its times are no part of the terms
    dims = (row["max_length_cm"], row["max_width_cm"], row["max_height_cm"])
    return rates.ServiceTerms(
        id=index, carrier_id=carrier, code=row["code"], name=row["name"], level=row["level"],
        currency=row["currency"], volumetric_divisor=row["volumetric_divisor"],
        max_weight_kg=row["max_weight_kg"],
        max_dimensions=dims if all(d is not None for d in dims) else None,
        cutoff=row["cutoff_time"], cod_supported=row["cod_supported"], cod_fee=row["cod_fee"],
        cold_chain=row["cold_chain"],
        rules=tuple(rates.RateRule(r["origin_region"], r["destination_region"], r["base_fee"],
                                   r["per_kg_fee"], r["transit_days"])
                    for r in rate_rules(index, spec[-1])))


SERVICE_TERMS: list[rates.ServiceTerms] = [_terms(i, code, spec)
                                           for i, (code, spec) in enumerate(SERVICE_SPECS)]
