"""SQL for quotes, their lines and the customers' price and freight agreements, with the
caller's row scope (docs/architecture.md#quotes-and-price-agreements)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, bindparam, delete, or_
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.customers import repository as customers
from app.persistence.fast import statements
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    grouped,
    in_period,
    one_of,
    paginate,
    sort_table,
    where,
)
from app.quotes.models import FreightAgreement, PriceAgreement, Quote, QuoteLine, QuoteStatus

# What a CUSTOMER may see: quotes sent to it, whatever became of them since; never a
# draft, a quote waiting for approval or one that expired before it was sent.
SENT_STATES = (QuoteStatus.SENT.value, QuoteStatus.ACCEPTED.value, QuoteStatus.REJECTED.value,
               QuoteStatus.EXPIRED.value)


class QuoteSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    VALID_UNTIL_ASC = "VALID_UNTIL_ASC"
    SUBMITTED_AT_ASC = "SUBMITTED_AT_ASC"
    TOTAL_DESC = "TOTAL_DESC"
    NUMBER_ASC = "NUMBER_ASC"


SORTS = sort_table(QuoteSort, {
    "CREATED_AT": Quote.created_at, "VALID_UNTIL": Quote.valid_until,
    "SUBMITTED_AT": Quote.submitted_at, "TOTAL": Quote.total, "NUMBER": Quote.number,
})


class AgreementSort(StrEnum):
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    VALID_FROM_DESC = "VALID_FROM_DESC"


AGREEMENT_SORTS = sort_table(AgreementSort, {
    "UPDATED_AT": PriceAgreement.updated_at, "VALID_FROM": PriceAgreement.valid_from})


@dataclass(frozen=True)
class QuoteFilter:
    statuses: tuple[str, ...] = ()
    approval_levels: tuple[str, ...] = ()
    customer_id: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    valid_until_before: date | None = None


@dataclass(frozen=True)
class AgreementFilter:
    customer_id: int | None = None
    product_id: int | None = None
    active_on: date | None = None


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """SALES: quotes of the customers they own; CUSTOMER: its own, once sent."""
    stmt = customers.of_visible_customers(stmt, principal, Quote.customer_id)
    if principal.customer_scope is not None:
        stmt = stmt.where(Quote.status.in_(SENT_STATES), Quote.sent_at.is_not(None))
    return stmt


def get_visible(session: Session, principal: Principal, quote_id: int) -> Quote | None:
    return session.exec(scope(select(Quote).where(Quote.id == quote_id), principal)).first()


def lock(session: Session, quote_id: int) -> Quote:
    """Re-read the quote locked (PostgreSQL): two steps on one quote take turns."""
    stmt = select(Quote).where(Quote.id == quote_id).with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).one()


def list_quotes(session: Session, principal: Principal, flt: QuoteFilter, sort: QuoteSort,
                page: PageRequest) -> Page[Quote]:
    stmt = where(scope(select(Quote), principal),
                 one_of(Quote.status, flt.statuses or None),
                 one_of(Quote.approval_level, flt.approval_levels or None),
                 equal(Quote.customer_id, flt.customer_id),
                 in_period(Quote.created_at, flt.created_after, flt.created_before),
                 Quote.valid_until < flt.valid_until_before if flt.valid_until_before else None)
    return paginate(session, stmt, SORTS[sort], page, Quote.id)


def lines_by_quote(session: Session, ids: Sequence[int]) -> dict[int, list[QuoteLine]]:
    stmt = select(QuoteLine).where(QuoteLine.quote_id.in_(list(ids))).order_by(
        QuoteLine.quote_id, QuoteLine.id)
    return grouped(session.exec(stmt), "quote_id")


def lines_of(session: Session, quote_id: int) -> list[QuoteLine]:
    return lines_by_quote(session, [quote_id]).get(quote_id, [])


def replace_lines(session: Session, quote_id: int, lines: Sequence[QuoteLine]) -> None:
    session.execute(delete(QuoteLine).where(QuoteLine.quote_id == quote_id))
    session.add_all(lines)


def number_taken(session: Session, number: str) -> bool:
    return session.exec(select(Quote.id).where(Quote.number == number)).first() is not None


def expired_candidates(session: Session, today: date, limit: int) -> list[Quote]:
    """Open quotes valid until before `today`, locked, oldest first."""
    open_states = (QuoteStatus.DRAFT.value, QuoteStatus.PENDING_APPROVAL.value,
                   QuoteStatus.APPROVED.value, QuoteStatus.SENT.value)
    stmt = (select(Quote).where(Quote.status.in_(open_states), Quote.valid_until < today)
            .order_by(Quote.id).limit(limit).with_for_update())
    return list(session.exec(stmt))


def quote_prices_of_order(session: Session, order_id: int) -> dict[int, QuoteLine]:
    """The lines of the quote an order was converted from, by product (empty: none)."""
    stmt = (select(QuoteLine).join(Quote, Quote.id == QuoteLine.quote_id)
            .where(Quote.order_id == order_id))
    return {ln.product_id: ln for ln in session.exec(stmt)}


# Price agreements ------------------------------------------------------------------------

def _active(model, day: date):  # noqa: ANN001, ANN202
    return (model.valid_from <= day,
            or_(model.valid_until.is_(None), model.valid_until >= day))


_AGREED = select(PriceAgreement.product_id, PriceAgreement.price).where(
    PriceAgreement.customer_id == bindparam("customer_id"),
    PriceAgreement.product_id.in_(bindparam("product_ids", expanding=True)),
    *_active(PriceAgreement, bindparam("day", type_=Date)))


def agreed_prices_query(customer_id: int, product_ids: Sequence[int], day: date
                        ) -> statements.Query:
    return _AGREED, {"customer_id": customer_id, "product_ids": list(product_ids), "day": day}


def agreed_prices(session: Session, customer_id: int, product_ids: Sequence[int],
                  day: date) -> dict[int, Decimal]:
    """{product id: price} of the customer's agreements valid on `day`."""
    return dict(statements.rows(session, *agreed_prices_query(customer_id, product_ids, day)))


