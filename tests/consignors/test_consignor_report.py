"""A consignor's report equals a hand-computed fixture (docs/architecture.md#consignor-
reports): five parcels of its goods (four picked up in the window, one after it), another
consignor's parcel, its ledger back-dated around the window, tickets and surveys in and out
of it. Through the API, on SQLite and PostgreSQL alike; feedback masked; scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from app.delivery.models import DeliveryOrder
from app.inventory.models import StockMovement
from app.orders.models import Order
from app.shipping.models import Shipment
from app.surveys.models import Survey
from app.tickets.models import Ticket
from tests.consignors import follow_up_support as f
from tests.shipping import support as s
from tests.support import unique

T0 = s.T0  # 2025-03-01 08:00 UTC, 16:00 in Asia/Shanghai (the business time zone)
WINDOW = {"from": "2025-03-01", "to": "2025-03-07"}
REPORT = """query($c: ID!, $from: Date!, $to: Date!) {
  consignorReport(consignorId: $c, from: $from, to: $to) { consignorId from to days
    shipments delivered onTime withPromise onTimeRate failed failedRate unitsShipped
    openingOnHand closingOnHand stockTurnover daysOfCover
    freightBilled { currency amount } complaints surveysAnswered averageCsat } }"""
FEEDBACK = """query($c: ID!, $from: Date!, $to: Date!) {
  consignorFeedback(consignorId: $c, from: $from, to: $to) { source orderNumber consignee
    consigneeRegion ticketKind subject csat nps comment } }"""

# (quantity, tracking events as (status, hours after T0), promised date, billed): what the
# consignor is billed for the order, ("DO", x) a delivery order's freight charge x (None: no
# agreement was valid), ("SHIP", x) an ordinary order's shipping total x; the carriers'
# charges (Shipment.charge, 30.00 each) are the company's cost and never count
PARCELS = [
    (2, (("PICKED_UP", 1), ("DELIVERED", 30)), date(2025, 3, 3), ("DO", "12.50")),  # on time
    # delivered 2025-03-03 17:00 UTC: the 4th locally, so late for a promise of the 3rd
    (3, (("PICKED_UP", 2), ("DELIVERED", 57)), date(2025, 3, 3), ("DO", None)),
    (5, (("PICKED_UP", 3), ("FAILED_ATTEMPT", 20)), None, ("DO", "20.00")),  # failed
    (4, (("PICKED_UP", 4), ("DELIVERED", 40)), None, ("SHIP", "5.25")),  # no promise
    # picked up 2025-03-11: after the window
    (6, (("PICKED_UP", 240),), None, ("DO", "99.00")),
]


def _backdate(uow, product_id: int, shipments: list[Shipment]) -> None:  # noqa: ANN001
    """The consignor's movements at the times they would have had: the receipt before the
    window, each dispatch at its parcel's pickup (each parcel ships a distinct quantity)."""
    shipped_at = {}
    for sh, (quantity, *_rest) in zip(shipments, PARCELS, strict=True):
        shipped_at[quantity] = uow.session.get(Shipment, sh.id).shipped_at
    moves = uow.session.exec(select(StockMovement).where(
        StockMovement.product_id == product_id)).all()
    for m in moves:
        if m.kind == "RECEIPT":
            m.created_at = datetime(2025, 2, 20, tzinfo=UTC)
        elif m.kind == "SHIPMENT":
            m.created_at = shipped_at[-m.on_hand_delta]
        else:
            m.created_at = T0 - timedelta(hours=1)
        uow.session.add(m)


def _set_shipments(uow, consignor_id: int, shipments: list[Shipment]) -> None:  # noqa: ANN001
    for sh, (_q, _e, promised, (kind, billed)) in zip(shipments, PARCELS, strict=True):
        row = uow.session.get(Shipment, sh.id)
        row.promised_date, row.charge = promised, Decimal("30.00")
        uow.session.add(row)
        if kind == "SHIP":
            order = uow.session.get(Order, row.order_id)
            order.shipping_total = Decimal(billed)
            uow.session.add(order)
        else:
            uow.session.add(DeliveryOrder(
                order_id=row.order_id, consignor_id=consignor_id,
                consignor_reference=unique("REF-"),
                freight_charge=None if billed is None else Decimal(billed)))


