"""The policy table: every query, mutation and subscription, and every guarded field, with
the rule that decides who may use it (docs/architecture.md#the-policy-table).

Deny by default: a root field missing here stops the schema from building
(schema/policy/apply.py), and tests/security/test_policy_walker.py fails for a guarded
field missing here. Roles hold permissions in app/auth/roles.py; the row scopes named here
are applied by each repository's `scope()`.
"""

from __future__ import annotations

from app.auth.principal import Principal
from app.auth.roles import Perm as P
from app.auth.roles import Role as R
from app.offline import service as offline
from app.orders import workflow
from app.orders.workflow import Action
from app.payments.service import may_refund
from app.quotes import workflow as quote_workflow
from app.quotes.workflow import QuoteAction
from app.sales import workflow as sales_workflow
from app.sales.workflow import LeadAction, OpportunityAction
from app.tickets import workflow as ticket_workflow
from app.tickets.workflow import TicketAction
from schema.core.guards import (
    ACCOUNT_RULE,
    ACTIVITY_TEXT_RULE,
    CONTACT_RULE,
    COST_RULE,
    CREDIT_RULE,
    SHIP_TO_RULE,
    SURVEY_COMMENT_RULE,
    WAREHOUSE_ADDRESS_RULE,
)
from schema.policy.rules import (
    Access,
    FieldRule,
    Rule,
    Scope,
    custom,
    perm,
    public,
    sample,
    signed_in,
)

# Row scopes ---------------------------------------------------------------------------------
CUSTOMERS = Scope("customers", {R.SALES: "customers they own",
                                R.CUSTOMER: "its own customer record",
                                R.CONSIGNOR: "its own customer record"})
ORDERS = Scope("orders", {R.SALES: "orders of customers they own",
                          R.CUSTOMER: "its own orders",
                          R.CONSIGNOR: "its own (delivery) orders"})
FULFILMENT = Scope("fulfilment", {R.WAREHOUSE: "orders whose allocations are all in its "
                                                "warehouses (start: one allocation there)",
                                  R.SALES: ORDERS.how[R.SALES],
                                  R.CUSTOMER: ORDERS.how[R.CUSTOMER],
                                  R.CONSIGNOR: ORDERS.how[R.CONSIGNOR]})
RETURNS = Scope("returns", {R.SALES: "returns of customers they own",
                            R.CUSTOMER: "its own returns", R.CONSIGNOR: "its own returns"})
SHIPMENTS = Scope("shipments", {R.SALES: "parcels of its customers' orders",
                                R.CUSTOMER: "parcels of its own orders",
                                R.CONSIGNOR: "parcels of its own orders",
                                R.WAREHOUSE: "parcels leaving its warehouses"})
EXCEPTIONS = Scope("exceptions", {R.SALES: "exceptions of its customers' parcels",
                                  R.CONSIGNOR: "exceptions of its own orders' parcels",
                                  R.WAREHOUSE: "exceptions of parcels leaving its warehouses"})
STOCK = Scope("stock", {R.WAREHOUSE: "its warehouses",
                        R.CONSIGNOR: "its own goods (consignor_id), every warehouse"})
WAREHOUSES = Scope("warehouses", {R.WAREHOUSE: "its own warehouses"})
CATALOG = Scope("catalog", {R.CUSTOMER: "active products only",
                            R.CONSIGNOR: "its own goods only"})
SELF = Scope("self", {r: "its own account" for r in R})
NOTIFICATIONS = Scope("notifications", {
    **{r: "its own; those about customers it may read" for r in R},
    R.ADMIN: "every notification", R.MANAGER: "every notification",
    R.CUSTOMER: "its own and its customer record's",
    R.CONSIGNOR: "its own and its customer record's"})
LEADS = Scope("leads", {R.SALES: "leads they own"})
OPPORTUNITIES = Scope("opportunities", {R.SALES: "opportunities they own"})
# activities, plans and targets (docs/architecture.md#activities-plans-and-targets)
ACTIVITIES = Scope("activities", {R.SALES: "activities assigned to it (on subjects it may "
                                           "see)"})
AGENDA = Scope("agenda", {r: "its own activities" for r in R})
QUEUED = Scope("queued writes", {R.SALES: "as each operation's own mutation",
                                 R.CUSTOMER: "as each operation's own mutation"})
DEVICES = Scope("devices", {r: "its own devices" for r in R})
VISIT_PLANS = Scope("visit plans", {R.SALES: "its own plans"})
TARGETS = Scope("targets", {R.SALES: "its own targets (not the team's)"})
ALERTS = Scope("activity alerts", {R.SALES: "its own activities",
                                   R.MANAGER: "every activity (the team)",
                                   R.ADMIN: "every activity"})
