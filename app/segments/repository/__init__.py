"""All of the segments domain's SQL: the recompute (compute.py), the reads of computed
segments and preferences (reads.py) and saved segments (saved.py)."""

from app.segments.repository.compute import Move, churn_moves, recompute, scored
from app.segments.repository.reads import (
    CategoryShare,
    Preferences,
    ProductHabit,
    due_to_reorder,
    preferences_by_customer,
    segment_counts,
    segments_by_customer,
)
from app.segments.repository.saved import (
    Criteria,
    SegmentCustomerSort,
    add_saved,
    get_saved,
    list_saved,
    saved_by_ids,
    segment_count,
    segment_customers,
)

__all__ = [
    "CategoryShare", "Criteria", "Move", "Preferences", "ProductHabit", "SegmentCustomerSort",
    "add_saved", "churn_moves", "due_to_reorder", "get_saved", "list_saved",
    "preferences_by_customer", "recompute", "saved_by_ids", "scored", "segment_count",
    "segment_counts", "segment_customers", "segments_by_customer",
]
