"""analytics: indexes for the windows the aggregates read (shipments by pickup time, the
order history by time); docs/architecture.md#analytics

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:40:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_shipment_shipped_at', 'shipment', ['shipped_at'], unique=False)
    op.create_index('ix_order_event_created', 'order_event', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_order_event_created', table_name='order_event')
    op.drop_index('ix_shipment_shipped_at', table_name='shipment')
