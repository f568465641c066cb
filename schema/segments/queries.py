"""`segments`, `segmentCounts` and `customersDueToReorder`: parse, call one service, map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.segments import service
from schema.core.objects import object_type
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.segments.types import Segment, SegmentCount

if TYPE_CHECKING:
    from schema.customers.types import Customer


@strawberry.type
class SegmentQuery:
    @strawberry.field(description="Saved segments, by name.")
    async def segments(self, info: strawberry.Info) -> list[Segment]:
        rows = await run_read(info, service.list_segments, current_principal(info))
        return [Segment.from_row(r) for r in rows]

    @strawberry.field(description="Customers in your scope per computed segment (an "
                      "aggregate: no personal data).")
    async def segment_counts(self, info: strawberry.Info) -> list[SegmentCount]:
        counts = await run_read(info, service.segment_counts, current_principal(info))
        return [SegmentCount(segment=name, count=n) for name, n in counts.items()]

    @strawberry.field(description="Customers in your scope whose next expected order "
                      "(Customer.preferences.nextOrderAt) falls within `within` days, overdue "
                      "ones included, soonest first; LOST customers left out.")
    async def customers_due_to_reorder(
        self, info: strawberry.Info, within: int = 7, first: int = 50,
    ) -> list[Annotated[Customer, strawberry.lazy("schema.customers.types")]]:
        rows = await run_read(info, service.due_to_reorder, current_principal(info), within,
                              first)
        cls = object_type("Customer")
        return [cls.from_row(r) for r in rows]
