// A small client of the contract: every operation in operations/ through the generated
// typed documents, sent by hash alone (the server pins generated/persisted-documents.json;
// with CRM_PERSISTED_ONLY=1 it runs nothing else). Type-checked by `tsc --strict` in CI
// (.ci/contract-client); see README.md#typed-client.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

import {
  AtRiskCustomersDocument,
  CampaignCreateDocument,
  CampaignListDocument,
  CampaignReportDocument,
  CampaignScheduleDocument,
  CarrierAdminDocument,
  CarrierRateRuleSetDocument,
  CarrierWebhookReviewDocument,
  CodReconciliationDocument,
  CodRemittanceRecordDocument,
  ConsignorFreightAgreementSetDocument,
  ConsignorFollowUpRecordDocument,
  ConsignorFollowUpResolveDocument,
  ConsignorFollowUpsDocument,
  ConsignorReceiveDocument,
  ConsignorReportDocument,
  ConsignorStockDocument,
  CustomerDeliveryChangeDocument,
  CustomerDetailDocument,
  CustomerQuoteAcceptDocument,
  CustomerQuotesDocument,
  CustomerTicketOpenDocument,
  CustomerTicketReplyDocument,
  CustomerTicketsDocument,
  CustomerTimelineDocument,
  CustomerTrackingDocument,
  DeliveryChangeRequestDocument,
  DeliveryOrderBulkCreateDocument,
  DeliveryOrdersDocument,
  DeliveryPlanCreateDocument,
  DeliveryPlanPauseDocument,
  DeliveryPlansDocument,
  DueToReorderDocument,
  ExportCreateDocument,
  ExportJobDocument,
  ExportJobsDocument,
  FailedDeliveriesDocument,
  GroupByDocument,
  LeadListDocument,
  LoginDocument,
  MeDocument,
  MobileDeviceRegisterDocument,
  MobileMyAgendaDocument,
  MobileMyCustomersDocument,
  MobileOfflinePushDocument,
  MobileOrderStatusDocument,
  MobileShipmentTrackingDocument,
  MyAgendaDocument,
  NetworkPerformanceDocument,
  OnTimeByCarrierDocument,
  OrderCreateShipmentsDocument,
  OrderDetailDocument,
  OrdersPageDocument,
  PortalDeliveryOrdersDocument,
  PortalExceptionsDocument,
  PortalMyMovementsDocument,
  PortalMyStockDocument,
  PortalTrackingDocument,
  ProductStockDocument,
  QuoteApprovalQueueDocument,
  QuoteApproveDocument,
  RefreshTokenDocument,
  RevenueByMonthChannelDocument,
  SalesFunnelBoardDocument,
  SatisfactionReportDocument,
  ShipmentBoardDocument,
  ShipmentDispatchDocument,
  ShipmentExceptionAssignDocument,
  ShipmentExceptionNoteAddDocument,
  ShipmentExceptionOpenDocument,
  ShipmentExceptionQueueDocument,
  ShipmentExceptionResolveDocument,
  ShipmentReturnReceiveDocument,
  ShippingQuotesDocument,
  TicketDetailDocument,
  TicketQueueDocument,
  TicketSlaReportDocument,
  SurveyAnswerDocument,
  SurveyPageDocument,
  StatusDurationsDocument,
  StockTurnoverDocument,
  TopCustomersDocument,
  WebhookAdminDocument,
} from '../generated/graphql';
import type {
  ConsignorFreightAgreementSetInput,
  DeliveryOrderInput,
  DeliveryPlanCreateInput,
  StockMovementKind,
  SyncOperationInput,
} from '../generated/graphql';
import { SyncCustomerOrdersDocument, SyncFieldSalesDocument } from '../generated/graphql';
import type { SyncFieldSalesQuery } from '../generated/graphql';

export interface GraphQLErrorPayload {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; requestId?: string };
}

