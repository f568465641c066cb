"""The cash-on-delivery reconciliation's arithmetic on a table of cases, and report
periods (app/shipping/cod_reconciliation.py, app/shipping/periods.py; no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.errors import ValidationFailed
from app.shipping.cod_reconciliation import CollectedParcel, RemittanceTotal, reconcile
from app.shipping.periods import period

D = Decimal
T = datetime(2024, 6, 5, tzinfo=UTC)


# The arithmetic ------------------------------------------------------------------------

def _p(pk: int, due: str, collected: str, remittance: int | None = None) -> CollectedParcel:
    return CollectedParcel(pk, f"SH{pk}", D(due), D(collected), remittance)


def _r(pk: int, amount: str, collected: str, count: int = 1) -> RemittanceTotal:
    return RemittanceTotal(pk, 1, f"R{pk}", D(amount), T, count, D(collected))


# (parcels, remittances) -> (due, collected, remitted, outstanding,
#   (collected, remitted, outstanding counts), short/over parcels, remittance differences)
CASES = {
    "nothing": ([], [], ("0", "0", "0", "0"), (0, 0, 0), {}, {}),
    "collected in full, not remitted": (
        [_p(1, "100", "100")], [], ("100", "100", "0", "100"), (1, 0, 1), {}, {}),
    "remitted exactly": (
        [_p(1, "100", "100", 7), _p(2, "50.50", "50.50", 7)], [_r(7, "150.50", "150.50", 2)],
        ("150.50", "150.50", "150.50", "0"), (2, 2, 0), {}, {}),
    "short collection, remitted as collected": (
        [_p(1, "100", "90", 7), _p(2, "40", "40")], [_r(7, "90", "90")],
        ("140", "130", "90", "40"), (2, 1, 1), {1: "-10"}, {}),
    "over collection": (
        [_p(1, "100", "120")], [], ("100", "120", "0", "120"), (1, 0, 1), {1: "20"}, {}),
    "carrier kept a fee": (
        [_p(1, "100", "100", 7), _p(2, "100", "100", 7)], [_r(7, "195", "200", 2)],
        ("200", "200", "195", "0"), (2, 2, 0), {}, {7: "-5"}),
    "carrier paid more than collected": (
        [_p(1, "80", "80", 7)], [_r(7, "81.25", "80")],
        ("80", "80", "81.25", "0"), (1, 1, 0), {}, {7: "1.25"}),
    "remittance of parcels collected before the period": (
        [_p(3, "30", "30")], [_r(8, "500", "500", 5)],
        ("30", "30", "500", "30"), (1, 0, 1), {}, {}),
    "collected nothing on one, two remittances": (
        [_p(1, "60", "0"), _p(2, "70", "70", 8), _p(3, "10", "10", 9)],
        [_r(8, "70", "70"), _r(9, "9.99", "10")],
        ("140", "80", "79.99", "0"), (3, 2, 1), {1: "-60"}, {9: "-0.01"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_reconciliation_adds_up(name: str):
    parcels, remittances, money, counts, parcel_diffs, remittance_diffs = CASES[name]
    r = reconcile(parcels, remittances)
    assert (r.due, r.collected, r.remitted, r.outstanding) == tuple(D(x) for x in money)
    assert (r.collected_count, r.remitted_count, r.outstanding_count) == counts
    assert {d.shipment_id: d.difference for d in r.parcel_discrepancies} == {
        k: D(v) for k, v in parcel_diffs.items()}
    assert {x.remittance_id: x.difference for x in r.remittance_discrepancies} == {
        k: D(v) for k, v in remittance_diffs.items()}
    # what always holds
    assert r.collection_difference == r.collected - r.due
    assert r.outstanding == sum((p.collected for p in parcels if p.remittance_id is None), D(0))
    assert r.remitted_count + r.outstanding_count == r.collected_count == len(parcels)
    assert r.remittance_difference == sum((x.difference for x in r.remittances), D(0))
    assert all(d.remitted == (d.shipment_id in {p.shipment_id for p in parcels
                                                if p.remittance_id}) for d in
               r.parcel_discrepancies)


def test_periods_are_whole_local_days_of_at_most_366():
    june = period(date(2024, 6, 1), date(2024, 6, 30), "Asia/Shanghai")
    assert june.start == datetime(2024, 5, 31, 16, tzinfo=UTC)
    assert june.end == datetime(2024, 6, 30, 16, tzinfo=UTC)
    assert june.local_date(datetime(2024, 6, 30, 15, 59, tzinfo=UTC)) == date(2024, 6, 30)
    assert june.local_date(datetime(2024, 6, 30, 16, tzinfo=UTC)) == date(2024, 7, 1)
    leap = period(date(2024, 1, 1), date(2024, 12, 31), "Asia/Shanghai")  # 366 days
    assert (leap.end - leap.start).days == 366
    for first, last, field in ((date(2024, 6, 2), date(2024, 6, 1), "to"),
                               (date(2024, 1, 1), date(2025, 1, 1), "to"),
                               (date(1, 1, 1), date(2024, 1, 1), "from"),
                               (date(2024, 1, 1), date.max, "to")):
        with pytest.raises(ValidationFailed) as failed:
            period(first, last, "Asia/Shanghai")
        assert [e.field for e in failed.value.errors] == [[field]], (first, last)
