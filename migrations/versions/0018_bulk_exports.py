"""bulk exports: export jobs, their keyset position and file length for resuming
(docs/architecture.md#exports)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:42:29.069301
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.persistence.columns

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('export_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('fields', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('filter', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=True),
    sa.Column('last_id', sa.Integer(), server_default='0', nullable=False),
    sa.Column('bytes_written', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('finished_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('expires_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_export_job_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_job'))
    )
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.create_index('ix_export_job_status', ['status'], unique=False)
        batch_op.create_index('ix_export_job_user_id', ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_index('ix_export_job_user_id')
        batch_op.drop_index('ix_export_job_status')

    op.drop_table('export_job')