export class GraphQLRequestError extends Error {
  constructor(readonly status: number, readonly errors: ReadonlyArray<GraphQLErrorPayload>) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
  }

  /** The server runs only the manifest's documents (CRM_PERSISTED_ONLY=1). */
  get persistedQueryRequired(): boolean {
    return this.errors.some((e) => e.extensions?.code === 'PERSISTED_QUERY_REQUIRED');
  }
}

export interface Session {
  endpoint: string;
  accessToken?: string;
}

function hashOf(document: TypedDocumentNode<unknown, never>): string {
  const meta = (document as { __meta__?: { hash?: unknown } }).__meta__;
  if (typeof meta?.hash !== 'string') {
    throw new Error('document without a persisted hash: regenerate with `npm run codegen`');
  }
  return meta.hash;
}

/** One operation by its sha256; data typed by the document, any error thrown. */
export async function execute<TResult, TVariables>(
  session: Session,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
  };
  if (session.accessToken !== undefined) {
    headers.authorization = `Bearer ${session.accessToken}`;
  }
  const response = await fetch(session.endpoint, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      variables,
      extensions: {
        persistedQuery: { version: 1, sha256Hash: hashOf(document as TypedDocumentNode<unknown, never>) },
      },
    }),
  });
  const body = (await response.json()) as { data?: TResult | null; errors?: GraphQLErrorPayload[] };
  if (body.errors !== undefined && body.errors.length > 0) {
    throw new GraphQLRequestError(response.status, body.errors);
  }
  if (body.data === undefined || body.data === null) {
    throw new GraphQLRequestError(response.status, [{ message: 'no data' }]);
  }
  return body.data;
}

/** Money arrives as a decimal string ("1299.00"): format it, never parse it into a float. */
export function formatMoney(money: { amount: string; currency: string }): string {
  return `${money.amount} ${money.currency}`;
}

// Sign-in and the viewer
export async function signIn(endpoint: string, email: string, password: string): Promise<Session> {
  const { login } = await execute({ endpoint }, LoginDocument, { email, password });
  if (login.accessToken === null) {
    throw new Error(login.userErrors.map((e) => e.message).join('; '));
  }
  return { endpoint, accessToken: login.accessToken };
}

export async function refresh(session: Session, refreshToken: string): Promise<Session> {
  const { refreshToken: payload } = await execute(session, RefreshTokenDocument, { refreshToken });
  if (payload.accessToken === null) {
    throw new Error(payload.userErrors.map((e) => e.message).join('; '));
  }
  return { ...session, accessToken: payload.accessToken };
}

export async function viewer(session: Session): Promise<ReadonlyArray<string>> {
  const { me } = await execute(session, MeDocument, {});
  return me?.permissions ?? [];
}

// Orders, customers, products
export async function ordersPage(session: Session, after: string | null): Promise<string[]> {
  const { orders } = await execute(session, OrdersPageDocument, {
    first: 50, after, filter: { status: ['CONFIRMED'] }, sort: null,
  });
  return orders.edges.map(({ node }) => `${node.number} ${formatMoney(node.total)}`);
}

export async function orderDetail(session: Session, id: string): Promise<string | null> {
  const { order } = await execute(session, OrderDetailDocument, { id });
  return order === null ? null : `${order.number} paid ${formatMoney(order.paidTotal)}`;
}

export async function customerDetail(session: Session, id: string): Promise<number> {
  const { customer } = await execute(session, CustomerDetailDocument, { id });
  return customer?.orders?.totalCount ?? 0;
}

export async function productStock(session: Session, id: string): Promise<number | null> {
  const { product } = await execute(session, ProductStockDocument, { id });
  return product?.totalAvailable ?? null;
}

// Shipping
export async function quotes(session: Session, orderId: string, warehouseId: string) {
  const { shippingQuotes } = await execute(session, ShippingQuotesDocument, {
    orderId, warehouseId, readyAt: new Date().toISOString(),
  });
  return shippingQuotes;
}

