"""The periodic checks of activities and targets: overdue work (one alert per activity and
due time), key-contact maintenance plans (one TASK per period) and targets behind pace
(one alert per target and day). Each claims its rows with a conditional UPDATE, so two
runs racing (two servers, a server and `crm check-activities`) raise each alert once.
They run every CRM_ACTIVITY_CHECK_SECONDS with the process's background workers
(app/events/runtime.py) and from `crm check-activities`
(docs/architecture.md#activities-plans-and-targets)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.activities import periods, planning
from app.activities import repository as repo
from app.activities.models import Activity, ActivityKind, ActivityStatus
from app.auth.principal import SYSTEM
from app.config import Settings
from app.events import topics
from app.persistence.background import Periodic
from app.persistence.columns import utcnow
from app.persistence.uow import Runner, UnitOfWork, snapshot

log = logging.getLogger("crm.activities.checks")
BATCH = 200  # rows per unit of work: a backlog never holds the writer for long
PLAN_TASK_HOUR = 18  # a maintenance task is due at 18:00 business time on its day


@dataclass(frozen=True)
class CheckResult:
    examined: int  # rows looked at (BATCH: there may be more)
    raised: list[int]  # ids alerted or created


def check_overdue(uow: UnitOfWork, now: datetime, limit: int = BATCH) -> CheckResult:
    """Claim up to `limit` open activities due before `now` that were not alerted for
    their due time, and emit `activity.overdue` for each (the staff notice and the
    `activityDue` subscription come from it)."""
    claimed = repo.claim_overdue(uow.session, now, limit)
    for row in claimed:
        uow.emit(topics.ACTIVITY_OVERDUE, activity_id=row.id, assignee_id=row.assignee_id,
                 customer_id=row.customer_id, subject_type=row.subject_type,
                 subject_id=row.subject_id, kind=row.kind, title=row.title,
                 due_at=row.due_at.isoformat(), at=now.isoformat())
    return CheckResult(len(claimed), [r.id for r in claimed])


def run_contact_plans(uow: UnitOfWork, today: date, timezone: str,
                      limit: int = BATCH) -> CheckResult:
    """A TASK for every active plan due on or before `today`; the plan moves on to today
    + N days by a conditional update, and only the run that moved it makes the task."""
    session = uow.session
    due = repo.due_contact_plans(session, today, limit)
    made = []
    for plan in due:
        if not repo.claim_contact_plan(session, plan.id, plan.next_due_on,
                                       today + timedelta(days=plan.every_days)):
            continue
        due_at = datetime.combine(today, time(PLAN_TASK_HOUR), ZoneInfo(timezone))
        task = Activity(kind=ActivityKind.TASK.value, status=ActivityStatus.OPEN.value,
                        subject_type=plan.subject_type, subject_id=plan.subject_id,
                        customer_id=plan.customer_id, assignee_id=plan.assignee_id,
                        title=f"定期联系 / Keep in touch (every {plan.every_days} days)",
                        due_at=due_at, contact_plan_id=plan.id)
        session.add(task)
        session.flush()
        uow.audit("activity.create", "Activity", task.id, after=snapshot(task))
        made.append(task.id)
    return CheckResult(len(due), made)


def check_pace(uow: UnitOfWork, now: datetime, timezone: str, threshold: float
               ) -> CheckResult:
    """`target.behind_pace` for each target of a current period whose progress over the
    elapsed fraction of the period is below `threshold`, at most once per target and day."""
    session = uow.session
    today = now.astimezone(ZoneInfo(timezone)).date()
    earliest = date(today.year - 1, today.month, 1)  # a quarter began within a year
    raised = []
    current = [t for t in repo.current_targets(session, today, earliest)
               if today < periods.period_end(t.period, t.period_start)]
    specs = {t.id: planning.progress_spec(t, timezone) for t in current}
    achieved = repo.progress(session, list(specs.values()))
    for target in current:
        spec = specs[target.id]
        elapsed = periods.elapsed_fraction(now, spec.start, spec.end)
        value = achieved.get(target.id)
        if value is None or not periods.behind(value, target.target, elapsed, threshold):
            continue
        if not repo.claim_pace_alert(session, target.id, today):
            continue
        uow.emit(topics.TARGET_BEHIND_PACE, target_id=target.id, user_id=target.user_id,
                 metric=target.metric, period=target.period,
                 period_start=target.period_start.isoformat(), achieved=str(value),
                 target=str(target.target),
                 pace=round(periods.pace(value, target.target, elapsed) or 0, 3),
                 at=now.isoformat())
        raised.append(target.id)
    return CheckResult(len(current), raised)


@dataclass(frozen=True)
class Totals:
    overdue: int = 0
    tasks: int = 0
    behind: int = 0


async def run_checks(runner: Runner, settings: Settings, now: datetime | None = None
                     ) -> Totals:
    """Every check once, in units of BATCH rows."""
    now = now or utcnow()
    timezone = settings.business_timezone
    today = now.astimezone(ZoneInfo(timezone)).date()
    overdue = tasks = 0
    while True:
        result = await runner.write(check_overdue, now, principal=SYSTEM)
        overdue += len(result.raised)
        if result.examined < BATCH:
            break
    while True:
        result = await runner.write(run_contact_plans, today, timezone, principal=SYSTEM)
        tasks += len(result.raised)
        if result.examined < BATCH:
            break
    paced = await runner.write(check_pace, now, timezone, settings.target_pace_threshold,
                               principal=SYSTEM)
    return Totals(overdue, tasks, len(paced.raised))


@dataclass
class ActivityChecks(Periodic):
    """The background worker: the checks at start-up, then every
    `activity_check_seconds` (0: never)."""

    runner: Runner
    settings: Settings
    name = "activity-check"

    def interval(self) -> float:
        return self.settings.activity_check_seconds

    async def run_once(self) -> Totals:
        try:
            totals = await run_checks(self.runner, self.settings)
        except Exception as exc:  # database down: the next round tries again
            log.warning("the activity check failed: %s", exc)
            return Totals()
        if totals != Totals():
            log.info("activity check: %s", totals)
        return totals
