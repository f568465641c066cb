"""The carrier webhook over HTTP against the real app (docs/architecture.md#carrier-webhooks):
signed batches moving shipments, every refusal writing nothing, idempotency by the
carrier's event id, out-of-order events, per-event results, concurrent replays."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

from app.orders.models import OrderLine
from app.persistence.columns import utcnow
from app.shipping import carriers, lifecycle
from app.shipping import repository as repo
from app.shipping.webhooks import MAX_BODY_BYTES, signature
from tests.shipping import support as s
from tests.shipping import webhook_support as w
from tests.support import unique


def _line(runner, shipment_id: int) -> OrderLine:  # noqa: ANN001
    def fetch(session) -> OrderLine:  # noqa: ANN001
        return session.get(OrderLine, repo.lines_of_shipment(session, shipment_id)[0]
                           .order_line_id)
    return runner.read_sync(fetch, (), {})


async def test_a_signed_batch_is_accepted_and_moves_its_shipments(api, factory, runner):
    hooked = w.hooked_carrier(factory)
    (first, item), (second, _) = w.parcel(factory, hooked, 3), w.parcel(factory, hooked)
    on_hand, reserved = w.stock(runner, item.id, hooked.warehouse.id)
    events = [w.event(first.tracking_number, "PICKED_UP", 5),
              w.event(first.tracking_number, "IN_TRANSIT", 4),
              w.event(second.tracking_number, "PICKED_UP", 3),
              w.event(second.tracking_number, "DELIVERED", 1, signer="前台")]
    response = await w.post(api, hooked, events)
    body = response.json()
    assert w.results(response) == [(e["eventId"], "ACCEPTED") for e in events]
    assert {r["shipmentId"] for r in body["results"]} == {s.gid("Shipment", first.id),
                                                          s.gid("Shipment", second.id)}
    assert w.shipment_row(runner, first.id).status == "IN_TRANSIT"
    delivered = w.shipment_row(runner, second.id)
    assert delivered.status == "DELIVERED" and delivered.delivery_signer == "前台"
    # the first scan was the hand-over: the units left the warehouse through the ledger
    assert w.stock(runner, item.id, hooked.warehouse.id) == (on_hand - 3, reserved - 3)
    assert _line(runner, second.id).quantity_delivered == 2
    kept = w.inbox_rows(runner, hooked.carrier.id)
    assert [(r.event_id, r.result) for r in kept] == [(e["eventId"], "ACCEPTED") for e in events]
    assert all(r.tracking_event_id and r.shipment_id and r.payload for r in kept)


async def _chunks(count: int, size: int) -> AsyncIterator[bytes]:
    """A body sent without Content-Length (chunked)."""
    for _ in range(count):
        yield b" " * size


async def test_every_refused_request_writes_nothing(api, factory, runner):
    hooked = w.hooked_carrier(factory)
    shipment, _ = w.parcel(factory, hooked)
    batch = [w.event(shipment.tracking_number, "PICKED_UP", 1)]
    without_secret = s.carrier(factory)
    retired = s.carrier(factory, active=False)
    factory.write(carriers.rotate_webhook_secret, retired.id)
    before = w.counts(runner)
    now = utcnow()
    refused = {
        "forged": await w.post(api, hooked, batch, secret="not-the-secret"),
        "unsigned": await api.client.post(hooked.path, content=w.body_of(batch)),
        "stale": await w.post(api, hooked, batch, at=now - timedelta(minutes=6)),
        "future": await w.post(api, hooked, batch, at=now + timedelta(minutes=6)),
        "too large": await w.post(api, hooked, body=b" " * (MAX_BODY_BYTES + 1)),
        "too large, chunked": await api.client.post(hooked.path, content=_chunks(5, 64 * 1024)),
        "not JSON": await w.post(api, hooked, body=b'{"events": [}'),
        "not a batch": await w.post(api, hooked, body=b'{"event": {}}'),
        "no event id": await w.post(api, hooked, [{**batch[0], "eventId": ""}]),
        "too many": await w.post(api, hooked, [w.event(shipment.tracking_number, "IN_TRANSIT",
                                                       1) for _ in range(101)]),
        "unknown carrier": await w.post(api, hooked, batch, path="/webhooks/carriers/NOPE"),
        "no secret": await w.post(api, hooked, batch,
                                  path=f"/webhooks/carriers/{without_secret.code}"),
        "inactive": await w.post(api, hooked, batch, path=f"/webhooks/carriers/{retired.code}"),
    }
    status = {name: r.status_code for name, r in refused.items()}
    assert status == {"forged": 401, "unsigned": 401, "stale": 401, "future": 401,
                      "too large": 413, "too large, chunked": 413, "not JSON": 400,
                      "not a batch": 400, "no event id": 400, "too many": 400,
                      "unknown carrier": 404, "no secret": 404, "inactive": 404}
    codes = {name: r.json()["error"]["code"] for name, r in refused.items()}
    assert codes["stale"] == codes["future"] == "STALE_TIMESTAMP"
    assert "5-minute window" in refused["stale"].json()["error"]["message"]
    assert codes["forged"] == "UNAUTHENTICATED"
    # no oracle: an unknown code, a carrier without a secret and an inactive one look alike
    assert refused["unknown carrier"].content == refused["no secret"].content \
        == refused["inactive"].content
    assert w.counts(runner) == before
    assert w.shipment_row(runner, shipment.id).status == "CREATED"


async def test_a_signature_covers_the_timestamp(api, factory, runner):
    """A captured request sent again with a fresh X-Timestamp no longer matches."""
    hooked = w.hooked_carrier(factory)
    shipment, _ = w.parcel(factory, hooked)
    body = w.body_of([w.event(shipment.tracking_number, "PICKED_UP", 1)])
    old = str(int((utcnow() - timedelta(minutes=30)).timestamp()))
    fresh = str(int(utcnow().timestamp()))
    before = w.counts(runner)
    replay = await api.client.post(hooked.path, content=body, headers={
        "x-timestamp": fresh, "x-signature": signature(hooked.secret, old, body)})
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "UNAUTHENTICATED"
    assert w.counts(runner) == before


async def test_a_replayed_event_is_a_duplicate_and_changes_nothing(api, factory, runner):
    hooked = w.hooked_carrier(factory)
    shipment, _ = w.parcel(factory, hooked)
    batch = [w.event(shipment.tracking_number, "PICKED_UP", 2),
             w.event(shipment.tracking_number, "IN_TRANSIT", 1)]
    assert w.results(await w.post(api, hooked, batch)) == [
        (e["eventId"], "ACCEPTED") for e in batch]
    version, before = w.shipment_row(runner, shipment.id).version, w.counts(runner)
    again = await w.post(api, hooked, [batch[1], {**batch[0], "status": "DELIVERED"}])
    assert w.results(again) == [(batch[1]["eventId"], "DUPLICATE"),
                                (batch[0]["eventId"], "DUPLICATE")]
    assert w.counts(runner) == before
    row = w.shipment_row(runner, shipment.id)
    assert (row.status, row.version) == ("IN_TRANSIT", version)
    # the same id twice in one batch: the second is the duplicate
    twice = w.event(shipment.tracking_number, "OUT_FOR_DELIVERY", 0.5)
    assert w.results(await w.post(api, hooked, [twice, twice])) == [
        (twice["eventId"], "ACCEPTED"), (twice["eventId"], "DUPLICATE")]


async def test_an_older_event_is_recorded_but_never_moves_the_status_back(api, factory,
                                                                          runner):
    hooked = w.hooked_carrier(factory)
    shipment, _ = w.parcel(factory, hooked)
    newer = w.event(shipment.tracking_number, "OUT_FOR_DELIVERY", 1)
    assert w.results(await w.post(api, hooked, [newer])) == [(newer["eventId"], "ACCEPTED")]
    before = w.counts(runner)
    older = w.event(shipment.tracking_number, "IN_TRANSIT", 6)
    response = await w.post(api, hooked, [older])
    assert w.results(response) == [(older["eventId"], "ACCEPTED")]
    assert "stays OUT_FOR_DELIVERY" in response.json()["results"][0]["message"]
    assert w.shipment_row(runner, shipment.id).status == "OUT_FOR_DELIVERY"
    after = w.counts(runner)
    assert after["tracking_event"] == before["tracking_event"] + 1
    assert after["carrier_webhook_event"] == before["carrier_webhook_event"] + 1


async def test_one_bad_event_spoils_none_of_the_others(api, factory, runner):
    hooked = w.hooked_carrier(factory)
    shipment, _ = w.parcel(factory, hooked)
    cancelled, _ = w.parcel(factory, hooked)
    factory.write(lifecycle.cancel, cancelled.id, "customer changed the address")
    number = shipment.tracking_number
    batch = [
        w.event(number, "PICKED_UP", 3),
        w.event(number, "TELEPORTED", 2),
        w.event(cancelled.tracking_number, "PICKED_UP", 2),  # a DomainError in the service
        w.event(number, "IN_TRANSIT", -1),  # an hour in the future
        w.event(number, "EXCEPTION", 1.5, problem="STOLEN"),
        {**w.event(number, "DELIVERED", 1.2), "codCollected": "a lot"},
        {"eventId": unique("EV-"), "trackingNumber": number, "status": "IN_TRANSIT",
         "occurredAt": "yesterday"},
        w.event(number, "IN_TRANSIT", 1),
    ]
    response = await w.post(api, hooked, batch)
    found = response.json()["results"]
    assert [r["result"] for r in found] == ["ACCEPTED", "INVALID", "INVALID", "INVALID",
                                            "INVALID", "INVALID", "INVALID", "ACCEPTED"]
    messages = [r.get("message", "") for r in found]
    assert "status must be one of" in messages[1]
    assert "CANCELLED" in messages[2] and found[2]["shipmentId"] == s.gid("Shipment",
                                                                          cancelled.id)
    assert "future" in messages[3]
    assert "problem is one of" in messages[4]
    assert "codCollected" in messages[5]
    assert "occurredAt" in messages[6]
    assert w.shipment_row(runner, shipment.id).status == "IN_TRANSIT"
    assert w.shipment_row(runner, cancelled.id).status == "CANCELLED"
    kept = {r.event_id: r for r in w.inbox_rows(runner, hooked.carrier.id)}
    assert [kept[e["eventId"]].result for e in batch] == [r["result"] for r in found]
    assert kept[batch[2]["eventId"]].tracking_event_id is None
    assert kept[batch[2]["eventId"]].message == messages[2]
    assert kept[batch[1]["eventId"]].payload["status"] == "TELEPORTED"


async def test_concurrent_identical_batches_apply_once(api, factory, runner):
    hooked = w.hooked_carrier(factory)
    shipment, item = w.parcel(factory, hooked, 4)
    on_hand, reserved = w.stock(runner, item.id, hooked.warehouse.id)
    before = w.counts(runner)
    batch = [w.event(shipment.tracking_number, "PICKED_UP", 2),
             w.event(shipment.tracking_number, "IN_TRANSIT", 1)]
    first, second = await asyncio.gather(w.post(api, hooked, batch), w.post(api, hooked, batch))
    outcomes = sorted([w.results(first), w.results(second)])
    assert outcomes == [[(e["eventId"], "ACCEPTED") for e in batch],
                        [(e["eventId"], "DUPLICATE") for e in batch]]
    assert w.stock(runner, item.id, hooked.warehouse.id) == (on_hand - 4, reserved - 4)
    after = w.counts(runner)
    assert after["stock_movement"] == before["stock_movement"] + 1
    assert after["tracking_event"] == before["tracking_event"] + 2
    assert after["carrier_webhook_event"] == before["carrier_webhook_event"] + 2
    assert w.shipment_row(runner, shipment.id).status == "IN_TRANSIT"


async def test_concurrent_batches_crossing_the_same_products_both_apply(api, factory, runner):
    """Two batches handing over parcels of the same two products in opposite orders: on
    PostgreSQL each batch locks its orders and stock rows up front in a fixed order (event
    by event, they deadlocked on every run, and the victim ran again a second later)."""
    hooked = w.hooked_carrier(factory)
    one, two = s.product(factory), s.product(factory)
    parcels = []  # of one, two, one, two
    for item in (one, two, one, two):
        order, lines = s.order(factory, factory.customer().id, [(item, 1)],
                               reserve=[hooked.warehouse])
        parcels.append(s.ship(factory, order, hooked.warehouse, [(lines[0].id, 1)],
                              tracking_number=unique("SF")))
    stock_before = [w.stock(runner, p.id, hooked.warehouse.id) for p in (one, two)]
    batches = [[w.event(p.tracking_number, "PICKED_UP", 1) for p in parcels[:2]],
               [w.event(p.tracking_number, "PICKED_UP", 1) for p in reversed(parcels[2:])]]
    answers = await asyncio.gather(*(w.post(api, hooked, b) for b in batches))
    assert [r for a in answers for _, r in w.results(a)] == ["ACCEPTED"] * 4
    assert [w.stock(runner, p.id, hooked.warehouse.id) for p in (one, two)] == [
        (on_hand - 2, reserved - 2) for on_hand, reserved in stock_before]


async def test_a_batch_of_plain_scans_takes_the_same_statements_for_10_or_50(
        api, factory, runner, db):
    """Scans of parcels already on their way go the batch path (tracking.apply_scans):
    the same rules, a fixed number of statements."""
    hooked = w.hooked_carrier(factory)
    parcels = [w.parcel(factory, hooked, 1)[0] for _ in range(50)]
    picked = [w.event(p.tracking_number, "PICKED_UP", 10) for p in parcels]
    assert {r for _, r in w.results(await w.post(api, hooked, picked))} == {"ACCEPTED"}
    counts = {}
    for size, hours in ((10, 8), (50, 7)):
        scans = [w.event(p.tracking_number, "IN_TRANSIT", hours) for p in parcels[:size]]
        db.counter.reset()
        assert {r for _, r in w.results(await w.post(api, hooked, scans))} == {"ACCEPTED"}
        counts[size] = db.counter.count
    assert counts[10] == counts[50], (counts, db.counter.statements)
    # within one batch: a newer and an older scan of one parcel, and a repeated event id
    one = parcels[0]
    newer = w.event(one.tracking_number, "OUT_FOR_DELIVERY", 2)
    older = w.event(one.tracking_number, "IN_TRANSIT", 3)
    response = await w.post(api, hooked, [newer, older, {**newer}])
    assert w.results(response) == [(newer["eventId"], "ACCEPTED"),
                                   (older["eventId"], "ACCEPTED"),
                                   (newer["eventId"], "DUPLICATE")]
    assert "stays OUT_FOR_DELIVERY" in response.json()["results"][1]["message"]
    row = w.shipment_row(runner, one.id)
    assert row.status == "OUT_FOR_DELIVERY" and row.version == 4  # picked, transit, out
    # a parcel with a delivery in the batch goes the one-by-one path, in order
    two = parcels[1]
    mixed = [w.event(two.tracking_number, "OUT_FOR_DELIVERY", 2),
             w.event(two.tracking_number, "DELIVERED", 1)]
    assert {r for _, r in w.results(await w.post(api, hooked, mixed))} == {"ACCEPTED"}
    assert w.shipment_row(runner, two.id).status == "DELIVERED"
