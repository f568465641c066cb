"""customer segments: the computed RFM segment of each customer with purchases, and saved
segments (named filters); docs/architecture.md#customer-segments

Both tables are new; `crm segments recompute` (or the server at start-up) fills
customer_segment.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 19:06:51.776102
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.persistence.columns

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('saved_segment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=400), server_default='', nullable=False),
    sa.Column('criteria', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_saved_segment_created_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_segment')),
    sa.UniqueConstraint('name', name=op.f('uq_saved_segment_name'))
    )
    op.create_table('customer_segment',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('previous_segment', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('r_score', sa.Integer(), nullable=False),
    sa.Column('f_score', sa.Integer(), nullable=False),
    sa.Column('m_score', sa.Integer(), nullable=False),
    sa.Column('order_count', sa.Integer(), nullable=False),
    sa.Column('monetary', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('first_order_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('last_order_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('cadence_days', sa.Float(), nullable=True),
    sa.Column('next_order_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('computed_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('segment_changed_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_segment_customer_id_customer')),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customer_segment'))
    )
    with op.batch_alter_table('customer_segment', schema=None) as batch_op:
        batch_op.create_index('ix_customer_segment_next_order_at', ['next_order_at'], unique=False)
        batch_op.create_index('ix_customer_segment_segment', ['segment'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('customer_segment', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_segment_segment')
        batch_op.drop_index('ix_customer_segment_next_order_at')

    op.drop_table('customer_segment')
    op.drop_table('saved_segment')
