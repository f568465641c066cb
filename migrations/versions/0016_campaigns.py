"""campaigns: marketing campaigns to saved segments or filters and their recipients (one
row per customer and campaign, unique: a message goes out once); docs/architecture.md#campaigns

Both tables are new. One-click unsubscribes are kept in notification_preference
(channel MARKETING), which exists already.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 21:22:01.132234
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.persistence.columns

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='DRAFT', nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('criteria', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('subject_zh', sqlmodel.sql.sqltypes.AutoString(length=200), server_default='', nullable=False),
    sa.Column('subject_en', sqlmodel.sql.sqltypes.AutoString(length=200), server_default='', nullable=False),
    sa.Column('body_zh', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('body_en', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('links', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('scheduled_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('rate_per_minute', sa.Integer(), nullable=True),
    sa.Column('audience', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('started_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('finished_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_campaign_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['segment_id'], ['saved_segment.id'], name=op.f('fk_campaign_segment_id_saved_segment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_status_scheduled', ['status', 'scheduled_at'], unique=False)

    op.create_table('campaign_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('queued_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('opened_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('opens', sa.Integer(), server_default='0', nullable=False),
    sa.Column('clicked_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('last_clicked_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('clicks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('attributed_until', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('unsubscribed_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_recipient_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_campaign_recipient_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_recipient')),
    sa.UniqueConstraint('campaign_id', 'customer_id', name=op.f('uq_campaign_recipient_campaign_id_customer_id'))
    )
    with op.batch_alter_table('campaign_recipient', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_recipient_campaign_status', ['campaign_id', 'status'], unique=False)
        batch_op.create_index('ix_campaign_recipient_customer_clicked', ['customer_id', 'clicked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('campaign_recipient', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_recipient_customer_clicked')
        batch_op.drop_index('ix_campaign_recipient_campaign_status')

    op.drop_table('campaign_recipient')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_status_scheduled')

    op.drop_table('campaign')
