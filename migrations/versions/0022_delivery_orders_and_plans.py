"""delivery orders and plans: a consignor's delivery orders to its consignees (unique per
consignor reference and per plan date), its freight agreement, and its recurring delivery
plans with their standing quantities, and a delivery change's new quantities on its ticket
(docs/architecture.md#delivery-orders-and-plans).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 03:02:04.316255
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.persistence.columns
import app.persistence.crypto


revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('consignor_freight_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consignor_id', sa.Integer(), nullable=False),
    sa.Column('basis', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('rate', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('minimum_charge', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consignor_id'], ['customer.id'], name=op.f('fk_consignor_freight_agreement_consignor_id_customer')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_consignor_freight_agreement_updated_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consignor_freight_agreement')),
    sa.UniqueConstraint('consignor_id', name=op.f('uq_consignor_freight_agreement_consignor_id'))
    )
    op.create_table('delivery_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consignor_id', sa.Integer(), nullable=False),
    sa.Column('consignee_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('route_days', sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('ship_recipient', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('ship_phone', app.persistence.crypto.EncryptedString(length=274), nullable=True),
    sa.Column('ship_region', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('ship_address', app.persistence.crypto.EncryptedString(length=4326), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consignee_id'], ['customer.id'], name=op.f('fk_delivery_plan_consignee_id_customer')),
    sa.ForeignKeyConstraint(['consignor_id'], ['customer.id'], name=op.f('fk_delivery_plan_consignor_id_customer')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_delivery_plan_created_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_plan'))
    )
    with op.batch_alter_table('delivery_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_plan_consignee_id'), ['consignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_plan_consignor_id'), ['consignor_id'], unique=False)

    op.create_table('delivery_plan_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name='ck_delivery_plan_line_quantity'),
    sa.ForeignKeyConstraint(['plan_id'], ['delivery_plan.id'], name=op.f('fk_delivery_plan_line_plan_id_delivery_plan')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_delivery_plan_line_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_plan_line'))
    )
    with op.batch_alter_table('delivery_plan_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_plan_line_plan_id'), ['plan_id'], unique=False)

    op.create_table('delivery_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('consignor_id', sa.Integer(), nullable=False),
    sa.Column('consignee_id', sa.Integer(), nullable=True),
    sa.Column('consignor_reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('plan_date', sa.Date(), nullable=True),
    sa.Column('freight_charge', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('freight_basis', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('freight_quantity', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consignee_id'], ['customer.id'], name=op.f('fk_delivery_order_consignee_id_customer')),
    sa.ForeignKeyConstraint(['consignor_id'], ['customer.id'], name=op.f('fk_delivery_order_consignor_id_customer')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_delivery_order_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_delivery_order_order_id_sales_order')),
    sa.ForeignKeyConstraint(['plan_id'], ['delivery_plan.id'], name=op.f('fk_delivery_order_plan_id_delivery_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_order')),
    sa.UniqueConstraint('consignor_id', 'consignor_reference', name=op.f('uq_delivery_order_consignor_id_consignor_reference')),
    sa.UniqueConstraint('order_id', name=op.f('uq_delivery_order_order_id')),
    sa.UniqueConstraint('plan_id', 'plan_date', name=op.f('uq_delivery_order_plan_id_plan_date'))
    )
    with op.batch_alter_table('delivery_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_order_consignee_id'), ['consignee_id'], unique=False)
        batch_op.create_index('ix_delivery_order_consignor_created', ['consignor_id', 'created_at'], unique=False)

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_quantities', sa.JSON(none_as_null=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('change_quantities')

    with op.batch_alter_table('delivery_order', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_order_consignor_created')
        batch_op.drop_index(batch_op.f('ix_delivery_order_consignee_id'))

    op.drop_table('delivery_order')
    with op.batch_alter_table('delivery_plan_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_plan_line_plan_id'))

    op.drop_table('delivery_plan_line')
    with op.batch_alter_table('delivery_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_plan_consignor_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_plan_consignee_id'))

    op.drop_table('delivery_plan')
    op.drop_table('consignor_freight_agreement')
