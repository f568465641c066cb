"""Delivery plans: a consignor's standing delivery to a consignee on weekly route days,
with standing quantities; created, changed, paused and resumed here, turned into delivery
orders ahead of time by the scheduler (app/delivery/scheduler.py;
docs/architecture.md#delivery-orders-and-plans)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.delivery import repository as repo
from app.delivery import service
from app.delivery.models import DeliveryPlan, DeliveryPlanStatus
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, Validator
from app.orders.service import ShipTo
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork, snapshot

MAX_PLAN_LINES = 50


@dataclass(frozen=True)
class PlanDraft:
    route_days: tuple[int, ...]  # ISO weekdays, 1 = Monday
    lines: tuple[service.DeliveryLine, ...]
    valid_from: date
    consignee_id: str | None = None
    ship_to: ShipTo | None = None
    valid_until: date | None = None
    name: str = ""
    notes: str = ""


def route_days_text(days: tuple[int, ...]) -> str:
    return ",".join(str(d) for d in sorted(set(days)))


def route_days_of(plan: DeliveryPlan) -> list[int]:
    return [int(d) for d in plan.route_days.split(",") if d]


def _check(draft: PlanDraft) -> None:
    v = Validator()
    v.check(bool(draft.route_days) and all(1 <= d <= 7 for d in draft.route_days),
            "routeDays", "route days are ISO weekdays 1 (Monday) to 7 (Sunday), at least one")
    v.check(1 <= len(draft.lines) <= MAX_PLAN_LINES, "lines",
            f"a plan has 1 to {MAX_PLAN_LINES} standing quantities")
    v.check(len(draft.name) <= 200, "name", "a name is at most 200 characters")
    v.check(len(draft.notes) <= 2000, "notes", "notes are at most 2000 characters")
    if draft.valid_until is not None:
        v.check(draft.valid_until >= draft.valid_from, "validUntil",
                "valid until is before valid from")
    v.raise_if_any()


def _resolve(uow: UnitOfWork, consignor: Any, draft: PlanDraft) -> tuple[Any, ShipTo, list]:
    """The consignee, the ship-to and (product id, quantity) pairs, checked as a delivery
    order's would be (the same rules, so the scheduler's orders pass them)."""
    probe = service.DeliveryRequest(reference="plan", lines=draft.lines,
                                    consignee_id=draft.consignee_id, ship_to=draft.ship_to)
    prepared = service.prepare(uow, consignor, probe)
    ship_to = prepared.draft.ship_to
    return prepared.consignee_id, ship_to, [(ln.product_id, ln.quantity)
                                            for ln in prepared.draft.lines]


def _write(plan: DeliveryPlan, draft: PlanDraft, consignee_id: int | None,
           ship_to: ShipTo) -> None:
    plan.consignee_id, plan.name = consignee_id, draft.name.strip()
    plan.route_days = route_days_text(draft.route_days)
    plan.valid_from, plan.valid_until = draft.valid_from, draft.valid_until
    plan.ship_recipient, plan.ship_phone = ship_to.recipient.strip(), ship_to.phone
    plan.ship_region, plan.ship_address = ship_to.region, ship_to.address.strip()
    plan.notes = draft.notes.strip()


def _may_write(uow: UnitOfWork) -> None:
    if not uow.principal.can(Perm.DELIVERY_WRITE):
        raise Forbidden("requires permission delivery:write")


def create_plan(uow: UnitOfWork, consignor_id: int | None, draft: PlanDraft) -> DeliveryPlan:
    _may_write(uow)
    _check(draft)
    consignor = service.consignor_of(uow.session, uow.principal, consignor_id)
    consignee_id, ship_to, lines = _resolve(uow, consignor, draft)
    plan = DeliveryPlan(consignor_id=consignor.id, valid_from=draft.valid_from,
                        route_days="", created_by_id=uow.actor_id)
    _write(plan, draft, consignee_id, ship_to)
    s = uow.session
    s.add(plan)
    s.flush()
    repo.replace_plan_lines(s, plan.id, lines)
    s.flush()
    uow.audit("delivery_plan.create", "DeliveryPlan", plan.id, before=None,
              after=snapshot(plan))
    return plan


def _load(uow: UnitOfWork, plan_id: int, expected_version: int | None) -> DeliveryPlan:
    _may_write(uow)
    if repo.get_visible_plan(uow.session, uow.principal, plan_id) is None:
        raise NotFound("delivery plan not found", field=["id"])
    plan = repo.lock_plan(uow.session, plan_id)
    if expected_version is not None and expected_version != plan.version:
        raise Conflict(f"plan changed (version {plan.version}); reload and retry",
                       field=["expectedVersion"])
    return plan


def _touch(uow: UnitOfWork, plan: DeliveryPlan, action: str, before: dict) -> None:
    plan.version += 1
    plan.updated_at = utcnow()
    uow.session.add(plan)
    uow.session.flush()
    uow.audit(f"delivery_plan.{action}", "DeliveryPlan", plan.id, before=before,
              after=snapshot(plan))


def update_plan(uow: UnitOfWork, plan_id: int, draft: PlanDraft,
                expected_version: int | None = None) -> DeliveryPlan:
    """Replace the plan's days, quantities, consignee and validity (not an ENDED plan).
    Orders already made stay as they are; later route days follow the new plan."""
    _check(draft)
    plan = _load(uow, plan_id, expected_version)
    if plan.status == DeliveryPlanStatus.ENDED.value:
        raise InvalidTransition("delivery plan", plan.status, "update")
    consignor = service.consignor_of(uow.session, uow.principal, plan.consignor_id)
    consignee_id, ship_to, lines = _resolve(uow, consignor, draft)
    before = snapshot(plan)
    _write(plan, draft, consignee_id, ship_to)
    repo.replace_plan_lines(uow.session, plan.id, lines)
    _touch(uow, plan, "update", before)
    return plan


MOVES = {"pause": ({DeliveryPlanStatus.ACTIVE}, DeliveryPlanStatus.PAUSED),
         "resume": ({DeliveryPlanStatus.PAUSED}, DeliveryPlanStatus.ACTIVE),
         "end": ({DeliveryPlanStatus.ACTIVE, DeliveryPlanStatus.PAUSED},
                 DeliveryPlanStatus.ENDED)}


def move_plan(uow: UnitOfWork, plan_id: int, action: str,
              expected_version: int | None = None) -> DeliveryPlan:
    """pause (no new orders until resumed), resume, or end (for good)."""
    allowed, target = MOVES[action]
    plan = _load(uow, plan_id, expected_version)
    if DeliveryPlanStatus(plan.status) not in allowed:
        raise InvalidTransition("delivery plan", plan.status, action)
    before = snapshot(plan)
    plan.status = target.value
    _touch(uow, plan, action, before)
    return plan


def get_plan(session: Session, principal: Principal, pk: int) -> DeliveryPlan | None:
    return repo.get_visible_plan(session, principal, pk)


def list_plans(session: Session, principal: Principal, flt: repo.DeliveryPlanFilter,
               sort: repo.DeliveryPlanSort, page: PageRequest) -> Page[DeliveryPlan]:
    return repo.list_plans(session, principal, flt, sort, page)
