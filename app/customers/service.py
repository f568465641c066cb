"""Customer rules: validation, ownership, credit fields, contacts and addresses."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Role
from app.customers import repository as repo
from app.customers.models import (
    Address,
    Contact,
    Customer,
    CustomerKind,
    CustomerStatus,
    CustomerTier,
    PaymentTerms,
)
from app.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound, Validator
from app.events import topics
from app.orders import repository as orders
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, flush_unique, snapshot

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,60}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,30}$")
MAX_MONEY = Decimal("999999999999.99")
_CREDIT_FIELDS = {"credit_limit", "payment_terms"}
_ENUMS = {"tier": CustomerTier, "status": CustomerStatus, "kind": CustomerKind,
          "payment_terms": PaymentTerms}


def _validate(data: dict[str, Any], *, creating: bool) -> None:
    v = Validator()
    if creating or "name" in data:
        name = (data.get("name") or "").strip()
        v.check(1 <= len(name) <= 200, "name", "name is required (at most 200 characters)")
    if data.get("email"):
        v.check(bool(EMAIL_RE.match(data["email"])), "email", "not a valid e-mail address")
    if data.get("phone"):
        v.check(bool(PHONE_RE.match(data["phone"])), "phone", "not a valid phone number")
    for key, enum in _ENUMS.items():
        if data.get(key) is not None:
            v.check(data[key] in enum.__members__, key, f"{key} must be one of "
                    + ", ".join(enum.__members__))
    for key in ("credit_limit", "discount_rate"):
        # NaN first: comparing it raises InvalidOperation (the Decimal scalar accepts "NaN")
        if data.get(key) is not None and v.check(data[key].is_finite(), key,
                                                 f"{key} must be a number"):
            v.check(Decimal("0") <= data[key] <= MAX_MONEY, key, f"{key} must be >= 0")
    if data.get("discount_rate") is not None and data["discount_rate"].is_finite():
        v.check(data["discount_rate"] <= 1, "discount_rate", "discount rate is a fraction 0..1")
    _check_threshold(v, data.get("free_shipping_threshold"))
    if data.get("language") is not None:
        v.check(data["language"] in ("zh", "en"), "language", "language must be zh or en")
    if data.get("notes") is not None:
        v.check(len(data["notes"]) <= 4000, "notes", "notes are at most 4000 characters")
    v.raise_if_any()


def _check_threshold(v: Validator, value: Decimal | None) -> None:
    """The shipping agreement (app/shipping/charges.py): an amount, or None (billed)."""
    if value is not None:
        v.check(value.is_finite() and Decimal("0") <= value <= MAX_MONEY
                and value == value.quantize(Decimal("0.01")), "freeShippingThreshold",
                "freeShippingThreshold is an amount >= 0 with at most two decimals, or null "
                "(shipping is billed)")


def _check_credit_access(principal: Principal, data: dict[str, Any]) -> None:
    if _CREDIT_FIELDS & data.keys() and not principal.can_see_credit(owner_id=None):
        raise Forbidden("only FINANCE, MANAGER or ADMIN may set credit terms",
                        field=["creditLimit"])


def _load(uow: UnitOfWork, customer_id: int) -> Customer:
    customer = repo.get_visible(uow.session, uow.principal, customer_id)
    if customer is None:
        raise NotFound("customer not found", field=["id"])
    return customer


def create_customer(uow: UnitOfWork, data: dict[str, Any]) -> Customer:
    principal = uow.principal
    _validate(data, creating=True)
    _check_credit_access(principal, data)
    data = {k: v for k, v in data.items() if v is not None}
    code = data.pop("code", None) or f"C{secrets.token_hex(4).upper()}"
    if repo.code_exists(uow.session, code):
        raise DomainError(f"customer code {code} is taken", field=["code"],
                          code=ErrorCode.DUPLICATE)
    if principal.role is Role.SALES:
        data["owner_id"] = principal.user_id  # reps own what they create
    customer = Customer(code=code, **{**data, "name": data["name"].strip()})
    uow.session.add(customer)
    flush_unique(uow.session, DomainError(f"customer code {code} is taken", field=["code"],
                                          code=ErrorCode.DUPLICATE))
    uow.audit("customer.create", "Customer", customer.id, after=snapshot(customer))
    uow.emit(topics.CUSTOMER_CREATED, customer_id=customer.id)
    return customer


def update_customer(uow: UnitOfWork, customer_id: int, data: dict[str, Any],
                    expected_version: int | None = None) -> Customer:
    _validate(data, creating=False)
    _check_credit_access(uow.principal, data)
    customer = _load(uow, customer_id)
    if expected_version is not None and expected_version != customer.version:
        raise Conflict(f"customer changed (version {customer.version}); reload and retry",
                       field=["expectedVersion"])
    if "owner_id" in data and uow.principal.role is Role.SALES:
        raise Forbidden("sales reps cannot reassign customers", field=["ownerId"])
    if data.get("is_consignor") is False and customer.is_consignor and repo.owns_products(
            uow.session, customer.id):
        raise Conflict("this consignor has goods in the catalog: it stays a consignor",
                       field=["isConsignor"])
    before = snapshot(customer)
    for key, value in data.items():
        if key == "name":
            value = value.strip()
        if value is not None or key in ("email", "phone", "free_shipping_threshold"):
            setattr(customer, key, value)
    customer.version += 1
    customer.updated_at = utcnow()
    uow.session.add(customer)
    uow.audit("customer.update", "Customer", customer.id, before=before,
              after=snapshot(customer))
    return customer


# Contacts -------------------------------------------------------------------

def _validate_contact(data: dict[str, Any], *, creating: bool) -> None:
    v = Validator()
    if creating or "name" in data:
        v.check(1 <= len((data.get("name") or "").strip()) <= 200, "name", "name is required")
    if data.get("email"):
        v.check(bool(EMAIL_RE.match(data["email"])), "email", "not a valid e-mail address")
    if data.get("phone"):
        v.check(bool(PHONE_RE.match(data["phone"])), "phone", "not a valid phone number")
    v.raise_if_any()


def _owned_child(uow: UnitOfWork, model: type, child_id: int, label: str) -> Any:
    row = uow.session.get(model, child_id)
    if row is None or repo.get_visible(uow.session, uow.principal, row.customer_id) is None:
        raise NotFound(f"{label} not found", field=["id"])
    return row


def _single_flag(session: Session, model: type, customer_id: int, flag: str, keep_id: int) -> None:
    """Only one contact is primary, one address the default: clear the flag on the others."""
    for other in repo.flagged_siblings(session, model, customer_id, flag, keep_id):
        setattr(other, flag, False)
        session.add(other)


def add_contact(uow: UnitOfWork, customer_id: int, data: dict[str, Any]) -> Contact:
    _validate_contact(data, creating=True)
    customer = _load(uow, customer_id)
    contact = Contact(customer_id=customer.id, **{k: v for k, v in data.items() if v is not None})
    uow.session.add(contact)
    uow.session.flush()
    if contact.is_primary:
        _single_flag(uow.session, Contact, customer.id, "is_primary", contact.id)
    uow.audit("contact.create", "Contact", contact.id, after=snapshot(contact))
    return contact


def update_contact(uow: UnitOfWork, contact_id: int, data: dict[str, Any],
                   expected_version: int | None = None) -> Contact:
    _validate_contact(data, creating=False)
    contact = _owned_child(uow, Contact, contact_id, "contact")
    if expected_version is not None and expected_version != contact.version:
        raise Conflict(f"contact changed (version {contact.version}); reload and retry",
                       field=["expectedVersion"])
    before = snapshot(contact)
    for key, value in data.items():
        setattr(contact, key, value)
    contact.version += 1
    uow.session.add(contact)
    if contact.is_primary:
        _single_flag(uow.session, Contact, contact.customer_id, "is_primary", contact.id)
    uow.audit("contact.update", "Contact", contact.id, before=before, after=snapshot(contact))
    return contact


def remove_contact(uow: UnitOfWork, contact_id: int) -> Contact:
    contact = _owned_child(uow, Contact, contact_id, "contact")
    if orders.contact_in_use(uow.session, contact.id):
        raise Conflict("contact is referenced by orders; it cannot be removed", field=["id"])
    uow.audit("contact.delete", "Contact", contact.id, before=snapshot(contact))
    uow.session.delete(contact)
    return contact


# Addresses ------------------------------------------------------------------

def _validate_address(data: dict[str, Any], *, creating: bool) -> None:
    v = Validator()
    for key, limit in (("recipient", 200), ("city", 100), ("line1", 300)):
        if creating or key in data:
            v.check(1 <= len((data.get(key) or "").strip()) <= limit, key, f"{key} is required")
    if data.get("phone"):
        v.check(bool(PHONE_RE.match(data["phone"])), "phone", "not a valid phone number")
    if data.get("country") is not None:
        v.check(len(data["country"]) == 2 and data["country"].isalpha(), "country",
                "country is a two-letter ISO code")
    v.raise_if_any()


def add_address(uow: UnitOfWork, customer_id: int, data: dict[str, Any]) -> Address:
    _validate_address(data, creating=True)
    customer = _load(uow, customer_id)
    address = Address(customer_id=customer.id, **{k: v for k, v in data.items() if v is not None})
    if repo.default_shipping_address(uow.session, customer.id) is None:
        address.is_default_shipping = True  # a customer's first address ships by default
    uow.session.add(address)
    uow.session.flush()
    _apply_address_defaults(uow.session, address)
    uow.audit("address.create", "Address", address.id, after=snapshot(address))
    return address


def update_address(uow: UnitOfWork, address_id: int, data: dict[str, Any]) -> Address:
    _validate_address(data, creating=False)
    address = _owned_child(uow, Address, address_id, "address")
    before = snapshot(address)
    for key, value in data.items():
        setattr(address, key, value)
    uow.session.add(address)
    _apply_address_defaults(uow.session, address)
    uow.audit("address.update", "Address", address.id, before=before, after=snapshot(address))
    return address


def remove_address(uow: UnitOfWork, address_id: int) -> Address:
    address = _owned_child(uow, Address, address_id, "address")
    uow.audit("address.delete", "Address", address.id, before=snapshot(address))
    uow.session.delete(address)
    return address


def _apply_address_defaults(session: Session, address: Address) -> None:
    for flag in ("is_default_shipping", "is_default_billing"):
        if getattr(address, flag):
            _single_flag(session, Address, address.customer_id, flag, address.id)


# Reads ----------------------------------------------------------------------

def get_customer(session: Session, principal: Principal, customer_id: int) -> Customer | None:
    return repo.get_visible(session, principal, customer_id)


def list_customers(session: Session, principal: Principal, flt: repo.CustomerFilter,
                   sort: repo.CustomerSort, page: Any) -> Any:
    return repo.list_customers(session, principal, flt, sort, page)
