"""Operations and helpers of the activity tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from app.activities.models import Activity
from app.events.models import OutboxEvent
from app.notifications.models import Notification
from tests.orders.support import gid

ACTIVITY = """id kind status subjectType subjectId title notes outcome dueAt completedAt
  overdue version assignee { fullName } customer { id name }"""
CREATE = ("mutation($input: ActivityCreateInput!) { activityCreate(input: $input) { "
          f"activity {{ {ACTIVITY} }} userErrors {{ field message code }} }} }}")
UPDATE = ("mutation($id: ID!, $input: ActivityUpdateInput!) { activityUpdate(id: $id, "
          f"input: $input) {{ activity {{ {ACTIVITY} }} userErrors {{ field message code }} }} }}")
COMPLETE = ("mutation($id: ID!, $outcome: String) { activityComplete(id: $id, "
            f"outcome: $outcome) {{ activity {{ {ACTIVITY} }} userErrors {{ field code }} }} }}")
LIST = ("query($filter: ActivityFilter, $first: Int, $after: String) { activities(filter: "
        "$filter, first: $first, after: $after) { totalCount edges { cursor node { "
        f"{ACTIVITY} }} }} pageInfo {{ hasNextPage endCursor }} }} }}")
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on Activity {{ {ACTIVITY} }} }} }}"
AGENDA = ("query($from: DateTime!, $to: DateTime!) { myAgenda(from: $from, to: $to, "
          "first: 100) { edges { node { id title dueAt status } } } }")
TIMELINE = """query($id: ID!, $first: Int, $after: String) { customer(id: $id) {
  timeline(first: $first, after: $after) { edges { cursor node { kind occurredAt title detail
  entryId activity { id title assignee { fullName } } } }
  pageInfo { hasNextPage endCursor } } } }"""


def now() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    return value.isoformat()


async def create(api: Any, token: str, subject: str, *, kind: str = "CALL",
                 title: str = "回访客户", due: datetime | None = None, **extra: Any) -> dict:
    inp = {"kind": kind, "subjectId": subject, "title": title,
           "dueAt": iso(due or now() + timedelta(days=1)), **extra}
    payload = (await api.ok(CREATE, {"input": inp}, token))["activityCreate"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["activity"]


def customer_gid(customer: Any) -> str:
    return gid("Customer", customer.id)


def overdue_events(factory: Any, activity_id: int) -> list[dict]:
    def fetch(session: Any) -> list[dict]:
        rows = session.exec(select(OutboxEvent).where(OutboxEvent.topic == "activity.overdue"))
        return [r.payload for r in rows if r.payload.get("activity_id") == activity_id]
    return factory.runner.read_sync(fetch, (), {})


def notifications(factory: Any, template: str, source: str) -> list[Notification]:
    def fetch(session: Any) -> list[Notification]:
        return list(session.exec(select(Notification).where(
            Notification.template == template, Notification.source_key == source)))
    return factory.runner.read_sync(fetch, (), {})


def activities_of_plan(factory: Any, plan_id: int) -> list[Activity]:
    def fetch(session: Any) -> list[Activity]:
        return list(session.exec(select(Activity).where(Activity.contact_plan_id == plan_id)))
    return factory.runner.read_sync(fetch, (), {})