def _feedback(uow, consignor_id: int, orders: list) -> None:  # noqa: ANN001
    def ticket(order, kind: str, at: datetime, subject: str) -> Ticket:  # noqa: ANN001
        return Ticket(number=unique("TK-"), kind=kind, channel="PHONE", subject=subject,
                      customer_id=consignor_id, order_id=order.id, tier="STANDARD",
                      first_response_due_at=at, resolution_due_at=at, created_at=at)

    def survey(order, answered: datetime | None, csat: int | None, comment: str | None  # noqa: ANN001
               ) -> Survey:
        return Survey(subject_kind="DELIVERY", subject_key=f"order:{order.id}",
                      customer_id=consignor_id, order_id=order.id, nonce=unique("n-"),
                      sent_at=T0, expires_at=T0 + timedelta(days=30), answered_at=answered,
                      csat=csat, nps=None if csat is None else csat * 2, comment=comment)
    uow.session.add_all([
        ticket(orders[1], "COMPLAINT", T0 + timedelta(days=3), "送货晚了，请回电 13812345678"),
        ticket(orders[1], "INQUIRY", T0 + timedelta(hours=36), "几点到"),
        ticket(orders[2], "COMPLAINT", T0 + timedelta(days=20), "窗口之外"),
        survey(orders[0], T0 + timedelta(days=1), 4, "很好 mail: zhang@example.com"),
        survey(orders[3], T0 + timedelta(days=2), 2, None),
        survey(orders[2], T0 + timedelta(days=15), 5, "窗口之外"),
        survey(orders[4], None, None, None),
    ])


@pytest.fixture(scope="module")
def fixture(factory):  # noqa: ANN001, ANN201
    c, other = f.consignor(factory), f.consignor(factory)
    first = f.parcel(factory, c, quantity=PARCELS[0][0], stock=100, events=PARCELS[0][1])
    parcels = [first] + [f.parcel(factory, c, quantity=q, events=e, warehouse=first.warehouse,
                                  product=first.product) for q, e, _p, _c in PARCELS[1:]]
    f.parcel(factory, other, quantity=1, warehouse=first.warehouse,
             events=(("PICKED_UP", 2), ("FAILED_ATTEMPT", 6)))
    shipments = [p.shipment for p in parcels]
    factory.write(_set_shipments, c.id, shipments)
    factory.write(_backdate, first.product.id, shipments)
    factory.write(_feedback, c.id, [p.order for p in parcels])
    return c, parcels


async def test_report_equals_the_hand_computed_fixture(api, factory, fixture):  # noqa: ANN001
    c, _parcels = fixture
    manager = factory.user("MANAGER")
    data = await api.ok(REPORT, {"c": s.gid("Customer", c.id), **WINDOW}, manager.token)
    assert data["consignorReport"] == {
        "consignorId": s.gid("Customer", c.id), "from": "2025-03-01", "to": "2025-03-07",
        "days": 7, "shipments": 4, "delivered": 3, "onTime": 1, "withPromise": 2,
        "onTimeRate": 0.5, "failed": 1, "failedRate": 0.25,
        "unitsShipped": 2 + 3 + 5 + 4, "openingOnHand": 100, "closingOnHand": 86,
        "stockTurnover": round(14 / ((100 + 86) / 2), 4), "daysOfCover": 43.0,
        "freightBilled": [{"currency": "CNY", "amount": "37.75"}],  # 12.50 + 20.00 + 5.25
        "complaints": 1, "surveysAnswered": 2, "averageCsat": 3.0}


async def test_feedback_is_the_consignors_and_masked(api, factory, fixture):  # noqa: ANN001
    c, parcels = fixture
    agent = factory.user("CUSTOMER_SERVICE")
    data = await api.ok(FEEDBACK, {"c": s.gid("Customer", c.id), **WINDOW}, agent.token)
    got = data["consignorFeedback"]
    assert [(x["source"], x["orderNumber"], x["ticketKind"], x["csat"]) for x in got] == [
        ("TICKET", parcels[1].order.number, "COMPLAINT", None),
        ("SURVEY", parcels[3].order.number, None, 2),
        ("TICKET", parcels[1].order.number, "INQUIRY", None),
        ("SURVEY", parcels[0].order.number, None, 4)]
    assert {(x["consignee"], x["consigneeRegion"]) for x in got} == {("张*", "East")}
    assert got[0]["subject"] == "送货晚了，请回电 138****5678"
    assert got[3]["comment"] == "很好 mail: z***@example.com"


async def test_who_may_read_a_consignors_report(api, factory, fixture):  # noqa: ANN001
    c, _parcels = fixture
    variables = {"c": s.gid("Customer", c.id), **WINDOW}
    rep = factory.user("SALES")  # owns no consignor: another's answers like a missing one
    body = await api.gql(REPORT, variables, rep.token)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    buyer = factory.user("CUSTOMER", customer_id=c.id)  # no consignor_reports:read
    body = await api.gql(REPORT, variables, buyer.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    plain = factory.customer()
    manager = factory.user("MANAGER")
    body = await api.gql(REPORT, {**variables, "c": s.gid("Customer", plain.id)},
                         manager.token)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # not a consignor
    body = await api.gql(REPORT, {**variables, "from": "2025-03-08"}, manager.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
