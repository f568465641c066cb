"""offline writes and push: client references, push devices (token encrypted), contact
versions (docs/architecture.md#offline-writes-and-push)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 00:24:10.289647
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.persistence.columns
import app.persistence.crypto

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('client_reference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('entity_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_client_reference_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_reference')),
    sa.UniqueConstraint('user_id', 'client_id', name=op.f('uq_client_reference_user_id_client_id'))
    )
    op.create_table('device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('token', app.persistence.crypto.EncryptedString(length=1414), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_device_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device'))
    )
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_token_hash'), ['token_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_user_id'))
        batch_op.drop_index(batch_op.f('ix_device_token_hash'))

    op.drop_table('device')
    op.drop_table('client_reference')
