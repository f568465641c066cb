"""Saved segments: named filters over customers and their computed segments, read in the
caller's row scope (SALES: the customers it owns)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.customers import repository as customers
from app.customers.models import Customer
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    one_of,
    paginate,
    sort_table,
    where,
)
from app.segments.models import CustomerSegment, SavedSegment


class SegmentCustomerSort(StrEnum):
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"


_SORTS = sort_table(SegmentCustomerSort, {"NAME": Customer.name})


@dataclass(frozen=True)
class Criteria:
    """What a saved segment keeps (its `criteria` JSON)."""

    segments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    owner_id: int | None = None
    min_recency_score: int | None = None
    min_frequency_score: int | None = None
    min_monetary_score: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"segments": list(self.segments), "regions": list(self.regions),
                "tiers": list(self.tiers), "owner_id": self.owner_id,
                "min_recency_score": self.min_recency_score,
                "min_frequency_score": self.min_frequency_score,
                "min_monetary_score": self.min_monetary_score}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Criteria:
        data = data or {}
        return cls(tuple(data.get("segments") or ()), tuple(data.get("regions") or ()),
                   tuple(data.get("tiers") or ()), data.get("owner_id"),
                   data.get("min_recency_score"), data.get("min_frequency_score"),
                   data.get("min_monetary_score"))


def _at_least(column: Any, value: int | None) -> Any:
    return None if value is None else column >= value


def _matching(principal: Principal, criteria: Criteria, stmt: Any) -> Any:
    c, s = criteria, CustomerSegment
    stmt = customers.scope(stmt.join(s, s.customer_id == Customer.id), principal)
    return where(stmt, one_of(s.segment, c.segments or None),
                 one_of(Customer.region, c.regions or None),
                 one_of(Customer.tier, c.tiers or None), equal(Customer.owner_id, c.owner_id),
                 _at_least(s.r_score, c.min_recency_score),
                 _at_least(s.f_score, c.min_frequency_score),
                 _at_least(s.m_score, c.min_monetary_score))


def segment_customers(session: Session, principal: Principal, criteria: Criteria,
                      sort: SegmentCustomerSort, page: PageRequest) -> Page[Customer]:
    stmt = _matching(principal, criteria, select(Customer))
    return paginate(session, stmt, _SORTS[sort], page, Customer.id)


def segment_count(session: Session, principal: Principal, criteria: Criteria) -> int:
    stmt = _matching(principal, criteria, select(func.count()).select_from(Customer))
    return int(session.exec(stmt).one())


def list_saved(session: Session) -> list[SavedSegment]:
    return list(session.exec(select(SavedSegment).order_by(SavedSegment.name,
                                                           SavedSegment.id)))


def saved_by_ids(session: Session, ids: Sequence[int]) -> dict[int, SavedSegment]:
    stmt = select(SavedSegment).where(SavedSegment.id.in_(list(ids)))
    return {row.id: row for row in session.exec(stmt)}


def get_saved(session: Session, segment_id: int) -> SavedSegment | None:
    return session.get(SavedSegment, segment_id)


def add_saved(session: Session, row: SavedSegment) -> SavedSegment:
    session.add(row)
    return row
