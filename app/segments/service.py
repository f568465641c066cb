"""Customer segments: the RFM recompute (the whole base, or the customers of new order
events), the churn warning, purchase preferences, the due-to-reorder list and saved
segments (docs/architecture.md#customer-segments)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.customers.models import Customer
from app.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound, Validator
from app.events import topics
from app.events.repository import consumers
from app.persistence.columns import utcnow
from app.persistence.repository import Page, PageRequest
from app.persistence.uow import UnitOfWork, flush_unique, snapshot
from app.segments import repository as repo
from app.segments.models import SavedSegment, Segment
from app.segments.repository import Criteria, SegmentCustomerSort
from app.segments.scoring import SegmentRules

CONSUMER = "segments"  # its outbox position (app/events/repository/consumers.py)
MAX_DUE = 200  # customers in one due-to-reorder list


@dataclass(frozen=True)
class RecomputeResult:
    scored: int  # rows written
    churn: list[repo.Move] = field(default_factory=list)  # high value -> AT_RISK


def _rules(uow: UnitOfWork, rules: SegmentRules | None) -> SegmentRules:
    return rules or SegmentRules.from_settings(uow.settings)


def _warn(uow: UnitOfWork, moves: list[repo.Move], at: datetime) -> None:
    """One event per move, in the move's own transaction: the notification planner turns
    it into the owner's churn warning exactly once (app/notifications/planner.py)."""
    for move in moves:
        uow.emit(topics.CUSTOMER_CHURN_RISK, customer_id=move.customer_id,
                 owner_id=move.owner_id, from_segment=move.from_segment,
                 to_segment=move.to_segment, at=at.isoformat())


def recompute_all(uow: UnitOfWork, as_of: datetime | None = None,
                  rules: SegmentRules | None = None) -> RecomputeResult:
    """Every customer with purchases, scored against all the others, in one statement."""
    as_of = as_of or utcnow()
    scored, moves = repo.recompute(uow.session, _rules(uow, rules), as_of)
    _warn(uow, moves, as_of)
    uow.audit("segments.recompute", "Database", None,
              after={"scored": scored, "churn_warnings": len(moves), "as_of": as_of.isoformat()})
    return RecomputeResult(scored, moves)


def recompute_customers(uow: UnitOfWork, customer_ids: Sequence[int],
                        as_of: datetime | None = None, rules: SegmentRules | None = None
                        ) -> RecomputeResult:
    """Only these customers, each scored against the stored scores of the others (the
    periodic full recompute levels everyone again)."""
    if not customer_ids:
        return RecomputeResult(0)
    as_of = as_of or utcnow()
    scored, moves = repo.recompute(uow.session, _rules(uow, rules), as_of,
                                   sorted(set(customer_ids)))
    _warn(uow, moves, as_of)
    return RecomputeResult(scored, moves)


def apply_order_events(uow: UnitOfWork, start: int, end: int, customer_ids: Sequence[int]
                       ) -> RecomputeResult | None:
    """The order events after `start` up to `end` (their customers): recompute those
    customers and move the consumer's position in the same transaction; None when another
    process got there first."""
    if not consumers.advance(uow.session, CONSUMER, start, end):
        return None
    return recompute_customers(uow, customer_ids)


# Reads -------------------------------------------------------------------------------

def _readable(principal: Principal) -> bool:
    return principal.can(Perm.SEGMENTS_READ)


def segment_counts(session: Session, principal: Principal) -> dict[str, int]:
    if not _readable(principal):
        return {}
    found = repo.segment_counts(session, principal)
    return {s.value: found.get(s.value, 0) for s in Segment}


def due_to_reorder(session: Session, principal: Principal, within_days: int,
                   limit: int = 50, now: datetime | None = None) -> list[Customer]:
    v = Validator()
    v.check(0 <= within_days <= 366, "within", "within must be 0 to 366 days")
    v.check(1 <= limit <= MAX_DUE, "first", f"first must be 1 to {MAX_DUE}")
    v.raise_if_any()
    if not _readable(principal):
        return []
    until = (now or utcnow()) + timedelta(days=within_days)
    return repo.due_to_reorder(session, principal, until, limit)


def list_segments(session: Session, principal: Principal) -> list[SavedSegment]:
    return repo.list_saved(session) if _readable(principal) else []


def get_segment(session: Session, principal: Principal, segment_id: int
                ) -> SavedSegment | None:
    return repo.get_saved(session, segment_id) if _readable(principal) else None


def segment_customers(session: Session, principal: Principal, criteria: dict[str, Any] | None,
                      sort: SegmentCustomerSort, page: PageRequest) -> Page[Customer]:
    return repo.segment_customers(session, principal, Criteria.from_json(criteria), sort, page)


def segment_count(session: Session, principal: Principal, criteria: dict[str, Any] | None
                  ) -> int:
    return repo.segment_count(session, principal, Criteria.from_json(criteria))


# Saved segments ------------------------------------------------------------------------

def _validated(name: str, criteria: Criteria) -> str:
    v = Validator()
    name = (name or "").strip()
    v.check(0 < len(name) <= 100, "name", "name must be 1 to 100 characters")
    for key in ("min_recency_score", "min_frequency_score", "min_monetary_score"):
        value = getattr(criteria, key)
        v.check(value is None or 1 <= value <= 5, ["filter", key], "scores are 1 to 5")
    v.check(all(s in Segment.__members__ for s in criteria.segments), ["filter", "segments"],
            "unknown segment")
    v.raise_if_any()
    return name


def save_segment(uow: UnitOfWork, name: str, criteria: Criteria, description: str = "",
                 segment_id: int | None = None, expected_version: int | None = None
                 ) -> SavedSegment:
    """Create a saved segment, or (with `segment_id`) replace its name, filter and
    description. Names are unique: DUPLICATE."""
    if not uow.principal.can(Perm.SEGMENTS_WRITE):
        raise Forbidden("saving segments needs segments:write")
    name = _validated(name, criteria)
    row = None if segment_id is None else repo.get_saved(uow.session, segment_id)
    if segment_id is not None and row is None:
        raise NotFound("segment not found", field=["id"])
    if row is not None and expected_version is not None and row.version != expected_version:
        raise Conflict(f"segment changed (version {row.version}); reload and retry",
                       field=["expectedVersion"])
    before = snapshot(row)
    if row is None:
        row = repo.add_saved(uow.session, SavedSegment(
            name=name, description=description[:400], criteria=criteria.to_json(),
            created_by_id=uow.actor_id))
    else:
        row.name, row.description = name, description[:400]
        row.criteria, row.updated_at, row.version = criteria.to_json(), utcnow(), row.version + 1
    flush_unique(uow.session, DomainError(f"a segment named {name!r} exists", field=["name"],
                                          code=ErrorCode.DUPLICATE))
    uow.audit("segment.save", "Segment", row.id, before=before, after=snapshot(row))
    return row
