"""quotes and price agreements: quotes with their lines and approval, customers' prices per
product and freight terms, each with a validity (docs/architecture.md
#quotes-and-price-agreements)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 18:48:41.460219
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.persistence.columns

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('freight_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('free_shipping_threshold', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('flat_fee', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_freight_agreement_customer_id_customer')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_freight_agreement_updated_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_freight_agreement')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_freight_agreement_customer_id'))
    )
    op.create_table('price_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), server_default='', nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.CheckConstraint('price >= 0', name='ck_price_agreement_price'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_price_agreement_customer_id_customer')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_price_agreement_product_id_product')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_price_agreement_updated_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_agreement')),
    sa.UniqueConstraint('customer_id', 'product_id', name=op.f('uq_price_agreement_customer_id_product_id'))
    )
    with op.batch_alter_table('price_agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_agreement_product_id'), ['product_id'], unique=False)

    op.create_table('quote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=24), server_default='DRAFT', nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), server_default='CNY', nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('terms', sqlmodel.sql.sqltypes.AutoString(length=4000), server_default='', nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('discount_total', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('max_discount', sa.Numeric(precision=6, scale=4), server_default='0', nullable=False),
    sa.Column('approval_level', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='NONE', nullable=False),
    sa.Column('approval_note', sqlmodel.sql.sqltypes.AutoString(length=2000), server_default='', nullable=False),
    sa.Column('decline_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), server_default='', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('approved_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('sent_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('decided_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['app_user.id'], name=op.f('fk_quote_approved_by_id_app_user')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_quote_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_quote_customer_id_customer')),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_quote_order_id_sales_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote')),
    sa.UniqueConstraint('number', name=op.f('uq_quote_number')),
    sa.UniqueConstraint('order_id', name=op.f('uq_quote_order_id'))
    )
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.create_index('ix_quote_customer_created', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_quote_status_valid_until', ['status', 'valid_until'], unique=False)

    op.create_table('quote_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('sku', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('discount_rate', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('line_total', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('reference_price', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.CheckConstraint('quantity > 0', name='ck_quote_line_quantity'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_quote_line_product_id_product')),
    sa.ForeignKeyConstraint(['quote_id'], ['quote.id'], name=op.f('fk_quote_line_quote_id_quote')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_line'))
    )
    with op.batch_alter_table('quote_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_line_quote_id'), ['quote_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('quote_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_line_quote_id'))

    op.drop_table('quote_line')
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.drop_index('ix_quote_status_valid_until')
        batch_op.drop_index('ix_quote_customer_created')

    op.drop_table('quote')
    with op.batch_alter_table('price_agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_agreement_product_id'))

    op.drop_table('price_agreement')
    op.drop_table('freight_agreement')
