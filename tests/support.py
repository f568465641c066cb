"""Test helpers: build real rows through services, call the API over HTTP."""

from __future__ import annotations

import itertools
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
from app.uow import Runner

_seq = itertools.count(1)
ADMIN = SYSTEM


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq):05d}"


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
