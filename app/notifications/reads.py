"""What the planner reads for a batch of events (`Reads`) and what a handler returns for
each (`Plan`): app/notifications/planner.py turns plans into rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.auth.models import User
from app.config import Settings, get_settings
from app.customers import repository as customers
from app.customers.models import Customer
from app.events.bus import DomainEvent
from app.notifications import repository as repo
from app.orders import repository as orders


@dataclass
class Plan:
    template: str
    values: dict[str, Any]
    customer: Customer | None = None
    users: list[User] = field(default_factory=list)
    source: str | None = None  # repo.source_key of what it is about


class Reads:
    """What planning reads for one batch of events: the orders, customers and preferences
    of the batch read in one statement each (each id looked up once, found or not), and the
    batch's own plans counted as already notified (two "delivered" events of one order in
    a batch make one message)."""

    def __init__(self, session: Session, settings: Settings | None = None) -> None:
        self.session = session
        self.settings = settings or get_settings()  # the survey links' key and address
        self._orders: dict[int, Any] = {}
        self._customers: dict[int, Any] = {}
        self._preferences: dict[int, dict[str, bool]] = {}
        self.planned: set[tuple[str, str | None]] = set()

    def prefetch(self, events: Iterable[DomainEvent]) -> None:
        events = list(events)
        self._fetch_orders({e.payload.get("order_id") for e in events} - {None})
        customer_ids = {e.payload.get("customer_id") for e in events}
        customer_ids |= {o.customer_id for o in self._orders.values() if o is not None}
        self._fetch_customers(customer_ids - {None})

    def _fetch_orders(self, ids: set[int]) -> None:
        if not ids:
            return
        found = orders.order_rows_by_ids(self.session, sorted(ids))
        self._orders.update({order_id: found.get(order_id) for order_id in ids})

    def _fetch_customers(self, ids: set[int]) -> None:
        if not ids:
            return
        found = customers.customer_rows_by_ids(self.session, sorted(ids))
        self._customers.update({customer_id: found.get(customer_id) for customer_id in ids})
        self._preferences.update(repo.preferences_of(self.session, sorted(ids)))

    def order(self, order_id: int | None) -> Any | None:
        if not order_id:
            return None
        if order_id not in self._orders:
            self._fetch_orders({order_id})
        return self._orders[order_id]

    def customer(self, customer_id: int | None) -> Any | None:
        if not customer_id:
            return None
        if customer_id not in self._customers:
            self._fetch_customers({customer_id})
        return self._customers[customer_id]

    def preferences(self, customer_id: int) -> dict[str, bool]:
        """Channel -> enabled (of a customer `customer` returned)."""
        return self._preferences[customer_id]

    def already_notified(self, template: str, key: str, value: int) -> bool:
        return ((template, repo.source_key(key, value)) in self.planned
                or repo.already_notified(self.session, template, key, value))


