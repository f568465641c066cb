"""The events domain's SQL: the outbox (outbox.py) and its durable consumers' positions
(consumers.py). Callers import the module they need: `from app.events.repository import
outbox`."""
