"""Checks of carrier, service and rate-rule input: every problem of a request reported
at once, with the input field it concerns (docs/conventions.md#errors). No database."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

from app.errors import Validator
from app.shipping.models import ANY_REGION, ServiceLevel

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
CENT = Decimal("0.01")
MAX_FEE = Decimal("1000000")  # CNY per parcel or per kg: far above any real rate card
MAX_WEIGHT_KG = Decimal("100000")
MAX_LENGTH_CM = Decimal("10000")
MAX_DIVISOR = 1_000_000
MAX_TRANSIT_DAYS = 365
MAX_REGIONS = 50
REGION_LENGTH = 64
DIMENSIONS = ("max_length_cm", "max_width_cm", "max_height_cm")
NOT_NULL = {"code", "name", "level", "currency", "is_active", "volumetric_divisor",
            "cod_supported", "cod_fee", "cold_chain", "regions", "origin_region",
            "destination_region", "base_fee", "per_kg_fee", "transit_days"}


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _decimal(value: Any) -> Decimal | None:
    """The value as a finite Decimal, or None (the CLI and the demo pass strings)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def amount(v: Validator, data: dict[str, Any], key: str, limit: Decimal, *,
           positive: bool = False) -> None:
    """A non-negative (or positive) amount with at most two decimals, up to `limit`;
    stored back as a Decimal."""
    if data.get(key) is None:
        return
    field, number = camel(key), _decimal(data[key])
    if not v.check(number is not None, field, f"{field} must be a number"):
        return
    low = "greater than 0" if positive else "at least 0"
    ok = (number > 0 if positive else number >= 0) and number <= limit
    if v.check(ok, field, f"{field} must be {low} and at most {limit}") and v.check(
            number == number.quantize(CENT), field, f"{field} has at most two decimal places"):
        data[key] = number.quantize(CENT)


def whole(v: Validator, data: dict[str, Any], key: str, low: int, high: int) -> None:
    value = data.get(key)
    if value is None:
        return
    field = camel(key)
    v.check(isinstance(value, int) and not isinstance(value, bool) and low <= value <= high,
            field, f"{field} must be a whole number from {low} to {high}")


def _not_null(v: Validator, data: dict[str, Any]) -> None:
    for key in NOT_NULL & data.keys():
        v.check(data[key] is not None, camel(key), f"{camel(key)} cannot be null")


def _code_and_name(v: Validator, data: dict[str, Any], creating: bool) -> None:
    if creating or data.get("code") is not None:
        v.check(bool(CODE_RE.match(data.get("code") or "")), "code", "code is required: 1 to "
                "32 letters, digits, '.', '_' or '-', starting with a letter or digit")
    if creating or data.get("name") is not None:
        v.check(1 <= len(data.get("name") or "") <= 200, "name",
                "name is required (at most 200 characters)")


def _region_ok(region: str, wildcard: bool) -> bool:
    if wildcard and region == ANY_REGION:
        return True
    return 1 <= len(region) <= REGION_LENGTH and "," not in region and region != ANY_REGION


def check_carrier(data: dict[str, Any], *, creating: bool) -> None:
    v = Validator()
    _not_null(v, data)
    _code_and_name(v, data, creating)
    regions = data.get("regions")
    if regions is not None:
        v.check(len(regions) <= MAX_REGIONS, "regions", f"at most {MAX_REGIONS} regions")
        for i, region in enumerate(regions):
            v.check(_region_ok(region, wildcard=False), ["regions", str(i)],
                    f"a region is 1 to {REGION_LENGTH} characters, without ',' or '*'")
    v.raise_if_any()


def check_service(data: dict[str, Any], *, creating: bool) -> None:
    v = Validator()
    _not_null(v, data)
    _code_and_name(v, data, creating)
    if data.get("level") is not None:
        v.check(data["level"] in ServiceLevel.__members__, "level",
                "level must be one of " + ", ".join(ServiceLevel.__members__))
    if data.get("currency") is not None:
        v.check(bool(CURRENCY_RE.match(data["currency"])), "currency",
                "currency is a three-letter ISO code, e.g. CNY")
    whole(v, data, "volumetric_divisor", 1, MAX_DIVISOR)
    amount(v, data, "max_weight_kg", MAX_WEIGHT_KG, positive=True)
    for key in DIMENSIONS:
        amount(v, data, key, MAX_LENGTH_CM, positive=True)
    amount(v, data, "cod_fee", MAX_FEE)
    if data.get("cutoff_time") is not None:
        v.check(isinstance(data["cutoff_time"], time) and data["cutoff_time"].tzinfo is None,
                "cutoffTime", "cutoffTime is a local time of day, e.g. 16:00:00")
    v.raise_if_any()


def check_service_state(service: Any) -> None:
    """Rules across fields, on the service as it would be saved."""
    v = Validator()
    given = [getattr(service, key) is not None for key in DIMENSIONS]
    v.check(all(given) or not any(given), "maxLengthCm",
            "give all three maximum dimensions (length, width, height) or none")
    v.check(service.level != ServiceLevel.COLD_CHAIN or service.cold_chain, "coldChain",
            "a COLD_CHAIN service must carry cold-chain goods (coldChain: true)")
    v.raise_if_any()


def check_rule(data: dict[str, Any]) -> None:
    v = Validator()
    _not_null(v, data)
    for key in ("origin_region", "destination_region"):
        if data.get(key) is not None:
            data[key] = data[key].strip()
            v.check(_region_ok(data[key], wildcard=True), camel(key),
                    f"{camel(key)} is a region (1 to {REGION_LENGTH} characters, no ',') or "
                    f"'{ANY_REGION}' for any region")
    amount(v, data, "base_fee", MAX_FEE)
    amount(v, data, "per_kg_fee", MAX_FEE)
    whole(v, data, "transit_days", 0, MAX_TRANSIT_DAYS)
    v.raise_if_any()
