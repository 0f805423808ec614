"""outbox.failed_at: when a message last failed to be delivered (admin notices count these)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_failed_at", "outbox", ["failed_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_failed_at", table_name="outbox")
    op.drop_column("outbox", "failed_at")
