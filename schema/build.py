"""Assembles the root types from each domain's Query / Mutation / Subscription classes."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from schema.activities.mutations import ActivityMutation
from schema.activities.queries import ActivityQuery
from schema.activities.subscriptions import ActivitySubscription
from schema.analytics.queries import AnalyticsQuery
from schema.audit.queries import AuditQuery
from schema.auth.mutations import AuthMutation, UserAdminMutation
from schema.auth.queries import AuthQuery, UserAdminQuery
from schema.campaigns.mutations import CampaignMutation
from schema.campaigns.queries import CampaignQuery
from schema.catalog.mutations import CatalogMutation
from schema.catalog.queries import CatalogQuery
from schema.consignor_reports.queries import ConsignorReportQuery
from schema.core.extensions import EXTENSIONS
from schema.core.node import Node, resolve_node
from schema.core.permissions import forbidden
from schema.customers.mutations import CustomerMutation
from schema.customers.queries import CustomerQuery
from schema.delivery.mutations import DeliveryMutation
from schema.delivery.queries import DeliveryQuery
from schema.devices.mutations import DeviceMutation
from schema.devices.queries import DeviceQuery
from schema.engine import install
from schema.exports.mutations import ExportMutation
from schema.exports.queries import ExportQuery
from schema.exports.subscriptions import ExportSubscription
from schema.followups.mutations import FollowUpMutation
from schema.followups.queries import FollowUpQuery
from schema.integrations.mutations import IntegrationMutation
from schema.integrations.queries import IntegrationQuery
from schema.inventory.mutations import InventoryMutation
from schema.inventory.queries import InventoryQuery
from schema.notifications.mutations import NotificationMutation
from schema.notifications.queries import NotificationQuery
from schema.offline.mutations import OfflineMutation
from schema.orders.mutations.intake import IntakeMutation
from schema.orders.mutations.workflow import OrderMutation
from schema.orders.queries import OrderQuery
from schema.payments.mutations import PaymentMutation
from schema.policy.apply import apply_policy
from schema.quotes.mutations import QuoteMutation
from schema.quotes.queries import QuoteQuery
from schema.returns.mutations import ReturnMutation
from schema.returns.queries import ReturnQuery
from schema.sales.mutations import SalesMutation
from schema.sales.queries import SalesQuery
from schema.segments.mutations import SegmentMutation
from schema.segments.queries import SegmentQuery
from schema.shipping.mutations import (
    CarrierWebhookMutation,
    LogisticsMutation,
    ShipmentExceptionMutation,
    ShipmentMutation,
    ShippingMutation,
)
from schema.shipping.queries import (
    CarrierWebhookQuery,
    LogisticsQuery,
    ShipmentExceptionQuery,
    ShippingQuery,
)
from schema.shipping.subscriptions import ShipmentExceptionSubscription
from schema.subscriptions.resolvers import LiveSubscription
from schema.surveys.mutations import SurveyMutation
from schema.surveys.queries import SurveyQuery
from schema.sync.queries import SyncQuery
from schema.tickets.mutations import TicketMutation
from schema.tickets.queries import TicketQuery
from schema.tickets.subscriptions import TicketSubscription


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by global ID; null when missing or not yours.")
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Several objects by global ID (at most 100), in order.")
    async def nodes(self, info: strawberry.Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > 100:
            raise forbidden("at most 100 ids per call")
        return [await resolve_node(info, i) for i in ids]


QUERIES: list[type] = [NodeQuery, AuthQuery, UserAdminQuery, CustomerQuery, CatalogQuery,
                       InventoryQuery, OrderQuery, ShippingQuery, ShipmentExceptionQuery,
                       NotificationQuery, ReturnQuery, AuditQuery, LogisticsQuery,
                       CarrierWebhookQuery, IntegrationQuery,
                       SalesQuery, SegmentQuery, AnalyticsQuery,
                       ActivityQuery, QuoteQuery, TicketQuery, SurveyQuery, CampaignQuery,
                       ExportQuery, DeviceQuery, SyncQuery, DeliveryQuery, FollowUpQuery,
                       ConsignorReportQuery]
MUTATIONS: list[type] = [AuthMutation, UserAdminMutation, CustomerMutation, CatalogMutation,
                         InventoryMutation, OrderMutation, NotificationMutation, PaymentMutation,
                         ReturnMutation, IntakeMutation, ShippingMutation,
                         ShipmentMutation, LogisticsMutation, ShipmentExceptionMutation,
                         CarrierWebhookMutation, IntegrationMutation,
                         SalesMutation, SegmentMutation,
                         ActivityMutation, QuoteMutation, TicketMutation, SurveyMutation,
                         CampaignMutation, ExportMutation, OfflineMutation, DeviceMutation,
                         DeliveryMutation, FollowUpMutation]
SUBSCRIPTIONS: list[type] = [LiveSubscription, ShipmentExceptionSubscription,
                              ActivitySubscription, TicketSubscription, ExportSubscription]


def build_schema() -> strawberry.Schema:
    query = merge_types("Query", tuple(QUERIES))
    mutation = merge_types("Mutation", tuple(MUTATIONS))
    subscription = merge_types("Subscription", tuple(SUBSCRIPTIONS))
    # every root field's permission comes from the policy table (schema/policy/table.py)
    for root, kind in ((query, "Query"), (mutation, "Mutation"), (subscription, "Subscription")):
        apply_policy(root, kind)
    # the engine's overrides, installed once (docs/architecture.md#the-graphql-engine)
    return install(strawberry.Schema(
        query=query, mutation=mutation, subscription=subscription, extensions=EXTENSIONS))


schema = build_schema()
