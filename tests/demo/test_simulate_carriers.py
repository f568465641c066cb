"""`crm simulate-carriers` against the real app on a freshly seeded demo database: the
demo's parcels on their way get their next scans through the signed webhook, carriers
without a secret get one, and a run is repeatable."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func
from sqlmodel import select

from app.cli import _parser
from app.demo import carrier_feed
from app.persistence.columns import utcnow
from app.shipping import repository as repo
from app.shipping.models import Carrier, CarrierWebhookEvent, Shipment

RESULTS = {"ACCEPTED", "DUPLICATE", "UNKNOWN_TRACKING_NUMBER", "INVALID"}


def _statuses(runner) -> Counter:  # noqa: ANN001
    return Counter(dict(runner.read_sync(lambda s: s.exec(
        select(Shipment.status, func.count()).group_by(Shipment.status)).all(), (), {})))


def _secrets(runner) -> dict[str, bool]:  # noqa: ANN001
    def fetch(session) -> dict[str, bool]:  # noqa: ANN001
        found = session.exec(select(Carrier.id, Carrier.code, Carrier.is_active)).all()
        rotated = repo.webhook_secret_rotations(session, [cid for cid, _, _ in found])
        return {code: cid in rotated for cid, code, active in found if active}
    return runner.read_sync(fetch, (), {})


def _inbox(runner) -> int:  # noqa: ANN001
    return runner.read_sync(lambda s: s.exec(
        select(func.count()).select_from(CarrierWebhookEvent)).one(), (), {})


async def test_scans_go_through_the_signed_webhook(demo, demo_api):
    runner = demo.runner
    on_the_way = [s.value for s in carrier_feed.ON_THE_WAY]
    before = _statuses(runner)
    parcels = sum(before[s] for s in on_the_way)
    assert parcels > 50 and not any(_secrets(runner).values())
    carrying = {s.carrier_code for s in runner.read_sync(
        repo.shipments_in_flight, (on_the_way, None), {})}
    printed: list[str] = []
    total = await carrier_feed.simulate(runner, demo_api, rounds=2, interval=0, seed=11,
                                        out=printed.append)
    assert set(total) <= RESULTS, total
    after = _statuses(runner)
    assert total["ACCEPTED"] > parcels  # two rounds, a few delayed in each
    assert total["INVALID"] == total["UNKNOWN_TRACKING_NUMBER"] == 0, printed
    assert after["DELIVERED"] > before["DELIVERED"]
    assert sum(after[s] for s in on_the_way) < parcels
    assert after["EXCEPTION"] + after["FAILED_ATTEMPT"] > 0
    assert _inbox(runner) == sum(total.values())
    # every active carrier with parcels on their way got a secret through the service
    assert {code for code, has in _secrets(runner).items() if has} == carrying
    assert printed[0].startswith("round 1: ") and any(" batch 1: " in line for line in printed)


def test_a_round_is_repeatable_and_delays_some_parcels(demo):
    shipments = demo.runner.read_sync(repo.shipments_in_flight, (
        [s.value for s in carrier_feed.ON_THE_WAY], None), {})
    now = utcnow()
    first = carrier_feed.plan_round(5, 1, shipments, now)
    assert first == carrier_feed.plan_round(5, 1, shipments, now)
    assert first != carrier_feed.plan_round(6, 1, shipments, now)
    planned = [e for events in first.values() for e in events]
    assert 0 < len(planned) < len(shipments)  # a share is delayed
    assert all(e["occurredAt"] <= now.isoformat() for e in planned)


def test_the_command_line():
    args = _parser().parse_args(["simulate-carriers", "--rounds", "3", "--interval", "0.5",
                                 "--seed", "42", "--carrier", "SF", "--carrier", "JD"])
    assert (args.rounds, args.interval, args.seed, args.carrier, args.url) == (
        3, 0.5, 42, ["SF", "JD"], None)
    assert args.fn.__name__ == "_cmd_simulate_carriers"
