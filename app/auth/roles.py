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
    # campaigns to segments and their reports; no customer records, no orders
    # (docs/architecture.md#campaigns)
    MARKETING = "MARKETING"
    CUSTOMER = "CUSTOMER"
    # a consignor's portal sign-in: its own goods, stock, movements, delivery orders and
    # their shipments, nothing of another consignor (docs/architecture.md#consignors)
    CONSIGNOR = "CONSIGNOR"


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
    # outgoing webhooks to other systems: subscriptions, deliveries, redelivery; ADMIN only
    # (a subscription sends every event of its types elsewhere)
    # (docs/architecture.md#outgoing-webhooks)
    INTEGRATIONS_MANAGE = "integrations:manage"
    # leads, opportunities and the sales funnel (docs/architecture.md#leads-and-the-sales-funnel)
    LEADS_READ = "leads:read"
    LEADS_WRITE = "leads:write"
    OPPORTUNITIES_READ = "opportunities:read"
    OPPORTUNITIES_WRITE = "opportunities:write"
    PIPELINE_CONFIGURE = "pipeline:configure"
    # computed customer segments and preferences (read), saved segments (write)
    # (docs/architecture.md#customer-segments)
    SEGMENTS_READ = "segments:read"
    SEGMENTS_WRITE = "segments:write"
    # activities, visit and contact plans; sales targets
    # (docs/architecture.md#activities-plans-and-targets)
    ACTIVITIES_READ = "activities:read"
    ACTIVITIES_WRITE = "activities:write"
    TARGETS_READ = "targets:read"
    TARGETS_WRITE = "targets:write"
    # quotes and price agreements (docs/architecture.md#quotes-and-price-agreements):
    # CUSTOMER reads its own sent quotes by a rule of its own, not by quotes:read
    QUOTES_READ = "quotes:read"
    QUOTES_WRITE = "quotes:write"
    QUOTES_APPROVE = "quotes:approve"
    AGREEMENTS_WRITE = "agreements:write"
    # customer-service tickets (docs/architecture.md#tickets-and-slas): the queue and its
    # work (read, write), the SLA policy (supervise), the SLA report's aggregates (report);
    # CUSTOMER works its own tickets by a rule of its own, not by these
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    TICKETS_SUPERVISE = "tickets:supervise"
    TICKETS_REPORT = "tickets:report"
    # satisfaction surveys and the satisfaction report; answering needs none (a signed
    # link); ANALYST reads comments masked
    # (docs/architecture.md#satisfaction-surveys-and-proactive-communication)
    SURVEYS_READ = "surveys:read"
    # marketing campaigns: the list, reports and stats (read), create, schedule and cancel
    # (write) (docs/architecture.md#campaigns)
    CAMPAIGNS_READ = "campaigns:read"
    CAMPAIGNS_WRITE = "campaigns:write"
    # analytics (docs/architecture.md#analytics): every aggregate and the group-by
    # (ANALYST, MANAGER, ADMIN, and SALES over its own customers); the sales measures
    # alone (revenue, orders, customers: FINANCE too)
    ANALYTICS_READ = "analytics:read"
    ANALYTICS_SALES = "analytics:sales"
    # bulk exports of lists, row-scoped and masked as the lists are; a caller reads its own
    # jobs (ADMIN all) (docs/architecture.md#exports)
    EXPORTS_CREATE = "exports:create"
    # consignors' delivery orders and delivery plans (read; create and change), their
    # freight agreements and the freight charges billed under them
    # (docs/architecture.md#delivery-orders-and-plans)
    DELIVERY_READ = "delivery:read"
    DELIVERY_WRITE = "delivery:write"
    FREIGHT_READ = "freight:read"
    FREIGHT_WRITE = "freight:write"
    # failed-delivery follow-ups: the list (read), recording and resolving them (write);
    # a consignor's delivery report and consignee feedback (consignor_reports:read)
    # (docs/architecture.md#failed-delivery-follow-up)
    FOLLOWUPS_READ = "followups:read"
    FOLLOWUPS_WRITE = "followups:write"
    CONSIGNOR_REPORTS_READ = "consignor_reports:read"


