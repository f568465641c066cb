"""The floor under S3: what strawberry alone costs for the two documents S3 sends.

A schema with the same operation shapes (`orderCreate(input:)`, `orderApprove(id:)`, each
`{ order { id number status } userErrors { code message } }`) whose resolvers return a
constant order: no auth, no database, no events. It has strawberry's parser and validation
caches and encodes with orjson, like the real view. Mounted at /floor in the benchmark
server, so it runs on the same uvicorn process, event loop and HTTP stack as /graphql.

Whatever the app does, an order placed through GraphQL costs at least this much CPU; S3
prints it beside the real figures so the 500 orders/s target can be read as a budget.

With `raw` (tests/bench/floor_db.py, mounted at /floor-db on SQLite) the same resolvers
place and approve real orders with hand-written SQL instead of returning a constant: the
floor with the database under it.
"""

from __future__ import annotations

from typing import Any

import orjson
import strawberry
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

from app.ids import from_global_id, to_global_id
from tests.bench.floor_db import RawOrders


@strawberry.input(name="OrderLineInput")
class LineInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input(name="OrderCreateInput")
class CreateInput:
    customer_id: strawberry.ID
    lines: list[LineInput]
    submit: bool = False


@strawberry.type(name="Order")
class FloorOrder:
    id: strawberry.ID
    number: str
    status: str


@strawberry.type(name="UserError")
class FloorError:
    code: str
    message: str


@strawberry.type(name="OrderPayload")
class Payload:
    order: FloorOrder | None
    user_errors: list[FloorError]


ORDER_ID = "T3JkZXI6MQ=="


def _payload(outcome: dict) -> Payload:
    if outcome["error"] is not None:
        code, message = outcome["error"]
        return Payload(order=None, user_errors=[FloorError(code=code, message=message)])
    order = outcome["order"]
    return Payload(order=FloorOrder(id=to_global_id("Order", order["id"]), number=order["number"],
                                    status=order["status"]), user_errors=[])


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def order_create(self, info: strawberry.Info, input: CreateInput) -> Payload:
        raw = info.context["raw"]
        if raw is None:
            return Payload(order=FloorOrder(id=ORDER_ID, number="SO-1", status="PENDING_REVIEW"),
                           user_errors=[])
        return _payload(await raw.create(
            from_global_id(input.customer_id)[1],
            [(from_global_id(ln.product_id)[1], ln.quantity) for ln in input.lines]))

    @strawberry.mutation
    async def order_approve(self, info: strawberry.Info, id: strawberry.ID) -> Payload:
        raw = info.context["raw"]
        if raw is None:
            return Payload(order=FloorOrder(id=id, number="SO-1", status="CONFIRMED"),
                           user_errors=[])
        return _payload(await raw.approve(from_global_id(id)[1]))


@strawberry.type
class Query:
    ping: str = "pong"


class FloorView(GraphQL):
    def __init__(self, schema: strawberry.Schema, raw: RawOrders | None) -> None:
        super().__init__(schema, graphql_ide=None)
        self.raw = raw

    async def get_context(self, request: Any, response: Any) -> dict:
        return {"raw": self.raw}

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_floor(raw: RawOrders | None = None) -> FloorView:
    schema = strawberry.Schema(query=Query, mutation=Mutation,
                               extensions=[lambda: ParserCache(maxsize=100),
                                           lambda: ValidationCache(maxsize=100)])
    return FloorView(schema, raw)
