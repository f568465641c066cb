"""The arithmetic of a carrier's cash-on-delivery reconciliation over a period, without a
database (docs/architecture.md#cash-on-delivery): what its couriers collected, what it
remitted, what it still owes, and where the amounts disagree. app/shipping/cod.py reads
the rows; tests/shipping/test_cod.py holds the rules on a table of cases.

* `collected`: cash collected on the parcels collected in the period (whenever remitted);
  `due`: what those parcels were to collect.
* `remitted`: the remittances received in the period.
* `outstanding`: cash collected in the period on parcels no remittance covers yet.
* A parcel is a discrepancy when it collected another amount than was due; a remittance,
  when its amount is not the cash its parcels collected (parcels of any period).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CollectedParcel:
    """A shipment whose cash was collected in the period."""

    shipment_id: int
    number: str
    due: Decimal
    collected: Decimal
    remittance_id: int | None  # None: not remitted yet


@dataclass(frozen=True)
class RemittanceTotal:
    """A remittance received in the period, with the parcels it covers."""

    remittance_id: int
    carrier_id: int
    reference: str
    amount: Decimal
    received_at: datetime
    shipment_count: int
    collected: Decimal  # cash its parcels collected

    @property
    def difference(self) -> Decimal:
        """Paid over (+) or under (-) what its parcels collected."""
        return self.amount - self.collected


@dataclass(frozen=True)
class ParcelDiscrepancy:
    shipment_id: int
    number: str
    due: Decimal
    collected: Decimal
    remitted: bool

    @property
    def difference(self) -> Decimal:
        """Collected over (+) or under (-) what was due."""
        return self.collected - self.due


@dataclass(frozen=True)
class Reconciliation:
    due: Decimal
    collected: Decimal
    remitted: Decimal
    outstanding: Decimal
    collected_count: int  # parcels collected in the period
    remitted_count: int  # of those, covered by a remittance (of any period)
    outstanding_count: int  # of those, not covered yet
    remittances: tuple[RemittanceTotal, ...]
    parcel_discrepancies: tuple[ParcelDiscrepancy, ...]

    @property
    def collection_difference(self) -> Decimal:
        """Collected minus due over the period's parcels (short collections are negative)."""
        return self.collected - self.due

    @property
    def remittance_discrepancies(self) -> tuple[RemittanceTotal, ...]:
        return tuple(r for r in self.remittances if r.difference != 0)

    @property
    def remittance_difference(self) -> Decimal:
        """The period's remittances minus the cash their parcels collected."""
        return sum((r.difference for r in self.remittances), ZERO)


def reconcile(parcels: Iterable[CollectedParcel],
              remittances: Iterable[RemittanceTotal]) -> Reconciliation:
    due = collected = outstanding = ZERO
    count = open_count = 0
    discrepancies = []
    for p in parcels:
        count += 1
        due += p.due
        collected += p.collected
        if p.remittance_id is None:
            open_count += 1
            outstanding += p.collected
        if p.collected != p.due:
            discrepancies.append(ParcelDiscrepancy(p.shipment_id, p.number, p.due,
                                                   p.collected, p.remittance_id is not None))
    remittances = tuple(remittances)
    return Reconciliation(
        due=due, collected=collected, remitted=sum((r.amount for r in remittances), ZERO),
        outstanding=outstanding, collected_count=count, remitted_count=count - open_count,
        outstanding_count=open_count, remittances=remittances,
        parcel_discrepancies=tuple(discrepancies))
