"""Helpers of the ticket tests: orders and shipments of known customers written directly
(their workflow is not what these tests are about), tickets driven through the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from app.events.models import OutboxEvent
from app.orders.models import Order
from app.persistence.uow import UnitOfWork
from app.shipping.models import Shipment
from app.tickets import repository as repo
from app.tickets.models import Ticket
from tests.orders.support import gid
from tests.shipping.support import warehouse
from tests.support import Factory, unique

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ERRORS = "userErrors { field message code }"
TICKET = """id number kind afterSalesType status channel priority subject description
  customerId firstResponseDueAt resolutionDueAt firstRespondedAt resolvedAt closedAt
  closeReason reopenCount version firstResponseBreached resolutionBreached
  messages { id authorKind body authorName mergedFromId }
  mergedInto { id number }
  deliveryChange { address recipient date status }
  availableActions"""
STAFF = "internalNotes { id body } assignee { id fullName }"
CREATE = ("mutation($input: TicketCreateInput!) { ticketCreate(input: $input) { "
          f"ticket {{ {TICKET} STAFF }} {ERRORS} }} }}")
GET = f"query($id: ID!) {{ ticket(id: $id) {{ {TICKET} }} node(id: $id) {{ id }} }}"
LIST = ("query($filter: TicketFilter, $sort: TicketSort) { tickets(first: 100, filter: "
        f"$filter, sort: $sort) {{ totalCount edges {{ node {{ {TICKET} }} }} }} }}")


def create_query(staff: bool) -> str:
    return CREATE.replace("STAFF", STAFF if staff else "")


def step(name: str, args: dict[str, str], staff: bool = True) -> str:
    decl = "".join(f", ${k}: {t}" for k, t in args.items())
    call = "".join(f", {k}: ${k}" for k in args)
    fields = TICKET + (" " + STAFF if staff else "")
    return (f"mutation($id: ID!{decl}) {{ {name}(id: $id{call}) {{ ticket {{ {fields} }} "
            f"{ERRORS} }} }}")


REPLY = ("mutation($id: ID!, $body: String!) { ticketReply(id: $id, body: $body) { "
         f"ticket {{ {TICKET} }} message {{ id authorKind body }} {ERRORS} }} }}")
NOTE = ("mutation($id: ID!, $body: String!) { ticketNoteAdd(id: $id, body: $body) { "
        f"ticket {{ id status }} message {{ id body }} {ERRORS} }} }}")


async def create(api: Any, token: str, staff: bool = True, **inp: Any) -> dict:
    payload = (await api.ok(create_query(staff), {"input": {
        "kind": "INQUIRY", "subject": "订单咨询 / question", **inp}}, token))["ticketCreate"]
    return payload


async def new(api: Any, token: str, staff: bool = True, **inp: Any) -> dict:
    payload = await create(api, token, staff, **inp)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["ticket"]


async def run(api: Any, name: str, ticket_id: str, token: str, staff: bool = True,
              **args: Any) -> dict:
    types = {k: ("ID!" if k == "intoId" else "ID" if k.endswith("Id") else "String")
             for k in args}
    return (await api.ok(step(name, types, staff), {"id": ticket_id, **args}, token))[name]


def _add(uow: UnitOfWork, row: Any) -> Any:
    uow.session.add(row)
    uow.session.flush()
    return row


def order(factory: Factory, customer_id: int, status: str = "CONFIRMED") -> Order:
    return factory.write(_add, Order(
        number=unique("SO-TK-"), customer_id=customer_id, status=status, ship_region="East",
        ship_address="上海市浦东新区世纪大道100号", ship_recipient="张三",
        ship_phone="13800000000"))


def shipment(factory: Factory, order_row: Order, status: str = "CREATED") -> Shipment:
    wh = warehouse(factory)
    return factory.write(_add, Shipment(
        number=unique("SH-TK-"), order_id=order_row.id, warehouse_id=wh.id, status=status,
        recipient_name="张三", recipient_address="上海市浦东新区世纪大道100号",
        recipient_phone="13800000000"))


def read(factory: Factory, fn: Any) -> Any:
    return factory.runner.read_sync(fn, (), {})


def row(factory: Factory, model: Any, pk: int) -> Any:
    return read(factory, lambda s: s.get(model, pk))


def events(factory: Factory, topic: str, ticket_id: int) -> list[dict]:
    def fetch(session: Any) -> list[dict]:
        rows = session.exec(select(OutboxEvent).where(OutboxEvent.topic == topic))
        return [r.payload for r in rows if r.payload.get("ticket_id") == ticket_id]
    return read(factory, fetch)


def load(factory: Factory) -> dict[int, int]:
    return read(factory, lambda s: repo.open_load(s, "CUSTOMER_SERVICE"))


def tickets_of(factory: Factory, customer_id: int) -> list[Ticket]:
    return read(factory, lambda s: list(s.exec(select(Ticket).where(
        Ticket.customer_id == customer_id))))


def codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


from tests.orders.support import pk  # noqa: E402

__all__ = ["gid", "pk"]
