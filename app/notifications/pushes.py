"""PUSH rows: the notifications a batch planned, once more for each registered device of
their recipients (docs/architecture.md#offline-writes-and-push).

Planned by the same planner, after the other channels: a message to a customer goes to
the devices of that customer's own logins, a staff message to the staff member's devices,
one statement per batch for all of them. Only when a push gateway is configured
(CRM_PUSH_URL), and a customer's PUSH preference is honoured. The recipient is
"<platform>:<token>", encrypted at rest like an e-mail or a phone number."""

from __future__ import annotations

from typing import Any

from app.devices import repository as devices
from app.notifications.reads import Reads
from app.notifications.repository import Status

BODY = 1000  # a push shows a few lines; the full text is in the app's inbox


def _key(row: dict[str, Any]) -> tuple:
    return (row["event_id"], row["template"], row["source_key"], row["customer_id"],
            row["user_id"])


def push_rows(reads: Reads, planned: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One PUSH row per (message, recipient's device), from the message's first row."""
    messages: dict[tuple, dict[str, Any]] = {}
    for row in planned:
        if row["channel"] != "SMS":  # the SMS text is the short form; keep the full one
            messages.setdefault(_key(row), row)
    if not messages:
        return []
    customers = {row["customer_id"] for row in messages.values() if row["customer_id"]}
    users = {row["user_id"] for row in messages.values() if row["user_id"]}
    by_customer, by_user = devices.push_targets(reads.session, customers, users)
    out = []
    for row in messages.values():
        customer_id = row["customer_id"]
        if customer_id and not reads.preferences(customer_id).get("PUSH", True):
            continue
        targets = by_customer.get(customer_id, []) if customer_id else \
            by_user.get(row["user_id"], [])
        for device in targets:
            out.append({**row, "channel": "PUSH", "recipient": f"{device.platform}:{device.token}",
                        "body": row["body"][:BODY], "status": Status.PENDING.value,
                        "sent_at": None, "next_attempt_at": row["created_at"]})
    return out