export async function ship(session: Session, orderId: string, serviceId: string | null) {
  const { orderCreateShipments } = await execute(session, OrderCreateShipmentsDocument, {
    orderId, serviceId,
  });
  return orderCreateShipments.userErrors;
}

export async function dispatch(session: Session, id: string) {
  return (await execute(session, ShipmentDispatchDocument, { id })).shipmentDispatch;
}

export async function shipmentBoard(session: Session, after: string | null) {
  const { shipments } = await execute(session, ShipmentBoardDocument, {
    filter: { status: ['CREATED'] }, first: 25, after,
  });
  return shipments.nodes;
}

export async function tracking(session: Session) {
  return (await execute(session, CustomerTrackingDocument, { first: 10 })).shipments.nodes;
}

export async function carrierAdmin(session: Session) {
  return (await execute(session, CarrierAdminDocument, { first: 50 })).carriers.nodes;
}

export async function setRate(session: Session, serviceId: string) {
  return execute(session, CarrierRateRuleSetDocument, {
    serviceId,
    input: { originRegion: '*', destinationRegion: '*', baseFee: '12.00', perKgFee: '2.50', transitDays: 2 },
  });
}

export async function webhookReview(session: Session) {
  return execute(session, CarrierWebhookReviewDocument, { reviewed: false, result: 'INVALID' });
}

// Cash on delivery and network performance
export async function codReconciliation(session: Session, carrierId: string) {
  const { codReconciliation: report } = await execute(session, CodReconciliationDocument, {
    carrierId, from: '2026-11-01', to: '2026-11-30',
  });
  return report === null ? null : formatMoney(report.outstanding);
}

export async function recordRemittance(session: Session, carrierId: string, shipmentIds: string[]) {
  return execute(session, CodRemittanceRecordDocument, {
    input: { carrierId, amount: '1200.00', reference: 'PAYOUT-1', shipmentIds, idempotencyKey: 'payout-1' },
  });
}

export async function networkPerformance(session: Session) {
  const data = await execute(session, NetworkPerformanceDocument, {
    from: '2026-11-01', to: '2026-11-30', groupBy: 'CARRIER',
  });
  return (data.deliveryPerformance ?? []).map((row) => row.onTimeRatePromised);
}

// Delivery exceptions
export async function exceptionQueue(session: Session) {
  const { shipmentExceptions } = await execute(session, ShipmentExceptionQueueDocument, {
    filter: { slaBreached: true }, sort: 'SLA_DUE_AT_ASC', first: 50,
  });
  return shipmentExceptions.nodes;
}

export async function failedDeliveries(session: Session) {
  return (await execute(session, FailedDeliveriesDocument, { sort: null })).failedDeliveries.nodes;
}

export async function workException(session: Session, shipmentId: string, assigneeId: string) {
  const opened = await execute(session, ShipmentExceptionOpenDocument, {
    shipmentId, type: 'DAMAGED', severity: 'HIGH', description: 'box crushed',
  });
  const id = opened.shipmentExceptionOpen.shipmentException?.id;
  if (id === undefined) {
    return opened.shipmentExceptionOpen.userErrors;
  }
  await execute(session, ShipmentExceptionAssignDocument, { id, assigneeId });
  await execute(session, ShipmentExceptionNoteAddDocument, { id, body: 'called the carrier' });
  const resolved = await execute(session, ShipmentExceptionResolveDocument, {
    id, resolution: 'REFUND', note: 'refunded', refundAmount: '15.00',
  });
  return resolved.shipmentExceptionResolve.userErrors;
}

export async function returnReceived(session: Session, id: string) {
  return (await execute(session, ShipmentReturnReceiveDocument, { id })).shipmentReturnReceive;
}

export async function failedWebhookDeliveries(session: Session) {
  const data = await execute(session, WebhookAdminDocument, { status: ['FAILED', 'GAVE_UP'] });
  return data.webhookDeliveries.nodes.map((d) => d.id);
}

