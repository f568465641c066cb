"""users choose the language of their notifications; notifications keep what they are about

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the payload key each de-duplicated template is about (app/notifications/planner.py)
_SOURCES = {"order_received": "order_id", "order_approved": "order_id",
            "order_delivered": "order_id", "order_shipped": "shipment_id",
            "order_delayed": "shipment_id", "staff_exception": "shipment_id"}


def _backfill() -> None:
    """Existing notifications learn their source from the event that caused them."""
    notification = sa.table("notification", sa.column("id", sa.Integer),
                            sa.column("template", sa.String), sa.column("event_id", sa.Integer),
                            sa.column("source_key", sa.String))
    event = sa.table("outbox_event", sa.column("id", sa.Integer), sa.column("payload", sa.JSON))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(notification.c.id, notification.c.template, event.c.payload)
        .join(event, event.c.id == notification.c.event_id)
        .where(notification.c.template.in_(list(_SOURCES)))).all()
    updates = []
    for row_id, template, payload in rows:
        value = (payload or {}).get(_SOURCES[template])
        if value is not None:
            updates.append({"row_id": row_id, "key": f"{_SOURCES[template]}={value}"})
    if updates:
        conn.execute(notification.update().where(notification.c.id == sa.bindparam("row_id"))
                     .values(source_key=sa.bindparam("key")), updates)


def upgrade() -> None:
    # existing users keep the language their alerts were in (Chinese)
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8),
                                      nullable=False, server_default="zh"))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_key", sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.create_index("ix_notification_source", ["template", "source_key"],
                              unique=False)
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_source")
        batch_op.drop_column("source_key")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("language")
