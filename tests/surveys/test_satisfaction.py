"""`satisfaction(from, to, groupBy)` against a hand-computed fixture: seven surveys in one
week (four after deliveries, three after tickets) and one outside it, each grouping's
sent, answered, response rate, CSAT and NPS worked out by hand below."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.segments.models import CustomerSegment
from app.shipping.models import Carrier, Shipment
from app.surveys.models import Survey
from tests.orders.support import gid, pk

START = datetime(2001, 3, 1, tzinfo=UTC)
END = START + timedelta(days=7)
REPORT = """query($from: DateTime!, $to: DateTime!, $groupBy: SatisfactionGroupBy) {
  satisfaction(from: $from, to: $to, groupBy: $groupBy) {
    groupBy total { key sent answered responseRate csat nps }
    groups { key label sent answered responseRate csat nps } } }"""


def _rows(uow, spec: dict) -> dict:  # noqa: ANN001
    """The fixture's carriers, shipments, segments and surveys (module-level: the SQLite
    writer process runs it by name)."""
    session, tag = uow.session, spec["tag"]
    carriers = [Carrier(code=f"C{i}{tag}", name=f"承运商{i} {tag}") for i in (1, 2)]
    session.add_all(carriers)
    session.flush()
    shipments = []
    for i, (order_id, warehouse, carrier) in enumerate(spec["shipments"]):
        shipments.append(Shipment(number=f"S{i}{tag}", order_id=order_id,
                                  warehouse_id=warehouse, carrier_id=carriers[carrier].id))
    session.add_all(shipments)
    for customer_id, segment in spec["segments"]:
        session.add(CustomerSegment(customer_id=customer_id, segment=segment, r_score=3,
                                    f_score=3, m_score=3, order_count=1,
                                    monetary=Decimal("1"), first_order_at=START,
                                    last_order_at=START))
    session.flush()
    for i, s in enumerate(spec["surveys"]):
        shipment = shipments[s["shipment"]].id if s.get("shipment") is not None else None
        answered = START + timedelta(days=i % 5, hours=2) if s.get("csat") else None
        session.add(Survey(subject_kind=s["kind"], subject_key=f"t{i}-{tag}",
                           customer_id=s["customer"], order_id=s.get("order"),
                           shipment_id=shipment, agent_user_id=s.get("agent"), nonce="n",
                           sent_at=s.get("sent", START + timedelta(days=i % 5)),
                           expires_at=START + timedelta(days=14), answered_at=answered,
                           csat=s.get("csat"), nps=s.get("nps")))
    session.flush()
    return {"carriers": [c.id for c in carriers]}


async def _fixture(kit, factory) -> dict:  # noqa: ANN001
    admin = factory.user("ADMIN")
    p1, p2 = kit.product(), kit.product()
    w1, w2 = kit.warehouse(), kit.warehouse()
    a1, a2 = factory.user("CUSTOMER_SERVICE"), factory.user("CUSTOMER_SERVICE")
    c1, c2, c3 = kit.customer(), kit.customer(), kit.customer()
    o1 = pk((await kit.order(admin.token, c1, [(p1, 1), (p2, 1)]))["id"])
    o2 = pk((await kit.order(admin.token, c2, [(p1, 1)]))["id"])
    o3 = pk((await kit.order(admin.token, c3, [(p2, 2)]))["id"])
    o4 = pk((await kit.order(admin.token, c1, [(p2, 1)]))["id"])
    spec = {
        "tag": secrets.token_hex(3),
        # shipment i: (order, warehouse, carrier index)
        "shipments": [(o1, w1.id, 0), (o2, w1.id, 1), (o3, w2.id, 0), (o4, w2.id, 1)],
        "segments": [(c1.id, "VIP"), (c2.id, "AT_RISK")],  # c3: no computed segment
        "surveys": [
            {"kind": "DELIVERY", "customer": c1.id, "order": o1, "shipment": 0, "csat": 5,
             "nps": 10},
            {"kind": "DELIVERY", "customer": c2.id, "order": o2, "shipment": 1, "csat": 2,
             "nps": 3},
            {"kind": "DELIVERY", "customer": c3.id, "order": o3, "shipment": 2, "csat": 4,
             "nps": 8},
            {"kind": "DELIVERY", "customer": c1.id, "order": o4, "shipment": 3},
            {"kind": "TICKET", "customer": c2.id, "agent": a1.id, "csat": 1, "nps": 0},
            {"kind": "TICKET", "customer": c1.id, "agent": a1.id, "csat": 5, "nps": 9},
            {"kind": "TICKET", "customer": c3.id, "agent": a2.id},
            # sent the day before the period: counted nowhere
            {"kind": "TICKET", "customer": c2.id, "agent": a2.id, "csat": 1, "nps": 0,
             "sent": START - timedelta(days=1)},
        ],
    }
    made = factory.write(_rows, spec)
    return {"P1": gid("Product", p1.id), "P2": gid("Product", p2.id),
            "W1": gid("Warehouse", w1.id), "W2": gid("Warehouse", w2.id),
            "C1": gid("Carrier", made["carriers"][0]), "C2": gid("Carrier", made["carriers"][1]),
            "A1": gid("User", a1.id), "A2": gid("User", a2.id), "VIP": "VIP",
            "AT_RISK": "AT_RISK"}


# (sent, answered, response rate, CSAT, NPS) by hand: NPS = (promoters 9-10 - detractors
# 0-6) / NPS answers * 100; CSAT the mean of the answers
TOTAL = (7, 5, 0.7143, 3.4, 0.0)  # CSAT (5+2+4+1+5)/5; NPS promoters 10,9, detractors 3,0
EXPECTED = {
    "PRODUCT": {"P1": (2, 2, 1.0, 3.5, 0.0),  # surveys 1 (5/10) and 2 (2/3)
                "P2": (3, 2, 0.6667, 4.5, 50.0)},  # 1 (5/10), 3 (4/8), 4 unanswered
    "WAREHOUSE": {"W1": (2, 2, 1.0, 3.5, 0.0), "W2": (2, 1, 0.5, 4.0, 0.0)},
    "CARRIER": {"C1": (2, 2, 1.0, 4.5, 50.0), "C2": (2, 1, 0.5, 2.0, -100.0)},
    "AGENT": {"A1": (2, 2, 1.0, 3.0, 0.0), "A2": (1, 0, 0.0, None, None)},
    "SEGMENT": {"VIP": (3, 2, 0.6667, 5.0, 100.0), "AT_RISK": (2, 2, 1.0, 1.5, -100.0)},
}


def _figures(row: dict) -> tuple:
    return (row["sent"], row["answered"], row["responseRate"], row["csat"], row["nps"])


async def test_satisfaction_by_every_grouping(api, kit, factory):
    keys = await _fixture(kit, factory)
    manager, analyst = factory.user("MANAGER"), factory.user("ANALYST")
    period = {"from": START.isoformat(), "to": END.isoformat()}
    for group_by, expected in EXPECTED.items():
        for viewer in (manager, analyst):  # an aggregate: ANALYST reads it as it is
            data = await api.ok(REPORT, {**period, "groupBy": group_by}, viewer.token)
            report = data["satisfaction"]
            assert report["groupBy"] == group_by
            assert _figures(report["total"]) == TOTAL and report["total"]["key"] is None
            got = {row["key"]: _figures(row) for row in report["groups"]}
            assert got == {keys[k]: v for k, v in expected.items()}, group_by
    plain = (await api.ok(REPORT, period, manager.token))["satisfaction"]
    assert plain["groups"] == [] and _figures(plain["total"]) == TOTAL


async def test_satisfaction_is_staff_only_and_checks_its_period(api, factory):
    period = {"from": START.isoformat(), "to": END.isoformat()}
    for role in ("SALES", "WAREHOUSE", "CUSTOMER"):
        customer_id = factory.customer().id if role == "CUSTOMER" else None
        user = factory.user(role, customer_id=customer_id)
        body = await api.gql(REPORT, period, user.token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    body = await api.gql(REPORT, period)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    backwards = {"from": END.isoformat(), "to": START.isoformat()}
    body = await api.gql(REPORT, backwards, factory.user("MANAGER").token)
    assert "`to` must be after `from`" in body["errors"][0]["message"]
