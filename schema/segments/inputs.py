"""Input types of saved segments and their translation into service arguments."""

from __future__ import annotations

import strawberry

from app.ids import parse_id
from app.segments.repository import Criteria
from schema.segments.types import CustomerSegmentKind


@strawberry.input(description="Which customers a saved segment holds; every part given must "
                  "match (an empty list: any).")
class SegmentFilterInput:
    segments: list[CustomerSegmentKind] | None = None  # type: ignore[valid-type]
    regions: list[str] | None = None
    tiers: list[str] | None = None
    owner_id: strawberry.ID | None = None
    min_recency_score: int | None = None
    min_frequency_score: int | None = None
    min_monetary_score: int | None = None


@strawberry.input
class SegmentSaveInput:
    name: str
    filter: SegmentFilterInput
    description: str | None = None
    id: strawberry.ID | None = strawberry.field(
        default=None, description="A saved segment to replace; none: a new one.")
    expected_version: int | None = strawberry.field(
        default=None, description="Fail with CONFLICT if the segment changed.")


def criteria_from(f: SegmentFilterInput) -> Criteria:
    """Raises NOT_FOUND (a DomainError) for an owner id of another type."""
    owner = parse_id(f.owner_id, "User", "ownerId") if f.owner_id else None
    return Criteria(segments=tuple(s.value for s in f.segments or ()),
                    regions=tuple(f.regions or ()), tiers=tuple(f.tiers or ()),
                    owner_id=owner, min_recency_score=f.min_recency_score,
                    min_frequency_score=f.min_frequency_score,
                    min_monetary_score=f.min_monetary_score)
