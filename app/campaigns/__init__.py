"""Marketing campaigns to saved segments or filters, sent through the notification outbox,
with open, click and unsubscribe tracking (docs/architecture.md#campaigns)."""
