"""Choosing a carrier service from its quotes, with the reason of the choice and the
alternatives considered: plain functions, no database
(docs/architecture.md#carriers-and-quotes).

Without a named service: the cheapest eligible quote (it can carry the parcel and arrives
by the promised date); equal prices go to the earlier arrival, then the service code, so
the choice never depends on the order quotes come in. When no service arrives in time,
the one that arrives first among those that can carry the parcel (then the cheapest): a
late parcel beats none, and the reason says it is late. A named service is taken when it
can carry the parcel, even late (the dispatcher decided); otherwise there is no choice and
the reason says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.shipping.rates import Quote

_NO_PRICE = Decimal("Infinity")
_NO_DATE = date.max


@dataclass(frozen=True)
class Choice:
    quote: Quote | None  # None: nothing can be chosen (see reason)
    reason: str
    alternatives: tuple[Quote, ...]  # the other quotes, most preferable first


def _cheapest_first(q: Quote) -> tuple:
    return (q.price if q.price is not None else _NO_PRICE,
            q.estimated_delivery or _NO_DATE, q.service.code, q.service.id)


def _earliest_first(q: Quote) -> tuple:
    return (q.estimated_delivery or _NO_DATE, *_cheapest_first(q))


def ranked(quotes: Sequence[Quote]) -> list[Quote]:
    """Eligible quotes cheapest first, then late ones earliest first, then the rest."""
    eligible = sorted((q for q in quotes if q.eligible), key=_cheapest_first)
    late = sorted((q for q in quotes if q.can_carry and not q.eligible), key=_earliest_first)
    rest = sorted((q for q in quotes if not q.can_carry), key=_cheapest_first)
    return eligible + late + rest


def _label(q: Quote) -> str:
    return f"{q.service.name} ({q.service.code})"


def _reasons(q: Quote) -> str:
    return "; ".join(r.message for r in q.reasons)


def _named(order: list[Quote], service_id: int) -> Choice:
    found = next((q for q in order if q.service.id == service_id), None)
    others = tuple(q for q in order if q is not found)
    if found is None:
        return Choice(None, "the named service is not offered (unknown or inactive)", others)
    if not found.can_carry:
        return Choice(None, f"{_label(found)} was named but cannot take the parcel: "
                      f"{_reasons(found)}", others)
    late = "" if found.eligible else f" although it is late: {_reasons(found)}"
    return Choice(found, f"{_label(found)} was named by the dispatcher{late}", others)


def choose(quotes: Sequence[Quote], named_service_id: int | None = None) -> Choice:
    """The service to ship with, why, and the alternatives considered."""
    order = ranked(quotes)
    if named_service_id is not None:
        return _named(order, named_service_id)
    if not order or not order[0].can_carry:
        return Choice(None, "no active service can take this parcel", tuple(order))
    best, others = order[0], tuple(order[1:])
    promised = best.promised_date
    if best.eligible:
        count = sum(1 for q in order if q.eligible)
        by = f"that arrive by the promised {promised}" if promised else "that can take it"
        return Choice(best, f"the cheapest of {count} service(s) {by}: {_label(best)}, "
                      f"{best.price} {best.service.currency}, arrives "
                      f"{best.estimated_delivery}", others)
    return Choice(best, f"no service arrives by the promised {promised}; {_label(best)} "
                  f"arrives first, on {best.estimated_delivery}", others)
