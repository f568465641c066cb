"""Units of work through `Runner.write`: on SQLite, units that queue while the writer is busy
commit together, each in its own savepoint (app/writer.py). A unit's failure stays its own:
the others of its group commit, and its writes are gone (unless it keeps them)."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import exc, select

from app.audit.models import AuditRecord
from app.catalog.models import Product
from app.errors import DomainError
from app.events import outbox
from app.uow import Runner
from tests.support import ADMIN, unique

AUDIT = AuditRecord.__table__


def _actions(runner, marker: str) -> list[str]:  # noqa: ANN001
    def fetch(session) -> list[str]:  # noqa: ANN001
        stmt = select(AUDIT.c.action).where(AUDIT.c.entity_type == marker).order_by(AUDIT.c.id)
        return list(session.execute(stmt).scalars())
    return runner.read_sync(fetch, (), {})


def _audits(marker: str, action: str):  # noqa: ANN202
    def work(uow) -> str:  # noqa: ANN001
        uow.audit(action, marker, 1)
        return action
    return work


def _fails(marker: str, action: str, *, keep: bool = False, error: type = DomainError):  # noqa: ANN202
    def work(uow) -> None:  # noqa: ANN001
        uow.audit(action, marker, 1)
        uow.session.flush()
        bad = error("refused")
        if keep:
            bad.keep_writes = True
        raise bad
    return work


def _duplicate_sku(marker: str, sku: str):  # noqa: ANN202
    def work(uow) -> None:  # noqa: ANN001
        uow.audit("duplicate", marker, 1)
        uow.session.add(Product(sku=sku, name="dup", price=1, cost=1))
        uow.session.flush()  # breaks the unique SKU: an IntegrityError inside the group
    return work


async def test_units_queued_behind_a_busy_writer_commit_together_and_fail_alone(runner, db):
    marker, sku = unique("G"), unique("SKU")
    runner.write_sync(lambda uow: uow.session.add(Product(sku=sku, name="p", price=1, cost=1)),
                      principal=ADMIN)
    started, release = threading.Event(), threading.Event()

    def gate(uow) -> str:  # noqa: ANN001
        uow.audit("gate", marker, 0)
        started.set()
        release.wait(10)  # the units below queue meanwhile
        return "gate"

    first = asyncio.ensure_future(runner.write(gate, principal=ADMIN))
    assert await asyncio.to_thread(started.wait, 10)
    before = dict(db.writer.stats) if db.is_sqlite else None
    units = [_audits(marker, "a"), _fails(marker, "refused"), _audits(marker, "b"),
             _fails(marker, "kept", keep=True), _fails(marker, "bug", error=ValueError),
             _duplicate_sku(marker, sku), _audits(marker, "c")]
    queued = [asyncio.ensure_future(runner.write(u, principal=ADMIN)) for u in units]
    await asyncio.sleep(0.05)  # every unit is queued
    release.set()
    outcomes = await asyncio.gather(first, *queued, return_exceptions=True)

    assert outcomes[0] == "gate" and outcomes[1] == "a" and outcomes[3] == "b"
    assert outcomes[7] == "c"
    assert isinstance(outcomes[2], DomainError) and isinstance(outcomes[4], DomainError)
    assert isinstance(outcomes[5], ValueError)
    assert isinstance(outcomes[6], exc.IntegrityError)  # the duplicate SKU
    assert sorted(_actions(runner, marker)) == ["a", "b", "c", "gate", "kept"]
    if db.is_sqlite:  # the seven queued units ran as one group (or a few)
        grouped = db.writer.stats["grouped_units"] - before["grouped_units"]
        groups = db.writer.stats["groups"] - before["groups"]
        assert grouped == len(units) and 1 <= groups < len(units)


async def test_events_of_a_grouped_unit_are_published_only_after_the_commit(runner, db):
    marker = unique("G")
    visible_at_publish: dict[str, bool] = {}
    ids: list[int] = []

    async def publish(events) -> None:  # noqa: ANN001
        # another connection must already see the unit's own row
        action = events[0].payload["action"]
        visible_at_publish[action] = action in _actions(runner, marker)
        ids.extend(e.id for e in events)

    own = Runner(db, publish=publish)

    def emits(action: str):  # noqa: ANN202
        def work(uow) -> None:  # noqa: ANN001
            uow.audit(action, marker, 1)
            uow.emit("test.grouped", action=action)
        return work

    actions = [f"e{i}" for i in range(8)]
    await asyncio.gather(*(own.write(emits(a), principal=ADMIN) for a in actions))
    runner.write_sync(lambda uow: outbox.mark_published(uow.session, ids))  # not for the relay
    assert visible_at_publish == dict.fromkeys(actions, True)
    assert sorted(_actions(runner, marker)) == actions
