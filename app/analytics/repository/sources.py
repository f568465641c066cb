"""The declared registry of the group-by: per source, its fact table, time column, joins,
measures and dimensions, each an SQL expression chosen by an enum value: no text a caller
sends ever reaches SQL (docs/architecture.md#analytics).

Revenue (REVENUE) is the value of purchases: orders approved and not cancelled or rejected
(held ones included: `customer_views.purchased`, the rule segments use too), their totals
(goods after discounts, plus shipping charged) minus `credited_total` (refunded returns and
price reductions for delivery exceptions: app/returns/resolution.py,
app/shipping/exceptions/resolution.py). Per line (ORDER_LINES: products, categories), the
line's total for the units not returned (pro rata), before order-level discounts and
shipping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, type_coerce
from sqlmodel import select

from app.analytics.models import Dimension as D
from app.analytics.models import Measure as M
from app.analytics.models import Source
from app.analytics.repository.localtime import Dialect
from app.auth.models import User
from app.auth.principal import Principal
from app.catalog.models import Product
from app.customers import repository as customers
from app.customers.models import Customer
from app.inventory.models import StockMovement, Warehouse
from app.orders.models import Order, OrderLine
from app.orders.repository.customer_views import purchased
from app.segments.models import CustomerSegment
from app.shipping.models import Carrier, Shipment, ShipmentException
from app.shipping.repository.shipments import scope as shipment_scope

NONE = "(none)"


@dataclass(frozen=True)
class Dim:
    key: Any
    label: Any
    joins: tuple[str, ...] = ()
    entity: str | None = None  # the key is this node type's id (a global ID in the API)
    personal: bool = False  # personal data: grouped by its lookup hash, label aggregated
    looked_up: bool = False  # the label is a subquery on the key, run once per group


def _named(key: Any, table: Any, entity: str, joins: tuple[str, ...] = ()) -> Dim:
    """A dimension keyed by an id, named by a subquery per group rather than a join per row
    (S10: the join and the wider GROUP BY cost delivery by carrier a third of its time)."""
    name = select(table.name if hasattr(table, "name") else table.full_name).where(
        table.id == key).scalar_subquery()
    return Dim(key, name, joins, entity, looked_up=True)


@dataclass(frozen=True)
class SourceSql:
    fact: Any
    time: Any  # the column the window applies to
    customer: Any | None  # the customer of a row (scope, small groups)
    joins: dict[str, tuple[Any, Any]]  # name -> (table, on clause), in dependency order
    measures: dict[M, Any]
    dimensions: dict[D, Dim]
    filters: dict[str, tuple[Any, tuple[str, ...]]]  # filter field -> (column, joins)
    scope: Callable[[Any, Principal], Any]
    base_joins: tuple[str, ...] = ()
    conditions: tuple[Any, ...] = ()
    measure_joins: dict[M, tuple[str, ...]] = field(default_factory=dict)


def _rep() -> Dim:
    return _named(Customer.owner_id, User, "User", ("customer",))


def customer_dimensions() -> dict[D, Dim]:
    return {
        D.REGION: Dim(Customer.region, Customer.region, ("customer",)),
        D.TIER: Dim(Customer.tier, Customer.tier, ("customer",)),
        D.SEGMENT: Dim(CustomerSegment.segment, func.coalesce(CustomerSegment.segment, NONE),
                       ("customer", "segment")),
        D.SALES_REP: _rep(),
        D.CUSTOMER: Dim(Customer.id, Customer.name, ("customer",), "Customer"),
        D.CUSTOMER_EMAIL: Dim(func.coalesce(Customer.email_hash, Customer.email),
                              type_coerce(func.min(Customer.email), Customer.email.type),
                              ("customer",), personal=True),
        D.CUSTOMER_PHONE: Dim(func.coalesce(Customer.phone_hash, Customer.phone),
                              type_coerce(func.min(Customer.phone), Customer.phone.type),
                              ("customer",), personal=True),
    }


def _customer_joins(order_first: bool) -> dict[str, tuple[Any, Any]]:
    joins = {"order": (Order, Order.id == OrderLine.order_id)} if order_first else {}
    return {**joins,
            "customer": (Customer, Customer.id == Order.customer_id),
            "segment": (CustomerSegment, CustomerSegment.customer_id == Customer.id),
            "rep": (User, User.id == Customer.owner_id)}


def _order_filters() -> dict[str, tuple[Any, tuple[str, ...]]]:
    return {"regions": (Customer.region, ("customer",)), "channels": (Order.channel, ()),
            "customer_ids": (Order.customer_id, ())}


def _orders(_dialect: Dialect, purchases_only: bool = False) -> SourceSql:
    """`purchases_only`: the rows are purchases already (sales), so no measure tests it."""
    bought = purchased()
    if purchases_only:
        revenue, purchases = func.sum(Order.total - Order.credited_total), func.count()
    else:
        revenue = func.sum(case((bought, Order.total - Order.credited_total), else_=0))
        purchases = func.sum(case((bought, 1), else_=0))
    units = (select(func.coalesce(func.sum(OrderLine.quantity - OrderLine.quantity_returned), 0))
             .where(OrderLine.order_id == Order.id).scalar_subquery())
    return SourceSql(
        fact=Order, time=Order.created_at, customer=Order.customer_id,
        joins=_customer_joins(False),
        measures={
            M.ORDERS: func.count(), M.PURCHASES: purchases, M.REVENUE: revenue,
            M.AVERAGE_ORDER_VALUE: revenue / func.nullif(purchases, 0),
            M.UNITS: func.sum(units) if purchases_only else func.sum(case((bought, units),
                                                                           else_=0)),
            M.DISCOUNTS: func.sum(Order.discount_total),
            M.CUSTOMERS: func.count(Order.customer_id.distinct()),
        },
        dimensions={D.CHANNEL: Dim(Order.channel, Order.channel),
                    D.STATUS: Dim(Order.status, Order.status),
                    D.PAYMENT_METHOD: Dim(Order.payment_method, Order.payment_method),
                    **customer_dimensions(),
                    D.SHIP_PHONE: Dim(Order.ship_phone, type_coerce(
                        func.min(Order.ship_phone), Order.ship_phone.type), personal=True)},
        filters=_order_filters(),
        conditions=(bought,) if purchases_only else (),
        scope=lambda stmt, p: customers.of_visible_customers(stmt, p, Order.customer_id))


def _order_lines(_dialect: Dialect, _purchases_only: bool = False) -> SourceSql:
    kept = OrderLine.quantity - OrderLine.quantity_returned
    revenue = func.sum(OrderLine.line_total * kept / OrderLine.quantity)
    orders = func.count(OrderLine.order_id.distinct())
    return SourceSql(
        fact=OrderLine, time=Order.created_at, customer=Order.customer_id,
        joins={**_customer_joins(True),
               "product": (Product, Product.id == OrderLine.product_id)},
        base_joins=("order",), conditions=(purchased(),),
        measures={M.LINES: func.count(), M.UNITS: func.sum(kept), M.REVENUE: revenue,
                  M.ORDERS: orders, M.AVERAGE_ORDER_VALUE: revenue / func.nullif(orders, 0),
                  M.CUSTOMERS: func.count(Order.customer_id.distinct())},
        dimensions={D.PRODUCT: _named(OrderLine.product_id, Product, "Product"),
                    D.CATEGORY: Dim(Product.category, Product.category, ("product",)),
                    D.CHANNEL: Dim(Order.channel, Order.channel),
                    **{k: v for k, v in customer_dimensions().items() if not v.personal}},
        filters={**_order_filters(), "product_ids": (OrderLine.product_id, ()),
                 "categories": (Product.category, ("product",))},
        scope=lambda stmt, p: customers.of_visible_customers(stmt, p, Order.customer_id))


def _shipments(dialect: Dialect, _purchases_only: bool = False) -> SourceSql:
    delivered = Shipment.delivered_at.is_not(None)
    dated = and_(delivered, Shipment.promised_date.is_not(None))
    on_time = and_(dated, dialect.local_date(Shipment.delivered_at) <= Shipment.promised_date)
    had_exception = exists().where(ShipmentException.shipment_id == Shipment.id)
    count = func.count()
    return SourceSql(
        fact=Shipment, time=Shipment.shipped_at, customer=Order.customer_id,
        joins={"order": (Order, Order.id == Shipment.order_id),
               **_customer_joins(False),
               "carrier": (Carrier, Carrier.id == Shipment.carrier_id),
               "warehouse": (Warehouse, Warehouse.id == Shipment.warehouse_id)},
        base_joins=("order",),
        measures={
            M.SHIPMENTS: count, M.DELIVERED: func.sum(case((delivered, 1), else_=0)),
            M.ON_TIME_RATE: func.sum(case((on_time, 1.0), else_=0.0))
            / func.nullif(func.sum(case((dated, 1), else_=0)), 0),
            M.AVERAGE_TRANSIT_HOURS: func.avg(case(
                (delivered, dialect.hours(Shipment.shipped_at, Shipment.delivered_at)))),
            M.EXCEPTION_RATE: func.sum(case((had_exception, 1.0), else_=0.0)) / count,
            M.FAILED_ATTEMPT_RATE: func.sum(case((Shipment.failed_attempts > 0, 1.0),
                                                 else_=0.0)) / count,
        },
        dimensions={
            D.CARRIER: _named(Shipment.carrier_id, Carrier, "Carrier"),
            D.WAREHOUSE: _named(Shipment.warehouse_id, Warehouse, "Warehouse"),
            D.REGION: Dim(Shipment.recipient_region, Shipment.recipient_region),
            D.STATUS: Dim(Shipment.status, Shipment.status),
            D.CHANNEL: Dim(Order.channel, Order.channel),
            D.CUSTOMER: _named(Order.customer_id, Customer, "Customer"),
        },
        filters={"regions": (Shipment.recipient_region, ()), "channels": (Order.channel, ()),
                 "customer_ids": (Order.customer_id, ()),
                 "carrier_ids": (Shipment.carrier_id, ()),
                 "warehouse_ids": (Shipment.warehouse_id, ())},
        scope=shipment_scope)


def _movement_scope(stmt: Any, principal: Principal) -> Any:
    if principal.warehouse_scope is not None:
        stmt = stmt.where(StockMovement.warehouse_id.in_(sorted(principal.warehouse_scope)))
    return stmt


def _stock_movements(_dialect: Dialect, _purchases_only: bool = False) -> SourceSql:
    delta = StockMovement.on_hand_delta
    return SourceSql(
        fact=StockMovement, time=StockMovement.created_at, customer=None,
        joins={"product": (Product, Product.id == StockMovement.product_id),
               "warehouse": (Warehouse, Warehouse.id == StockMovement.warehouse_id)},
        measures={M.MOVEMENTS: func.count(),
                  M.UNITS_IN: func.sum(case((delta > 0, delta), else_=0)),
                  M.UNITS_OUT: func.sum(case((delta < 0, -delta), else_=0)),
                  M.NET_UNITS: func.sum(delta)},
        dimensions={
            D.PRODUCT: _named(StockMovement.product_id, Product, "Product"),
            D.CATEGORY: Dim(Product.category, Product.category, ("product",)),
            D.WAREHOUSE: _named(StockMovement.warehouse_id, Warehouse, "Warehouse"),
            D.KIND: Dim(StockMovement.kind, StockMovement.kind)},
        filters={"warehouse_ids": (StockMovement.warehouse_id, ()),
                 "product_ids": (StockMovement.product_id, ()),
                 "categories": (Product.category, ("product",))},
        scope=_movement_scope)


def _customers(_dialect: Dialect, _purchases_only: bool = False) -> SourceSql:
    return SourceSql(
        fact=Customer, time=Customer.created_at, customer=Customer.id,
        joins={"customer": (literal(True), None),
               "segment": (CustomerSegment, CustomerSegment.customer_id == Customer.id),
               "rep": (User, User.id == Customer.owner_id)},
        measures={M.CUSTOMERS: func.count()},
        dimensions={**customer_dimensions(), D.STATUS: Dim(Customer.status, Customer.status),
                    D.KIND: Dim(Customer.kind, Customer.kind)},
        filters={"regions": (Customer.region, ()), "customer_ids": (Customer.id, ())},
        scope=customers.scope)


REGISTRY: dict[Source, Callable[[Dialect, bool], SourceSql]] = {
    Source.ORDERS: _orders, Source.ORDER_LINES: _order_lines, Source.SHIPMENTS: _shipments,
    Source.STOCK_MOVEMENTS: _stock_movements, Source.CUSTOMERS: _customers,
}
