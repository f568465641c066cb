"""Cash-on-delivery remittances: what a carrier paid out of the cash its couriers
collected (docs/architecture.md#cash-on-delivery)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import money_field, timestamp_field


class CodRemittance(SQLModel, table=True):
    __tablename__ = "cod_remittance"
    __table_args__ = (
        UniqueConstraint("carrier_id", "reference"),
        CheckConstraint("amount > 0", name="ck_cod_remittance_amount"),
    )

    id: int | None = Field(default=None, primary_key=True)
    carrier_id: int = Field(foreign_key="carrier.id", index=True)
    amount: Decimal = money_field()
    reference: str = Field(max_length=100)
    received_at: datetime = timestamp_field(index=True)
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = timestamp_field()
