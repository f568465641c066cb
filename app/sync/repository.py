"""The delta sync's SQL: the change log written last in a unit of work, the delta and
full pages read by `syncChanges`, and retention (docs/architecture.md#delta-sync)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    String,
    and_,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    true,
    union_all,
)
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.customers import repository as customers
from app.delivery.models import DeliveryOrder, DeliveryPlan
from app.events.models import OutboxEvent
from app.events.repository import outbox
from app.followups.models import DeliveryFollowUp
from app.notifications.models import Notification
from app.orders.models import Order
from app.persistence import retry
from app.persistence.fast import bulk, driver, objects, pg
from app.quotes.models import PriceAgreement, Quote
from app.returns.models import ReturnRequest
from app.shipping.models import Shipment
from app.shipping.models.exceptions import ShipmentException
from app.sync.entities import CUSTOMER_KEYED, ENTITIES, SHARED, Entity
from app.sync.models import SyncChange
from app.tickets.models import Ticket

Keys = tuple[int | None, int | None]  # (customer_id, user_id)
LEDGERS = tuple(e for e in ENTITIES.values() if e.ledger)


def current_keys(session: Session, entity: Entity, ids: Iterable[int]) -> dict[int, Keys]:
    """The keys of the rows still there (a deleted one is missing)."""
    model = entity.model
    if entity.keys_query is not None:
        stmt = entity.keys_query()
    elif entity.via_order:  # a shipment: its order's customer
        stmt = (select(Shipment.id, Order.customer_id, null())
                .join(Order, Order.id == Shipment.order_id))
    else:
        customer = getattr(model, entity.customer_field) if entity.customer_field else null()
        user = getattr(model, entity.user_field) if entity.user_field else null()
        stmt = select(model.id, customer, user)
    rows = session.execute(stmt.where(model.id.in_(sorted(set(ids))))).all()
    return {row[0]: (row[1], row[2]) for row in rows}


def customer_dependents(session: Session, customer_id: int) -> dict[str, list[int]]:
    """The ids of what hangs off a customer (app/sync/entities.py CUSTOMER_DEPENDENTS)."""
    of_customer = select(Order.id).where(Order.customer_id == customer_id)
    return {
        "Order": list(session.exec(of_customer).all()),
        "Shipment": list(session.exec(select(Shipment.id).where(
            Shipment.order_id.in_(of_customer))).all()),
        "Quote": list(session.exec(select(Quote.id).where(
            Quote.customer_id == customer_id)).all()),
        "Ticket": list(session.exec(select(Ticket.id).where(
            Ticket.customer_id == customer_id)).all()),
        "ReturnRequest": list(session.exec(select(ReturnRequest.id).where(
            ReturnRequest.customer_id == customer_id)).all()),
        "PriceAgreement": list(session.exec(select(PriceAgreement.id).where(
            PriceAgreement.customer_id == customer_id)).all()),
        "Notification": list(session.exec(select(Notification.id).where(
            Notification.customer_id == customer_id)).all()),
        "ShipmentException": list(session.exec(select(ShipmentException.id).join(
            Shipment, Shipment.id == ShipmentException.shipment_id).where(
            Shipment.order_id.in_(of_customer))).all()),
        "DeliveryOrder": list(session.exec(select(DeliveryOrder.id).where(
            DeliveryOrder.consignor_id == customer_id)).all()),
        "DeliveryPlan": list(session.exec(select(DeliveryPlan.id).where(
            DeliveryPlan.consignor_id == customer_id)).all()),
        "DeliveryFollowUp": list(session.exec(select(DeliveryFollowUp.id).where(
            DeliveryFollowUp.order_id.in_(of_customer))).all()),
    }


_CUSTOMER_LOCKS = 7_310_003  # arbitrary constant naming the per-customer sync locks


def lock_customers(session: Session, shared: Iterable[int], exclusive: Iterable[int]) -> None:
    """PostgreSQL: the unit's change rows name these customers (shared) and reassign those
    (exclusive), held to commit: a reassignment reads its customer's dependents after every
    unit writing rows for that customer has committed, or before any such unit that commits
    after it takes its position (docs/architecture.md#delta-sync). Taken in customer order
    by the outbox append that takes the position, in its statement; `record` takes any
    still pending (a position appended before)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = dict.fromkeys(shared, False) | dict.fromkeys(exclusive, True)
    outbox.lock_with_append(session, _CUSTOMER_LOCKS, keys)


def insert_ledgers(session: Session) -> dict[str, list[int]]:
    """Insert the unit's deferred rows of the append-only synced tables (stock movements,
    audit records) now, one statement per table, instead of with the other deferred rows:
    their ids, by entity, for the change log (docs/architecture.md#delta-sync)."""
    found: dict[str, list[int]] = {}
    if session.get_bind().dialect.name == "postgresql":
        return _insert_ledgers_batched(session)
    for entity in LEDGERS:
        table = entity.model.__table__
        rows = bulk.take(session, table)
        if rows:
            session.flush()  # a row may reference an object still pending
            # one statement whatever the count (the rows' order does not matter here):
            # an executemany with RETURNING, which SQLAlchemy sends as multi-row VALUES
            result = session.connection().execute(_LEDGER_INSERT[table], rows)
            found[entity.name] = list(result.scalars())
    return found


def ledgers_pending(session: Session) -> bool:
    """Whether the unit deferred rows of an append-only synced table."""
    return any(bulk.pending(session, e.model.__table__) for e in LEDGERS)


def insert_ledgers_then(session: Session, then: Any) -> tuple[dict[str, list[int]], list[int]]:
    """`insert_ledgers` on PostgreSQL with `then` (a statement returning ids, and its
    parameters: the outbox append) last in the same round trip: the ledgers' ids, and the
    ids `then` returned, in order."""
    return _insert_ledgers_batched(session, then)


def _insert_ledgers_batched(session: Session, then: Any = None) -> Any:
    """PostgreSQL: every deferred row of the unit (its other tables' too, such as stock
    allocations) in one round trip, the ledgers' ids read back
    (docs/architecture.md#round-trips); with `then`, also the ids it returned."""
    ledgers = {e.model.__table__: e.name for e in LEDGERS}
    updates = objects.take_changed(session)  # the unit's changed hot rows (the order's)
    taken = bulk.take_all(session)
    plain = [(t, rows) for t, rows in taken if t not in ledgers]
    returning = [(t, rows) for t, rows in taken if t in ledgers]
    conn = driver.connection_of(session)
    tails = [then] if then is not None else []
    expected = retry.take_expected(session)  # first: their locks held for this trip only
    heads = [query for query, _rows in expected]
    batched = pg.insert_batch(conn, plain, returning, updates, tails, heads) \
        if taken or updates or tails or heads else ([], [], [], [])
    if batched is None:  # a row needs SQLAlchemy's defaults: statement by statement
        _check_expected(expected, [pg.write_rows(conn, *query) for query in heads])
        found = _insert_ledgers_one_by_one(session, plain, returning, updates, ledgers)
        return found if then is None else (found, _ids(pg.write_rows(conn, *then)))
    ids, changed, tail_rows, head_rows = batched
    _check_expected(expected, head_rows)
    for (stmt, params), count in zip(updates, changed, strict=True):
        if count != 1:
            raise objects.stale(stmt, params)
    found: dict[str, list[int]] = {}
    for (table, _rows), table_ids in zip(returning, ids, strict=True):
        found.setdefault(ledgers[table], []).extend(table_ids)
    return found if then is None else (found, _ids(tail_rows[0]))


def _check_expected(expected: list, rows: list[list[tuple]]) -> None:
    """A change the unit made on an assumption changed fewer rows: rerun the unit
    (app/persistence/retry.py)."""
    for (_query, count), changed in zip(expected, rows, strict=True):
        if len(changed) != count:
            raise retry.AssumptionFailed


def _ids(rows: list[tuple]) -> list[int]:
    return sorted(r[0] for r in rows)


def _insert_ledgers_one_by_one(session: Session, plain: list, returning: list, updates: list,
                               ledgers: dict) -> dict[str, list[int]]:
    conn = driver.connection_of(session)
    for stmt, params in updates:
        if driver.execute(conn, stmt, params) != 1:
            raise objects.stale(stmt, params)
    for table, rows in plain:
        driver.execute(conn, insert(table), rows)
    found: dict[str, list[int]] = {}
    for table, rows in returning:
        found.setdefault(ledgers[table], []).extend(
            conn.execute(_LEDGER_INSERT[table], rows).scalars())
    return found


_LEDGER_INSERT = {e.model.__table__: insert(e.model.__table__).returning(e.model.__table__.c.id)
                  for e in LEDGERS}


def insert_changes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """The unit's change rows, last: on PostgreSQL in its COMMIT's round trip."""
    if rows and not pg.insert_at_commit(driver.connection_of(session),
                                            SyncChange.__table__, rows):
        session.execute(insert(SyncChange.__table__), list(rows))


def _shared_audience(principal: Principal) -> Any:
    """The catalog's changes: a CONSIGNOR's own goods only, a CUSTOMER's the company's goods
    and its own consigned ones (as app/catalog/repository.py scope), so another consignor's
    product never arrives, not even as removed (docs/architecture.md#consignors)."""
    if principal.consignor_scope is not None:
        return SyncChange.customer_id == principal.consignor_scope
    if principal.customer_scope is not None:
        return or_(SyncChange.customer_id.is_(None),
                   SyncChange.customer_id == principal.customer_scope)
    return true()


def _audience(principal: Principal, entities: Sequence[str], view: Any) -> Any:
    """The change rows that may concern the caller: a pre-filter (the objects are re-read
    under the caller's scope), which keeps other reps' changes out of its feed."""
    conds = []
    for name in entities:
        keyed_by_customer = ENTITIES[name].keyed_by == CUSTOMER_KEYED
        if ENTITIES[name].keyed_by == SHARED:
            cond = _shared_audience(principal)
        elif principal.customer_scope is not None:
            cond = (SyncChange.customer_id == principal.customer_scope
                    if keyed_by_customer else false())
        elif principal.owner_scope is not None:
            me = principal.owner_scope
            cond = (or_(SyncChange.customer_id.in_(customers.owned(me)),
                        SyncChange.user_id == me)
                    if keyed_by_customer else SyncChange.user_id == me)
        else:
            cond = true()
        conds.append(and_(view == name, cond))
    return or_(*conds)


def _views(entities: Sequence[str]) -> Any:
    """(view, log): the change-log entity each asked entity reads (a derived list reads its
    source's rows, app/sync/entities.py), as a small derived table to join."""
    return union_all(*(select(literal(n, String).label("view"),
                              literal(ENTITIES[n].log, String).label("log"))
                       for n in entities)).subquery("views")


def delta_page(
    session: Session, principal: Principal, entities: Sequence[str], since: int, upto: int,
    after: tuple[int, str, int] | None, limit: int,
) -> list[tuple[int, str, int]]:
    """(position, entity, id) of each object changed in (since, upto], once, at its last
    change, in that order, after the key `after`."""
    pos = func.max(SyncChange.position)
    derived = any(ENTITIES[n].source for n in entities)
    if derived:  # the asked entity is the view's name, read from its source's rows
        views = _views(entities)
        view = views.c.view
        stmt = (select(pos.label("pos"), view, SyncChange.entity_id)
                .join_from(SyncChange, views, views.c.log == SyncChange.entity))
    else:
        view = SyncChange.entity
        stmt = select(pos.label("pos"), view, SyncChange.entity_id)
    logs = sorted({ENTITIES[n].log for n in entities})
    stmt = (stmt.where(SyncChange.entity.in_(logs), SyncChange.position > since,
                       SyncChange.position <= upto, _audience(principal, entities, view))
            .group_by(view, SyncChange.entity_id))
    if after is not None:
        p, e, i = after
        stmt = stmt.having(or_(pos > p, and_(pos == p, or_(
            view > e, and_(view == e, SyncChange.entity_id > i)))))
    stmt = stmt.order_by(pos, view, SyncChange.entity_id).limit(limit)
    return [(row[0], row[1], row[2]) for row in session.execute(stmt).all()]


def visible_ids(session: Session, principal: Principal, entity: Entity, after_id: int,
                limit: int) -> list[int]:
    """The ids of `entity`'s rows in the caller's scope, after `after_id`, ascending."""
    model = entity.model
    stmt = entity.scope(select(model.id).where(model.id > after_id), principal)
    return list(session.exec(stmt.order_by(model.id).limit(limit)).all())


def visible_rows(session: Session, principal: Principal, entity: Entity,
                 ids: Sequence[int]) -> dict[int, Any]:
    """The rows of `ids` the caller may see now, by id (one statement)."""
    model = entity.model
    stmt = entity.scope(select(model).where(model.id.in_(sorted(set(ids)))), principal)
    return {row.id: row for row in session.exec(stmt).all()}


def purge_before_outbox(session: Session, _arg: Any = None, limit: int = 1000) -> int:
    """Delete up to `limit` change rows older than the oldest outbox event kept: a token
    from before it is expired anyway (app/sync/service.py)."""
    oldest = select(func.min(OutboxEvent.id)).scalar_subquery()
    table = SyncChange.__table__
    return bulk.delete_oldest(session, table, table.c.position < oldest, limit=limit)