P = Perm
_READ_ALL = {P.CUSTOMERS_READ, P.PRODUCTS_READ, P.STOCK_READ, P.ORDERS_READ, P.SHIPMENTS_READ,
             P.EXCEPTIONS_READ, P.QUOTES_READ}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.MANAGER: frozenset(set(Perm) - {P.AUDIT_READ, P.USERS_MANAGE, P.INTEGRATIONS_MANAGE}),
    Role.SALES: frozenset(_READ_ALL | {
        P.CUSTOMERS_WRITE, P.ORDERS_CREATE, P.ORDERS_MANAGE, P.RETURNS_CREATE,
        P.NOTIFICATIONS_READ, P.LEADS_READ, P.LEADS_WRITE, P.OPPORTUNITIES_READ,
        P.OPPORTUNITIES_WRITE, P.SEGMENTS_READ, P.ACTIVITIES_READ, P.ACTIVITIES_WRITE,
        P.TARGETS_READ, P.QUOTES_WRITE, P.ANALYTICS_READ, P.ANALYTICS_SALES,
        P.EXPORTS_CREATE, P.DELIVERY_READ, P.DELIVERY_WRITE, P.FOLLOWUPS_READ,
        P.CONSIGNOR_REPORTS_READ,
    }),
    Role.CUSTOMER_SERVICE: frozenset(_READ_ALL | {
        P.CUSTOMERS_WRITE, P.ORDERS_CREATE, P.ORDERS_MANAGE, P.RETURNS_CREATE,
        P.RETURNS_MANAGE, P.NOTIFICATIONS_READ, P.EXCEPTIONS_WRITE, P.TICKETS_READ,
        P.TICKETS_WRITE, P.SURVEYS_READ, P.DELIVERY_READ, P.DELIVERY_WRITE,
        P.FOLLOWUPS_READ, P.FOLLOWUPS_WRITE, P.CONSIGNOR_REPORTS_READ,
    }),
    Role.WAREHOUSE: frozenset({
        P.PRODUCTS_READ, P.STOCK_READ, P.STOCK_WRITE, P.ORDERS_READ, P.ORDERS_FULFILL,
        P.SHIPMENTS_READ, P.SHIPMENTS_WRITE, P.RETURNS_MANAGE, P.NOTIFICATIONS_READ,
        P.RATES_READ, P.EXCEPTIONS_READ, P.DELIVERY_READ, P.FOLLOWUPS_READ,
    }),
    Role.LOGISTICS: frozenset({
        P.PRODUCTS_READ, P.STOCK_READ, P.ORDERS_READ, P.SHIPMENTS_READ, P.SHIPMENTS_WRITE,
        P.NOTIFICATIONS_READ, P.CARRIERS_WRITE, P.RATES_READ, P.EXCEPTIONS_READ,
        P.EXCEPTIONS_WRITE, P.COD_READ, P.DELIVERY_READ, P.FOLLOWUPS_READ, P.FOLLOWUPS_WRITE,
    }),
    Role.FINANCE: frozenset(_READ_ALL | {
        P.ORDERS_REVIEW, P.PAYMENTS_WRITE, P.PAYMENTS_REFUND, P.NOTIFICATIONS_READ,
        P.RATES_READ, P.COD_READ, P.COD_WRITE, P.QUOTES_APPROVE, P.AGREEMENTS_WRITE,
        P.ANALYTICS_SALES, P.EXPORTS_CREATE, P.DELIVERY_READ, P.FREIGHT_READ, P.FREIGHT_WRITE,
        P.CONSIGNOR_REPORTS_READ,
    }),
    Role.ANALYST: frozenset(_READ_ALL | {P.RATES_READ, P.LEADS_READ, P.OPPORTUNITIES_READ,
                                         P.SEGMENTS_READ, P.ACTIVITIES_READ,
                                         P.TARGETS_READ, P.TICKETS_REPORT,
                                         P.SURVEYS_READ, P.CAMPAIGNS_READ, P.ANALYTICS_READ,
                                         P.ANALYTICS_SALES, P.EXPORTS_CREATE,
                                         P.DELIVERY_READ, P.FREIGHT_READ,
                                         P.CONSIGNOR_REPORTS_READ}),
    Role.MARKETING: frozenset({P.CAMPAIGNS_READ, P.CAMPAIGNS_WRITE, P.SEGMENTS_READ,
                               P.PRODUCTS_READ, P.NOTIFICATIONS_READ}),
    Role.CUSTOMER: frozenset({
        P.CUSTOMERS_READ, P.PRODUCTS_READ, P.ORDERS_READ, P.ORDERS_CREATE, P.RETURNS_CREATE,
        P.SHIPMENTS_READ, P.NOTIFICATIONS_READ,
    }),
    # exports and analytics stay staff-only: their sources aggregate across owners
    # its own delivery orders, plans, freight bill, follow-ups and report; never freight
    # agreements' terms (freight:write) nor the follow-ups' decisions (followups:write)
    Role.CONSIGNOR: frozenset({
        P.CUSTOMERS_READ, P.PRODUCTS_READ, P.STOCK_READ, P.ORDERS_READ, P.ORDERS_CREATE,
        P.SHIPMENTS_READ, P.EXCEPTIONS_READ, P.NOTIFICATIONS_READ, P.DELIVERY_READ,
        P.DELIVERY_WRITE, P.FREIGHT_READ, P.FOLLOWUPS_READ, P.CONSIGNOR_REPORTS_READ,
    }),
}
