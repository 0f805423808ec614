"""SQLAlchemy Core tables: one schema for SQLite and PostgreSQL.

The Alembic migrations in ``storage/migrations`` create exactly these tables; a test compares
the two so they cannot drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)

__all__ = [
    "UTCDateTime",
    "article_topics",
    "articles",
    "chats",
    "feed_errors",
    "feeds",
    "metadata",
    "outbox",
    "subscriptions",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zones; storing naive UTC and re-attaching UTC on the way out keeps
    comparisons and ordering right on both backends.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


feeds = Table(
    "feeds",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("url", Text, nullable=False, unique=True),
    Column("language", String(8)),
    Column("interval_seconds", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    # "config" (from feeds.yaml) or "admin" (added from Telegram)
    Column("source", String(16), nullable=False),
    # opaque conditional-GET state (ETag / Last-Modified), as the fetcher wrote it
    Column("caching", Text),
    Column("last_fetched_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime),
    Column("error_count", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # when the feed is next due (interval, server hints, backoff and jitter applied)
    Column("next_fetch_at", UTCDateTime),
    # the first error of the current streak; None while the feed works
    Column("failing_since", UTCDateTime),
    # set when azby paused the feed itself (failing too long); cleared on resume
    Column("paused_at", UTCDateTime),
    Column("paused_reason", Text),
    # the configured URL when a permanent redirect moved the feed to ``url``
    Column("moved_from", Text),
)

# the last few failed fetches of each feed, newest kept (``/feedstatus``)
feed_errors = Table(
    "feed_errors",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("feed_id", _Id, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("error", Text, nullable=False),
    Index("ix_feed_errors_feed_id_at", "feed_id", "at"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("feed_id", _Id, ForeignKey("feeds.id", ondelete="SET NULL")),
    Column("url", Text, nullable=False, unique=True),
    Column("guid", Text),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("relevant", Boolean, nullable=False),
    Column("relevance_score", Float, nullable=False),
    Column("relevance_reason", Text, nullable=False),
    Column("cluster", String(64)),
    # the feed's own text when the full text was fetched from the article page
    Column("teaser", Text),
    # stored on a feed's first poll but older than the backlog age: never digested or alerted
    Column("backlog", Boolean, nullable=False, server_default=false()),
    Column("updated_at", UTCDateTime),
    Index("ix_articles_relevant_published_at", "relevant", "published_at"),
    Index("ix_articles_feed_id_guid", "feed_id", "guid"),
    Index("ix_articles_fetched_at", "fetched_at"),
)

article_topics = Table(
    "article_topics",
    metadata,
    Column("article_id", _Id, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("topic", String(32), primary_key=True),
    Index("ix_article_topics_topic_article_id", "topic", "article_id"),
)

chats = Table(
    "chats",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("type", String(16), nullable=False),
    Column("title", Text),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # the bot's own words in this chat: en, ru or az (stories stay in their language)
    Column("language", String(8), nullable=False, server_default="en"),
    Column("link_previews", Boolean, nullable=False, server_default=false()),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column(
        "chat_id",
        BigInteger,
        ForeignKey("chats.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("time_of_day", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),
    # comma-separated topic keys; empty means every topic
    Column("topics", Text, nullable=False),
    Column("last_digest_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    # "daily", "weekly" (on ``weekday``, 0 = Monday) or "off"
    Column("frequency", String(8), nullable=False, server_default="daily"),
    Column("weekday", Integer),
    # when the next digest is due, in UTC, computed in the chat's own time zone
    Column("next_digest_at", UTCDateTime),
    # comma-separated topics that get instant alerts; empty: no alerts
    Column("alert_topics", Text, nullable=False, server_default=""),
    Column("alerts_per_hour", Integer, nullable=False, server_default="3"),
    Index("ix_subscriptions_next_digest_at", "next_digest_at"),
)

# Every digest, alert or broadcast message is written here first, then sent by the sender:
# a crash loses nothing, and the unique key keeps a period's digest from being queued twice.
outbox = Table(
    "outbox",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    # "digest", "alert" or "broadcast"
    Column("kind", String(16), nullable=False),
    # what the message belongs to, e.g. "digest:2026-11-23T05:00" or "alert:<story>"
    Column("period", String(80), nullable=False),
    Column("part", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("link_previews", Boolean, nullable=False, server_default=false()),
    # "pending", "sending", "sent", "dropped"
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("not_before", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    # the last failed attempt (network error, 5xx, refused, given up): what admin notices count
    Column("failed_at", UTCDateTime),
    UniqueConstraint("chat_id", "period", "part"),
    Index("ix_outbox_status_not_before", "status", "not_before"),
    Index("ix_outbox_failed_at", "failed_at"),
)
