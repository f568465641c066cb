"""Event topics and their payloads: the contract between services, the outbox,
subscriptions and notifications. Payloads are JSON-safe (ints, strings, ISO times).

order.status_changed  {order_id, customer_id, from_status, to_status, actor_id,
                       order_event_id, at, message}
order.event           {order_id, customer_id, order_event_id, type, at}  (notes, payments...)
shipment.status_changed {shipment_id, order_id, customer_id, warehouse_id, status,
                       tracking_number, carrier, at, reason}
shipment.exception_opened {exception_id, shipment_id, order_id, warehouse_id, type,
                       severity, source, at}
stock.alert           {product_id, warehouse_id, kind: LOW_STOCK|OUT_OF_STOCK|BACK_IN_STOCK,
                       available, safety_stock, at}
return.status_changed {return_request_id, order_id, customer_id, status, at}
lead.created          {lead_id, owner_id, source, at}
lead.status_changed   {lead_id, owner_id, from_status, to_status, at}  (converted: customer_id,
                       opportunity_id too)
opportunity.stage_changed {opportunity_id, owner_id, from_stage, to_stage, at}  (from_stage
                       null when created; codes of pipeline stages)
customer.churn_risk   {customer_id, owner_id, from_segment, to_segment, at}  a VIP or REGULAR
                      customer's computed segment became AT_RISK (app/segments/service.py)
quote.status_changed  {quote_id, customer_id, status, at}
notification.created  {notification_id, channel, customer_id, user_id, template}
                      an in-app notification (the inbox: myNotifications), written by
                      app.notifications.planner with it, after the event that called for it
activity.overdue      {activity_id, assignee_id, customer_id, subject_type, subject_id, kind,
                       title, due_at, at}  raised once per due time by the periodic check
target.behind_pace    {target_id, user_id, metric, period, period_start, achieved, target,
                       pace, at}  at most once per target and day
ticket.created        {ticket_id, customer_id, assignee_id, kind, priority, channel, status,
                       at}  (docs/architecture.md#tickets-and-slas)
ticket.assigned       {ticket_id, customer_id, assignee_id, previous_assignee_id, auto, at}
ticket.replied        {ticket_id, customer_id, assignee_id, message_id, author_kind, at}  a
                      message the customer sees (internal notes raise no event)
ticket.status_changed {ticket_id, customer_id, assignee_id, from_status, status, at}
ticket.resolved       {ticket_id, customer_id, assignee_id, kind, order_id, at}  also a
                      status change; the hook for follow-ups (a satisfaction survey)
ticket.merged         {ticket_id, customer_id, assignee_id, into_ticket_id, at}
ticket.breached       {ticket_id, customer_id, assignee_id, number, breach, due_at, priority,
                       at}  FIRST_RESPONSE or RESOLUTION, once each (the breach check)
ticket.escalated      {ticket_id, customer_id, assignee_id, number, priority, from_priority,
                       at}  a resolution breach raises the priority one step
survey.sent           {survey_id, customer_id, subject_kind, order_id, shipment_id, ticket_id,
                       agent_user_id, expires_at, at}  a satisfaction survey created: the
                       planner sends its link (feedback requested)
survey.answered       {survey_id, customer_id, csat, nps, low_score, at}
survey.low_score      {survey_id, customer_id, subject_kind, order_id, shipment_id, ticket_id,
                       agent_user_id, csat, nps, at}  a staff alert and a follow-up
                       ticket (the survey sender) (docs/architecture.md#satisfaction-surveys-
                       and-proactive-communication)
order.due_soon        {order_id, customer_id, owner_id, promised_date, status, at}  an order
                       not dispatched whose promised date is near; once per order
export.job_changed    {export_job_id, user_id, status, rows, total_rows, at}  an export job
                      was queued, advanced a chunk or ended (app/exports/service.py)
sync.changed          {}  a position only, for a unit of work that changed synced objects and
                      emitted no event; written as published (docs/architecture.md#delta-sync)
notifications.due     {channels, count}  e-mail / SMS notifications the planner wrote in one
                      batch, waiting for a dispatcher (which reads them from the table)
"""

ORDER_STATUS_CHANGED = "order.status_changed"
ORDER_EVENT = "order.event"
SHIPMENT_STATUS_CHANGED = "shipment.status_changed"
SHIPMENT_EXCEPTION_OPENED = "shipment.exception_opened"
STOCK_ALERT = "stock.alert"
RETURN_STATUS_CHANGED = "return.status_changed"
QUOTE_STATUS_CHANGED = "quote.status_changed"
CUSTOMER_CREATED = "customer.created"
LEAD_CREATED = "lead.created"
LEAD_STATUS_CHANGED = "lead.status_changed"
OPPORTUNITY_STAGE_CHANGED = "opportunity.stage_changed"
CUSTOMER_CHURN_RISK = "customer.churn_risk"
NOTIFICATION_CREATED = "notification.created"
NOTIFICATIONS_DUE = "notifications.due"
SYNC_CHANGED = "sync.changed"
# activities and targets (docs/architecture.md#activities-plans-and-targets)
ACTIVITY_OVERDUE = "activity.overdue"
TARGET_BEHIND_PACE = "target.behind_pace"
# tickets (docs/architecture.md#tickets-and-slas)
TICKET_CREATED = "ticket.created"
TICKET_ASSIGNED = "ticket.assigned"
TICKET_REPLIED = "ticket.replied"
TICKET_STATUS_CHANGED = "ticket.status_changed"
TICKET_RESOLVED = "ticket.resolved"
TICKET_MERGED = "ticket.merged"
TICKET_BREACHED = "ticket.breached"
TICKET_ESCALATED = "ticket.escalated"
# satisfaction surveys and proactive communication
# (docs/architecture.md#satisfaction-surveys-and-proactive-communication)
SURVEY_SENT = "survey.sent"
SURVEY_ANSWERED = "survey.answered"
SURVEY_LOW_SCORE = "survey.low_score"
ORDER_DUE_SOON = "order.due_soon"
# bulk exports (docs/architecture.md#exports)
EXPORT_JOB_CHANGED = "export.job_changed"
