"""durable consumers of the outbox: notifications are planned from it, after commit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.persistence.columns

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# app/notifications/planning.py; until now its events were planned inside their own
# transactions, so it starts after the newest event already stored
_NOTIFICATIONS = "notifications"


def upgrade() -> None:
    consumer = op.create_table(
        "outbox_consumer",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.persistence.columns.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_consumer")),
    )
    newest = op.get_bind().execute(sa.text("SELECT max(id) FROM outbox_event")).scalar()
    op.bulk_insert(consumer, [{"name": _NOTIFICATIONS, "position": newest or 0,
                               "updated_at": app.persistence.columns.utcnow()}])


def downgrade() -> None:
    op.drop_table("outbox_consumer")
