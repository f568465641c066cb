"""failed-delivery follow-up: goods that did not reach the consignee, with reason, next
action and resolution (docs/architecture.md#failed-delivery-follow-up)

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-07 03:02:58.634482
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.persistence.columns

revision: str = '0024'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('delivery_follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('consignor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('next_action', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('open_key', sa.Integer(), nullable=True),
    sa.Column('opened_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('resolution_note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('resolved_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('redeliver_on', sa.Date(), nullable=True),
    sa.Column('redelivery_shipment_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consignor_id'], ['customer.id'], name=op.f('fk_delivery_follow_up_consignor_id_customer')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['app_user.id'], name=op.f('fk_delivery_follow_up_opened_by_id_app_user')),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_delivery_follow_up_order_id_sales_order')),
    sa.ForeignKeyConstraint(['redelivery_shipment_id'], ['shipment.id'], name=op.f('fk_delivery_follow_up_redelivery_shipment_id_shipment')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['app_user.id'], name=op.f('fk_delivery_follow_up_resolved_by_id_app_user')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_delivery_follow_up_shipment_id_shipment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_follow_up')),
    sa.UniqueConstraint('shipment_id', 'open_key', name=op.f('uq_delivery_follow_up_shipment_id_open_key'))
    )
    with op.batch_alter_table('delivery_follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_follow_up_consignor_id'), ['consignor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_follow_up_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_follow_up_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index('ix_delivery_follow_up_status_opened', ['status', 'opened_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('delivery_follow_up', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_follow_up_status_opened')
        batch_op.drop_index(batch_op.f('ix_delivery_follow_up_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_follow_up_order_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_follow_up_consignor_id'))

    op.drop_table('delivery_follow_up')