export async function funnelThisQuarter(session: Session, from: string, to: string) {
  const data = await execute(session, SalesFunnelBoardDocument, { from, to });
  return data.salesFunnel.rows.map((r) => [r.key, r.count] as const);
}

export async function newLeads(session: Session) {
  const data = await execute(session, LeadListDocument, { first: 20 });
  return data.leads.nodes.map((l) => l.id);
}

export async function agendaThisWeek(session: Session, from: string, to: string,
                                     weekFrom: string) {
  const data = await execute(session, MyAgendaDocument, { from, to, weekFrom });
  return data.myAgenda.edges.map((e) => [e.node.title, e.node.overdue] as const);
}

export async function customer360(session: Session, id: string) {
  const data = await execute(session, CustomerTimelineDocument, { id });
  return data.customer?.timeline?.edges.map((e) => e.node.title) ?? [];
}

export async function atRisk(session: Session) {
  const data = await execute(session, AtRiskCustomersDocument, {});
  return data.segmentCounts.map((c) => [c.segment, c.count] as const);
}

export async function dueToReorder(session: Session, within: number) {
  const data = await execute(session, DueToReorderDocument, { within });
  return data.customersDueToReorder.map((c) => c.name);
}

export async function approvalQueue(session: Session) {
  const data = await execute(session, QuoteApprovalQueueDocument, { level: ['MANAGER'] });
  return data.quotes.nodes.map((q) => q.id);
}

export async function approveQuote(session: Session, id: string) {
  return (await execute(session, QuoteApproveDocument, { id, note: 'ok' })).quoteApprove;
}

export async function myQuotes(session: Session) {
  return (await execute(session, CustomerQuotesDocument, {})).quotes.nodes.map((q) => q.id);
}

export async function acceptQuote(session: Session, id: string) {
  return (await execute(session, CustomerQuoteAcceptDocument, { id })).quoteAccept;
}

// Tickets (docs/architecture.md#tickets-and-slas)
export async function ticketQueue(session: Session) {
  const data = await execute(session, TicketQueueDocument, {
    filter: { status: ['NEW', 'OPEN', 'PENDING_CUSTOMER'], breached: true },
  });
  return data.tickets.nodes.map((t) => `${t.number} ${t.priority} ${t.resolutionDueAt}`);
}

export async function ticketDetail(session: Session, id: string) {
  const { ticket } = await execute(session, TicketDetailDocument, { id });
  return ticket === null ? [] : ticket.messages.map((m) => `${m.authorKind}: ${m.body}`);
}

export async function ticketSlaReport(session: Session, from: string, to: string) {
  return (await execute(session, TicketSlaReportDocument, { from, to })).ticketSlaReport.overall;
}

export async function myTickets(session: Session) {
  return (await execute(session, CustomerTicketsDocument, {})).tickets.nodes.map((t) => t.id);
}

export async function openTicket(session: Session, subject: string) {
  const { ticketCreate } = await execute(session, CustomerTicketOpenDocument, {
    input: { kind: 'INQUIRY', channel: 'APP', subject },
  });
  return ticketCreate;
}

export async function replyToTicket(session: Session, id: string, body: string) {
  return (await execute(session, CustomerTicketReplyDocument, { id, body })).ticketReply;
}

export async function askDeliveryChange(session: Session, orderId: string, address: string) {
  const data = await execute(session, CustomerDeliveryChangeDocument, {
    input: { orderId, change: { address } },
  });
  return data.ticketRequestDeliveryChange;
}

// Satisfaction surveys (docs/architecture.md#satisfaction-surveys-and-proactive-communication)
export async function satisfactionByCarrier(session: Session, from: string, to: string) {
  const data = await execute(session, SatisfactionReportDocument,
                             { from, to, groupBy: 'CARRIER' });
  return data.satisfaction.groups.map((g) => [g.label, g.csat, g.nps] as const);
}

