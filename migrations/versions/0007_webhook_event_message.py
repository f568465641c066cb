"""the carrier webhook inbox keeps why an event was INVALID (message), and is listed newest
first (index on received_at) (docs/architecture.md#carrier-webhooks)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 16:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('carrier_webhook_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=400),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_carrier_webhook_event_received_at'),
                              ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('carrier_webhook_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carrier_webhook_event_received_at'))
        batch_op.drop_column('message')
