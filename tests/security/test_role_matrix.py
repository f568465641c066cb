"""Every query and mutation under every role and anonymously: the outcome is the policy
table's (schema/policy/table.py), and a refused call changes nothing in the database but
one audit row with outcome DENIED for a refused mutation (docs/architecture.md#the-policy-table).
Subscriptions: tests/subscriptions/test_role_matrix.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from app.cli import migrate
from app.persistence.db import Database
from app.persistence.uow import Runner
from schema.asgi import create_app
from schema.policy.rules import ANONYMOUS, CALLERS, Access
from schema.policy.table import OPERATIONS
from tests.conftest import _create_pg_database, _drop_pg_database
from tests.orders.support import Kit
from tests.security import matrix
from tests.support import Api, Factory

DENIED_CODE = {True: "UNAUTHENTICATED", False: "FORBIDDEN"}  # by: caller is anonymous


@dataclass
class World:
    api: Api
    runner: Runner
    tokens: dict[str, str | None]
    known: dict[str, int]


@pytest.fixture(scope="module")
def own_settings(settings, tmp_path_factory) -> Iterator[Any]:  # noqa: ANN001
    """A database of its own: small, so each refusal can compare all of it."""
    admin = settings.database_url
    import os
    pg_admin = os.environ.get("CRM_TEST_DATABASE_URL", "")
    if pg_admin.startswith("postgresql"):
        url, name = _create_pg_database(pg_admin)
        try:
            yield replace(settings, database_url=url)
        finally:
            _drop_pg_database(pg_admin, name)
        return
    del admin
    yield replace(settings, database_url=f"sqlite:///{tmp_path_factory.mktemp('matrix')}/m.db")


@pytest.fixture(scope="module")
async def world(own_settings) -> AsyncIterator[World]:  # noqa: ANN001
    migrate(own_settings.database_url)
    db = Database(own_settings.database_url)
    runner = Runner(db, settings=own_settings)
    factory = Factory(runner, own_settings)
    transport = httpx.ASGITransport(app=create_app(settings=own_settings, db=db),
                                    client=("203.0.113.7", 4321))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            api = Api(client, factory)
            kit = Kit(api, factory)
            warehouse, product = kit.warehouse(), kit.product()
            kit.stock(product, warehouse, 50)
            sales = factory.user("SALES")
            customer = kit.customer(owner_id=sales.id)
            tokens: dict[str, str | None] = {ANONYMOUS: None}
            for caller in CALLERS:
                if caller == "SALES":
                    tokens[caller] = sales.token
                elif caller == "CONSIGNOR":  # signed in for a consignor of its own
                    tokens[caller] = factory.user(caller, customer_id=kit.customer(
                        is_consignor=True).id).token
                elif caller != ANONYMOUS:
                    tokens[caller] = factory.user(
                        caller, customer_id=customer.id if caller == "CUSTOMER" else None,
                        warehouses=[warehouse.code] if caller == "WAREHOUSE" else None).token
            spare = factory.user("SALES")  # what userUpdate and friends may change
            order = await kit.order(sales.token, customer, [(product, 2)])
            known = {"Warehouse": warehouse.id, "Product": product.id, "Customer": customer.id,
                     "User": spare.id, "Order": int(matrix.pk_of(order["id"]))}
            yield World(api, runner, tokens, known)
    finally:
        db.dispose()


def _errors_at(body: dict[str, Any], name: str) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []
            if e.get("path") == [name]]


async def _call(world: World, kind: str, name: str, caller: str) -> tuple[int, dict]:
    query, variables = matrix.document(kind, name, world.known)
    response = await world.api.raw(query, variables, world.tokens[caller])
    return response.status_code, response.json()


@pytest.mark.parametrize("caller", CALLERS)
async def test_every_operation_answers_as_the_policy_table_says(world: World, caller: str):
    failures = []
    read = world.runner.read_sync
    for kind in ("Query", "Mutation"):
        for name in matrix.root_fields(kind):
            access, _how = OPERATIONS[f"{kind}.{name}"].outcome(caller)
            if access is not Access.DENIED:
                status, body = await _call(world, kind, name, caller)
                refused = {"FORBIDDEN", "UNAUTHENTICATED"} & set(_errors_at(body, name))
                if status != 200 or refused:
                    failures.append((kind, name, "expected allowed", status, body))
                continue
            before, audit_before = (read(matrix.fingerprint, (), {}),
                                    read(matrix.audit_rows, (), {}))
            status, body = await _call(world, kind, name, caller)
            after, audit_after = (read(matrix.fingerprint, (), {}),
                                  read(matrix.audit_rows, (), {}))
            code = DENIED_CODE[caller == ANONYMOUS]
            if status != 200 or _errors_at(body, name) != [code] \
                    or (body.get("data") or {}).get(name) is not None:
                failures.append((kind, name, f"expected {code}", status, body))
            changed = [t for t in before if before[t] != after[t]]
            if changed:
                failures.append((kind, name, "refused call changed tables", changed))
            added = audit_after[len(audit_before):]
            expected = 1 if kind == "Mutation" else 0
            if audit_after[:len(audit_before)] != audit_before or len(added) != expected or \
                    any(r[0] != f"{kind}.{name}" or r[1] != "DENIED" or
                        r[5] != "203.0.113.7" for r in added):
                failures.append((kind, name, "audit of the refusal", added))
    assert failures == [], "\n".join(map(str, failures[:20]))
