"""a short history of each feed's failed fetches (``/feedstatus``)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feed_errors",
        sa.Column("id", _Id, autoincrement=True, nullable=False),
        sa.Column("feed_id", _Id, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feeds.id"],
            name=op.f("fk_feed_errors_feed_id_feeds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_errors")),
    )
    with op.batch_alter_table("feed_errors", schema=None) as batch_op:
        batch_op.create_index("ix_feed_errors_feed_id_at", ["feed_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_table("feed_errors")
