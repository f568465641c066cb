"""What the weekly report holds (docs/architecture.md#reports). No tables: every figure
comes from the analytics, inventory, tickets and surveys services when it is rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class IsoWeek:
    year: int
    week: int

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"


@dataclass(frozen=True)
class Named:
    label: str
    value: Decimal
    count: int = 0


@dataclass(frozen=True)
class StockAlert:
    product: str
    sku: str
    warehouse: str
    available: int
    safety_stock: int


@dataclass(frozen=True)
class CarrierRow:
    carrier: str
    shipments: int
    delivered: int
    on_time_rate: float | None


@dataclass
class WeeklyReport:
    week: IsoWeek
    zone: str
    first_day: date
    end_day: date  # excluded
    revenue: Decimal
    orders: int
    days: list[tuple[date, Decimal]]  # the 7 days of the week
    weeks: list[tuple[date, Decimal]]  # the previous 8 weeks and this one, by Monday
    top_products: list[Named]
    top_customers: list[Named]
    stock_alerts: list[StockAlert]
    carriers: list[CarrierRow]
    tickets: Any  # app.tickets.report.SlaFigures
    satisfaction: Any  # app.surveys.service.Figures
    notes: list[str] = field(default_factory=list)
