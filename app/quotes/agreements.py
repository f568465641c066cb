"""The customers' agreements: a price per product, and freight (free-shipping threshold or
flat fee), each with its validity. Order pricing and review read the prices
(app/orders/pricing.py, review.py), shipping charges the freight
(app/shipping/quoting.py); docs/architecture.md#quotes-and-price-agreements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.customers import repository as customers
from app.errors import Forbidden, NotFound, Validator
from app.orders import repository as orders_repo
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork, snapshot
from app.quotes import repository as repo
from app.quotes.models import FreightAgreement, PriceAgreement

MAX_AMOUNT = Decimal("1000000000")


@dataclass(frozen=True)
class PriceTerms:
    customer_id: int
    product_id: int
    price: Decimal
    valid_from: date
    valid_until: date | None = None
    note: str = ""


@dataclass(frozen=True)
class FreightTerms:
    customer_id: int
    valid_from: date
    free_shipping_threshold: Decimal | None = None
    flat_fee: Decimal | None = None
    valid_until: date | None = None


def _amount(v: Validator, value: Decimal | None, field: str) -> None:
    if value is not None:
        v.check(value.is_finite() and 0 <= value < MAX_AMOUNT, field,
                "an amount is 0 or more")


def _period(v: Validator, valid_from: date, valid_until: date | None) -> None:
    if valid_until is not None:
        v.check(valid_until >= valid_from, "validUntil", "valid until is before valid from")


def _customer(uow: UnitOfWork, customer_id: int) -> None:
    if not uow.principal.can(Perm.AGREEMENTS_WRITE):
        raise Forbidden("requires permission agreements:write")
    if customers.visible_record(uow.session, uow.principal, customer_id) is None:
        raise NotFound("customer not found", field=["customerId"])


def set_price_agreement(uow: UnitOfWork, terms: PriceTerms) -> PriceAgreement:
    """The customer's price for the product (replacing any earlier one), audited."""
    v = Validator()
    _amount(v, terms.price, "price")
    _period(v, terms.valid_from, terms.valid_until)
    v.check(len(terms.note) <= 2000, "note", "a note is at most 2000 characters")
    v.raise_if_any()
    _customer(uow, terms.customer_id)
    product = orders_repo.products_by_ids(uow.session, [terms.product_id]).get(terms.product_id)
    if product is None:
        raise NotFound("product not found", field=["productId"])
    s = uow.session
    row = repo.agreement_for(s, terms.customer_id, terms.product_id)
    before = snapshot(row) if row else None
    row = row or PriceAgreement(customer_id=terms.customer_id, product_id=terms.product_id,
                                valid_from=terms.valid_from)
    row.price, row.valid_from, row.valid_until = terms.price, terms.valid_from, terms.valid_until
    row.note, row.updated_by_id, row.updated_at = terms.note.strip(), uow.actor_id, utcnow()
    s.add(row)
    s.flush()
    uow.audit("price_agreement.set", "PriceAgreement", row.id, before=before,
              after=snapshot(row))
    return row


def set_freight_agreement(uow: UnitOfWork, terms: FreightTerms) -> FreightAgreement:
    """The customer's freight terms (replacing any earlier ones), audited. Neither a
    threshold nor a fee: shipping billed at the carrier's price while it is valid."""
    v = Validator()
    _amount(v, terms.free_shipping_threshold, "freeShippingThreshold")
    _amount(v, terms.flat_fee, "flatFee")
    _period(v, terms.valid_from, terms.valid_until)
    v.raise_if_any()
    _customer(uow, terms.customer_id)
    s = uow.session
    row = repo.freight_for(s, terms.customer_id, for_update=True)
    before = snapshot(row) if row else None
    row = row or FreightAgreement(customer_id=terms.customer_id, valid_from=terms.valid_from)
    row.free_shipping_threshold, row.flat_fee = terms.free_shipping_threshold, terms.flat_fee
    row.valid_from, row.valid_until = terms.valid_from, terms.valid_until
    row.updated_by_id, row.updated_at = uow.actor_id, utcnow()
    s.add(row)
    s.flush()
    uow.audit("freight_agreement.set", "FreightAgreement", row.id, before=before,
              after=snapshot(row))
    return row


# Reads ----------------------------------------------------------------------------------

def list_price_agreements(session: Session, principal: Principal, flt: repo.AgreementFilter,
                          sort: repo.AgreementSort, page: PageRequest) -> Page[PriceAgreement]:
    return repo.list_agreements(session, principal, flt, sort, page)


def get_price_agreement(session: Session, principal: Principal,
                        agreement_id: int) -> PriceAgreement | None:
    return repo.get_visible_agreement(session, principal, agreement_id)


def freight_agreement(session: Session, principal: Principal,
                      customer_id: int) -> FreightAgreement | None:
    return repo.visible_freight(session, principal, customer_id)
