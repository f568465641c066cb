"""Test helpers: build real rows through services, call the API over HTTP."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from app.auth import service as auth_service
from app.auth.principal import SYSTEM, Principal
from app.auth.tokens import issue_access_token
from app.config import Settings
from app.customers import service as customer_service
from app.ids import to_global_id
from app.persistence.uow import Runner

_seq = itertools.count(1)
# How long a held writer waits, and a test for it to start: a bound on liveness only (a
# writer process starting on a machine many times oversubscribed took over 10 s).
HOLD_SECONDS = 60
ADMIN = SYSTEM


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq):05d}"


def hold_writer(uow, marker: str, gate: str, action: str = "held") -> str:  # noqa: ANN001
    """A unit of work (module-level: the writer process gets it by name) that audits `action`
    under `marker`, says it has begun by creating `gate`.started, then holds the writer, thread
    or process, until the file `gate` exists (HOLD_SECONDS at most)."""
    uow.audit(action, marker, 0)
    with open(gate + ".started", "w"):
        pass
    deadline = time.monotonic() + HOLD_SECONDS
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.005)
    return action


def audited_actions(runner: Runner, marker: str) -> list[str]:
    """The actions audited under the entity type `marker`, in the order written."""
    from sqlalchemy import select

    from app.audit.models import AuditRecord

    table = AuditRecord.__table__

    def fetch(session) -> list[str]:  # noqa: ANN001
        stmt = select(table.c.action).where(table.c.entity_type == marker).order_by(table.c.id)
        return list(session.execute(stmt).scalars())
    return runner.read_sync(fetch, (), {})


async def writer_held(gate: str) -> None:
    """Until the `hold_writer` unit on `gate` has begun."""
    deadline = time.monotonic() + HOLD_SECONDS
    while not os.path.exists(gate + ".started"):
        assert time.monotonic() < deadline, "the holding unit did not start"
        await asyncio.sleep(0.005)


@dataclass
class TestUser:
    id: int
    email: str
    role: str
    token: str
    customer_id: int | None = None

    @property
    def gid(self) -> str:
        return to_global_id("User", self.id)


class Factory:
    """Creates rows through the real services (as an ADMIN system principal)."""

    def __init__(self, runner: Runner, settings: Settings) -> None:
        self.runner = runner
        self.settings = settings

    def write(self, fn: Any, *args: Any, principal: Principal | None = None, **kw: Any) -> Any:
        return self.runner.write_sync(fn, *args, principal=principal or ADMIN, **kw)

    def plan_notifications(self) -> int:
        """What a running server's planner does after commit, done now in this thread (the
        apps of the tests run no background tasks): the notification rows written."""
        from app.notifications.planning import plan_pending

        return plan_pending(self.runner.db)

    def update_segments(self) -> int:
        """What a running server's segment updater does (app/segments/jobs.py), now in this
        thread: another durable consumer of the outbox, which retention waits for too."""
        from app.segments.jobs import update_pending

        return update_pending(self.runner)

    def user(self, role: str = "ADMIN", *, customer_id: int | None = None,
             warehouses: list[str] | None = None, password: str = "password123") -> TestUser:
        email = f"{unique(role.lower())}@example.com"
        row = self.write(auth_service.create_user, email=email, password=password, role=role,
                         customer_id=customer_id, warehouse_codes=warehouses)
        return TestUser(row.id, email, role, self.token_for(row.id, role, customer_id,
                                                              warehouses), customer_id)

    def token_for(self, user_id: int, role: str, customer_id: int | None = None,
                  warehouses: list[str] | None = None, **kw: Any) -> str:
        from app.auth import repository
        wids = self.runner.read_sync(repository.warehouse_ids, (user_id,), {}) \
            if role == "WAREHOUSE" else None
        return issue_access_token(self.settings, user_id=user_id, role=role,
                                  customer_id=customer_id, warehouse_ids=wids, **kw)[0]

    def customer(self, *, owner_id: int | None = None, **data: Any) -> Any:
        values = {"name": unique("Customer "), "region": "East", "email": "c@example.com",
                  "phone": "13812345678", "credit_limit": Decimal("100000"), **data}
        if owner_id is not None:
            values["owner_id"] = owner_id
        return self.write(customer_service.create_customer, values)


class Api:
    """GraphQL over HTTP against the real ASGI app."""

    def __init__(self, client: httpx.AsyncClient, factory: Factory) -> None:
        self.client = client
        self.factory = factory

    async def raw(self, query: str, variables: dict | None = None, token: str | None = None,
                  **extra: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await self.client.post("/graphql", json={"query": query,
                                                        "variables": variables or {}, **extra},
                                      headers=headers)

    async def gql(self, query: str, variables: dict | None = None, token: str | None = None
                  ) -> dict[str, Any]:
        response = await self.raw(query, variables, token)
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(self, query: str, variables: dict | None = None, token: str | None = None
                 ) -> dict[str, Any]:
        """The data of a response that must have no errors at all."""
        body = await self.gql(query, variables, token)
        assert not body.get("errors"), body["errors"]
        return body["data"]
