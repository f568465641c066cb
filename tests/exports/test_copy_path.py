"""CSV exports on PostgreSQL are written by `COPY` (app/exports/repository/copy.py): for
every source and every field, the bytes equal what the Python path writes for the same
rows (its shaping and Python's csv writer), text with commas, quotes, line breaks, empty
strings and Chinese included; chunks follow each other without a gap or an overlap; and a
job whose fields need a rule the principal does not pass whole (masked contact data, credit
decided by the row's owner) keeps the Python path
(docs/architecture.md#exports)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.exports import service
from app.exports.fields import SOURCES, chunk_shaper
from app.exports.models import ExportFormat, ExportSource
from app.exports.repository import copy, sources
from app.exports.writers import ChunkWriter
from app.followups.models import DeliveryFollowUp
from tests.orders.support import Kit
from tests.shipping import support as shipping

ADDRESSES = ['上海市, 浦东新区 "一号楼"', "line one\nline two", " spaced ", "plain", "a\r\nb", ","]


@pytest.fixture(scope="module")
async def rows(api, factory, db):  # noqa: ANN001, ANN201
    if db.is_sqlite:
        pytest.skip("COPY is PostgreSQL's: SQLite exports always take the Python path")
    kit = Kit(api, factory)
    product = kit.product("12.35", name='茶, "特级"\n礼盒')
    warehouse = kit.warehouse()
    kit.stock(product, warehouse, 500)
    admin = factory.user("ADMIN")
    customer = kit.customer(phone="13912345678", email="q,uote\"@example.com",
                            name='客户 "甲", 有限公司')
    for n, address in enumerate(ADDRESSES):
        await kit.order(admin.token, customer, [(product, n + 1)], shipTo={
            "recipient": f"王{n}", "address": address, "phone": "13700001234",
            "region": "华东"})
    for _ in range(2):  # eight shipments, with tracking: two chunks and more
        world = shipping.world(factory)
        factory.write(_follow_ups, world.shipments.values())  # DELIVERY_FOLLOW_UPS's rows
    return admin


def _follow_ups(uow, shipments) -> None:  # noqa: ANN001
    for n, shipment in enumerate(shipments):
        uow.session.add(DeliveryFollowUp(
            shipment_id=shipment.id, order_id=shipment.order_id, reason="REFUSED",
            note=ADDRESSES[n % len(ADDRESSES)], next_action=None if n % 2 else "REDELIVER"))


def _principal(db, user_id: int):  # noqa: ANN001, ANN202
    with Session(db.read_engine) as session:
        return service.principal_of(session, user_id)


def _python_bytes(db, tmp: Path, principal, source: ExportSource, names: list[str],  # noqa: ANN001
                  after: int, limit: int) -> tuple[bytes, int, int | None]:
    fields = service.fields_of(source, names)
    with Session(db.read_engine) as session:
        found = sources.read_chunk(session, principal, source, sources.SourceFilter(), fields,
                                   after, limit)
    writer = ChunkWriter(tmp, 1, ExportFormat.CSV, [f.header for f in fields],
                         [f.kind for f in fields], 0)
    start = writer.file.tell()  # after the header
    writer.write(chunk_shaper(principal, fields)(found))
    writer.close()
    return writer.path.read_bytes()[start:], len(found), found[-1][0] if found else None


def _copy_bytes(db, principal, source: ExportSource, names: list[str], after: int,  # noqa: ANN001
                limit: int) -> tuple[bytes, int, int | None]:
    """Two chunks of `limit` rows, or what is left, copied as the worker copies them."""
    fields = service.fields_of(source, names)
    with Session(db.read_engine) as session:
        uppers = copy.bounds(session, principal, source, sources.SourceFilter(), after, limit,
                             2)
    if not uppers:
        return b"", 0, None
    parts = []
    for lower, upper in zip([after, *uppers], uppers, strict=False):
        with Session(db.read_engine) as session:
            parts.append(copy.copy_range(session, principal, source, sources.SourceFilter(),
                                         fields, lower, upper))
    return b"".join(p for p, _ in parts), sum(n for _, n in parts), uppers[-1]


@pytest.mark.parametrize("source", list(ExportSource))
async def test_copy_writes_what_the_python_path_writes(rows, db, tmp_path, source) -> None:  # noqa: ANN001
    principal = _principal(db, rows.id)
    names = list(SOURCES[source].fields)
    fields = service.fields_of(source, names)
    assert copy.usable(principal, fields)  # ADMIN sees every field as stored
    model = SOURCES[source].model
    with Session(db.read_engine) as session:  # the newest rows: those built above among them
        newest = session.execute(select(func.max(model.id))).scalar()
    after, chunks, limit = max(0, newest - 10), 0, 2
    while True:
        ours, count, upper = _copy_bytes(db, principal, source, names, after, limit)
        theirs, found, last = _python_bytes(db, tmp_path, principal, source, names, after,
                                            2 * limit)
        assert ours == theirs, (source, ours, theirs)
        assert (upper, count) == (last, found)
        if upper is None:
            break
        after, chunks = upper, chunks + 1
    assert chunks >= 2 or source is ExportSource.CUSTOMERS


async def test_masked_fields_keep_the_python_path(rows, db, factory) -> None:  # noqa: ANN001
    analyst = factory.user("ANALYST")
    principal = _principal(db, analyst.id)
    orders = service.fields_of(ExportSource.ORDERS, ["ID", "TOTAL", "SHIP_PHONE"])
    assert not copy.usable(principal, orders)
    assert copy.usable(principal, service.fields_of(ExportSource.ORDERS, ["ID", "TOTAL"]))
    admin = _principal(db, rows.id)
    assert copy.usable(admin, orders)
    credit = service.fields_of(ExportSource.CUSTOMERS, ["ID", "CREDIT_LIMIT"])
    assert copy.usable(admin, credit)  # ADMIN sees every owner's credit
    rep = _principal(db, factory.user("SALES").id)
    assert not copy.usable(rep, credit)  # a rep's own customers only: decided per row
