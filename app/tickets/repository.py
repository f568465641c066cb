"""All SQL of tickets: the row scope, the queue with its filters, messages, the agents'
open work for automatic assignment, the SLA policy, the breach claims and the SLA report's
rows (docs/architecture.md#tickets-and-slas)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, not_, or_, text, update
from sqlmodel import Session, select

from app.auth.models import User
from app.customers.repository import of_visible_customers
from app.persistence.repository import (
    Page,
    PageRequest,
    contains,
    equal,
    grouped,
    one_of,
    paginate,
    sort_table,
    where,
)
from app.tickets.models import OPEN_STATUSES, Ticket, TicketMessage, TicketSlaPolicy

_ASSIGN_LOCK = 0x7469636B  # "tick": serializes automatic assignment on PostgreSQL


class TicketSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    UPDATED_AT_ASC = "UPDATED_AT_ASC"
    RESOLUTION_DUE_AT_ASC = "RESOLUTION_DUE_AT_ASC"
    RESOLUTION_DUE_AT_DESC = "RESOLUTION_DUE_AT_DESC"
    FIRST_RESPONSE_DUE_AT_ASC = "FIRST_RESPONSE_DUE_AT_ASC"
    FIRST_RESPONSE_DUE_AT_DESC = "FIRST_RESPONSE_DUE_AT_DESC"


_SORTS = sort_table(TicketSort, {
    "CREATED_AT": Ticket.created_at, "UPDATED_AT": Ticket.updated_at,
    "RESOLUTION_DUE_AT": Ticket.resolution_due_at,
    "FIRST_RESPONSE_DUE_AT": Ticket.first_response_due_at})


@dataclass(frozen=True)
class TicketFilter:
    statuses: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    priorities: tuple[str, ...] | None = None
    assignee_id: int | None = None
    unassigned: bool | None = None
    customer_id: int | None = None
    order_id: int | None = None
    exception_id: int | None = None
    breached: bool | None = None
    search: str | None = None
    now: datetime | None = None


def scope(stmt, principal: Any):  # noqa: ANN001, ANN201
    """CUSTOMER users their own tickets; staff (tickets:read) every ticket."""
    return of_visible_customers(stmt, principal, Ticket.customer_id)


def response_breach(now: datetime) -> Any:
    """No first response by its due time: answered late, or not yet and past due."""
    return and_(Ticket.merged_into_id.is_(None), Ticket.first_response_due_at < now,
                or_(and_(Ticket.first_responded_at.is_(None),
                         Ticket.status.in_(OPEN_STATUSES)),
                    Ticket.first_responded_at > Ticket.first_response_due_at))


def resolution_breach(now: datetime) -> Any:
    return and_(Ticket.merged_into_id.is_(None), Ticket.resolution_due_at < now,
                or_(and_(Ticket.resolved_at.is_(None), Ticket.status.in_(OPEN_STATUSES)),
                    Ticket.resolved_at > Ticket.resolution_due_at))


def breached_condition(now: datetime) -> Any:
    return or_(Ticket.response_breached_at.is_not(None),
               Ticket.resolution_breached_at.is_not(None),
               response_breach(now), resolution_breach(now))


def get_visible(session: Session, principal: Any, ticket_id: int, *,
                for_update: bool = False) -> Ticket | None:
    stmt = scope(select(Ticket).where(Ticket.id == ticket_id), principal)
    if for_update:
        stmt = stmt.with_for_update(of=Ticket)
    return session.exec(stmt).first()


def list_tickets(session: Session, principal: Any, flt: TicketFilter, sort: TicketSort,
                 page: PageRequest) -> Page[Ticket]:
    breached = None
    if flt.breached is not None and flt.now is not None:
        cond = breached_condition(flt.now)
        breached = cond if flt.breached else not_(cond)
    unassigned = None
    if flt.unassigned is not None:
        unassigned = Ticket.assignee_id.is_(None) if flt.unassigned else \
            Ticket.assignee_id.is_not(None)
    stmt = where(scope(select(Ticket), principal),
                 one_of(Ticket.status, flt.statuses), one_of(Ticket.kind, flt.kinds),
                 one_of(Ticket.priority, flt.priorities),
                 equal(Ticket.assignee_id, flt.assignee_id), unassigned,
                 equal(Ticket.customer_id, flt.customer_id),
                 equal(Ticket.order_id, flt.order_id),
                 equal(Ticket.exception_id, flt.exception_id), breached,
                 contains(flt.search, Ticket.number, Ticket.subject))
    return paginate(session, stmt, _SORTS[sort], page, Ticket.id)


def tickets_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Ticket]:
    """Unscoped: for loaders whose keys came from a scoped read."""
    return {t.id: t for t in session.exec(select(Ticket).where(Ticket.id.in_(list(ids))))}


def tickets_by_exception(session: Session, ids: Sequence[int]) -> dict[int, list[Ticket]]:
    stmt = select(Ticket).where(Ticket.exception_id.in_(list(ids))).order_by(
        Ticket.exception_id, Ticket.id)
    return grouped(session.exec(stmt), "exception_id")


def _messages(session: Session, ids: Sequence[int], internal: bool
              ) -> dict[int, list[TicketMessage]]:
    stmt = select(TicketMessage).where(TicketMessage.ticket_id.in_(list(ids)),
                                       TicketMessage.internal == internal).order_by(
        TicketMessage.ticket_id, TicketMessage.created_at, TicketMessage.id)
    return grouped(session.exec(stmt), "ticket_id")


def public_messages(session: Session, ids: Sequence[int]) -> dict[int, list[TicketMessage]]:
    return _messages(session, ids, False)


def internal_notes(session: Session, ids: Sequence[int]) -> dict[int, list[TicketMessage]]:
    return _messages(session, ids, True)


def move_messages(session: Session, from_id: int, to_id: int) -> int:
    """Every message and note of a merged duplicate onto the ticket it was merged into."""
    stmt = (update(TicketMessage).where(TicketMessage.ticket_id == from_id)
            .values(ticket_id=to_id, merged_from_id=from_id)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount or 0


# Assignment -----------------------------------------------------------------------

def lock_assignment(session: Session) -> None:
    """Serialize automatic assignment: the agents' open work is read after the previous
    assignment committed (PostgreSQL, READ COMMITTED: the next statement sees it). SQLite
    has one writer already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ASSIGN_LOCK})


