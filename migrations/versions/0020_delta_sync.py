"""delta sync: the change log of synced objects by outbox position
(docs/architecture.md#delta-sync)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 01:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sync_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_sync_change_entity_position', 'sync_change', ['entity', 'position'],
                    unique=False)
    op.create_index(op.f('ix_sync_change_position'), 'sync_change', ['position'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sync_change_position'), table_name='sync_change')
    op.drop_index('ix_sync_change_entity_position', table_name='sync_change')
    op.drop_table('sync_change')
