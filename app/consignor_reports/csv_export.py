"""A consignor's report as a CSV file (`GET /reports/consignor`,
docs/architecture.md#consignor-reports): one row per figure, `figure,value`, the API's
names and values (rates as decimals, money with two places, an empty cell for null), the
freight billed one row per currency (`freightBilled.CNY`)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from app.consignor_reports.models import ConsignorReport
from app.ids import to_global_id

FIGURES = ("days", "shipments", "delivered", "onTime", "withPromise", "onTimeRate", "failed",
           "failedRate", "unitsShipped", "openingOnHand", "closingOnHand", "stockTurnover",
           "daysOfCover", "complaints", "surveysAnswered", "averageCsat")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def report_rows(report: ConsignorReport) -> list[tuple[str, str]]:
    rows = [("consignorId", to_global_id("Customer", report.consignor_id)),
            ("from", report.first_day.isoformat()), ("to", report.last_day.isoformat())]
    rows += [(name, _text(getattr(report, _snake(name)))) for name in FIGURES]
    rows += [(f"freightBilled.{m.currency}", str(m.amount)) for m in report.freight_billed]
    return rows


def report_csv(report: ConsignorReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("figure", "value"))
    writer.writerows(report_rows(report))
    return out.getvalue()
