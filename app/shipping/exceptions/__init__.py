"""Delivery exceptions: opening them (from carrier events, the delay check, a delivery
whose cash differs from what was due, or staff) and working them to a resolution
(docs/architecture.md#delivery-exceptions)."""
