"""fetch schedule and pause state on feeds; teaser, backlog flag and updated_at on articles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_fetch_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("paused_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("moved_from", sa.Text(), nullable=True))
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("teaser", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("backlog", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_articles_feed_id_guid", ["feed_id", "guid"], unique=False)
        batch_op.create_index("ix_articles_fetched_at", ["fetched_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_fetched_at")
        batch_op.drop_index("ix_articles_feed_id_guid")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("backlog")
        batch_op.drop_column("teaser")
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_column("moved_from")
        batch_op.drop_column("paused_reason")
        batch_op.drop_column("paused_at")
        batch_op.drop_column("failing_since")
        batch_op.drop_column("next_fetch_at")