/** The public survey page: no sign-in, the link's token is the credential. */
export async function surveyPage(endpoint: string, token: string) {
  return (await execute({ endpoint }, SurveyPageDocument, { token })).survey;
}

export async function answerSurvey(endpoint: string, token: string, csat: number, nps: number) {
  const data = await execute({ endpoint }, SurveyAnswerDocument,
                             { token, input: { csat, nps } });
  return data.surveyAnswer;
}

// Campaigns (docs/architecture.md#campaigns)
export async function campaignList(session: Session) {
  const data = await execute(session, CampaignListDocument, { filter: { status: ['DONE'] } });
  return data.campaigns.nodes.map((c) => [c.name, c.stats?.openRate ?? null] as const);
}

export async function campaignReport(session: Session, id: string) {
  const data = await execute(session, CampaignReportDocument, { id });
  return { name: data.campaign?.name, clicked: data.campaignStats?.clicked ?? 0 };
}

export async function campaignCreate(session: Session, region: string) {
  return (await execute(session, CampaignCreateDocument, { input: {
    name: 'Thank you', channel: 'EMAIL', subjectZh: '感谢您', subjectEn: 'Thank you',
    bodyZh: '{{name}}，感谢您的支持。', bodyEn: 'Thank you, {{name}}.',
    filter: { regions: [region] },
  } })).campaignCreate;
}

export async function campaignSchedule(session: Session, id: string, at: string) {
  return (await execute(session, CampaignScheduleDocument, { input: { id, at } }))
    .campaignSchedule;
}

// Analytics: the analysts' standard questions (README.md#analytics)
export async function revenueByMonthChannel(session: Session, year: number) {
  const data = await execute(session, RevenueByMonthChannelDocument, {
    from: `${year}-01-01`, to: `${year + 1}-01-01`, timeZone: 'Asia/Shanghai',
  });
  return data.salesAnalytics.rows.map((r) => [r.period, r.group?.key, r.revenue.amount] as const);
}

export async function topCustomers(session: Session, from: string, to: string) {
  const data = await execute(session, TopCustomersDocument, { from, to, first: 10 });
  return data.topCustomers.map((c) => [c.customer.name, c.spend.amount] as const);
}

export async function onTimeByCarrier(session: Session, from: string, to: string) {
  const data = await execute(session, OnTimeByCarrierDocument, { from, to });
  return data.deliveryAnalytics.rows.map((r) => [r.group?.label, r.onTimeRate] as const);
}

export async function stockTurnover(session: Session, from: string, to: string) {
  const data = await execute(session, StockTurnoverDocument, { from, to });
  return data.inventoryAnalytics.filter((r) => r.dead).map((r) => r.label);
}

export async function statusDurations(session: Session, from: string, to: string) {
  const data = await execute(session, StatusDurationsDocument, { from, to });
  return data.orderStatusDurations.find((d) => d.bottleneck)?.status ?? null;
}

export async function groupBy(session: Session, from: string, to: string) {
  const data = await execute(session, GroupByDocument, {
    source: 'ORDERS', measures: ['REVENUE', 'ORDERS'], dimensions: ['REGION', 'TIER'],
    grain: 'QUARTER', from, to,
  });
  return data.aggregate.rows.map((r) => [r.period, r.groups.map((g) => g.label), r.values]);
}

// Exports (docs/architecture.md#exports)
/** Ask for an export of your orders as CSV; the job's id (it runs in the background). */
export async function exportOrders(session: Session) {
  const payload = (await execute(session, ExportCreateDocument, {
    source: 'ORDERS',
    fields: ['ID', 'NUMBER', 'STATUS', 'TOTAL'],
    format: 'CSV',
  })).exportCreate;
  return payload.job?.id ?? null;
}

/** The job's state; once DONE, `downloadUrl` is a signed link to GET (yours alone). */
export async function exportJob(session: Session, id: string) {
  const job = (await execute(session, ExportJobDocument, { id })).exportJob;
  return job ? { status: job.status, progress: job.progress, url: job.downloadUrl } : null;
}