QUOTES = Scope("quotes", {R.SALES: "quotes of customers they own",
                          R.CUSTOMER: "its own quotes once sent (never drafts or approvals)"})
ANALYTICS = Scope("analytics", {R.SALES: "rows of customers they own",
                                R.ANALYST: "groups of fewer customers than "
                                           "CRM_ANALYTICS_MIN_GROUP_SIZE left out, no "
                                           "personal-data dimension"})
AGREEMENTS = Scope("agreements", {R.SALES: "agreements of customers they own"})
# tickets (docs/architecture.md#tickets-and-slas)
TICKETS = Scope("tickets", {R.CUSTOMER: "its own tickets (never internal notes, the "
                                        "assignee or SLA marks)"})
# bulk exports (docs/architecture.md#exports): a job reads its source with the list's scope
EXPORTS = Scope("exports", {r: "its own jobs; the rows: the source list's scope (SALES: its "
                               "customers')" for r in R if r is not R.ADMIN})
# failed-delivery follow-ups and consignors' reports
# (docs/architecture.md#failed-delivery-follow-up)
FOLLOWUPS = Scope("follow-ups", {R.SALES: "its customers' parcels",
                                 R.WAREHOUSE: "parcels leaving its warehouses",
                                 R.CUSTOMER: "its own goods' (as their consignor)"})
CONSIGNOR_REPORTS = Scope("consignor reports", {R.SALES: "consignors they own",
                                                R.CUSTOMER: "its own, as a consignor"})
SYNC = Scope("sync", {r: "each entity's row scope, as its own list; objects that left it "
                         "arrive as removed" for r in R})
# consignors' delivery orders and plans (docs/architecture.md#delivery-orders-and-plans)
DELIVERIES = Scope("deliveries", {R.SALES: "of the consignors they own",
                                  R.CUSTOMER: "its own as consignor (none for a customer that "
                                              "is not a consignor)"})
NODES = Scope("nodes", {r: "each type's row scope, as its own query" for r in R})


def _step(action: Action) -> Rule:
    perms = " or ".join(p.value for p in workflow.STAFF_PERMS[action])
    own = " (or CUSTOMER, own orders)" if action in workflow.CUSTOMER_STATES else ""
    scope = FULFILMENT if action in (Action.SCHEDULE, Action.START_FULFILLMENT) else ORDERS
    return custom(perms + own, lambda p: workflow.may_attempt(p, action), scope)


def _quote_step(action: QuoteAction) -> Rule:
    perm_name = quote_workflow.STAFF_PERMS[action].value
    own = " (or CUSTOMER, own sent quotes)" if action in quote_workflow.CUSTOMER_ACTIONS else ""
    note = "MANAGER up to the finance threshold, FINANCE above it" \
        if action in (QuoteAction.APPROVE, QuoteAction.REJECT) else ""
    return custom(perm_name + own, lambda p: quote_workflow.may_attempt(p, action), QUOTES,
                  note=note)


def _ticket_step(action: TicketAction) -> Rule:
    own = " (or CUSTOMER, own tickets)" if action in ticket_workflow.CUSTOMER_ACTIONS else ""
    return custom("tickets:write" + own,
                  lambda p: ticket_workflow.may_attempt(p, action), TICKETS)


def _staff_shipments(principal: Principal) -> bool:
    return principal.is_staff and principal.can(P.SHIPMENTS_READ)


