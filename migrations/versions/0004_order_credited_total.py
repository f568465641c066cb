"""orders keep the value of their refunded returns (credited_total), like paid_total

Until now the balance read it from return_request with a correlated sum, which made the
orders domain depend on returns (docs/architecture.md#domains). Existing orders are
backfilled from their refunded RETURN requests.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sales_order") as batch:
        batch.add_column(sa.Column("credited_total", sa.Numeric(precision=14, scale=2),
                                   nullable=False, server_default="0"))
    op.execute(
        "UPDATE sales_order SET credited_total = COALESCE((SELECT SUM(r.refund_amount) "
        "FROM return_request r WHERE r.order_id = sales_order.id AND r.type = 'RETURN' "
        "AND r.status = 'REFUNDED'), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("sales_order") as batch:
        batch.drop_column("credited_total")
