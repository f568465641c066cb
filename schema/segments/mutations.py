"""`segmentSave` and its payload `{ segment, userErrors }`."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.segments import service
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.segments.inputs import SegmentSaveInput, criteria_from
from schema.segments.types import Segment


@strawberry.type
class SegmentPayload:
    segment: Segment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SegmentMutation:
    @strawberry.mutation(description="Save a named filter over customers' computed segments "
                         "(new, or replacing the one `id` names).")
    async def segment_save(self, info: strawberry.Info, input: SegmentSaveInput
                           ) -> SegmentPayload:
        try:
            criteria = criteria_from(input.filter)
            segment_id = parse_id(input.id, "Segment") if input.id else None
        except DomainError as exc:
            return SegmentPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.save_segment, input.name, criteria,
                                      input.description or "", segment_id,
                                      input.expected_version)
        return SegmentPayload(segment=Segment.from_row(row) if row else None,
                              user_errors=errors)