OPERATIONS: dict[str, Rule] = {
    # viewer, nodes, sign-in
    "Query.node": signed_in(NODES),
    "Query.nodes": signed_in(NODES, note="at most 100 ids"),
    "Query.me": signed_in(SELF),
    # delta sync (docs/architecture.md#delta-sync): each entity also needs its read permission
    "Query.syncChanges": signed_in(SYNC, note="each entity needs its read permission"),
    # consignors' delivery orders, freight and delivery plans
    **{f"Query.{n}": perm(P.DELIVERY_READ, DELIVERIES) for n in (
        "deliveryOrders", "deliveryOrder", "deliveryPlans", "deliveryPlan")},
    **{f"Query.{n}": perm(P.FREIGHT_READ, DELIVERIES) for n in (
        "consignorFreightAgreement", "consignorBilling")},
    **{f"Mutation.{n}": perm(P.DELIVERY_WRITE, DELIVERIES) for n in (
        "deliveryOrderCreate", "deliveryOrderBulkCreate", "deliveryPlanCreate",
        "deliveryPlanUpdate", "deliveryPlanPause", "deliveryPlanResume", "deliveryPlanEnd")},
    "Mutation.consignorFreightAgreementSet": perm(P.FREIGHT_WRITE, DELIVERIES),
    "Mutation.login": public("throttled per account and client; one per request"),
    "Mutation.refreshToken": public("a valid refresh token"),
    "Mutation.logout": public("a valid refresh token"),
    "Mutation.meUpdate": signed_in(SELF),
    # users
    "Query.users": perm(P.USERS_MANAGE),
    "Mutation.userCreate": perm(P.USERS_MANAGE),
    "Mutation.userUpdate": perm(P.USERS_MANAGE),
    # customers
    "Query.customers": perm(P.CUSTOMERS_READ, CUSTOMERS),
    "Query.customer": perm(P.CUSTOMERS_READ, CUSTOMERS),
    **{f"Mutation.{name}": perm(P.CUSTOMERS_WRITE, CUSTOMERS) for name in (
        "customerCreate", "customerUpdate", "customerContactAdd", "customerContactUpdate",
        "customerContactRemove", "customerAddressAdd", "customerAddressUpdate",
        "customerAddressRemove")},
    # catalog
    "Query.products": perm(P.PRODUCTS_READ, CATALOG),
    "Query.product": perm(P.PRODUCTS_READ, CATALOG),
    "Mutation.productCreate": perm(P.PRODUCTS_WRITE),
    "Mutation.productUpdate": perm(P.PRODUCTS_WRITE),
    # warehouses and stock
    "Query.warehouses": perm(P.STOCK_READ, WAREHOUSES),
    "Query.warehouse": perm(P.STOCK_READ, WAREHOUSES),
    "Query.stockLevels": perm(P.STOCK_READ, STOCK),
    "Query.lowStockLevels": perm(P.STOCK_READ, STOCK),
    "Query.stockMovements": perm(P.STOCK_READ, STOCK, note="referenceId row-scoped like node"),
    # the company's reorder planning, across owners: not for a consignor's portal
    "Query.replenishmentSuggestions": custom("stock:read, staff only",
                                             lambda p: p.is_staff and p.can(P.STOCK_READ),
                                             STOCK),
    "Mutation.warehouseCreate": perm(P.WAREHOUSES_WRITE),
    "Mutation.warehouseUpdate": perm(P.WAREHOUSES_WRITE),
    **{f"Mutation.{name}": perm(P.STOCK_WRITE, STOCK) for name in (
        "stockReceive", "stockAdjust", "stockCount", "stockTransfer", "stockLevelUpdate")},
    # orders
    "Query.orders": perm(P.ORDERS_READ, ORDERS),
    "Query.order": perm(P.ORDERS_READ, ORDERS),
    "Query.ordersAtRisk": perm(P.ORDERS_READ, ORDERS),
    "Mutation.orderCreate": perm(P.ORDERS_CREATE, ORDERS),
    "Mutation.orderDuplicate": perm(P.ORDERS_CREATE, ORDERS),
    "Mutation.orderImport": perm(P.ORDERS_MANAGE, ORDERS),
    "Mutation.orderUpdate": _step(Action.UPDATE),
    "Mutation.orderSubmit": _step(Action.SUBMIT),
    "Mutation.orderApprove": _step(Action.APPROVE),
    "Mutation.orderReject": _step(Action.REJECT),
    "Mutation.orderHold": _step(Action.HOLD),
    "Mutation.orderRelease": _step(Action.RELEASE),
    "Mutation.orderSchedule": _step(Action.SCHEDULE),
    "Mutation.orderStartFulfillment": _step(Action.START_FULFILLMENT),
    "Mutation.orderConfirmDelivery": _step(Action.CONFIRM_DELIVERY),
    "Mutation.orderComplete": _step(Action.COMPLETE),
    "Mutation.orderCancel": _step(Action.CANCEL),
    "Mutation.orderNoteAdd": _step(Action.ADD_NOTE),
    # payments and returns
    "Mutation.paymentRecord": perm(P.PAYMENTS_WRITE, ORDERS),
    "Mutation.paymentRefund": custom("payments:refund, FINANCE only", may_refund),
    "Query.returnRequests": perm(P.ORDERS_READ, RETURNS),
    "Query.returnRequest": perm(P.ORDERS_READ, RETURNS),
    "Mutation.returnRequestCreate": perm(P.RETURNS_CREATE, RETURNS),
    "Mutation.returnRequestApprove": perm(P.RETURNS_MANAGE, RETURNS),
    "Mutation.returnRequestReject": perm(P.RETURNS_MANAGE, RETURNS),
    "Mutation.returnRequestReceive": perm(P.RETURNS_MANAGE, RETURNS),
    "Mutation.returnRequestResolve": perm(P.RETURNS_MANAGE, RETURNS),
    "Mutation.returnRequestRefund": custom("payments:refund, FINANCE only", may_refund),
    # quotes and agreements (docs/architecture.md#quotes-and-price-agreements)
    "Query.quotes": custom("quotes:read (or CUSTOMER, own sent quotes)",
                           quote_workflow.may_read, QUOTES),
    "Query.quote": custom("quotes:read (or CUSTOMER, own sent quotes)",
                          quote_workflow.may_read, QUOTES),
    "Mutation.quoteCreate": perm(P.QUOTES_WRITE, QUOTES),
    "Mutation.quoteUpdate": _quote_step(QuoteAction.UPDATE),
    "Mutation.quoteSubmit": _quote_step(QuoteAction.SUBMIT),
    "Mutation.quoteApprove": _quote_step(QuoteAction.APPROVE),
    "Mutation.quoteReject": _quote_step(QuoteAction.REJECT),
    "Mutation.quoteSend": _quote_step(QuoteAction.SEND),
    "Mutation.quoteAccept": _quote_step(QuoteAction.ACCEPT),
    "Mutation.quoteDecline": _quote_step(QuoteAction.DECLINE),
    "Mutation.quoteConvertToOrder": _quote_step(QuoteAction.CONVERT),
    "Query.priceAgreements": perm(P.QUOTES_READ, AGREEMENTS),
    "Query.freightAgreement": perm(P.QUOTES_READ, AGREEMENTS),
    "Mutation.priceAgreementSet": perm(P.AGREEMENTS_WRITE, AGREEMENTS),
    "Mutation.freightAgreementSet": perm(P.AGREEMENTS_WRITE, AGREEMENTS),
    # tickets (docs/architecture.md#tickets-and-slas)
    "Query.tickets": custom("tickets:read (or CUSTOMER, own tickets)",
                            ticket_workflow.may_read, TICKETS),
    "Query.ticket": custom("tickets:read (or CUSTOMER, own tickets)",
                           ticket_workflow.may_read, TICKETS),
    "Query.ticketSlaPolicies": perm(P.TICKETS_READ),
    "Query.ticketSlaReport": perm(P.TICKETS_REPORT, note="aggregates; agent names masked "
                                  "for ANALYST"),
    **{f"Mutation.{name}": custom("tickets:write (or CUSTOMER, for itself)",
                                  ticket_workflow.may_write, TICKETS) for name in (
        "ticketCreate", "ticketRequestDeliveryChange")},
    "Mutation.ticketCreateFromException": perm(P.TICKETS_WRITE),
    "Mutation.ticketUpdate": _ticket_step(TicketAction.UPDATE),
    "Mutation.ticketAssign": _ticket_step(TicketAction.ASSIGN),
    "Mutation.ticketReply": _ticket_step(TicketAction.REPLY),
    "Mutation.ticketNoteAdd": _ticket_step(TicketAction.NOTE),
    "Mutation.ticketResolve": _ticket_step(TicketAction.RESOLVE),
    "Mutation.ticketClose": _ticket_step(TicketAction.CLOSE),
    "Mutation.ticketReopen": _ticket_step(TicketAction.REOPEN),
    "Mutation.ticketMerge": _ticket_step(TicketAction.MERGE),
    "Mutation.ticketApproveDeliveryChange": _ticket_step(TicketAction.APPROVE_CHANGE),
    "Mutation.ticketSlaPolicySet": perm(P.TICKETS_SUPERVISE),
    # notifications
    "Query.notifications": perm(P.NOTIFICATIONS_READ, NOTIFICATIONS),
    "Mutation.notificationMarkRead": perm(P.NOTIFICATIONS_READ, NOTIFICATIONS),
    "Query.notificationPreferences": perm(P.CUSTOMERS_READ, CUSTOMERS),
    "Mutation.notificationPreferencesUpdate": perm(P.CUSTOMERS_READ, CUSTOMERS),
    # audit
    "Query.auditLog": perm(P.AUDIT_READ),
    # carriers, rates, shipments
    "Query.carriers": perm(P.SHIPMENTS_READ),
    "Query.shippingQuotes": perm(P.RATES_READ, ORDERS),
    **{f"Mutation.{name}": perm(P.CARRIERS_WRITE) for name in (
        "carrierCreate", "carrierUpdate", "carrierWebhookSecretRotate", "carrierServiceCreate",
        "carrierServiceUpdate", "carrierRateRuleSet", "carrierRateRuleDelete")},
    "Query.shipments": perm(P.SHIPMENTS_READ, SHIPMENTS),
    "Query.shipment": perm(P.SHIPMENTS_READ, SHIPMENTS),
    "Query.shipmentsAtRisk": custom("shipments:read, staff only", _staff_shipments, SHIPMENTS),
    **{f"Mutation.{name}": perm(P.SHIPMENTS_WRITE, SHIPMENTS) for name in (
        "shipmentCreate", "orderCreateShipments", "shipmentPack", "shipmentDispatch",
        "shipmentCancel", "trackingEventRecord", "shipmentConfirmDelivery",
        "shipmentReturnReceive")},
    # delivery exceptions, cash on delivery, carrier webhooks, performance
    "Query.shipmentExceptions": perm(P.EXCEPTIONS_READ, EXCEPTIONS),
    "Query.shipmentException": perm(P.EXCEPTIONS_READ, EXCEPTIONS),
    "Query.failedDeliveries": perm(P.EXCEPTIONS_READ, EXCEPTIONS),
    **{f"Mutation.{name}": perm(P.EXCEPTIONS_WRITE, EXCEPTIONS) for name in (
        "shipmentExceptionOpen", "shipmentExceptionAssign", "shipmentExceptionNoteAdd",
        "shipmentExceptionResolve")},
    "Query.codReconciliation": perm(P.COD_READ),
    "Mutation.codRemittanceRecord": perm(P.COD_WRITE),
    "Query.deliveryPerformance": perm(P.RATES_READ, Scope("performance", {
        R.WAREHOUSE: "parcels leaving its warehouses"})),
    "Query.carrierWebhookEvents": perm(P.CARRIERS_WRITE),
    "Mutation.carrierWebhookEventReview": perm(P.CARRIERS_WRITE),
    # outgoing webhooks (docs/architecture.md#outgoing-webhooks)
    **{f"Query.{name}": perm(P.INTEGRATIONS_MANAGE) for name in (
        "webhookSubscriptions", "webhookDeliveries", "webhookEventTypes")},
    **{f"Mutation.{name}": perm(P.INTEGRATIONS_MANAGE) for name in (
        "webhookSubscriptionCreate", "webhookSubscriptionUpdate", "webhookSubscriptionDelete",
        "webhookDeliveryRetry")},
    # leads, opportunities and the funnel (docs/architecture.md#leads-and-the-sales-funnel)
    "Query.leads": perm(P.LEADS_READ, LEADS),
    "Query.lead": perm(P.LEADS_READ, LEADS),
    **{f"Mutation.{name}": perm(P.LEADS_WRITE, LEADS) for name in (
        "leadCreate", "leadUpdate", "leadImport", "leadMarkContacted", "leadQualify",
        "leadDisqualify")},
    "Mutation.leadConvert": custom("leads:write and customers:write", lambda p: all(
        p.can(x) for x in sales_workflow.LEAD_PERMS[LeadAction.CONVERT]), LEADS),
    "Query.opportunities": perm(P.OPPORTUNITIES_READ, OPPORTUNITIES),
    "Query.opportunity": perm(P.OPPORTUNITIES_READ, OPPORTUNITIES),
    "Query.pipelineStages": perm(P.OPPORTUNITIES_READ),
    "Query.salesFunnel": perm(P.OPPORTUNITIES_READ, OPPORTUNITIES),
    **{f"Mutation.{name}": perm(P.OPPORTUNITIES_WRITE, OPPORTUNITIES) for name in (
        "opportunityCreate", "opportunityUpdate", "opportunityMove")},
    "Mutation.opportunityCreateOrder": custom(
        "opportunities:write and orders:create", lambda p: all(
            p.can(x) for x in sales_workflow.OPPORTUNITY_PERMS[OpportunityAction.CREATE_ORDER]),
        OPPORTUNITIES),
    "Mutation.pipelineStageUpdate": perm(P.PIPELINE_CONFIGURE),
    # analytics (docs/architecture.md#analytics): SALES over its own customers; the group-by
    # refuses FINANCE a source other than ORDERS and ORDER_LINES
    "Query.salesAnalytics": perm(P.ANALYTICS_SALES, ORDERS),
    "Query.customerAnalytics": perm(P.ANALYTICS_SALES, CUSTOMERS),
    "Query.topCustomers": perm(P.ANALYTICS_SALES, CUSTOMERS),
    "Query.aggregate": perm(P.ANALYTICS_SALES, ANALYTICS,
                            note="sources other than ORDERS, ORDER_LINES need analytics:read"),
    "Query.deliveryAnalytics": perm(P.ANALYTICS_READ, SHIPMENTS),
    "Query.orderStatusDurations": perm(P.ANALYTICS_READ, ORDERS),
    "Query.orderCloseReasons": perm(P.ANALYTICS_READ, ORDERS),
    "Query.inventoryAnalytics": perm(P.ANALYTICS_READ),
    "Query.reservationAges": perm(P.ANALYTICS_READ),
    # customer segments (docs/architecture.md#customer-segments)
    "Query.segments": perm(P.SEGMENTS_READ, CUSTOMERS, note="count and customers row-scoped"),
    "Query.segmentCounts": perm(P.SEGMENTS_READ, CUSTOMERS),
    "Query.customersDueToReorder": perm(P.SEGMENTS_READ, CUSTOMERS),
    "Mutation.segmentSave": perm(P.SEGMENTS_WRITE),
    # activities, plans and targets
    "Query.activities": perm(P.ACTIVITIES_READ, ACTIVITIES),
    "Query.activity": perm(P.ACTIVITIES_READ, ACTIVITIES),
    "Query.myAgenda": perm(P.ACTIVITIES_READ, AGENDA),
    "Query.visitPlans": perm(P.ACTIVITIES_READ, VISIT_PLANS),
    "Query.salesTargets": perm(P.TARGETS_READ, TARGETS),
    **{f"Mutation.{name}": perm(P.ACTIVITIES_WRITE, ACTIVITIES) for name in (
        "activityCreate", "activityUpdate", "activityComplete", "contactPlanSet")},
    "Mutation.visitPlanSet": perm(P.ACTIVITIES_WRITE, VISIT_PLANS),
    "Mutation.salesTargetSet": perm(P.TARGETS_WRITE),
    # satisfaction surveys (docs/architecture.md#satisfaction-surveys-and-proactive-
    # communication): staff read them; the link's holder opens and answers one, no sign-in
    "Query.surveys": perm(P.SURVEYS_READ, note="ANALYST: comments masked"),
    "Query.satisfaction": perm(P.SURVEYS_READ, note="aggregates"),
    "Query.survey": public("a signed, unexpired survey link; shows no personal data"),
    "Mutation.surveyAnswer": public("a signed, unexpired survey link; answers once"),
    # campaigns (docs/architecture.md#campaigns): MARKETING and MANAGER run them, ANALYST
    # reads the reports (aggregates only: no recipient's personal data is exposed)
    "Query.campaigns": perm(P.CAMPAIGNS_READ),
    "Query.campaign": perm(P.CAMPAIGNS_READ),
    "Query.campaignStats": perm(P.CAMPAIGNS_READ),
    **{f"Mutation.{name}": perm(P.CAMPAIGNS_WRITE) for name in (
        "campaignCreate", "campaignUpdate", "campaignSchedule", "campaignCancel")},
    # bulk exports (docs/architecture.md#exports)
    "Query.exportJobs": perm(P.EXPORTS_CREATE, EXPORTS),
    "Query.exportJob": perm(P.EXPORTS_CREATE, EXPORTS),
    **{f"Mutation.{name}": perm(P.EXPORTS_CREATE, EXPORTS, note=note) for name, note in (
        ("exportCreate", "and the source's read permission; a field the role may not see "
         "is refused, masked ones exported masked"),
        ("exportCancel", ""), ("exportResume", ""))},
    # offline writes and push devices (docs/architecture.md#offline-writes-and-push)
    "Mutation.syncPush": custom(
        "any of " + ", ".join(sorted(p.value for p in offline.PUSH_PERMS)),
        lambda principal: any(principal.can(p) for p in offline.PUSH_PERMS), QUEUED,
        note="each operation needs its own mutation's permission (else FORBIDDEN in its "
        "result)"),
    "Query.myDevices": signed_in(DEVICES),
    "Mutation.deviceRegister": signed_in(DEVICES),
    "Mutation.deviceUnregister": signed_in(DEVICES),
    # subscriptions: checked when they start and again for every event
    "Subscription.orderStatusChanged": perm(P.ORDERS_READ, ORDERS),
    "Subscription.orderEvents": perm(P.ORDERS_READ, ORDERS),
    "Subscription.shipmentTracking": perm(P.SHIPMENTS_READ, SHIPMENTS),
    "Subscription.stockAlerts": perm(P.STOCK_READ, STOCK),
    "Subscription.myNotifications": perm(P.NOTIFICATIONS_READ, NOTIFICATIONS),
    "Subscription.shipmentExceptionOpened": perm(P.EXCEPTIONS_READ, EXCEPTIONS),
    # alerts go to the assignee and the managers: an analyst reads activities, not alerts
    "Subscription.activityDue": custom(
        "activities:read, assignees and managers",
        lambda p: p.can(P.ACTIVITIES_READ) and p.role is not R.ANALYST, ALERTS),
    "Subscription.ticketEvents": custom("tickets:read (or CUSTOMER, own tickets)",
                                        ticket_workflow.may_read, TICKETS),
    "Subscription.exportJobEvents": perm(P.EXPORTS_CREATE, EXPORTS),
    # failed-delivery follow-ups, consignee feedback and consignors' reports
    # (docs/architecture.md#failed-delivery-follow-up)
    "Query.deliveryFollowUps": perm(P.FOLLOWUPS_READ, FOLLOWUPS),
    "Query.deliveryFollowUp": perm(P.FOLLOWUPS_READ, FOLLOWUPS),
    **{f"Mutation.{name}": perm(P.FOLLOWUPS_WRITE, FOLLOWUPS, note=note) for name, note in (
        ("deliveryFollowUpRecord", ""), ("deliveryFollowUpSetNextAction", ""),
        ("deliveryFollowUpResolve", "a new shipment and the returns also need "
         "shipments:write"))},
    "Query.consignorReport": perm(P.CONSIGNOR_REPORTS_READ, CONSIGNOR_REPORTS),
    "Query.consignorFeedback": perm(P.CONSIGNOR_REPORTS_READ, CONSIGNOR_REPORTS,
                                    note="consignees' names and contact data masked"),
}


