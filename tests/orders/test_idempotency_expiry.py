"""Idempotency keys are remembered for CRM_IDEMPOTENCY_HOURS, then free again; the
housekeeping pass deletes the expired records."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from app.auth.principal import Principal
from app.auth.roles import Role
from app.errors import DomainError, ErrorCode
from app.events.housekeeping import Housekeeping
from app.orders import service
from app.orders.pricing import LineRequest
from app.persistence.columns import utcnow
from app.persistence.models import IdempotencyRecord
from app.persistence.uow import Runner


def _age(db, user_id: int, key: str, hours: float) -> None:  # noqa: ANN001
    with db.write_engine.begin() as conn:
        conn.execute(update(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
            .values(created_at=utcnow() - timedelta(hours=hours)))


def _records(kit, user_id: int) -> dict[str, IdempotencyRecord]:  # noqa: ANN001
    return {r.key: r for r in kit.read(lambda s: list(s.exec(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == user_id))))}


async def test_an_expired_key_is_free_for_a_new_request(kit, factory, db):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    product = kit.product()
    first = await kit.order(rep.token, customer, [(product, 2)], idempotencyKey="day-1")
    _age(db, rep.id, "day-1", 23)  # within the day: still a replay, and still checked
    assert (await kit.order(rep.token, customer, [(product, 2)],
                            idempotencyKey="day-1"))["id"] == first["id"]
    reused = await kit.create(rep.token, customer, [(product, 5)], idempotencyKey="day-1")
    assert reused["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"

    _age(db, rep.id, "day-1", 25)  # expired: a different request under the key is new
    second = await kit.order(rep.token, customer, [(product, 5)], idempotencyKey="day-1")
    assert second["id"] != first["id"] and second["lines"][0]["quantity"] == 5
    again = await kit.order(rep.token, customer, [(product, 5)], idempotencyKey="day-1")
    assert again["id"] == second["id"]  # and the new record replays from now on
    assert _records(kit, rep.id)["day-1"].result_id != 0


async def test_housekeeping_deletes_expired_records_only(kit, factory, db, settings):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    product = kit.product()
    for key in ("old-1", "old-2", "fresh"):
        await kit.order(rep.token, customer, [(product, 1)], idempotencyKey=key)
    _age(db, rep.id, "old-1", 30)
    _age(db, rep.id, "old-2", 24.5)
    counts = await Housekeeping(db, settings).run_once()
    assert counts["idempotency_record"] >= 2
    assert set(_records(kit, rep.id)) == {"fresh"}
    assert (await Housekeeping(db, settings).run_once())["idempotency_record"] == 0


async def test_concurrent_retries_of_an_expired_key_create_one_new_order(kit, factory, db):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    product = kit.product()
    old = await kit.order(rep.token, customer, [(product, 1)], idempotencyKey="race")
    _age(db, rep.id, "race", 48)
    results = await asyncio.gather(*[
        kit.create(rep.token, customer, [(product, 4)], idempotencyKey="race")
        for _ in range(10)])
    assert all(r["userErrors"] == [] for r in results), results
    ids = {r["order"]["id"] for r in results}
    assert len(ids) == 1 and old["id"] not in ids
    assert len([r for r in _records(kit, rep.id).values() if r.key == "race"]) == 1


def test_the_window_is_the_one_of_the_settings_the_app_runs_with(kit, factory, db, settings):
    """A unit of work reads the window from its runner's settings (the app's, which
    housekeeping uses), not from the environment: two runners on one database, built
    with different windows, judge the same aged key differently."""
    admin = Principal(user_id=factory.user("ADMIN").id, role=Role.ADMIN)
    product = kit.product()
    customer = kit.customer()

    def draft(quantity: int) -> service.OrderDraft:
        return service.OrderDraft(customer_id=customer.id, idempotency_key="window",
                                  lines=(LineRequest(product.id, quantity),))

    hourly = Runner(db, settings=replace(settings, idempotency_hours=1))
    daily = Runner(db, settings=settings)
    assert settings.idempotency_hours == 24
    first = hourly.write_sync(service.create_order, draft(1), principal=admin)
    _age(db, admin.user_id, "window", 2)
    with pytest.raises(DomainError) as reused:  # within a day: the key is still taken
        daily.write_sync(service.create_order, draft(2), principal=admin)
    assert reused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    second = hourly.write_sync(service.create_order, draft(2), principal=admin)
    assert second.id != first.id  # past the hour: free again for the hourly app
