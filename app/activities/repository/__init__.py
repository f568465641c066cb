"""All SQL of activities, plans and targets, by concept
(docs/conventions.md#the-files-of-a-domain)."""

from app.activities.repository import activities, plans, targets, timeline
from app.activities.repository.activities import (
    ActivityFilter,
    ActivitySort,
    active_user,
    activities_by_ids,
    agenda,
    claim_overdue,
    done_visits,
    get_visible,
    list_activities,
    scope,
)
from app.activities.repository.plans import (
    VisitPlanFilter,
    VisitPlanSort,
    claim_contact_plan,
    contact_plan_of,
    contact_plan_visible,
    contact_plans_by_customer,
    due_contact_plans,
    list_visit_plans,
    visit_plan_of,
    visit_plan_visible,
)
from app.activities.repository.targets import (
    ProgressSpec,
    SalesTargetFilter,
    SalesTargetSort,
    claim_pace_alert,
    current_targets,
    list_targets,
    progress,
    target_of,
)
from app.activities.repository.targets import (
    get_visible as target_visible,
)
from app.activities.repository.timeline import TimelineKind, customer_timeline

__all__ = [
    "ActivityFilter", "ActivitySort", "ProgressSpec", "SalesTargetFilter", "SalesTargetSort",
    "TimelineKind", "VisitPlanFilter", "VisitPlanSort", "activities", "activities_by_ids",
    "active_user", "agenda", "claim_contact_plan", "claim_overdue", "claim_pace_alert",
    "contact_plan_of", "contact_plan_visible", "target_visible",
    "visit_plan_visible", "contact_plans_by_customer", "current_targets", "customer_timeline",
    "done_visits", "due_contact_plans", "get_visible", "list_activities", "list_targets",
    "list_visit_plans", "plans", "progress", "scope", "target_of", "targets", "timeline",
    "visit_plan_of",
]