# Guarded fields -----------------------------------------------------------------------------
_FULL = (Access.ALLOWED, "")


def _contact(role: R) -> tuple[Access, str]:
    return {"full": _FULL, "masked": (Access.MASKED, "138****5678"),
            "none": (Access.DENIED, "hidden")}[sample(role).contact_access()]


def _ship_to(role: R) -> tuple[Access, str]:
    return _FULL if sample(role).sees_ship_to() else _contact(role)


def _cost(role: R) -> tuple[Access, str]:
    return _FULL if sample(role).can_see_cost() else (Access.DENIED, "hidden")


def _credit(role: R) -> tuple[Access, str]:
    if sample(role).can_see_cost():  # the financial roles
        return _FULL
    if role is R.SALES:
        return Access.SCOPED, "customers they own"
    return Access.DENIED, "hidden"


def _account(role: R) -> tuple[Access, str]:
    if sample(role).can(P.USERS_MANAGE):
        return _FULL
    return Access.SCOPED, "its own account; others by fullName only"


def _warehouse_address(role: R) -> tuple[Access, str]:
    if role is R.WAREHOUSE:
        return Access.SCOPED, "its own warehouses"
    return _FULL


def _activity_text(role: R) -> tuple[Access, str]:
    return {"full": _FULL, "masked": (Access.MASKED, "***"),
            "none": (Access.DENIED, "hidden")}[sample(role).contact_access()]


