"""Units of work through `Runner.write`: on SQLite, units that queue while the writer is busy
commit together, each in its own savepoint (app/persistence/sqlite/writer.py). A unit's failure
stays its own:
the others of its group commit, and its writes are gone (unless it keeps them)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import exc

from app.catalog.models import Product
from app.errors import DomainError
from app.events.repository import outbox
from app.persistence.sqlite.writers import writers
from app.persistence.uow import Runner
from tests.support import ADMIN, audited_actions, hold_writer, unique, writer_held

# Units are module-level functions: the writer process gets them pickled, by name.

def _audits(uow, marker: str, action: str) -> str:  # noqa: ANN001
    uow.audit(action, marker, 1)
    return action


def _fails(uow, marker: str, action: str, keep: bool = False,  # noqa: ANN001
           error: type = DomainError) -> None:
    uow.audit(action, marker, 1)
    uow.session.flush()
    bad = error("refused")
    if keep:
        bad.keep_writes = True
    raise bad


def _duplicate_sku(uow, marker: str, sku: str) -> None:  # noqa: ANN001
    uow.audit("duplicate", marker, 1)
    uow.session.add(Product(sku=sku, name="dup", price=1, cost=1))
    uow.session.flush()  # breaks the unique SKU: an IntegrityError inside the group


def _emits(uow, marker: str, action: str) -> None:  # noqa: ANN001
    uow.audit(action, marker, 1)
    uow.emit("test.grouped", action=action)


@pytest.fixture(params=["process", "thread"])
def writer_settings(request, settings):  # noqa: ANN001, ANN201
    """Both SQLite writers: the process (the default) and the server's own thread."""
    if not settings.is_sqlite and request.param == "thread":
        pytest.skip("one writer path on PostgreSQL")
    return replace(settings, sqlite_writer=request.param)


async def test_units_queued_behind_a_busy_writer_commit_together_and_fail_alone(
        db, writer_settings, tmp_path):  # noqa: ANN001
    runner = Runner(db, settings=writer_settings)
    marker, sku = unique("G"), unique("SKU")
    runner.write_sync(lambda uow: uow.session.add(Product(sku=sku, name="p", price=1, cost=1)),
                      principal=ADMIN)
    gate = str(tmp_path / "gate")
    first = asyncio.ensure_future(runner.write(hold_writer, marker, gate, "gate",
                                               principal=ADMIN))
    await writer_held(gate)
    before = writers(db).stats
    units = [(_audits, marker, "a"), (_fails, marker, "refused"), (_audits, marker, "b"),
             (_fails, marker, "kept", True), (_fails, marker, "bug", False, ValueError),
             (_duplicate_sku, marker, sku), (_audits, marker, "c")]
    queued = [asyncio.ensure_future(runner.write(*u, principal=ADMIN)) for u in units]
    await asyncio.sleep(0.05)  # every unit is queued
    Path(gate).touch()
    outcomes = await asyncio.gather(first, *queued, return_exceptions=True)

    assert outcomes[0] == "gate" and outcomes[1] == "a" and outcomes[3] == "b"
    assert outcomes[7] == "c"
    assert isinstance(outcomes[2], DomainError) and isinstance(outcomes[4], DomainError)
    assert isinstance(outcomes[5], ValueError)
    assert isinstance(outcomes[6], exc.IntegrityError)  # the duplicate SKU
    assert sorted(audited_actions(runner, marker)) == ["a", "b", "c", "gate", "kept"]
    if db.is_sqlite:  # the seven queued units ran as one group (or a few: a group ends
        # after 20 ms, and the last unit may then run alone)
        after = writers(db).stats
        grouped = after["grouped_units"] - before["grouped_units"]
        groups = after["groups"] - before["groups"]
        alone = after["alone"] - before["alone"] - 1  # the gate's own, counted once it ended
        assert grouped + alone == len(units) and grouped > 1 and 1 <= groups < len(units)


async def test_events_of_a_grouped_unit_are_published_only_after_the_commit(
        runner, db, writer_settings):  # noqa: ANN001
    marker = unique("G")
    visible_at_publish: dict[str, bool] = {}
    ids: list[int] = []

    async def publish(events) -> None:  # noqa: ANN001
        # another connection must already see the unit's own row
        action = events[0].payload["action"]
        visible_at_publish[action] = action in audited_actions(runner, marker)
        ids.extend(e.id for e in events)

    own = Runner(db, publish=publish, settings=writer_settings)
    actions = [f"e{i}" for i in range(8)]
    await asyncio.gather(*(own.write(_emits, marker, a, principal=ADMIN) for a in actions))
    runner.write_sync(lambda uow: outbox.mark_published(uow.session, ids))  # not for the relay
    assert visible_at_publish == dict.fromkeys(actions, True)
    assert sorted(audited_actions(runner, marker)) == actions
