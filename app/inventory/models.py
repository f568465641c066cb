"""Warehouses, stock levels and the movement ledger.

The ledger is the truth: for every stock level, the sums of `on_hand_delta`
and `reserved_delta` over its movements equal `on_hand` and `reserved`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import timestamp_field


class MovementKind(StrEnum):
    RECEIPT = "RECEIPT"
    ADJUSTMENT = "ADJUSTMENT"
    COUNT = "COUNT"
    RESERVATION = "RESERVATION"
    RELEASE = "RELEASE"
    SHIPMENT = "SHIPMENT"
    TRANSFER_OUT = "TRANSFER_OUT"
    TRANSFER_IN = "TRANSFER_IN"
    RETURN_RESTOCK = "RETURN_RESTOCK"
    SCRAP = "SCRAP"
    # a consignor's goods handed back to it (a failed delivery returned to the consignor)
    CONSIGNOR_RETURN = "CONSIGNOR_RETURN"


class Warehouse(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    region: str = Field(default="", max_length=64)
    address: str = Field(default="", max_length=400)
    is_active: bool = True
    created_at: datetime = timestamp_field()


class StockLevel(SQLModel, table=True):
    __tablename__ = "stock_level"
    __table_args__ = (
        UniqueConstraint("product_id", "warehouse_id"),
        CheckConstraint("on_hand >= 0", name="ck_stock_on_hand"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="ck_stock_reserved"),
        CheckConstraint("safety_stock >= 0", name="ck_stock_safety"),
        CheckConstraint("reorder_point >= 0", name="ck_stock_reorder"),
        CheckConstraint("incoming >= 0", name="ck_stock_incoming"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    on_hand: int = 0
    reserved: int = 0
    incoming: int = 0
    safety_stock: int = 0
    reorder_point: int = 0
    # the product's consignor, copied when the level is created (docs/architecture.md#consignors)
    consignor_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    updated_at: datetime = timestamp_field()


class StockMovement(SQLModel, table=True):
    __tablename__ = "stock_movement"
    __table_args__ = (
        Index("ix_stock_movement_level_time", "product_id", "warehouse_id", "created_at"),
        Index("ix_stock_movement_reference", "reference_type", "reference_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id")
    warehouse_id: int = Field(foreign_key="warehouse.id")
    kind: str = Field(max_length=32, index=True)
    on_hand_delta: int = 0
    reserved_delta: int = 0
    reason: str = Field(default="", max_length=400)
    reference_type: str | None = Field(default=None, max_length=32)
    reference_id: int | None = None
    # A document outside this system (supplier delivery note, count sheet number).
    external_reference: str | None = Field(default=None, max_length=100, index=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    # whose goods moved: the level's consignor (None: the company's own), and for a
    # consignor's receipt its advance shipping notice (docs/architecture.md#consignors)
    consignor_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    asn_reference: str | None = Field(default=None, max_length=100)
    created_at: datetime = timestamp_field(index=True)
