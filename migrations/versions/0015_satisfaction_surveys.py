"""satisfaction surveys (one per delivered order or resolved ticket, answered once by a
signed link) and the due-date reminders' claims (docs/architecture.md
#satisfaction-surveys-and-proactive-communication)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:20:44.179779
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.persistence.columns

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('order_reminder',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('promised_date', sa.Date(), nullable=False),
    sa.Column('sent_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_order_reminder_order_id_sales_order')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_reminder'))
    )
    op.create_table('survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subject_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('agent_user_id', sa.Integer(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('sent_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('expires_at', app.persistence.columns.UTCDateTime(), nullable=False),
    sa.Column('answered_at', app.persistence.columns.UTCDateTime(), nullable=True),
    sa.Column('csat', sa.Integer(), nullable=True),
    sa.Column('nps', sa.Integer(), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('tags', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('low_score', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.CheckConstraint('csat IS NULL OR (csat BETWEEN 1 AND 5)', name='ck_survey_csat'),
    sa.CheckConstraint('nps IS NULL OR (nps BETWEEN 0 AND 10)', name='ck_survey_nps'),
    sa.ForeignKeyConstraint(['agent_user_id'], ['app_user.id'], name=op.f('fk_survey_agent_user_id_app_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_survey_customer_id_customer')),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_survey_order_id_sales_order')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_survey_shipment_id_shipment')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_survey_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey')),
    sa.UniqueConstraint('subject_key', name=op.f('uq_survey_subject_key'))
    )
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_agent_user_id'), ['agent_user_id'], unique=False)
        batch_op.create_index('ix_survey_customer', ['customer_id', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_survey_sent', ['sent_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_ticket_id'))
        batch_op.drop_index('ix_survey_sent')
        batch_op.drop_index(batch_op.f('ix_survey_order_id'))
        batch_op.drop_index('ix_survey_customer')
        batch_op.drop_index(batch_op.f('ix_survey_agent_user_id'))

    op.drop_table('survey')
    op.drop_table('order_reminder')