def least_loaded_agent(session: Session, role: str) -> int | None:
    """The active user of `role` with the fewest open tickets, the lowest id on a tie."""
    load = func.count(Ticket.id)
    stmt = (select(User.id, load)
            .select_from(User)
            .outerjoin(Ticket, and_(Ticket.assignee_id == User.id,
                                    Ticket.status.in_(OPEN_STATUSES)))
            .where(User.role == role, User.is_active)
            .group_by(User.id).order_by(load, User.id).limit(1))
    row = session.exec(stmt).first()
    return row[0] if row else None


def open_load(session: Session, role: str) -> dict[int, int]:
    """{agent id: open tickets} of every active user of `role` (tests and the report)."""
    load = func.count(Ticket.id)
    stmt = (select(User.id, load).select_from(User)
            .outerjoin(Ticket, and_(Ticket.assignee_id == User.id,
                                    Ticket.status.in_(OPEN_STATUSES)))
            .where(User.role == role, User.is_active).group_by(User.id))
    return {r[0]: r[1] for r in session.exec(stmt)}


def active_user(session: Session, user_id: int) -> User | None:
    return session.exec(select(User).where(User.id == user_id, User.is_active)).first()


def users_by_ids(session: Session, ids: Sequence[int]) -> dict[int, User]:
    return {u.id: u for u in session.exec(select(User).where(User.id.in_(list(ids))))}


# SLA policy -----------------------------------------------------------------------

def sla_policy(session: Session, priority: str, tier: str) -> TicketSlaPolicy | None:
    return session.exec(select(TicketSlaPolicy).where(
        TicketSlaPolicy.priority == priority, TicketSlaPolicy.tier == tier)).first()


def sla_policies(session: Session) -> list[TicketSlaPolicy]:
    return list(session.exec(select(TicketSlaPolicy).order_by(TicketSlaPolicy.id)))


# Breaches -------------------------------------------------------------------------

_CLAIMED = (Ticket.id, Ticket.number, Ticket.customer_id, Ticket.assignee_id,
            Ticket.priority, Ticket.status, Ticket.first_response_due_at,
            Ticket.resolution_due_at)


def claim_breaches(session: Session, now: datetime, limit: int, *, resolution: bool
                   ) -> list[Any]:
    """Mark up to `limit` tickets whose first response (or resolution) is late and not yet
    marked, and return them: one conditional UPDATE, so of two runs racing each ticket is
    claimed once (PostgreSQL re-checks the mark on the locked row; SQLite has one writer)."""
    mark = Ticket.resolution_breached_at if resolution else Ticket.response_breached_at
    cond = and_(resolution_breach(now) if resolution else response_breach(now),
                mark.is_(None))
    candidates = (select(Ticket.id).where(cond).order_by(Ticket.id).limit(limit))
    stmt = (update(Ticket).where(Ticket.id.in_(candidates.scalar_subquery()), cond)
            .values({mark.key: now}).returning(*_CLAIMED)
            .execution_options(synchronize_session=False))
    return sorted(session.execute(stmt).all(), key=lambda r: r.id)


def escalate(session: Session, ticket_id: int, priority: str) -> None:
    session.execute(update(Ticket).where(Ticket.id == ticket_id).values(priority=priority)
                    .execution_options(synchronize_session=False))


# The SLA report -------------------------------------------------------------------

def report_rows(session: Session, start: datetime, end: datetime) -> list[Any]:
    """The facts of each ticket opened in [start, end) the report needs (duplicates
    merged away are not counted)."""
    stmt = select(Ticket.id, Ticket.priority, Ticket.assignee_id, Ticket.status,
                  Ticket.created_at, Ticket.first_responded_at, Ticket.resolved_at,
                  Ticket.first_response_due_at, Ticket.resolution_due_at,
                  Ticket.response_breached_at, Ticket.resolution_breached_at).where(
        Ticket.created_at >= start, Ticket.created_at < end,
        Ticket.merged_into_id.is_(None))
    return list(session.exec(stmt).all())
