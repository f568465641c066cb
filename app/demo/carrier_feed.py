"""`crm simulate-carriers`: the demo's carriers calling the webhook of a running server
(docs/architecture.md#carrier-webhooks).

Each round reads the shipments on their way (CREATED, PACKED, PICKED_UP, IN_TRANSIT,
OUT_FOR_DELIVERY, FAILED_ATTEMPT, with an active carrier and a tracking number), draws each
one's next scan from a generator seeded by (seed, round, shipment), so a run is repeatable
on the same data: a share is delayed (no event this round), some parcels fail delivery or
are damaged, the rest move on, and COD parcels are delivered with their cash collected.
The events go to the server in batches of at most 100 per carrier, signed with the
carrier's webhook secret; a carrier without one gets one first through the carrier
service (the command runs locally, as SYSTEM). What became of every batch is printed.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from app.auth.principal import SYSTEM
from app.persistence.columns import utcnow
from app.persistence.uow import Runner
from app.shipping import carriers
from app.shipping import repository as repo
from app.shipping.models import ShipmentStatus as S
from app.shipping.webhooks import MAX_EVENTS, signed_headers

ON_THE_WAY = (S.CREATED, S.PACKED, S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY,
              S.FAILED_ATTEMPT)
DELAYED = 0.15  # no scan this round
DAMAGED = 0.03  # of parcels in transit: an EXCEPTION
FAILED = 0.12  # of deliveries: nobody home
_COURIERS = ["王师傅", "李师傅", "张师傅", "刘师傅", "陈师傅"]
_SIGNERS = ["本人", "前台", "快递柜", "门卫", "同事"]


def next_status(rng: random.Random, status: str) -> tuple[str, str | None] | None:
    """(the next scan's status, its problem) for a parcel in `status`; None: delayed."""
    if rng.random() < DELAYED:
        return None
    if status in (S.CREATED, S.PACKED):
        return S.PICKED_UP.value, None
    if status in (S.PICKED_UP, S.FAILED_ATTEMPT):
        return (S.IN_TRANSIT if status == S.PICKED_UP else S.OUT_FOR_DELIVERY).value, None
    if status == S.IN_TRANSIT:
        draw = rng.random()
        if draw < DAMAGED:
            return S.EXCEPTION.value, "DAMAGED"
        return (S.OUT_FOR_DELIVERY if draw < 0.6 else S.IN_TRANSIT).value, None
    return (S.FAILED_ATTEMPT if rng.random() < FAILED else S.DELIVERED).value, None


def _texts(rng: random.Random, status: str, ship: repo.InFlight) -> dict[str, str]:
    origin, dest = ship.origin or "始发", ship.destination or "目的地"
    if status == S.PICKED_UP:
        return {"location": f"{origin}仓揽收点", "description": "快件已揽收 Picked up"}
    if status == S.IN_TRANSIT:
        if ship.status == S.PICKED_UP:
            return {"location": f"{origin}转运中心",
                    "description": f"快件已发往{dest} Departed {origin} hub"}
        return {"location": f"{dest}转运中心",
                "description": f"快件已到达{dest}转运中心 Arrived at {dest} hub"}
    if status == S.OUT_FOR_DELIVERY:
        return {"location": f"{dest}营业点",
                "description": f"快递员{rng.choice(_COURIERS)}正在派送 Out for delivery"}
    if status == S.FAILED_ATTEMPT:
        return {"location": f"{dest}营业点",
                "description": "收件人不在，已预约再次派送 Recipient absent"}
    if status == S.EXCEPTION:
        return {"location": f"{dest}转运中心", "description": "外包装破损，待核实 Parcel damaged"}
    signer = rng.choice(_SIGNERS)
    return {"location": dest, "description": f"已签收，签收人：{signer} Delivered",
            "signer": signer}


def plan_event(rng: random.Random, ship: repo.InFlight, now: datetime) -> dict | None:
    """The parcel's next scan as the carrier sends it, a little before `now` and after its
    newest event (so it moves the parcel on); None when it is delayed."""
    step = next_status(rng, ship.status)
    if step is None:
        return None
    status, problem = step
    at = now - timedelta(seconds=rng.uniform(5, 120))
    if ship.last_event_at is not None:
        at = min(max(at, ship.last_event_at + timedelta(seconds=1)), now)
    at = at.replace(microsecond=0)
    event = {"eventId": f"SIM-{ship.tracking_number}-{int(at.timestamp())}-{status}",
             "trackingNumber": ship.tracking_number, "status": status,
             "occurredAt": at.isoformat(), **_texts(rng, status, ship)}
    if problem:
        event["problem"] = problem
    if status == S.DELIVERED and ship.cod_amount and ship.cod_amount > 0:
        event["codCollected"] = str(ship.cod_amount)
    return event


def plan_round(seed: int, round_no: int, shipments: Sequence[repo.InFlight],
               now: datetime) -> dict[str, list[dict]]:
    """{carrier code: events}: each parcel's draw from its own generator, so one parcel's
    fate does not depend on which others are on their way."""
    out: dict[str, list[dict]] = {}
    for ship in shipments:
        event = plan_event(random.Random(f"{seed}:{round_no}:{ship.shipment_id}"), ship, now)
        if event is not None:
            out.setdefault(ship.carrier_code, []).append(event)
    return out


def webhook_secrets(runner: Runner, carrier_ids: Collection[int]) -> dict[int, str]:
    """Each carrier's webhook secret, set through the carrier service where there is none."""
    found = {}
    for carrier_id in sorted(carrier_ids):
        secret = runner.read_sync(repo.webhook_secret, (carrier_id,), {})
        if secret is None:
            secret = runner.write_sync(carriers.rotate_webhook_secret, carrier_id,
                                       principal=SYSTEM).secret
        found[carrier_id] = secret
    return found


async def simulate(runner: Runner, client: Any, *, rounds: int = 1, interval: float = 5.0,
                   seed: int = 7, carrier_codes: Collection[str] | None = None,
                   out: Callable[[str], None] = print) -> Counter:
    """Run the rounds against `client` (an httpx.AsyncClient on the server); the results
    of every event posted, counted (REJECTED: events of a batch the server refused)."""
    total: Counter = Counter()
    for round_no in range(1, rounds + 1):
        shipments = runner.read_sync(repo.shipments_in_flight,
                                     ([s.value for s in ON_THE_WAY], carrier_codes), {})
        secrets = webhook_secrets(runner, {s.carrier_id for s in shipments})
        by_code = {s.carrier_code: secrets[s.carrier_id] for s in shipments}
        planned = plan_round(seed, round_no, shipments, utcnow())
        out(f"round {round_no}: {len(shipments)} parcels on their way, "
            f"{sum(map(len, planned.values()))} scans")
        for code in sorted(planned):
            events = planned[code]
            for start in range(0, len(events), MAX_EVENTS):
                batch = events[start:start + MAX_EVENTS]
                counted = await _post(client, code, by_code[code], batch)
                total.update(counted)
                out(f"  {code} batch {start // MAX_EVENTS + 1}: {len(batch)} events -> "
                    + ", ".join(f"{k} {v}" for k, v in sorted(counted.items())))
        if round_no < rounds and interval > 0:
            await asyncio.sleep(interval)
    return total


async def _post(client: Any, code: str, secret: str, events: list[dict]) -> Counter:
    body = orjson.dumps({"events": events})
    response = await client.post(f"/webhooks/carriers/{code}", content=body,
                                 headers=signed_headers(secret, body, utcnow()))
    if response.status_code != 200:
        try:
            why = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            why = response.text[:200]
        return Counter({f"REJECTED (HTTP {response.status_code}: {why})": len(events)})
    return Counter(r["result"] for r in response.json()["results"])