def agreement_for(session: Session, customer_id: int, product_id: int) -> PriceAgreement | None:
    stmt = select(PriceAgreement).where(PriceAgreement.customer_id == customer_id,
                                        PriceAgreement.product_id == product_id)
    return session.exec(stmt.with_for_update()).first()


def agreement_scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    return customers.of_visible_customers(stmt, principal, PriceAgreement.customer_id)


def get_visible_agreement(session: Session, principal: Principal,
                          agreement_id: int) -> PriceAgreement | None:
    stmt = agreement_scope(select(PriceAgreement).where(PriceAgreement.id == agreement_id),
                           principal)
    return session.exec(stmt).first()


def list_agreements(session: Session, principal: Principal, flt: AgreementFilter,
                    sort: AgreementSort, page: PageRequest) -> Page[PriceAgreement]:
    active = _active(PriceAgreement, flt.active_on) if flt.active_on else ()
    stmt = where(agreement_scope(select(PriceAgreement), principal),
                 equal(PriceAgreement.customer_id, flt.customer_id),
                 equal(PriceAgreement.product_id, flt.product_id), *active)
    return paginate(session, stmt, AGREEMENT_SORTS[sort], page, PriceAgreement.id)


# Freight agreements ------------------------------------------------------------------------

def freight_for(session: Session, customer_id: int, for_update: bool = False
                ) -> FreightAgreement | None:
    stmt = select(FreightAgreement).where(FreightAgreement.customer_id == customer_id)
    return session.exec(stmt.with_for_update() if for_update else stmt).first()


def active_freight(session: Session, customer_id: int, day: date) -> FreightAgreement | None:
    """The customer's freight agreement if it is valid on `day`."""
    stmt = select(FreightAgreement).where(FreightAgreement.customer_id == customer_id,
                                          *_active(FreightAgreement, day))
    return session.exec(stmt).first()


def visible_freight(session: Session, principal: Principal,
                    customer_id: int) -> FreightAgreement | None:
    stmt = customers.of_visible_customers(
        select(FreightAgreement).where(FreightAgreement.customer_id == customer_id),
        principal, FreightAgreement.customer_id)
    return session.exec(stmt).first()