def _survey_comment(role: R) -> tuple[Access, str]:
    if not sample(role).can(P.SURVEYS_READ):  # the survey itself is out of reach
        return Access.DENIED, "no surveys:read"
    return _activity_text(role)


CONTACT = FieldRule(CONTACT_RULE, _contact)
SURVEY_COMMENT = FieldRule(SURVEY_COMMENT_RULE, _survey_comment)
ACTIVITY_TEXT = FieldRule(ACTIVITY_TEXT_RULE, _activity_text)
SHIP_TO = FieldRule(SHIP_TO_RULE, _ship_to)
COST = FieldRule(COST_RULE, _cost)
CREDIT = FieldRule(CREDIT_RULE, _credit)
ACCOUNT = FieldRule(ACCOUNT_RULE, _account)
WAREHOUSE_ADDRESS = FieldRule(WAREHOUSE_ADDRESS_RULE, _warehouse_address)

FIELDS: dict[str, Rule | FieldRule] = {
    **{f"{t}.{f}": CONTACT for t, f in (
        ("Customer", "email"), ("Customer", "phone"), ("Contact", "email"), ("Contact", "phone"),
        ("Address", "recipient"), ("Address", "phone"), ("Address", "line1"),
        ("Address", "line2"), ("Notification", "recipient"), ("Lead", "email"),
        ("Lead", "phone"))},
    "Order.shipRecipient": SHIP_TO,
    "Order.shipPhone": SHIP_TO,
    "Order.shipAddress": SHIP_TO,
    "DeliveryPlan.shipRecipient": SHIP_TO,
    "DeliveryPlan.shipPhone": SHIP_TO,
    "DeliveryPlan.shipAddress": SHIP_TO,
    "ShipmentRecipient.name": SHIP_TO,
    "ShipmentRecipient.phone": SHIP_TO,
    "ShipmentRecipient.address": SHIP_TO,
    "Product.cost": COST,
    "Product.margin": COST,
    "Product.marginRate": COST,
    "Customer.creditLimit": CREDIT,
    "Customer.paymentTerms": CREDIT,
    "Customer.outstandingBalance": CREDIT,
    **{f"User.{f}": ACCOUNT for f in ("email", "role", "isActive", "language", "createdAt")},
    "Warehouse.address": WAREHOUSE_ADDRESS,
    "User.warehouseIds": perm(P.USERS_MANAGE),
    "Customer.orders": perm(P.ORDERS_READ),
    "Customer.purchaseSummary": perm(P.ORDERS_READ),
    "Customer.segment": perm(P.SEGMENTS_READ),
    "Customer.preferences": perm(P.SEGMENTS_READ),
    "Order.customer": perm(P.CUSTOMERS_READ),
    # a delivery order's and plan's parties and order (docs/architecture.md#delivery-orders-
    # and-plans)
    **{f"{t}.{f}": perm(P.CUSTOMERS_READ) for t in ("DeliveryOrder", "DeliveryPlan")
       for f in ("consignor", "consignee")},
    "DeliveryOrder.order": perm(P.ORDERS_READ),
    "Order.contact": perm(P.CUSTOMERS_READ),
    "ReturnRequest.customer": perm(P.CUSTOMERS_READ),
    "Lead.customer": perm(P.CUSTOMERS_READ),
    "Lead.opportunities": perm(P.OPPORTUNITIES_READ),
    "Opportunity.customer": perm(P.CUSTOMERS_READ),
    "Opportunity.lead": perm(P.LEADS_READ),
    "Opportunity.order": perm(P.ORDERS_READ),
    "Quote.customer": perm(P.CUSTOMERS_READ),
    **{f"Quote.{f}": perm(P.QUOTES_READ) for f in (
        "maxDiscount", "approvalLevel", "approvalNote", "submittedAt", "approvedAt")},
    "Product.stockLevels": perm(P.STOCK_READ),
    "Product.totalAvailable": perm(P.STOCK_READ),
    "Warehouse.stockLevels": perm(P.STOCK_READ),
    # whose goods (docs/architecture.md#consignors): staff who see stock
    **{f"{t}.consignor": perm(P.STOCK_READ) for t in ("Product", "StockLevel", "StockMovement")},
    "Carrier.services": perm(P.RATES_READ),
    "Carrier.hasWebhookSecret": perm(P.CARRIERS_WRITE),
    "Carrier.webhookSecretRotatedAt": perm(P.CARRIERS_WRITE),
    "CarrierWebhookEvent.shipment": perm(P.SHIPMENTS_READ),
    "Shipment.service": perm(P.RATES_READ),
    "Shipment.cost": perm(P.RATES_READ),
    "Shipment.billableWeightKg": perm(P.RATES_READ),
    "Shipment.carrierChoice": perm(P.RATES_READ),
    "Shipment.exceptions": perm(P.EXCEPTIONS_READ),
    "Activity.notes": ACTIVITY_TEXT,
    "Activity.outcome": ACTIVITY_TEXT,
    "TimelineEntry.detail": ACTIVITY_TEXT,
    "Activity.customer": perm(P.CUSTOMERS_READ),
    "Customer.timeline": perm(P.ACTIVITIES_READ),
    **{f"Ticket.{f}": perm(P.TICKETS_READ) for f in (
        "internalNotes", "assignee", "responseBreachedAt", "resolutionBreachedAt")},
    "Ticket.customer": perm(P.CUSTOMERS_READ),
    "Ticket.order": perm(P.ORDERS_READ),
    "Ticket.shipment": perm(P.SHIPMENTS_READ),
    "Ticket.shipmentException": perm(P.EXCEPTIONS_READ),
    "TicketDeliveryChange.phone": CONTACT,
    "TicketDeliveryChange.address": CONTACT,
    "ShipmentException.tickets": perm(P.TICKETS_READ),
    "Survey.comment": SURVEY_COMMENT,
    "Survey.customer": perm(P.CUSTOMERS_READ),
    "Survey.order": perm(P.ORDERS_READ),
}
