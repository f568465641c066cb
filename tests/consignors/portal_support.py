"""Two consignors side by side for the CONSIGNOR portal's isolation tests: each with its
goods and stock in one shared warehouse, a confirmed order of its goods, a parcel of that
order with a failed delivery attempt (an open exception), and a portal sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from tests.consignors.support import consignor, goods, receive
from tests.orders.support import Kit, gid, pk
from tests.shipping import support as shipping
from tests.shipping.exception_support import exceptions_of
from tests.support import unique


@dataclass
class Side:
    """One consignor and what it owns, by global ID where the API answers with one."""

    customer: Any
    user: Any  # its CONSIGNOR sign-in (token, id)
    product: Any
    level: str
    movements: list[str]
    order: str
    shipment: str
    exception: str

    @property
    def token(self) -> str:
        return self.user.token

    @property
    def id(self) -> str:
        return gid("Customer", self.customer.id)

    def objects(self) -> list[str]:
        """Every object of this side, as `node(id)` would fetch it."""
        return [self.id, gid("Product", self.product.id), self.level, *self.movements,
                self.order, self.shipment, self.exception]


LEVELS = """query($p: ID!) { stockLevels(filter: {productId: $p}) { nodes { id } } }"""
MOVES = """query($p: ID!) { stockMovements(filter: {productId: $p}) { nodes { id } } }"""


async def side(kit: Kit, staff: Any, warehouse: Any, units: int = 20) -> Side:
    """A consignor with `units` of its goods in `warehouse` and a confirmed order of 4,
    shipped in one parcel that failed a delivery attempt."""
    owner = consignor(kit, name=unique("寄售客户 "))
    tee = goods(kit, owner, name=unique("寄售T恤 "))
    receive(kit, tee, warehouse, units, owner)
    order = await kit.order(staff.token, owner, [(tee, 4)])
    await kit.ok_step("orderSubmit", order["id"], staff.token)
    await kit.ok_step("orderApprove", order["id"], staff.token)
    parcel = shipping.ship(kit.factory, SimpleNamespace(id=pk(order["id"])), warehouse, None,
                           unique("SF"), [("PICKED_UP", 1), ("FAILED_ATTEMPT", 5)])
    [exception] = exceptions_of(kit.factory, parcel.id)
    variables = {"p": gid("Product", tee.id)}
    [level] = (await kit.api.ok(LEVELS, variables, staff.token))["stockLevels"]["nodes"]
    moves = (await kit.api.ok(MOVES, variables, staff.token))["stockMovements"]["nodes"]
    user = kit.factory.user("CONSIGNOR", customer_id=owner.id)
    return Side(owner, user, tee, level["id"], [m["id"] for m in moves], order["id"],
                gid("Shipment", parcel.id), gid("ShipmentException", exception.id))


async def two_sides(kit: Kit, staff: Any) -> tuple[Side, Side, Any]:
    """Consignors A and B with goods in one warehouse (a carrier serves its region)."""
    warehouse = shipping.warehouse(kit.factory)
    shipping.carrier(kit.factory, lanes=(warehouse.region,))
    return await side(kit, staff, warehouse), await side(kit, staff, warehouse), warehouse
