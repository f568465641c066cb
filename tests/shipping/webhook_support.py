"""Carrier webhook test worlds: a carrier with a webhook secret (rotated through the real
service) and parcels it carries, built through the real services; signed requests posted
to the real app; the rows a request may write, counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func
from sqlmodel import select

from app.inventory.models import StockLevel, StockMovement
from app.persistence.columns import utcnow
from app.shipping import carriers
from app.shipping.models import CarrierWebhookEvent, Shipment, TrackingEvent
from app.shipping.webhooks import signed_headers
from tests.shipping import support as s
from tests.support import Factory, unique


@dataclass
class Hooked:
    """A carrier with a webhook secret, serving a warehouse of its own."""

    carrier: Any
    secret: str
    warehouse: Any

    @property
    def path(self) -> str:
        return f"/webhooks/carriers/{self.carrier.code}"


def hooked_carrier(factory: Factory) -> Hooked:
    wh = s.warehouse(factory)
    carrier = s.carrier(factory, lanes=(wh.region,))
    rotated = factory.write(carriers.rotate_webhook_secret, carrier.id)
    return Hooked(carrier, rotated.secret, wh)


def parcel(factory: Factory, hooked: Hooked, quantity: int = 2) -> tuple[Shipment, Any]:
    """A CREATED shipment of `quantity` units of a new product, reserved in the carrier's
    warehouse; (shipment, product)."""
    item = s.product(factory)
    order, lines = s.order(factory, factory.customer().id, [(item, quantity)],
                           reserve=[hooked.warehouse])
    shipment = s.ship(factory, order, hooked.warehouse, [(lines[0].id, quantity)],
                      tracking_number=unique("SF"))
    assert shipment.carrier_id == hooked.carrier.id, "the carrier's own lane was not chosen"
    return shipment, item


def event(number: str, status: str, hours_ago: float, event_id: str | None = None,
          **extra: Any) -> dict[str, Any]:
    at = (utcnow() - timedelta(hours=hours_ago)).replace(microsecond=0)
    return {"eventId": event_id or unique("EV-"), "trackingNumber": number, "status": status,
            "occurredAt": at.isoformat(), "location": "上海转运中心",
            "description": f"{status} scan", **extra}


def body_of(events: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"events": events})


async def post(api: Any, hooked: Hooked, events: list[dict[str, Any]] | None = None, *,
               body: bytes | None = None, at: datetime | None = None,
               secret: str | None = None, headers: dict[str, str] | None = None,
               path: str | None = None) -> Any:
    """POST a batch signed with the carrier's secret (or `secret`) at `at` (default now)."""
    raw = body if body is not None else body_of(events or [])
    signed = signed_headers(secret or hooked.secret, raw, at or utcnow())
    return await api.client.post(path or hooked.path, content=raw,
                                 headers={**signed, **(headers or {})})


def results(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return [(r["eventId"], r["result"]) for r in response.json()["results"]]


def counts(runner: Any) -> dict[str, int]:
    """Rows of the tables a webhook request writes."""
    def fetch(session) -> dict[str, int]:  # noqa: ANN001
        return {model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
                for model in (TrackingEvent, CarrierWebhookEvent, StockMovement)}
    return runner.read_sync(fetch, (), {})


def shipment_row(runner: Any, shipment_id: int) -> Shipment:
    return runner.read_sync(lambda session: session.get(Shipment, shipment_id), (), {})


def stock(runner: Any, product_id: int, warehouse_id: int) -> tuple[int, int]:
    """(on hand, reserved)."""
    def fetch(session) -> tuple[int, int]:  # noqa: ANN001
        level = session.exec(select(StockLevel).where(
            StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id)).one()
        return level.on_hand, level.reserved
    return runner.read_sync(fetch, (), {})


def inbox_rows(runner: Any, carrier_id: int) -> list[CarrierWebhookEvent]:
    return runner.read_sync(lambda session: list(session.exec(
        select(CarrierWebhookEvent).where(CarrierWebhookEvent.carrier_id == carrier_id)
        .order_by(CarrierWebhookEvent.id))), (), {})
