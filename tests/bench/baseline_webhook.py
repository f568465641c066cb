"""The baseline for S6: a hand-written carrier webhook. It checks what the app's webhook
checks before writing (the body cap, the carrier's secret read by code, the same
HMAC-SHA256 over `X-Timestamp + "." + body`, the 5-minute window, the batch's shape), then
inserts the rows the app inserts for a batch of new events for known parcels, with plain
SQL in one unit of work of the app's runner (the SQLite writer process, or a PostgreSQL
transaction): the inbox rows claimed in one INSERT ... ON CONFLICT DO NOTHING, the tracking
events in one INSERT, their ids back on the inbox rows in one UPDATE, each an executemany
of a statement built once (SQLAlchemy sends the inserts as multi-row VALUES). What
it leaves out is the app's per-event work: validation messages, row locks, the "never
backwards" rule, status moves, the hand-over and delivery, audit records and outbox events.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.models import metadata
from app.persistence.uow import UnitOfWork

T = metadata.tables
INBOX, EVENTS, SHIPMENT = T["carrier_webhook_event"], T["tracking_event"], T["shipment"]
CARRIER, SECRET = T["carrier"], T["carrier_webhook_secret"]
CAP = 256 * 1024


def _error(status: int, message: str) -> Response:
    return Response(orjson.dumps({"error": {"message": message}}), status_code=status,
                    media_type="application/json")


def signing_key(session: Any, code: str) -> tuple[int, str] | None:
    row = session.connection().execute(
        select(CARRIER.c.id, SECRET.c.secret).join(SECRET, SECRET.c.carrier_id == CARRIER.c.id)
        .where(CARRIER.c.code == code, CARRIER.c.is_active.is_(True))).first()
    return None if row is None else (row[0], row[1])


_BUILT: dict[str, tuple] = {}


def _statements(dialect: str) -> tuple:
    if dialect not in _BUILT:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        _BUILT[dialect] = (
            insert(INBOX).on_conflict_do_nothing(index_elements=["carrier_id", "event_id"])
            .returning(INBOX.c.event_id, INBOX.c.id),
            insert(EVENTS).returning(EVENTS.c.external_id, EVENTS.c.shipment_id, EVENTS.c.id),
            update(INBOX).where(INBOX.c.id == bindparam("row_id"))
            .values(tracking_event_id=bindparam("event_pk")))
    return _BUILT[dialect]


def record(uow: UnitOfWork, carrier_id: int, events: list[dict]) -> list[dict]:
    """One unit (module-level: it crosses to the SQLite writer process pickled)."""
    conn = uow.session.connection()
    numbers = sorted({e["trackingNumber"] for e in events})
    shipments = dict(conn.execute(select(SHIPMENT.c.tracking_number, SHIPMENT.c.id).where(
        SHIPMENT.c.carrier_id == carrier_id, SHIPMENT.c.tracking_number.in_(numbers))).all())
    now = datetime.now(UTC)
    rows, seen = [], set()
    for e in events:
        if e["eventId"] in seen:
            continue
        seen.add(e["eventId"])
        known = shipments.get(e["trackingNumber"])
        rows.append({"carrier_id": carrier_id, "event_id": e["eventId"],
                     "tracking_number": e["trackingNumber"], "status": e["status"],
                     "result": "ACCEPTED" if known else "UNKNOWN_TRACKING_NUMBER",
                     "message": None, "shipment_id": known, "tracking_event_id": None,
                     "payload": e, "occurred_at": datetime.fromisoformat(e["occurredAt"]),
                     "received_at": now, "reviewed_at": None})
    rows.sort(key=lambda r: r["event_id"])
    claim, add, link = _statements(conn.dialect.name)
    claimed = dict(conn.execute(claim, rows).all())
    new = [r for r in rows if r["event_id"] in claimed and r["shipment_id"] is not None]
    if new:
        made = conn.execute(add, [
            {"shipment_id": r["shipment_id"], "status": r["status"],
             "location": r["payload"].get("location") or "",
             "description": r["payload"].get("description") or "",
             "external_id": r["event_id"], "occurred_at": r["occurred_at"], "created_at": now}
            for r in new])
        ids = {(external, shipment): pk for external, shipment, pk in made}
        conn.execute(link, [{"row_id": claimed[r["event_id"]],
                             "event_pk": ids[(r["event_id"], r["shipment_id"])]} for r in new])
    out, first = [], set()
    for e in events:
        fresh = e["eventId"] in claimed and e["eventId"] not in first
        first.add(e["eventId"])
        out.append({"eventId": e["eventId"], "result": "DUPLICATE" if not fresh else
                    "ACCEPTED" if e["trackingNumber"] in shipments else
                    "UNKNOWN_TRACKING_NUMBER"})
    return out


def route(state: Any) -> Route:
    runner = state.runner

    async def webhook(request: Request) -> Response:
        body = await request.body()
        if len(body) > CAP:
            return _error(413, "too large")
        key = await runner.read(signing_key, request.path_params["code"])
        if key is None:
            return _error(404, "no webhook here")
        carrier_id, secret = key
        stamp, given = request.headers.get("x-timestamp", ""), request.headers.get(
            "x-signature", "")
        mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        if not hmac.compare_digest(("sha256=" + mac.hexdigest()).encode(), given.encode()):
            return _error(401, "bad signature")
        if not stamp.isdigit() or abs(int(stamp) - time.time()) > 300:
            return _error(401, "stale")
        events = orjson.loads(body)["events"]
        results = await runner.write(record, carrier_id, events)
        return Response(orjson.dumps({"results": results}), media_type="application/json")

    return Route("/webhook/{code}", webhook, methods=["POST"])
