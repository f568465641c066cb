"""Delta sync over HTTP (docs/architecture.md#delta-sync): paged delta syncs interleaved
with writes miss no change and repeat none; a customer reassigned to another rep arrives
at the rep who lost it as removed (its orders too) and at the new owner whole; a deleted
object arrives as removed; a change committed after a sync read (its updated_at earlier
than the sync) is in the next one; an expired or foreign token is a clear error."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime

from sqlmodel import Session, func, select

from app.activities import service as activity_service
from app.customers import service as customer_service
from app.events.housekeeping import Housekeeping
from app.events.repository import outbox
from app.persistence.uow import snapshot
from app.sync.models import SyncChange
from app.sync.tokens import _encode, encode_token
from tests.orders.support import Kit, gid
from tests.support import ADMIN, HOLD_SECONDS, writer_held

SYNC = """query($entities: [SyncEntity!], $since: String, $first: Int, $after: String) {
  syncChanges(entities: $entities, since: $since, first: $first, after: $after) {
    edges { cursor id entity removed node { id ... on Customer { name }
                                            ... on Order { status } } }
    pageInfo { hasNextPage endCursor } syncToken full } }"""


async def sync(api, token, entities, since=None, first=2, between=None):  # noqa: ANN001, ANN201
    """One whole sync, page by page (`between()` runs a write before each next page): its
    edges and the next token."""
    edges, after = [], None
    while True:
        page = (await api.ok(SYNC, {"entities": entities, "since": since, "first": first,
                                    "after": after}, token))["syncChanges"]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["syncToken"] is not None
            return edges, page["syncToken"]
        assert page["syncToken"] is None
        after = page["pageInfo"]["endCursor"]
        if between is not None:
            between()


def rename(factory, customer, name):  # noqa: ANN001, ANN201
    return factory.write(customer_service.update_customer, customer.id, {"name": name})


async def test_interleaved_writes_are_neither_missed_nor_repeated(api, factory):
    rep = factory.user("SALES")
    customers = [factory.customer(owner_id=rep.id) for _ in range(5)]
    edges, token = await sync(api, rep.token, ["CUSTOMER"])
    replica = {e["id"]: e["node"]["name"] for e in edges}
    assert set(replica) == {gid("Customer", c.id) for c in customers}
    assert all(not e["removed"] for e in edges)

    written = 0
    for round_ in range(3):
        def write(round_=round_) -> None:  # a change lands between two pages
            nonlocal written
            written += 1
            rename(factory, customers[written % 5], f"客户 {round_}-{written}")
        write()  # committed before the sync starts: this sync must carry it
        before = dict(replica)
        edges, token = await sync(api, rep.token, ["CUSTOMER"], since=token, between=write)
        ids = [e["id"] for e in edges]
        assert len(ids) == len(set(ids)), "an object repeated within one sync"
        for e in edges:
            replica[e["id"]] = e["node"]["name"]
        assert replica != before
    edges, token = await sync(api, rep.token, ["CUSTOMER"], since=token)
    for e in edges:
        replica[e["id"]] = e["node"]["name"]
    server = {gid("Customer", i): n for i, n in _names(factory, customers).items()}
    assert replica == server  # nothing missed
    edges, _ = await sync(api, rep.token, ["CUSTOMER"], since=token)
    assert edges == []  # and nothing delivered twice once the device is up to date


def _names(factory, customers):  # noqa: ANN001, ANN202
    from app.customers.models import Customer

    def fetch(session):  # noqa: ANN001, ANN202
        return {c.id: session.get(Customer, c.id).name for c in customers}
    return factory.runner.read_sync(fetch, (), {})


async def test_reassigned_customer_is_removed_for_the_rep_who_lost_it(api, factory):
    kit = Kit(api, factory)
    old, new = factory.user("SALES"), factory.user("SALES")
    customer = kit.customer(owner_id=old.id)
    product, warehouse = kit.product(), kit.warehouse()
    kit.stock(product, warehouse, 10)
    order = await kit.order(old.token, customer, [(product, 1)])
    entities = ["CUSTOMER", "ORDER"]
    edges, old_token = await sync(api, old.token, entities)
    assert {e["id"] for e in edges} == {gid("Customer", customer.id), order["id"]}
    edges, new_token = await sync(api, new.token, entities)
    assert edges == []

    factory.write(customer_service.update_customer, customer.id, {"owner_id": new.id})
    edges, _ = await sync(api, old.token, entities, since=old_token)
    assert {(e["id"], e["removed"], e["node"] is None) for e in edges} == {
        (gid("Customer", customer.id), True, True), (order["id"], True, True)}
    edges, _ = await sync(api, new.token, entities, since=new_token)
    assert {(e["id"], e["removed"]) for e in edges} == {
        (gid("Customer", customer.id), False), (order["id"], False)}
    assert {e["entity"] for e in edges} == {"CUSTOMER", "ORDER"}


def delete_activity(uow, activity_id):  # noqa: ANN001, ANN201
    """A deletion, audited as every change is (no workflow deletes an activity yet)."""
    from app.activities.models import Activity

    row = uow.session.get(Activity, activity_id)
    before = snapshot(row)
    uow.session.delete(row)
    uow.audit("activity.delete", "Activity", activity_id, before=before)


async def test_deleted_object_is_removed_and_others_never_seen(api, factory):
    rep, other = factory.user("SALES"), factory.user("SALES")
    customer = factory.customer(owner_id=rep.id)
    due = datetime(2030, 1, 1, 9, tzinfo=UTC)
    made = factory.write(activity_service.create_activity, {
        "kind": "CALL", "title": "回访", "subject_type": "CUSTOMER",
        "subject_id": customer.id, "assignee_id": rep.id, "due_at": due})
    _, token = await sync(api, rep.token, ["ACTIVITY"])
    _, other_token = await sync(api, other.token, ["ACTIVITY"])
    factory.write(delete_activity, made.id)
    edges, _ = await sync(api, rep.token, ["ACTIVITY"], since=token)
    assert [(e["id"], e["removed"], e["node"]) for e in edges] == [
        (gid("Activity", made.id), True, None)]
    edges, _ = await sync(api, other.token, ["ACTIVITY"], since=other_token)
    assert edges == []  # another rep's change is not in its feed, not even as removed


async def test_customer_principal_syncs_its_own_orders(api, factory):
    kit = Kit(api, factory)
    mine, theirs = kit.customer(), kit.customer()
    user = factory.user("CUSTOMER", customer_id=mine.id)
    product, warehouse = kit.product(), kit.warehouse()
    kit.stock(product, warehouse, 10)
    staff = factory.user("ADMIN")
    _, token = await sync(api, user.token, ["ORDER", "SHIPMENT", "TICKET"])
    own = await kit.order(staff.token, mine, [(product, 1)])
    await kit.order(staff.token, theirs, [(product, 1)])
    edges, _ = await sync(api, user.token, ["ORDER", "SHIPMENT", "TICKET"], since=token)
    assert [(e["id"], e["removed"]) for e in edges] == [(own["id"], False)]


async def test_token_errors(api, factory):
    rep = factory.user("SALES")
    factory.customer(owner_id=rep.id)  # the outbox holds at least one position
    _, token = await sync(api, rep.token, ["CUSTOMER"])
    expired = encode_token(-5, ("Customer",))  # before the oldest event kept
    answer = await api.gql(SYNC, {"entities": ["CUSTOMER"], "since": expired}, rep.token)
    assert answer["errors"][0]["extensions"]["code"] == "SYNC_TOKEN_EXPIRED"
    other = await api.gql(SYNC, {"entities": ["CUSTOMER", "ORDER"], "since": token}, rep.token)
    assert other["errors"][0]["extensions"]["code"] == "INVALID"
    bad = await api.gql(SYNC, {"entities": ["CUSTOMER"], "since": "garbage!"}, rep.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"
    forged = _encode({"c": 1, "e": ["Customer"], "s": 1, "u": 2, "a": ["x", "y", "z"]})
    bad = await api.gql(SYNC, {"entities": ["CUSTOMER"], "after": forged}, rep.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"
    customer = factory.user("CUSTOMER", customer_id=factory.customer().id)
    denied = await api.gql(SYNC, {"entities": ["OPPORTUNITY"]}, customer.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_no_entities_named_means_every_one_the_caller_may_read(api, factory):
    kit = Kit(api, factory)
    customer = kit.customer()
    user = factory.user("CUSTOMER", customer_id=customer.id)
    edges, token = await sync(api, user.token, None, first=100)
    assert token and {e["entity"] for e in edges} <= {"CUSTOMER", "PRODUCT", "NOTIFICATION",
                                                      "CARRIER"}  # as its lists answer
    assert [e["id"] for e in edges if e["entity"] == "CUSTOMER"] == [
        gid("Customer", customer.id)]  # its own record; the catalog; no orders yet
    warehouse = factory.user("WAREHOUSE", warehouses=[kit.warehouse().code])
    page = (await api.ok(SYNC, {"entities": None}, warehouse.token))["syncChanges"]
    # what the role may read (the delivery and follow-up entities too: their rows are there
    # whenever a consignor test ran before this one)
    assert {e["entity"] for e in page["edges"]} <= {
        "ORDER", "SHIPMENT", "PRODUCT", "RETURN_REQUEST", "WAREHOUSE", "STOCK_LEVEL",
        "LOW_STOCK_LEVEL", "STOCK_MOVEMENT", "ORDER_AT_RISK", "SHIPMENT_EXCEPTION",
        "FAILED_DELIVERY", "NOTIFICATION", "CARRIER", "DELIVERY_ORDER", "DELIVERY_PLAN",
        "DELIVERY_FOLLOW_UP"}
    empty = await api.gql(SYNC, {"entities": []}, user.token)
    assert empty["errors"][0]["extensions"]["code"] == "INVALID"


def rename_held(uow, customer_id, name, gate):  # noqa: ANN001, ANN201
    """A change whose transaction is still open while a sync reads (module-level: the
    SQLite writer process gets it by name): its updated_at is earlier than the sync."""
    customer_service.update_customer(uow, customer_id, {"name": name})
    with open(gate + ".started", "w"):
        pass
    deadline = time.monotonic() + HOLD_SECONDS
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.005)


async def test_a_change_committed_after_a_sync_began_is_in_the_next(api, factory, tmp_path):
    rep = factory.user("SALES")
    customer = factory.customer(owner_id=rep.id)
    _, token = await sync(api, rep.token, ["CUSTOMER"])
    gate = str(tmp_path / "gate")
    held = asyncio.create_task(factory.runner.write(
        rename_held, customer.id, "晚提交的客户", gate, principal=ADMIN))
    await writer_held(gate)
    # the sync runs while the change is written but not committed: it cannot see it
    edges, token = await sync(api, rep.token, ["CUSTOMER"], since=token)
    assert edges == []
    open(gate, "w").close()
    await held
    edges, _ = await sync(api, rep.token, ["CUSTOMER"], since=token)
    assert [(e["id"], e["node"]["name"]) for e in edges] == [
        (gid("Customer", customer.id), "晚提交的客户")]


async def test_housekeeping_drops_change_rows_below_the_kept_history(db, settings, factory):
    factory.customer()  # at least one change row
    counts = await Housekeeping(db, settings).run_once()
    assert "sync_change" in counts
    with Session(db.read_engine) as session:
        oldest = outbox.min_id(session)
        below = session.exec(select(func.count()).select_from(SyncChange).where(
            SyncChange.position < oldest)).one()
        kept = session.exec(select(func.count()).select_from(SyncChange)).one()
    assert below == 0 and kept > 0


async def test_a_page_runs_the_same_statements_whatever_its_size(api, factory, db):
    rep = factory.user("SALES")
    customers = [factory.customer(owner_id=rep.id) for _ in range(12)]
    _, token = await sync(api, rep.token, ["CUSTOMER"])
    for c in customers:
        rename(factory, c, f"改名 {c.id}")
    counts = {}
    for first in (2, 12):
        db.counter.reset()
        page = (await api.ok(SYNC, {"entities": ["CUSTOMER"], "since": token,
                                    "first": first}, rep.token))["syncChanges"]
        counts[first] = db.counter.count
        assert len(page["edges"]) == first
    # the outbox's max id, the grouped change rows, the oldest id kept, the customers
    assert counts[2] == counts[12] == 4, counts


async def test_a_reassignment_waits_for_a_unit_writing_rows_for_its_customer(api, factory, db):
    """PostgreSQL (no append lock: docs/architecture.md#the-outbox): a unit whose change
    rows name the customer holds its shared customer lock to commit, so the reassignment
    reads the customer's dependents only after it (SQLite: one writer)."""
    if db.is_sqlite:
        return
    from sqlalchemy import text

    from app.events.repository import outbox
    from app.sync import repository as sync_repository

    old, new = factory.user("SALES"), factory.user("SALES")
    customer = Kit(api, factory).customer(owner_id=old.id)
    held = Session(db.write_engine)
    sync_repository.lock_customers(held, [customer.id], [])  # an order's unit, in its tail
    outbox.take_locks_now(held)  # a unit takes them with its append; here at once
    try:
        moving = asyncio.create_task(asyncio.to_thread(
            factory.write, customer_service.update_customer, customer.id, {"owner_id": new.id}))
        waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                       " AND classid = :ns AND objid = :c")
        deadline = time.monotonic() + 30
        with Session(db.read_engine) as probe:
            while not probe.execute(waiting, {"ns": sync_repository._CUSTOMER_LOCKS,
                                              "c": customer.id}).scalar():
                assert time.monotonic() < deadline, "the reassignment never waited"
                assert not moving.done(), "the reassignment did not wait for the unit"
                probe.rollback()
                await asyncio.sleep(0.02)
        assert not moving.done()
        held.commit()
    finally:
        held.close()
    moved = await asyncio.wait_for(moving, 30)
    assert moved.owner_id == new.id
