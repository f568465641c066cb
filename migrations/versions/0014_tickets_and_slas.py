"""tickets and SLAs: tickets with their links, SLA due times, breach marks and delivery
change requests, their messages and internal notes, and the SLA policy by priority and
customer tier, seeded with the defaults of app/tickets/sla.py
(docs/architecture.md#tickets-and-slas)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:21:08
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.persistence.columns
import app.persistence.crypto

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# minutes to the first response and to the resolution for STANDARD customers, and the
# fraction of them better tiers get (the defaults of app/tickets/sla.py, copied: a
# migration does not import the app's rules, which may change later)
_BASE = {"URGENT": (30, 240), "HIGH": (60, 480), "NORMAL": (240, 1440), "LOW": (480, 4320)}
_TIER_FACTOR = {"STANDARD": 1.0, "SILVER": 0.75, "GOLD": 0.5, "PLATINUM": 0.5}
_SEEDED = datetime(2026, 12, 6, tzinfo=UTC)
_DEFAULT_POLICY = [
    {"priority": p, "tier": t, "first_response_minutes": round(first * f),
     "resolution_minutes": round(resolution * f), "updated_at": _SEEDED}
    for p, (first, resolution) in _BASE.items() for t, f in _TIER_FACTOR.items()]


def upgrade() -> None:
    policy = op.create_table('ticket_sla_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('first_response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_sla_policy')),
    sa.UniqueConstraint('priority', 'tier', name=op.f('uq_ticket_sla_policy_priority_tier'))
    )
    op.bulk_insert(policy, _DEFAULT_POLICY)
    op.create_table('ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('after_sales_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('return_id', sa.Integer(), nullable=True),
    sa.Column('exception_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('first_response_due_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('resolution_due_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('first_responded_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('resolved_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('closed_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('close_reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('resolution_note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('response_breached_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('resolution_breached_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('change_recipient', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('change_phone', app.persistence.crypto.EncryptedString(length=274), nullable=True),
    sa.Column('change_region', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('change_address', app.persistence.crypto.EncryptedString(length=4326), nullable=True),
    sa.Column('change_date', sa.Date(), nullable=True),
    sa.Column('change_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('change_decided_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['app_user.id'], name=op.f('fk_ticket_assignee_id_app_user')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_ticket_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_ticket_customer_id_customer')),
    sa.ForeignKeyConstraint(['exception_id'], ['shipment_exception.id'], name=op.f('fk_ticket_exception_id_shipment_exception')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['ticket.id'], name=op.f('fk_ticket_merged_into_id_ticket')),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_ticket_order_id_sales_order')),
    sa.ForeignKeyConstraint(['return_id'], ['return_request.id'], name=op.f('fk_ticket_return_id_return_request')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_ticket_shipment_id_shipment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket')),
    sa.UniqueConstraint('number', name=op.f('uq_ticket_number'))
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index('ix_ticket_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_ticket_customer_created', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_exception_id'), ['exception_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index('ix_ticket_status_created', ['status', 'created_at'], unique=False)

    op.create_table('ticket_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('author_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('merged_from_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_ticket_message_author_id_app_user')),
    sa.ForeignKeyConstraint(['merged_from_id'], ['ticket.id'], name=op.f('fk_ticket_message_merged_from_id_ticket')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_message_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_message'))
    )
    with op.batch_alter_table('ticket_message', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_message_ticket', ['ticket_id', 'internal', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_message', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_message_ticket')

    op.drop_table('ticket_message')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_status_created')
        batch_op.drop_index(batch_op.f('ix_ticket_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_order_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_exception_id'))
        batch_op.drop_index('ix_ticket_customer_created')
        batch_op.drop_index('ix_ticket_created')
        batch_op.drop_index('ix_ticket_assignee_status')

    op.drop_table('ticket')
    op.drop_table('ticket_sla_policy')
