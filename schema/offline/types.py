"""GraphQL types of offline writes: how each queued operation ended
(docs/architecture.md#offline-writes-and-push). Its result type, which holds other domains'
objects, is in mutations.py with the payload."""

from __future__ import annotations

from enum import StrEnum

import strawberry


class Outcome(StrEnum):
    APPLIED = "APPLIED"
    REPLAYED = "REPLAYED"
    CONFLICT = "CONFLICT"
    REJECTED = "REJECTED"


SyncStatus = strawberry.enum(Outcome, name="SyncStatus", description=(
    "APPLIED: done now. REPLAYED: done before (same id, or a create's known clientId); the "
    "object as it is now. CONFLICT: expectedVersion is stale; serverVersion and the object "
    "are the server's. REJECTED: not done (see userErrors); drop it or fix and resend."))
