"""The floor under S3: what strawberry alone costs for the two documents S3 sends.

A schema with the same operation shapes (`orderCreate(input:)`, `orderApprove(id:)`, each
`{ order { id number status } userErrors { code message } }`) whose resolvers return a
constant order: no auth, no database, no events. It has strawberry's parser and validation
caches and encodes with orjson, like the real view. Mounted at /floor in the benchmark
server, so it runs on the same uvicorn process, event loop and HTTP stack as /graphql.

Whatever the app does, an order placed through GraphQL costs at least this much CPU; S3
prints it beside the real figures so the 500 orders/s target can be read as a budget.
"""

from __future__ import annotations

import orjson
import strawberry
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache


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


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def order_create(self, input: CreateInput) -> Payload:
        return Payload(order=FloorOrder(id=ORDER_ID, number="SO-1", status="PENDING_REVIEW"),
                       user_errors=[])

    @strawberry.mutation
    async def order_approve(self, id: strawberry.ID) -> Payload:
        return Payload(order=FloorOrder(id=id, number="SO-1", status="CONFIRMED"),
                       user_errors=[])


@strawberry.type
class Query:
    ping: str = "pong"


class FloorView(GraphQL):
    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_floor() -> FloorView:
    schema = strawberry.Schema(query=Query, mutation=Mutation,
                               extensions=[lambda: ParserCache(maxsize=100),
                                           lambda: ValidationCache(maxsize=100)])
    return FloorView(schema, graphql_ide=None)
