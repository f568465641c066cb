"""carrier services with their rate cards and webhook secrets; parcel facts of products;
the customer's shipping agreement

Carriers keep `base_rate` (legacy: quotes read the rate rules of their services). Existing
products get 0 x 0 x 0 cm and no cold chain, existing customers no free-shipping threshold
(billed), as before (docs/architecture.md#carriers-and-quotes).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.persistence.columns

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MEASURE = sa.Numeric(precision=10, scale=2)
_MONEY = sa.Numeric(precision=14, scale=2)


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _create_carrier_service() -> None:
    op.create_table(
        "carrier_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier_id", sa.Integer(), nullable=False),
        sa.Column("code", _string(32), nullable=False),
        sa.Column("name", _string(200), nullable=False),
        sa.Column("level", _string(16), nullable=False),
        sa.Column("currency", _string(3), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("volumetric_divisor", sa.Integer(), nullable=False),
        sa.Column("max_weight_kg", _MEASURE, nullable=True),
        sa.Column("max_length_cm", _MEASURE, nullable=True),
        sa.Column("max_width_cm", _MEASURE, nullable=True),
        sa.Column("max_height_cm", _MEASURE, nullable=True),
        sa.Column("cutoff_time", sa.Time(), nullable=True),
        sa.Column("cod_supported", sa.Boolean(), nullable=False),
        sa.Column("cod_fee", _MONEY, nullable=False),
        sa.Column("cold_chain", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.persistence.columns.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.persistence.columns.UTCDateTime(), nullable=False),
        sa.CheckConstraint("cod_fee >= 0", name="ck_carrier_service_cod_fee"),
        sa.CheckConstraint("max_weight_kg IS NULL OR max_weight_kg > 0",
                           name="ck_carrier_service_max_weight"),
        sa.CheckConstraint("volumetric_divisor > 0", name="ck_carrier_service_divisor"),
        sa.ForeignKeyConstraint(["carrier_id"], ["carrier.id"],
                                name=op.f("fk_carrier_service_carrier_id_carrier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_service")),
        sa.UniqueConstraint("carrier_id", "code", name=op.f("uq_carrier_service_carrier_id_code")),
    )


def _create_carrier_rate_rule() -> None:
    op.create_table(
        "carrier_rate_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("origin_region", _string(64), nullable=False),
        sa.Column("destination_region", _string(64), nullable=False),
        sa.Column("base_fee", _MONEY, nullable=False),
        sa.Column("per_kg_fee", _MONEY, nullable=False),
        sa.Column("transit_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("base_fee >= 0", name="ck_carrier_rate_rule_base_fee"),
        sa.CheckConstraint("per_kg_fee >= 0", name="ck_carrier_rate_rule_per_kg_fee"),
        sa.CheckConstraint("transit_days >= 0", name="ck_carrier_rate_rule_transit_days"),
        sa.ForeignKeyConstraint(["service_id"], ["carrier_service.id"],
                                name=op.f("fk_carrier_rate_rule_service_id_carrier_service")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_rate_rule")),
        sa.UniqueConstraint(
            "service_id", "origin_region", "destination_region",
            name=op.f("uq_carrier_rate_rule_service_id_origin_region_destination_region")),
    )


def upgrade() -> None:
    _create_carrier_service()
    _create_carrier_rate_rule()
    op.create_table(
        "carrier_webhook_secret",
        sa.Column("carrier_id", sa.Integer(), nullable=False),
        sa.Column("secret", _string(128), nullable=False),
        sa.Column("rotated_at", app.persistence.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["carrier_id"], ["carrier.id"],
                                name=op.f("fk_carrier_webhook_secret_carrier_id_carrier")),
        sa.PrimaryKeyConstraint("carrier_id", name=op.f("pk_carrier_webhook_secret")),
    )
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("free_shipping_threshold", _MONEY, nullable=True))
    with op.batch_alter_table("product") as batch:
        for name in ("length_cm", "width_cm", "height_cm"):
            batch.add_column(sa.Column(name, _MEASURE, server_default="0", nullable=False))
        batch.add_column(sa.Column("cold_chain", sa.Boolean(), server_default=sa.false(),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("product") as batch:
        for name in ("cold_chain", "height_cm", "width_cm", "length_cm"):
            batch.drop_column(name)
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("free_shipping_threshold")
    op.drop_table("carrier_webhook_secret")
    op.drop_table("carrier_rate_rule")
    op.drop_table("carrier_service")
