"""Input types of customers, contacts and addresses, and their translation into service
arguments (global IDs decoded here)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from app.customers import repository as repo
from app.ids import parse_id
from schema.core.guards import CREDIT_RULE
from schema.core.writes import provided
from schema.customers.types import CustomerKind, CustomerStatus, CustomerTier, PaymentTerms

CustomerSort = strawberry.enum(repo.CustomerSort, name="CustomerSort")


@strawberry.input
class CustomerFilter:
    search: str | None = strawberry.field(default=None,
                                          description="Matches name, code, e-mail or phone.")
    tier: CustomerTier | None = None  # type: ignore[valid-type]
    status: CustomerStatus | None = None  # type: ignore[valid-type]
    region: str | None = None
    owner_id: strawberry.ID | None = None
    is_consignor: bool | None = strawberry.field(
        default=None, description="true: consignors only; false: everyone else.")
    created_after: datetime | None = None
    created_before: datetime | None = None


FREE_SHIPPING = ("The shipping agreement: orders whose goods total (after discounts) reaches "
                 "this amount ship free (0: always); null: shipping is billed at the "
                 "carrier's price.")


CONSIGNOR = ("A consignor: a company whose own goods are stored and delivered here; its "
             "orders carry only its goods, nobody else's orders take them.")


@strawberry.input
class CustomerCreateInput:
    name: str
    code: str | None = None
    kind: CustomerKind | None = None  # type: ignore[valid-type]
    email: str | None = None
    phone: str | None = None
    tier: CustomerTier | None = None  # type: ignore[valid-type]
    status: CustomerStatus | None = None  # type: ignore[valid-type]
    region: str | None = None
    language: str | None = strawberry.field(default=None, description="zh or en")
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="The owning sales rep (a User ID).")
    credit_limit: Decimal | None = strawberry.field(default=None, description=CREDIT_RULE)
    payment_terms: PaymentTerms | None = None  # type: ignore[valid-type]
    discount_rate: Decimal | None = strawberry.field(
        default=None, description="Agreed discount, a fraction 0..1.")
    notes: str | None = None
    free_shipping_threshold: Decimal | None = strawberry.field(
        default=None, description=FREE_SHIPPING)
    is_consignor: bool | None = strawberry.field(default=None, description=CONSIGNOR)


@strawberry.input
class CustomerUpdateInput:
    name: str | None = strawberry.UNSET
    kind: CustomerKind | None = strawberry.UNSET  # type: ignore[valid-type]
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    tier: CustomerTier | None = strawberry.UNSET  # type: ignore[valid-type]
    status: CustomerStatus | None = strawberry.UNSET  # type: ignore[valid-type]
    region: str | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    credit_limit: Decimal | None = strawberry.UNSET
    payment_terms: PaymentTerms | None = strawberry.UNSET  # type: ignore[valid-type]
    discount_rate: Decimal | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    free_shipping_threshold: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description=FREE_SHIPPING)
    is_consignor: bool | None = strawberry.field(default=strawberry.UNSET,
                                                 description=CONSIGNOR)
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET, description="Fail with CONFLICT if the customer changed.")


@strawberry.input
class ContactInput:
    name: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    is_primary: bool | None = strawberry.UNSET


@strawberry.input
class AddressInput:
    label: str | None = strawberry.UNSET
    recipient: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    province: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    district: str | None = strawberry.UNSET
    line1: str | None = strawberry.UNSET
    line2: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    is_default_shipping: bool | None = strawberry.UNSET
    is_default_billing: bool | None = strawberry.UNSET


def filter_from(flt: CustomerFilter | None) -> repo.CustomerFilter:
    if flt is None:
        return repo.CustomerFilter()
    owner = parse_id(flt.owner_id, "User", "ownerId") if flt.owner_id else None
    return repo.CustomerFilter(
        search=flt.search, tier=flt.tier, status=flt.status, region=flt.region, owner_id=owner,
        is_consignor=flt.is_consignor, created_after=flt.created_after,
        created_before=flt.created_before,
    )


def customer_data_from(inp: CustomerCreateInput | CustomerUpdateInput, *,
                       creating: bool = False) -> dict[str, Any]:
    """The fields sent, by service name, with the owner's ID decoded."""
    data = provided(inp)
    if creating:  # create inputs default to null: null means "not given"
        data = {k: v for k, v in data.items() if v is not None}
    data.pop("expected_version", None)
    if data.get("owner_id"):
        data["owner_id"] = parse_id(data["owner_id"], "User", "ownerId")
    return data
