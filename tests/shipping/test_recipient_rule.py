"""A shipment's recipient follows the order's ship-to rule (docs/architecture.md#permissions):
shipping staff and the roles that see contact data read it in full, ANALYST masked. Found
by the export work: an analyst read the recipient's phone and address in full."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app.ids import to_global_id
from app.orders.models import Order
from tests.shipping import logistics_support as ls

QUERY = """query($id: ID!) { node(id: $id) { ... on Shipment {
  recipient { name phone address region } } } }"""
PHONE, ADDRESS, NAME = "13812345678", "杭州市西湖区文三路90号", "王五"


def _phone(uow, order_id: int) -> None:  # noqa: ANN001
    uow.session.execute(update(Order).where(Order.id == order_id).values(ship_phone=PHONE))


@pytest.fixture(scope="module")
def parcel(factory):  # noqa: ANN001, ANN201
    route = ls.lane(factory, 2)
    order, line = ls.order(factory, factory.customer().id, ls.product(factory), 1,
                           route.warehouse)
    factory.write(_phone, order.id)
    return ls.ship(factory, order, line, 1, route), order


@pytest.mark.parametrize("role", ["LOGISTICS", "CUSTOMER_SERVICE", "FINANCE", "ANALYST"])
async def test_the_recipient_is_masked_for_analysts_only(api, factory, parcel, role):  # noqa: ANN001
    shipment, order = parcel
    data = await api.ok(QUERY, {"id": to_global_id("Shipment", shipment.id)},
                        factory.user(role).token)
    recipient = data["node"]["recipient"]
    if role == "ANALYST":
        assert recipient == {"name": "**", "phone": "138****5678",
                             "address": ADDRESS[:3] + "****"
                             + ADDRESS[-4:], "region": order.ship_region}
    else:
        assert recipient == {"name": NAME, "phone": PHONE, "address": ADDRESS,
                             "region": order.ship_region}
