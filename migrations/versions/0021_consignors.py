"""consignors: customers flagged as consignors, products owned by a consignor, and the
owner on stock levels and movements, with a receipt's advance shipping notice
(docs/architecture.md#consignors). Existing rows are the company's own goods (NULL).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 00:50:27.066300
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_consignor', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consignor_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_product_consignor_id'), ['consignor_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_product_consignor_id_customer'), 'customer', ['consignor_id'], ['id'])

    with op.batch_alter_table('stock_level', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consignor_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_stock_level_consignor_id'), ['consignor_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_stock_level_consignor_id_customer'), 'customer', ['consignor_id'], ['id'])

    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consignor_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('asn_reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_stock_movement_consignor_id'), ['consignor_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_stock_movement_consignor_id_customer'), 'customer', ['consignor_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stock_movement_consignor_id_customer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_stock_movement_consignor_id'))
        batch_op.drop_column('asn_reference')
        batch_op.drop_column('consignor_id')

    with op.batch_alter_table('stock_level', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stock_level_consignor_id_customer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_stock_level_consignor_id'))
        batch_op.drop_column('consignor_id')

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_product_consignor_id_customer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_product_consignor_id'))
        batch_op.drop_column('consignor_id')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('is_consignor')

