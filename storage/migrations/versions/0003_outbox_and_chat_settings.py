"""chat settings, digest schedule and alerts on subscriptions; the outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(8), server_default="en", nullable=False))
        batch_op.add_column(
            sa.Column("link_previews", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("frequency", sa.String(8), server_default="daily", nullable=False)
        )
        batch_op.add_column(sa.Column("weekday", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("next_digest_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("alert_topics", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("alerts_per_hour", sa.Integer(), server_default="3", nullable=False)
        )
        batch_op.create_index("ix_subscriptions_next_digest_at", ["next_digest_at"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", _Id, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period", sa.String(80), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link_previews", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("chat_id", "period", "part", name=op.f("uq_outbox_chat_id_period_part")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_status_not_before", ["status", "not_before"], unique=False)


def downgrade() -> None:
    op.drop_table("outbox")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriptions_next_digest_at")
        for column in ("alerts_per_hour", "alert_topics", "next_digest_at", "weekday", "frequency"):
            batch_op.drop_column(column)
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("link_previews")
        batch_op.drop_column("language")