export async function exportJobs(session: Session) {
  const data = await execute(session, ExportJobsDocument, { first: 20 });
  return data.exportJobs.edges.map((e) => [e.node.id, e.node.status] as const);
}

// Mobile: lean screens, offline writes, push (docs/architecture.md#offline-writes-and-push)
export async function mobileScreens(session: Session, from: string, to: string) {
  const customers = (await execute(session, MobileMyCustomersDocument, {})).customers.nodes;
  const agenda = (await execute(session, MobileMyAgendaDocument, { from, to })).myAgenda.nodes;
  const orders = (await execute(session, MobileOrderStatusDocument, {})).orders.nodes;
  const parcels = (await execute(session, MobileShipmentTrackingDocument, {})).shipments.nodes;
  return { customers: customers.length, agenda: agenda.length, orders, parcels };
}

/** A queued offline write: `id` (a UUID made when it was queued) is its idempotency key. */
export type QueuedOperation = SyncOperationInput;

/**
 * Push the queue and keep what still needs the user: the whole queue may be sent again
 * after a lost answer (each operation applies once). APPLIED / REPLAYED are done; CONFLICT
 * comes back with the server's version to merge and requeue under a new id with that
 * expectedVersion; REJECTED is dropped and shown.
 */
export async function pushQueue(session: Session, queue: QueuedOperation[]) {
  const payload = (await execute(session, MobileOfflinePushDocument, {
    operations: queue.slice(0, 100),
  })).syncPush;
  const conflicts = payload.results.filter((r) => r.status === 'CONFLICT');
  const rejected = payload.results.filter((r) => r.status === 'REJECTED');
  const settled = new Set(payload.results.map((r) => r.id));
  return { remaining: queue.filter((op) => !settled.has(op.id)), conflicts, rejected };
}

export async function registerDevice(session: Session, token: string) {
  const payload = (await execute(session, MobileDeviceRegisterDocument, {
    token, platform: 'ANDROID', name: null,
  })).deviceRegister;
  return payload.device?.id ?? null;
}

// Delta sync (README.md#delta-sync): a device keeps a copy by id. The first run has no
// token (a full sync); each later run passes the last page's syncToken. A removed edge
// drops the id; SYNC_TOKEN_EXPIRED means: forget the token and sync in full again.
export async function syncFieldSales(session: Session, since: string | null) {
  const upserts = [];
  const removed: string[] = [];
  let after: string | null = null;
  for (;;) {
    const data: SyncFieldSalesQuery = await execute(session, SyncFieldSalesDocument, {
      since, after, first: 100,
    });
    const page = data.syncChanges;
    for (const edge of page.edges) {
      if (edge.removed || edge.node === null || edge.node === undefined) removed.push(edge.id);
      else upserts.push(edge.node);
    }
    if (!page.pageInfo.hasNextPage && page.syncToken) {
      return { full: page.full, upserts, removed, syncToken: page.syncToken };
    }
    after = page.pageInfo.endCursor ?? null;
  }
}

export async function syncCustomerOrders(session: Session, since: string | null) {
  const data = await execute(session, SyncCustomerOrdersDocument, { since, first: 100 });
  const page = data.syncChanges;
  return {
    removed: page.edges.filter((e) => e.removed).map((e) => e.id),
    hasNextPage: page.pageInfo.hasNextPage,
    next: page.pageInfo.endCursor,
    syncToken: page.syncToken,
  };
}

// Consignors (docs/architecture.md#consignors)
/** One consignor's stock per warehouse (null: every consignor's), with its latest receipts. */
export async function consignorStock(session: Session, consignorId: string | null) {
  const data = await execute(session, ConsignorStockDocument, { consignorId, first: 50 });
  return {
    consignors: data.consignors.nodes.map((c) => c.name),
    levels: data.stockLevels.edges.map((e) => [e.node.product.sku, e.node.available] as const),
    receipts: data.receipts.nodes.map((m) => m.asnReference),
  };
}

