"""The rules of the group-by, without a database: what may be asked, by whom, and which
groups are shown (docs/architecture.md#analytics)."""

from __future__ import annotations

from dataclasses import dataclass

from app.analytics.models import AggregateRow, Dimension, Measure, Source
from app.auth.principal import Principal
from app.auth.roles import Perm
from app.errors import DomainError, Forbidden

MAX_DIMENSIONS = 3
MAX_MEASURES = 10
# the sources of sales measures: FINANCE (analytics:sales) reads these only
SALES_SOURCES = frozenset({Source.ORDERS, Source.ORDER_LINES})


@dataclass(frozen=True)
class Limits:
    """From the settings (CRM_ANALYTICS_*), passed in by the caller."""

    min_group_size: int = 5
    max_rows: int = 1000
    max_scan_rows: int = 5_000_000


def check_source(principal: Principal, source: Source) -> None:
    if source not in SALES_SOURCES and not principal.can(Perm.ANALYTICS_READ):
        raise Forbidden(f"{source.value} needs analytics:read; your role reads the sales "
                        "sources (ORDERS, ORDER_LINES) only", field=["source"])


def check_question(principal: Principal, source: Source, measures: tuple[Measure, ...],
                   dimensions: tuple[Dimension, ...], offered: frozenset[Measure],
                   personal: dict[Dimension, bool], filters: set[str],
                   supported: set[str]) -> None:
    """Declared names only, within the limits; personal data never a group for a role
    that does not read it in full."""
    if not measures or len(measures) > MAX_MEASURES:
        raise DomainError(f"ask for 1 to {MAX_MEASURES} measures", field=["measures"])
    if len(dimensions) > MAX_DIMENSIONS or len(set(dimensions)) != len(dimensions):
        raise DomainError(f"at most {MAX_DIMENSIONS} distinct dimensions",
                          field=["dimensions"])
    wrong = [m.value for m in measures if m not in offered]
    if wrong:
        raise DomainError(f"{source.value} has no measure {', '.join(wrong)}",
                          field=["measures"])
    wrong = [d.value for d in dimensions if d not in personal]
    if wrong:
        raise DomainError(f"{source.value} has no dimension {', '.join(wrong)}",
                          field=["dimensions"])
    refused = [d.value for d in dimensions if personal[d]]
    if refused and principal.contact_access() != "full":
        raise Forbidden(f"grouping by {', '.join(refused)} is refused: it is personal data, "
                        "masked or hidden for your role", field=["dimensions"])
    unknown = sorted(filters - supported)
    if unknown:
        raise DomainError(f"{source.value} cannot be filtered by {', '.join(unknown)}",
                          field=["filter"])


def suppresses(principal: Principal) -> bool:
    """Roles that see personal data masked (ANALYST) see no group smaller than the minimum:
    a group of one or two customers would show their own figures."""
    return principal.contact_access() != "full"


def shown(rows: list[AggregateRow], principal: Principal, minimum: int
          ) -> tuple[list[AggregateRow], int]:
    """The rows the principal may see, and how many were suppressed."""
    if not suppresses(principal):
        return rows, 0
    kept = [r for r in rows if r.customers is None or r.customers >= minimum]
    return kept, len(rows) - len(kept)
