"""Roles and the operation-level permissions each one holds (deny by default)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    SALES = "SALES"
    CUSTOMER_SERVICE = "CUSTOMER_SERVICE"
    WAREHOUSE = "WAREHOUSE"
    LOGISTICS = "LOGISTICS"
    FINANCE = "FINANCE"
    ANALYST = "ANALYST"
    CUSTOMER = "CUSTOMER"


class Perm(StrEnum):
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    PRODUCTS_READ = "products:read"
    PRODUCTS_WRITE = "products:write"
    STOCK_READ = "stock:read"
    STOCK_WRITE = "stock:write"
    WAREHOUSES_WRITE = "warehouses:write"
    ORDERS_READ = "orders:read"
    ORDERS_CREATE = "orders:create"
    ORDERS_REVIEW = "orders:review"
    ORDERS_MANAGE = "orders:manage"
    ORDERS_FULFILL = "orders:fulfill"
    PAYMENTS_WRITE = "payments:write"
    PAYMENTS_REFUND = "payments:refund"
    RETURNS_CREATE = "returns:create"
    RETURNS_MANAGE = "returns:manage"
    SHIPMENTS_READ = "shipments:read"
    SHIPMENTS_WRITE = "shipments:write"
    AUDIT_READ = "audit:read"
    USERS_MANAGE = "users:manage"
    NOTIFICATIONS_READ = "notifications:read"
    # carriers, their services and rate cards (docs/architecture.md#carriers-and-quotes)
    CARRIERS_WRITE = "carriers:write"
    # rate cards and shipping quotes: what carriers charge us, never shown to customers
    RATES_READ = "rates:read"
    # delivery exceptions: the queue (read) and working them
    # (docs/architecture.md#delivery-exceptions)
    EXCEPTIONS_READ = "exceptions:read"
    EXCEPTIONS_WRITE = "exceptions:write"
    # cash on delivery: remittances and reconciliation
    COD_READ = "cod:read"
    COD_WRITE = "cod:write"
    # quotes and price agreements (docs/architecture.md#quotes-and-price-agreements):
    # CUSTOMER reads its own sent quotes by a rule of its own, not by quotes:read
    QUOTES_READ = "quotes:read"
    QUOTES_WRITE = "quotes:write"
    QUOTES_APPROVE = "quotes:approve"
    AGREEMENTS_WRITE = "agreements:write"


P = Perm
_READ_ALL = {P.CUSTOMERS_READ, P.PRODUCTS_READ, P.STOCK_READ, P.ORDERS_READ, P.SHIPMENTS_READ,
             P.EXCEPTIONS_READ, P.QUOTES_READ}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.MANAGER: frozenset(set(Perm) - {P.AUDIT_READ, P.USERS_MANAGE}),
    Role.SALES: frozenset(_READ_ALL | {
        P.CUSTOMERS_WRITE, P.ORDERS_CREATE, P.ORDERS_MANAGE, P.RETURNS_CREATE,
        P.NOTIFICATIONS_READ, P.QUOTES_WRITE,
    }),
    Role.CUSTOMER_SERVICE: frozenset(_READ_ALL | {
        P.CUSTOMERS_WRITE, P.ORDERS_CREATE, P.ORDERS_MANAGE, P.RETURNS_CREATE,
        P.RETURNS_MANAGE, P.NOTIFICATIONS_READ, P.EXCEPTIONS_WRITE,
    }),
    Role.WAREHOUSE: frozenset({
        P.PRODUCTS_READ, P.STOCK_READ, P.STOCK_WRITE, P.ORDERS_READ, P.ORDERS_FULFILL,
        P.SHIPMENTS_READ, P.SHIPMENTS_WRITE, P.RETURNS_MANAGE, P.NOTIFICATIONS_READ,
        P.RATES_READ, P.EXCEPTIONS_READ,
    }),
    Role.LOGISTICS: frozenset({
        P.PRODUCTS_READ, P.STOCK_READ, P.ORDERS_READ, P.SHIPMENTS_READ, P.SHIPMENTS_WRITE,
        P.NOTIFICATIONS_READ, P.CARRIERS_WRITE, P.RATES_READ, P.EXCEPTIONS_READ,
        P.EXCEPTIONS_WRITE, P.COD_READ,
    }),
    Role.FINANCE: frozenset(_READ_ALL | {
        P.ORDERS_REVIEW, P.PAYMENTS_WRITE, P.PAYMENTS_REFUND, P.NOTIFICATIONS_READ,
        P.RATES_READ, P.COD_READ, P.COD_WRITE, P.QUOTES_APPROVE, P.AGREEMENTS_WRITE,
    }),
    Role.ANALYST: frozenset(_READ_ALL | {P.RATES_READ}),
    Role.CUSTOMER: frozenset({
        P.CUSTOMERS_READ, P.PRODUCTS_READ, P.ORDERS_READ, P.ORDERS_CREATE, P.RETURNS_CREATE,
        P.SHIPMENTS_READ, P.NOTIFICATIONS_READ,
    }),
}
