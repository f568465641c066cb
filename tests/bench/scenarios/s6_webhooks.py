"""S6: carrier webhook ingestion (docs/architecture.md#carrier-webhooks). Signed batches of
100 tracking events (IN_TRANSIT or OUT_FOR_DELIVERY scans of the dataset's parcels on their
way, each with a new event id) go to the app's `POST /webhooks/carriers/{code}` and to the
hand-written endpoint that checks the same signature and inserts the same inbox and
tracking-event rows (tests/bench/baseline_webhook.py), in alternating blocks, one batch at
a time (a carrier's feed). Figures: events/s, p50 and p99 per batch, statements and server
CPU per batch; the target is the app's events/s at 0.3 of the baseline's or more."""

from __future__ import annotations

import itertools
import random
import time
from datetime import UTC, datetime, timedelta

import orjson

from app.ids import to_global_id as gid
from app.shipping.webhooks import signature
from tests.bench import load, names
from tests.bench.context import BenchContext
from tests.bench.report import Scenario
from tests.bench.scenarios.s3_orders import instruments

BATCH = 100
CARRIER_ID = 1  # the dataset's carrier of every fourth shipment
CARRIER_CODE = names.CARRIERS[0][0]
MAX_PARCELS = 1_000
STATUSES = ("IN_TRANSIT", "OUT_FOR_DELIVERY")
ROTATE = """mutation($id: ID!) { carrierWebhookSecretRotate(carrierId: $id) {
  webhookSecret userErrors { message } } }"""
PARCELS = """query($c: ID!, $after: String) { shipments(first: 100, after: $after,
  filter: {carrierId: $c, status: [IN_TRANSIT, OUT_FOR_DELIVERY]}) {
  pageInfo { hasNextPage endCursor } nodes { trackingNumber } } }"""


async def _setup(ctx: BenchContext) -> tuple[str, list[str]]:
    """A webhook secret for the carrier (rotated through the API) and its parcels on
    their way."""
    conn = await load.Connection(ctx.port).open()
    try:
        carrier = gid("Carrier", CARRIER_ID)
        body = (await conn.request(load.graphql(ROTATE, {"id": carrier}, ctx.admin))).json()
        secret = body["data"]["carrierWebhookSecretRotate"]["webhookSecret"]
        numbers, after = [], None
        while len(numbers) < MAX_PARCELS:
            page = (await conn.request(load.graphql(PARCELS, {"c": carrier, "after": after},
                                                    ctx.admin))).json()["data"]["shipments"]
            numbers += [n["trackingNumber"] for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    finally:
        await conn.close()
    if not secret or len(numbers) < BATCH:
        raise RuntimeError(f"S6 setup: secret {bool(secret)}, {len(numbers)} parcels")
    return secret, numbers


class Batches:
    """`make(n)` for the load driver: the next signed batch of new events for `path`."""

    def __init__(self, path: str, secret: str, numbers: list[str], tag: str) -> None:
        self.path, self.secret, self.numbers = path, secret, numbers
        self.rng = random.Random(tag)
        self.ids = (f"S6{tag}-{int(time.time())}-{n}" for n in itertools.count())

    def __call__(self, _n: int) -> bytes:
        at = (datetime.now(UTC) - timedelta(seconds=1)).replace(microsecond=0).isoformat()
        events = [{"eventId": next(self.ids), "trackingNumber": number,
                   "status": self.rng.choice(STATUSES), "occurredAt": at,
                   "location": "上海转运中心", "description": "运输中 In transit"}
                  for number in self.rng.sample(self.numbers, BATCH)]
        body = orjson.dumps({"events": events})
        stamp = str(int(time.time()))
        return (f"POST {self.path} HTTP/1.1\r\nHost: {load.HOST}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"X-Timestamp: {stamp}\r\nX-Signature: {signature(self.secret, stamp, body)}"
                "\r\n\r\n").encode() + body


async def _check(ctx: BenchContext, make: Batches) -> tuple[int, str | None]:
    """(statements for one batch, the first problem): every event must be ACCEPTED."""
    conn = await load.Connection(ctx.port).open()
    try:
        resp = await conn.request(make(0))
    finally:
        await conn.close()
    if resp.status != 200:
        return resp.sql_count or 0, resp.body[:300].decode(errors="replace")
    results = {r["result"] for r in resp.json()["results"]}
    return resp.sql_count or 0, None if results == {"ACCEPTED"} else str(results)


async def run(ctx: BenchContext) -> list[Scenario]:
    secret, numbers = await _setup(ctx)
    targets = {"webhook": Batches(f"/webhooks/carriers/{CARRIER_CODE}", secret, numbers, "A"),
               "baseline": Batches(f"/baseline/webhook/{CARRIER_CODE}", secret, numbers, "B")}
    s = Scenario(f"S6 carrier webhook, batches of {BATCH} events", ctx.database,
                 ctx.size.name)
    checked = {name: await _check(ctx, make) for name, make in targets.items()}
    problems = [f"{name}: {why}" for name, (_, why) in checked.items() if why]
    quick = ctx.budget.quick
    await instruments(ctx, on=False)  # the timed run as production runs (S3 does the same)
    try:
        samples = await load.alternate(
            ctx.port, targets, rounds=4 if quick else 10, per_round=5 if quick else 10,
            concurrency=1, time_limit=90 if quick else 600, cpu=ctx.server.cpu_seconds,
            warmup=2 if quick else 5)
    finally:
        await instruments(ctx, on=True)
    app, base = samples["webhook"], samples["baseline"]
    ratio = app.rps / base.rps if base.rps else float("nan")
    s.figures.update({
        "webhook events/s": app.rps * BATCH, "webhook p50 ms per batch": app.p50,
        "webhook p99 ms per batch": app.p99,
        "baseline events/s": base.rps * BATCH, "baseline p50 ms per batch": base.p50,
        "baseline p99 ms per batch": base.p99,
        "events/s ratio to baseline": ratio,
        "SQL statements per batch (webhook, baseline)":
            f"{checked['webhook'][0]}, {checked['baseline'][0]}",
        "server CPU ms per batch (webhook, baseline)":
            f"{app.cpu_per_request_ms:.1f}, {base.cpu_per_request_ms:.1f}",
        "batches (webhook, baseline)": f"{app.count}, {base.count}",
        "parcels drawn from": len(numbers),
        "errors": app.errors + base.errors,
    })
    s.notes += problems
    if app.first_error or base.first_error:
        s.notes.append(f"first error: {(app.first_error or base.first_error)[:200]}")
    s.target("events/s ratio to baseline", ratio, 0.3, ">=")
    s.target("every checked event ACCEPTED", len(problems), 0, "==")
    s.target("errors", app.errors + base.errors, 0, "==")
    s.notes.append("1 client, blocks alternating webhook/baseline; each event new, for a "
                   "parcel on its way")
    return [s]
