"""Helpers for notification tests: unique recipients, orders in a known state,
and polling the stored notification rows (bounded)."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from app.notifications.models import Notification
from tests.support import Factory

_phones = itertools.count(1)
TIMEOUT = 10.0


def unique_email(name: str = "buyer") -> str:
    return f"{name}.{secrets.token_hex(4)}@example.com"


def unique_phone() -> str:
    return f"139{secrets.randbelow(10**4):04d}{next(_phones) % 10**4:04d}"


async def pending_order(kit: Any, factory: Factory, customer: Any = None, quantity: int = 2
                        ) -> tuple[dict, Any, Any]:
    """An order waiting for review, placed and submitted by the owning sales rep."""
    rep = factory.user("SALES")
    customer = customer or kit.customer(owner_id=rep.id)
    if customer.owner_id != rep.id:
        rep = factory.user("ADMIN")
    warehouse = kit.warehouse()
    product = kit.product("20.00")
    kit.stock(product, warehouse, 100)
    order = await kit.order(rep.token, customer, [(product, quantity)])
    await kit.ok_step("orderSubmit", order["id"], rep.token)
    return order, customer, rep


def rows(factory: Factory, **where: Any) -> list[Notification]:
    def fetch(session: Session) -> list[Notification]:
        stmt = select(Notification)
        for key, value in where.items():
            stmt = stmt.where(getattr(Notification, key) == value)
        return list(session.exec(stmt.order_by(Notification.id)))
    return factory.runner.read_sync(fetch, (), {})


async def wait_rows(factory: Factory, done: Callable[[list[Notification]], bool],
                    timeout: float = TIMEOUT, **where: Any) -> list[Notification]:
    deadline = time.monotonic() + timeout
    while True:
        found = rows(factory, **where)
        if done(found):
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"notifications never matched: {[(n.channel, n.template, n.status, n.attempts, n.last_error) for n in found]}")  # noqa: E501
        await asyncio.sleep(0.05)


def by_channel(found: list[Notification], template: str) -> dict[str, Notification]:
    return {n.channel: n for n in found if n.template == template}


def settled(template: str, channels: set[str]) -> Callable[[list[Notification]], bool]:
    """Every channel of `template` has reached a final state."""
    def check(found: list[Notification]) -> bool:
        mine = by_channel(found, template)
        return set(mine) >= channels and all(
            n.status in ("SENT", "DELIVERED", "FAILED") for n in mine.values())
    return check
