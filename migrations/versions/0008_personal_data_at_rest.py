"""personal data at rest: phones, e-mails and address lines widened for their ciphertext,
keyed-hash columns for exact lookup of e-mails and phones (docs/architecture.md
#personal-data-at-rest)

Nothing is encrypted here: rows are encrypted by `crm rotate-data-key` once CRM_DATA_KEY is
set. A downgrade narrows the columns again, so it needs the data in plain text (no key set
ever, or a database restored from before).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 18:18:39.564399
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.alter_column('phone',
               existing_type=sa.VARCHAR(length=40),
               type_=sa.String(length=274),
               existing_nullable=True)
        batch_op.alter_column('line1',
               existing_type=sa.VARCHAR(length=300),
               type_=sa.String(length=1662),
               existing_nullable=False)
        batch_op.alter_column('line2',
               existing_type=sa.VARCHAR(length=300),
               type_=sa.String(length=1662),
               existing_nullable=False)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=254),
               type_=sa.String(length=1414),
               existing_nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_app_user_email_hash'), ['email_hash'])

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('phone_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=254),
               type_=sa.String(length=1414),
               existing_nullable=True)
        batch_op.alter_column('phone',
               existing_type=sa.VARCHAR(length=40),
               type_=sa.String(length=274),
               existing_nullable=True)
        batch_op.create_index(batch_op.f('ix_contact_email_hash'), ['email_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_phone_hash'), ['phone_hash'], unique=False)

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('phone_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=254),
               type_=sa.String(length=1414),
               existing_nullable=True)
        batch_op.alter_column('phone',
               existing_type=sa.VARCHAR(length=40),
               type_=sa.String(length=274),
               existing_nullable=True)
        batch_op.create_index(batch_op.f('ix_customer_email_hash'), ['email_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_phone_hash'), ['phone_hash'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('recipient',
               existing_type=sa.VARCHAR(length=254),
               type_=sa.String(length=1414),
               existing_nullable=False)

    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.alter_column('ship_phone',
               existing_type=sa.VARCHAR(length=40),
               type_=sa.String(length=274),
               existing_nullable=True)
        batch_op.alter_column('ship_address',
               existing_type=sa.VARCHAR(length=800),
               type_=sa.String(length=4326),
               existing_nullable=False)

    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.alter_column('recipient_phone',
               existing_type=sa.VARCHAR(length=32),
               type_=sa.String(length=230),
               existing_nullable=False,
               existing_server_default=sa.text("('')"))
        batch_op.alter_column('recipient_address',
               existing_type=sa.VARCHAR(length=400),
               type_=sa.String(length=2194),
               existing_nullable=False,
               existing_server_default=sa.text("('')"))



def downgrade() -> None:
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.alter_column('recipient_address',
               existing_type=sa.String(length=2194),
               type_=sa.VARCHAR(length=400),
               existing_nullable=False,
               existing_server_default=sa.text("('')"))
        batch_op.alter_column('recipient_phone',
               existing_type=sa.String(length=230),
               type_=sa.VARCHAR(length=32),
               existing_nullable=False,
               existing_server_default=sa.text("('')"))

    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.alter_column('ship_address',
               existing_type=sa.String(length=4326),
               type_=sa.VARCHAR(length=800),
               existing_nullable=False)
        batch_op.alter_column('ship_phone',
               existing_type=sa.String(length=274),
               type_=sa.VARCHAR(length=40),
               existing_nullable=True)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('recipient',
               existing_type=sa.String(length=1414),
               type_=sa.VARCHAR(length=254),
               existing_nullable=False)

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_customer_email_hash'))
        batch_op.alter_column('phone',
               existing_type=sa.String(length=274),
               type_=sa.VARCHAR(length=40),
               existing_nullable=True)
        batch_op.alter_column('email',
               existing_type=sa.String(length=1414),
               type_=sa.VARCHAR(length=254),
               existing_nullable=True)
        batch_op.drop_column('phone_hash')
        batch_op.drop_column('email_hash')

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_contact_email_hash'))
        batch_op.alter_column('phone',
               existing_type=sa.String(length=274),
               type_=sa.VARCHAR(length=40),
               existing_nullable=True)
        batch_op.alter_column('email',
               existing_type=sa.String(length=1414),
               type_=sa.VARCHAR(length=254),
               existing_nullable=True)
        batch_op.drop_column('phone_hash')
        batch_op.drop_column('email_hash')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_app_user_email_hash'), type_='unique')
        batch_op.alter_column('email',
               existing_type=sa.String(length=1414),
               type_=sa.VARCHAR(length=254),
               existing_nullable=False)
        batch_op.drop_column('email_hash')

    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.alter_column('line2',
               existing_type=sa.String(length=1662),
               type_=sa.VARCHAR(length=300),
               existing_nullable=False)
        batch_op.alter_column('line1',
               existing_type=sa.String(length=1662),
               type_=sa.VARCHAR(length=300),
               existing_nullable=False)
        batch_op.alter_column('phone',
               existing_type=sa.String(length=274),
               type_=sa.VARCHAR(length=40),
               existing_nullable=True)

