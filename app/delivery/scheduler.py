"""The delivery-plan scheduler: each active plan's route days from today to the horizon
become delivery orders ahead of time, exactly once per plan and date. It runs with the
process's background workers (app/events/runtime.py) at start-up and every
CRM_DELIVERY_PLAN_SECONDS (0: never), and as `run_schedule` for the CLI and tests
(docs/architecture.md#delivery-orders-and-plans).

Exactly once, whoever races: every date is claimed by inserting its delivery order row
first under the unique (plan_id, plan_date) key with ON CONFLICT DO NOTHING
(repository.claim). A second scheduler that read the dates before the first committed
waits on PostgreSQL for that commit and then claims nothing; on SQLite the writer runs
one unit at a time and the claim finds the committed row."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session

from app.auth.principal import SYSTEM
from app.config import Settings
from app.delivery import repository as repo
from app.delivery import service
from app.delivery.models import DeliveryPlan, DeliveryPlanStatus
from app.delivery.plans import route_days_of
from app.errors import DomainError
from app.ids import to_global_id
from app.orders.service import ShipTo
from app.persistence.background import Periodic
from app.persistence.uow import Runner, UnitOfWork
from app.quotes.workflow import business_today

log = logging.getLogger("crm.delivery.scheduler")
BATCH = 100  # plans read per page of a pass


def plan_reference(plan_id: int, day: date) -> str:
    """The consignor reference of a plan's order for `day`."""
    return f"plan:{plan_id}:{day.isoformat()}"


def route_dates(plan: DeliveryPlan, first: date, last: date) -> list[date]:
    days = set(route_days_of(plan))
    start = max(first, plan.valid_from)
    end = min(last, plan.valid_until) if plan.valid_until else last
    return [start + timedelta(n) for n in range((end - start).days + 1)
            if (start + timedelta(n)).isoweekday() in days]


def due_dates(session: Session, plan_id: int, first: date, last: date) -> list[date]:
    """The plan's route days in [first, last] that have no order yet (as committed)."""
    plan = session.get(DeliveryPlan, plan_id)
    if plan is None or plan.status != DeliveryPlanStatus.ACTIVE.value:
        return []
    made = repo.planned_dates(session, plan_id, first, last)
    return [d for d in route_dates(plan, first, last) if d not in made]


def _request(plan: DeliveryPlan, lines: list, day: date) -> service.DeliveryRequest:
    ship_to = ShipTo(recipient=plan.ship_recipient, address=plan.ship_address,
                     phone=plan.ship_phone, region=plan.ship_region)
    return service.DeliveryRequest(
        reference=plan_reference(plan.id, day), delivery_date=day, ship_to=ship_to,
        consignee_id=to_global_id("Customer", plan.consignee_id) if plan.consignee_id
        else None, notes=plan.notes,
        lines=tuple(service.DeliveryLine(quantity=ln.quantity,
                                         product_id=to_global_id("Product", ln.product_id))
                    for ln in lines))


def make_dates(uow: UnitOfWork, plan_id: int, dates: list[date]) -> list[int]:
    """The plan's orders for `dates` (one unit of work per plan): the ids of the delivery
    orders this call made; a date another scheduler claimed first is left to it."""
    s = uow.session
    plan = s.get(DeliveryPlan, plan_id)
    if plan is None or plan.status != DeliveryPlanStatus.ACTIVE.value or not dates:
        return []
    consignor = service.consignor_of(s, uow.principal, plan.consignor_id)
    lines = repo.lines_by_plan(s, [plan.id]).get(plan.id, [])
    made = []
    for day in dates:
        prepared = service.prepare(uow, consignor, _request(plan, lines, day))
        result = service.make(uow, consignor.id, plan_reference(plan.id, day), prepared,
                              plan=(plan.id, day))
        if result.created:
            made.append(result.delivery_order.id)
    return made


def schedule_plan(uow: UnitOfWork, plan_id: int, first: date, last: date) -> list[int]:
    return make_dates(uow, plan_id, due_dates(uow.session, plan_id, first, last))


@dataclass
class ScheduleResult:
    created: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # plan id -> why (retried next pass)


async def run_schedule(runner: Runner, today: date, horizon_days: int) -> ScheduleResult:
    """One pass over every active plan: its orders from `today` to `horizon_days` ahead."""
    last = today + timedelta(days=horizon_days)
    result = ScheduleResult()
    after = 0
    while True:
        plans = await runner.read(repo.plans_due, today, last, after, BATCH)
        for plan in plans:
            try:
                result.created += await runner.write(schedule_plan, plan.id, today, last,
                                                     principal=SYSTEM)
            except DomainError as exc:  # e.g. a product withdrawn: the plan needs a person
                result.failed[plan.id] = exc.message
        if len(plans) < BATCH:
            return result
        after = plans[-1].id


@dataclass
class DeliveryPlanScheduler(Periodic):
    """The background worker: the pass at start-up, then every `delivery_plan_seconds`."""

    runner: Runner
    settings: Settings
    created: int = 0  # total (observability)
    name = "delivery-plans"

    def interval(self) -> float:
        return self.settings.delivery_plan_seconds

    async def run_once(self, today: date | None = None) -> int:
        today = today or business_today(self.settings.business_timezone)
        try:
            result = await run_schedule(self.runner, today,
                                        self.settings.delivery_plan_horizon_days)
        except Exception as exc:  # database down: the next round tries again
            log.warning("the delivery plan pass failed: %s", exc)
            return 0
        self.created += len(result.created)
        for plan_id, why in result.failed.items():
            log.warning("delivery plan %d made no orders: %s", plan_id, why)
        if result.created:
            log.info("%d delivery orders made from plans", len(result.created))
        return len(result.created)
