"""The carrier service, cost, charge, cash on delivery and recipient of each demo shipment,
by the shipping rules: the shipment's lines make a parcel, every active service serving the
customer's region quotes it (app/shipping/rates.py), a carrier is drawn by its share of the
demo among those that can carry the parcel, and the chooser (app/shipping/choice.py) takes
that carrier's service, as a dispatcher's quote would recommend it."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from app.demo import catalog_data as cd
from app.demo.carriers import SERVICE_TERMS
from app.demo.masterdata import pick
from app.demo.orders import OrderPlan, ShipmentPlan
from app.shipping import rates
from app.shipping.choice import Choice, choose
from app.shipping.creation import choice_record

# The demo's business timezone (Settings.business_timezone's default): carriers' cutoffs
# and delivery dates are local dates there.
LOCAL = ZoneInfo("Asia/Shanghai")
# Each carrier's share of the demo's shipments among those that can carry a parcel; the
# cold-chain carrier (SFCC) has none: it takes only what no other can.
_SHARES = {"SF": 30, "JD": 25, "ZTO": 25, "EMS": 10, "DEPPON": 10}
_ZERO = Decimal("0.00")


def parcel_of(plan: OrderPlan, lines: list[tuple[int, int]], products: list[dict[str, Any]],
              destination: str) -> rates.Parcel:
    """The parcel of these order lines (index, quantity), from the order's warehouse."""
    items = []
    for index, quantity in lines:
        line = plan.lines[index]
        p = products[line.product]
        items.append(rates.Item(sku=line.sku, quantity=quantity, weight_kg=p["weight_kg"],
                                length_cm=p["length_cm"], width_cm=p["width_cm"],
                                height_cm=p["height_cm"], cold_chain=p["cold_chain"]))
    return rates.Parcel(items=tuple(items), origin_region=cd.WAREHOUSES[plan.warehouse][2],
                        destination_region=destination,
                        cash_on_delivery=plan.row["payment_method"] == "CASH_ON_DELIVERY",
                        promised_date=plan.row["promised_date"])


def _serves(service: rates.ServiceTerms, region: str) -> bool:
    _, _, regions, _, active, *_ = cd.CARRIERS[service.carrier_id]
    return active and region in regions.split(",")


def choose_service(rng: random.Random, parcel: rates.Parcel, ready_at: datetime
                   ) -> tuple[rates.Quote, dict]:
    """The quote of the service the parcel goes with, ready at `ready_at` (UTC). When no
    carrier can take it (too heavy or too big for every service of the region), the drawn
    carrier's cheapest quote: the demo keeps the parcel, priced by the same rule. With it,
    the choice as `Shipment.carrier_choice` keeps it (app/shipping/creation.py)."""
    local = ready_at.astimezone(LOCAL)
    quotes = [rates.quote(parcel, s, local) for s in SERVICE_TERMS
              if _serves(s, parcel.destination_region)]
    able = {q.service.carrier_id for q in quotes if q.can_carry} or {
        q.service.carrier_id for q in quotes}
    shares = [(c, _SHARES.get(cd.CARRIERS[c][0], 0)) for c in sorted(able)]
    if not any(share for _, share in shares):
        shares = [(c, 1) for c, _ in shares]
    carrier = pick(rng, shares)
    own = [q for q in quotes if q.service.carrier_id == carrier]
    choice = choose(own)
    if choice.quote is None:
        fallback = min(own, key=lambda q: (q.price, q.service.code))
        choice = Choice(fallback, "no service of the carrier can take it: its cheapest quote",
                        tuple(q for q in own if q is not fallback))
    return choice.quote, choice_record(choice)


def arrival(quote: rates.Quote, dispatched: datetime | None) -> date | None:
    """The carrier's estimate: the lane's transit days from the local day of the pickup,
    or from the quote's pickup day for a parcel not picked up yet."""
    if dispatched is None or quote.rule is None:
        return quote.estimated_delivery
    return dispatched.astimezone(LOCAL).date() + timedelta(days=quote.rule.transit_days)


def recipient(plan: OrderPlan) -> dict[str, str]:
    """The Shipment recipient_* snapshot: the order's ship-to as it was."""
    row = plan.row
    return {"recipient_name": row["ship_recipient"], "recipient_phone": row["ship_phone"],
            "recipient_address": row["ship_address"], "recipient_region": row["ship_region"]}


def settle(plan: OrderPlan) -> None:
    """Charges and cash on delivery of the order's shipments, once their status is known.

    The order's shipping charge goes on its first parcel, so the parcels' charges add up to
    the order's `shipping_total`. A cash-on-delivery parcel is due its lines and its charge
    (one parcel: the order's total); a delivered one was collected at the door."""
    cod = plan.row["payment_method"] == "CASH_ON_DELIVERY"
    for n, ship in enumerate(plan.shipments):
        ship.charge = plan.row["shipping_total"] if n == 0 else _ZERO
        if not cod:
            continue
        ship.cod_amount = sum((plan.lines[i].line_total for i, _ in ship.lines), ship.charge)
        if ship.status == "DELIVERED":
            ship.cod_collected, ship.cod_collected_at = ship.cod_amount, ship.delivered_at


def price(ship: ShipmentPlan, plan: OrderPlan, quote: rates.Quote, choice: dict) -> None:
    """The chosen service, its cost and billable weight, and the order's promise and
    recipient, on the shipment."""
    ship.service = quote.service.id
    ship.cost = quote.price if quote.price is not None else _ZERO
    ship.billable_weight_kg = quote.billable_weight_kg
    ship.carrier_choice = choice
    ship.promised_date = plan.row["promised_date"]
    ship.recipient = recipient(plan)