/** A consignor's goods received against its advance shipping notice. */
export async function consignorReceive(session: Session, productId: string, warehouseId: string,
                                       consignorId: string, quantity: number, asn: string) {
  const payload = (await execute(session, ConsignorReceiveDocument, {
    productId, warehouseId, consignorId, quantity, asnReference: asn,
  })).stockReceive;
  return payload.userErrors.length ? payload.userErrors : payload.stockLevel?.onHand ?? null;
}

// Delivery orders and plans (docs/architecture.md#delivery-orders-and-plans)
/** A consignor's delivery orders, its freight terms and the freight billed to it. */
export async function deliveryOrders(session: Session, consignorId: string) {
  const data = await execute(session, DeliveryOrdersDocument, { consignorId, first: 50 });
  return {
    orders: data.deliveryOrders.edges.map((e) => [e.node.reference, e.node.order?.status] as const),
    billed: data.consignorBilling.total.amount,
    basis: data.consignorFreightAgreement?.basis ?? null,
  };
}

export type DeliveryRow = DeliveryOrderInput;

/** Send rows in calls of at most 1,000; sending a row again is safe (its reference). */
export async function sendDeliveryOrders(session: Session, consignorId: string,
                                         rows: DeliveryRow[]) {
  const failed: { reference: string; errors: string[] }[] = [];
  for (let i = 0; i < rows.length; i += 1000) {
    const payload = (await execute(session, DeliveryOrderBulkCreateDocument, {
      input: { consignorId, orders: rows.slice(i, i + 1000) },
    })).deliveryOrderBulkCreate;
    for (const r of payload.results) {
      if (r.userErrors.length) failed.push({ reference: r.reference,
                                             errors: r.userErrors.map((e) => e.message) });
    }
  }
  return failed;
}

export async function deliveryPlans(session: Session, consignorId: string | null) {
  const data = await execute(session, DeliveryPlansDocument, { consignorId, first: 50 });
  return data.deliveryPlans.edges.map((e) => [e.node.name, e.node.routeDays, e.node.status]);
}

export async function createDeliveryPlan(session: Session, input: DeliveryPlanCreateInput) {
  const payload = (await execute(session, DeliveryPlanCreateDocument, { input }))
    .deliveryPlanCreate;
  return payload.userErrors.length ? payload.userErrors : payload.plan?.id ?? null;
}

/** A consignee's change (date, address, quantities) of a delivery order, for approval. */
export async function requestDeliveryChange(session: Session, orderId: string,
                                            consignorId: string, date: string | null,
                                            quantities: { productId: string; quantity: number }[]) {
  const payload = (await execute(session, DeliveryChangeRequestDocument, {
    input: { orderId, customerId: consignorId, change: { date, quantities } },
  })).ticketRequestDeliveryChange;
  return payload.userErrors.length ? payload.userErrors : payload.ticket?.number ?? null;
}

export async function pauseDeliveryPlan(session: Session, id: string, version: number) {
  const payload = (await execute(session, DeliveryPlanPauseDocument, {
    id, expectedVersion: version,
  })).deliveryPlanPause;
  return payload.userErrors.length ? payload.userErrors : payload.plan?.status ?? null;
}

export async function setConsignorFreight(session: Session,
                                          input: ConsignorFreightAgreementSetInput) {
  const payload = (await execute(session, ConsignorFreightAgreementSetDocument, { input }))
    .consignorFreightAgreementSet;
  return payload.userErrors.length ? payload.userErrors : payload.freightAgreement?.rate;
}

// Failed deliveries and consignor reports (docs/architecture.md#consignor-reports)
/** The open follow-ups of one consignor (null: everyone's), oldest first. */
export async function consignorFollowUps(session: Session, consignorId: string | null) {
  const data = await execute(session, ConsignorFollowUpsDocument, { consignorId, first: 50 });
  return data.deliveryFollowUps.edges.map((e) => [e.node.shipment?.number, e.node.reason,
                                                  e.node.nextAction ?? null] as const);
}

