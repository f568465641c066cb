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
quote.status_changed  {quote_id, customer_id, status, at}
notification.created  {notification_id, channel, customer_id, user_id, template}
                      an in-app notification (the inbox: myNotifications), written by
                      app.notifications.planner with it, after the event that called for it
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
NOTIFICATION_CREATED = "notification.created"
NOTIFICATIONS_DUE = "notifications.due"
