"""All of the orders domain's SQL, by concept: `orders` (lookups, locks, lists, the order
row, intake's lookups), `lines` (lines and stock allocations), `events` (history rows),
and the read models `balances` (what is owed) and `customer_views` (orders and purchase
summaries per customer). Callers use `from app.orders import repository as repo`."""

from app.orders.repository import ahead, balances, customer_views
from app.orders.repository.events import events_by_ids, events_by_order, insert_event
from app.orders.repository.lines import (
    allocations_by_order,
    allocations_of,
    delete_allocations,
    delete_lines,
    insert_allocations,
    insert_lines,
    line_records,
    line_rows_by_order,
    lines_by_ids,
    lines_by_order,
    lines_of,
    stock_rows,
)
from app.orders.repository.orders import (
    SORTS,
    OrderFilter,
    OrderSort,
    apply_filter,
    at_risk,
    contact_in_use,
    customer_by_code,
    external_id_taken,
    get_visible,
    has_fulfilled_orders,
    insert_order,
    list_orders,
    lock_customer,
    lock_order,
    lock_visible,
    new_order,
    order_by_external_id,
    order_rows_by_ids,
    orders_by_ids,
    products_by_ids,
    products_by_skus,
    scope,
)

__all__ = [
    "SORTS", "OrderFilter", "OrderSort", "allocations_by_order", "allocations_of", "apply_filter",
    "ahead", "at_risk", "balances", "contact_in_use", "customer_by_code", "customer_views",
    "delete_allocations", "delete_lines", "events_by_ids", "events_by_order",
    "external_id_taken", "get_visible", "has_fulfilled_orders", "insert_allocations",
    "insert_event", "insert_lines", "insert_order", "line_records", "line_rows_by_order",
    "lines_by_ids", "lines_by_order", "lines_of", "list_orders", "lock_customer", "lock_order",
    "lock_visible", "new_order", "order_by_external_id", "order_rows_by_ids",
    "orders_by_ids", "products_by_ids", "products_by_skus", "scope", "stock_rows",
]
