"""outbox without the append lock: on PostgreSQL each outbox row records the transaction
that wrote it (`xact_id`, for diagnosis: readers bound their cursors by the ids still in
flight, docs/architecture.md#the-outbox). SQLite (one writer) is unchanged.

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-07 03:15:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0026'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE outbox_event ADD COLUMN xact_id xid8 DEFAULT pg_current_xact_id()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE outbox_event DROP COLUMN xact_id")