/** Put a parcel that failed to deliver on the follow-up list. */
export async function consignorFollowUpRecord(session: Session, shipmentId: string,
                                              note: string) {
  const payload = (await execute(session, ConsignorFollowUpRecordDocument, {
    shipmentId, reason: 'FAILED_ATTEMPT', nextAction: 'REDELIVER', note,
  })).deliveryFollowUpRecord;
  return payload.userErrors.length ? payload.userErrors : payload.deliveryFollowUp?.id ?? null;
}

/** Send the goods back to stock (resolves the follow-up once). */
export async function consignorFollowUpReturn(session: Session, id: string, version: number) {
  const payload = (await execute(session, ConsignorFollowUpResolveDocument, {
    id, resolution: 'RETURN_TO_STOCK', note: 'back to stock', expectedVersion: version,
  })).deliveryFollowUpResolve;
  return payload.userErrors.length ? payload.userErrors : payload.deliveryFollowUp?.status;
}

/** A consignor's report and its consignees' (masked) feedback over a window. */
export async function consignorReport(session: Session, consignorId: string, from: string,
                                      to: string) {
  const data = await execute(session, ConsignorReportDocument, { consignorId, from, to });
  return {
    onTimeRate: data.consignorReport.onTimeRate ?? null,
    failedRate: data.consignorReport.failedRate ?? null,
    freight: data.consignorReport.freightBilled.map((m) => `${m.amount} ${m.currency}`),
    feedback: data.consignorFeedback.map((f) => [f.source, f.consignee, f.csat ?? null] as const),
  };
}

// The consignor portal (a CONSIGNOR sign-in: its own goods, orders and parcels only)
/** My stock per warehouse, and what is below its safety stock. */
export async function portalMyStock(session: Session, warehouseId: string | null) {
  const data = await execute(session, PortalMyStockDocument, { warehouseId, first: 50 });
  return {
    warehouses: data.warehouses.nodes.map((w) => w.code),
    levels: data.stockLevels.edges.map((e) => [e.node.warehouse.code, e.node.product.sku,
                                               e.node.available] as const),
    low: data.lowStockLevels.nodes.map((l) => l.product.sku),
  };
}

/** My goods' ledger: receipts against my ASNs, reservations, shipments. */
export async function portalMyMovements(session: Session, kinds: StockMovementKind[] | null) {
  const data = await execute(session, PortalMyMovementsDocument, { kinds, first: 50 });
  return data.stockMovements.edges.map((e) => [e.node.kind, e.node.onHandDelta,
                                               e.node.asnReference] as const);
}

/** My delivery orders with their parcels (the consignee's contact data masked). */
export async function portalDeliveryOrders(session: Session) {
  const data = await execute(session, PortalDeliveryOrdersDocument, { first: 20 });
  return data.orders.nodes.map((o) => ({
    number: o.number, status: o.status, recipient: o.shipRecipient,
    parcels: o.shipments.map((p) => [p.number, p.status] as const),
  }));
}

/** Where my parcels are (one order's with orderId). */
export async function portalTracking(session: Session, orderId: string | null) {
  const data = await execute(session, PortalTrackingDocument, { orderId, first: 20 });
  return data.shipments.nodes.map((p) => ({
    number: p.number, status: p.status, events: p.trackingEvents.map((e) => e.status),
  }));
}

/** My parcels' delivery exceptions and failed deliveries. */
export async function portalExceptions(session: Session) {
  const data = await execute(session, PortalExceptionsDocument, { first: 20 });
  return {
    exceptions: data.shipmentExceptions.nodes.map((x) => [x.type, x.status] as const),
    failed: data.failedDeliveries.nodes.map((f) => [f.shipment?.number, f.failedAttempts]),
  };
}
