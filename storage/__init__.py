"""azby's store: feeds with their fetch state, articles with their topics, chats, subscriptions.

``open_store(url)`` opens (and creates and migrates) the database a SQLAlchemy URL names:
``sqlite+aiosqlite:///path`` (the embedded default) or ``postgresql+asyncpg://…``.

Errors::

    StorageError          every driver or migration error, wrapped, with the operation named
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Protocol

from bot.models import (
    Article,
    ArticleKey,
    BotStats,
    Chat,
    Classification,
    FeedConfig,
    FeedError,
    FeedImport,
    FeedReport,
    FeedState,
    NewArticle,
    OutboxMessage,
    StoryItem,
    Subscription,
)

__all__ = ["FEED_ERRORS_KEPT", "LeaderLock", "StorageError", "Store", "open_store", "redact_url"]

FEED_ERRORS_KEPT = 20
"""How many failed fetches of each feed the store remembers (older ones are pruned)."""


class StorageError(Exception):
    """A database operation failed; the message names the operation and the cause."""


class LeaderLock(Protocol):
    """Held by the one process that polls, queues digests and sends; from
    ``Store.take_leader_lock``."""

    async def alive(self) -> bool:
        """Still held. False once the lock is lost (on PostgreSQL: its connection failed or
        did not answer in time); the lock is then released for good, take a new one."""
        ...

    async def release(self) -> None:
        """Let another process lead (also done by the process dying). Safe to call twice."""
        ...


class Store(Protocol):
    """What the rest of azby may ask of the database. Every method may raise StorageError."""

    # --- feeds -------------------------------------------------------------------------

    async def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> None:
        """Make the stored config feeds match ``feeds.yaml``.

        New feeds are added; a known feed (same URL, same name, or moved by a permanent
        redirect from that URL) takes the configured name, language, interval and enabled flag
        and keeps its fetch state (and its moved URL); config feeds no longer in the file are
        disabled, never deleted (their articles stay).
        """
        ...

    async def list_feeds(self, *, enabled_only: bool = False) -> list[FeedState]:
        """Every stored feed, by name; ``enabled_only``: enabled and not paused."""
        ...

    async def claim_feeds(self, now: datetime, *, due_only: bool) -> list[FeedState]:
        """The enabled, unpaused feeds to poll now (``due_only``: those whose
        ``next_fetch_at`` is unset or has come), by name, each moved on by its interval in the
        same transaction (``next_fetch_at`` = now + interval, until ``record_fetch`` sets the
        real next time). So a second poller, say a new leader while the old one still
        finishes its cycle, never gets the same feed, and a poller that dies mid-fetch leaves
        the feed to its next interval rather than to an immediate second fetch."""
        ...

    async def pause_feed(self, feed_id: int, now: datetime, reason: str) -> None:
        """Stop polling a feed (it keeps failing); ``reason`` says why, for the admins."""
        ...

    async def resume_feed(self, feed_id: int, now: datetime) -> None:
        """Poll a paused feed again, now, with a clean error streak."""
        ...

    async def move_feed(self, feed_id: int, url: str) -> bool:
        """A permanent redirect: poll ``url`` from now on (False when another feed has it)."""
        ...

    async def record_fetch(
        self,
        feed_id: int,
        now: datetime,
        *,
        error: str | None = None,
        caching: str | None = None,
        not_modified: bool = False,
        next_fetch_at: datetime | None = None,
    ) -> None:
        """Record one fetch of a feed.

        Success (``error is None``): ``last_success_at`` set, the error streak reset and the
        caching value replaced by ``caching`` (kept as it is for a 304, ``not_modified``).
        Failure: ``last_error``/``last_error_at`` set and ``error_count`` increased; the
        caching value is kept. ``last_error`` stays as history: it is current only while
        ``last_error_at`` is later than ``last_success_at``. ``failing_since`` marks the first
        error of the current streak. ``next_fetch_at`` is when the feed is due again.
        A failure is also added to the feed's error history (the last ``FEED_ERRORS_KEPT``).
        """
        ...

    async def add_feed(self, feed: FeedConfig, now: datetime) -> FeedState | None:
        """Add a feed from Telegram (``source`` "admin"), due at once. None when a stored feed
        already has its name (in any case), its URL, or moved here from that URL.

        ``sync_feeds`` never disables an admin feed; if ``feeds.yaml`` later lists the same
        URL or name, the file adopts it (it becomes a config feed, keeping its history)."""
        ...

    async def remove_feed(self, feed_id: int) -> bool:
        """Delete a feed and its error history; its articles stay, without a feed. False when
        there was no such feed."""
        ...

    async def set_feed_enabled(self, feed_id: int, enabled: bool) -> None:
        """Enable or disable a feed (``sync_feeds`` overrides this for config feeds)."""
        ...

    async def feed_report(self, since: datetime) -> list[FeedReport]:
        """Every stored feed, by name, with how many articles it stored since ``since`` (first
        seen) and how many of those are relevant: one query, however many feeds."""
        ...

    async def feed_errors(self, feed_id: int, *, limit: int = 10) -> list[FeedError]:
        """The feed's latest failed fetches, newest first."""
        ...

    async def import_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> list[FeedImport]:
        """Import feeds (``azby import``) in one transaction: all of them or none.

        A feed not stored yet (by URL, moved-from URL, or name in any case) is added as an
        admin feed. A stored admin feed takes the imported name, URL, language, interval and
        enabled flag ("updated"; "skipped" when nothing differs or the new name or URL belongs
        to another feed). A feed from ``feeds.yaml`` is never changed ("skipped": the file
        owns it). One result per imported feed, in input order."""
        ...

    async def stats(self, now: datetime, *, days: int = 7) -> BotStats:
        """Chats, subscribers, feeds, stories first seen per UTC day over the last ``days``
        days (today included), and the outbox's deliveries and failures in that window."""
        ...

    # --- articles ----------------------------------------------------------------------

    async def add_articles(self, feed_id: int, articles: Sequence[NewArticle]) -> list[int]:
        """Insert the articles whose URL is not stored yet; return the ids of those inserted.

        Idempotent: an article whose URL is already stored (by any feed) is skipped, so
        polling the same feed twice stores nothing twice.
        """
        ...

    async def find_articles(
        self, feed_id: int, urls: Sequence[str], guids: Sequence[str]
    ) -> list[ArticleKey]:
        """Stored articles with one of ``urls`` (any feed), or one of ``guids`` in this feed."""
        ...

    async def update_article(self, article_id: int, article: NewArticle, now: datetime) -> None:
        """A feed changed an article (title, text, link): store its new content and verdict.

        Its first-seen time, story and backlog flag stay: an edit is never a new article.
        """
        ...

    async def update_verdict(
        self, article_id: int, verdict: Classification, relevant: bool
    ) -> None:
        """Store a new classification of an article (``azby reclassify``): relevance, topics,
        summary, language. Its text, dates and story stay."""
        ...

    async def prune(self, *, irrelevant_before: datetime, all_before: datetime) -> int:
        """Delete irrelevant articles first seen before ``irrelevant_before`` and all articles
        first seen before ``all_before``; return how many were deleted."""
        ...

    async def latest_articles(
        self,
        *,
        limit: int = 10,
        topics: Sequence[str] = (),
        since: datetime | None = None,
        seen_since: datetime | None = None,
        relevant_only: bool = True,
        include_backlog: bool = True,
    ) -> list[Article]:
        """Newest articles first (by publication date), optionally with any of ``topics``,
        published at or after ``since``, first stored at or after ``seen_since``; without
        ``include_backlog``, not the old items of a feed's first poll."""
        ...

    async def search_articles(
        self, query: str, *, limit: int = 5, offset: int = 0, relevant_only: bool = True
    ) -> list[Article]:
        """Articles matching every word of ``query`` (title, summary or text), best first.

        Ranked by full-text relevance (a title match counts most) divided by an age decay
        (an article 30 days old counts half), across languages: each word also matches its
        transliterations (``Lukashenko`` finds Лукашенко, ``Aliyev`` finds Алиев and Əliyev,
        ``Minsk`` finds Минске) and, from 4 letters on, longer words starting with its stem.
        Only the 500 newest matches are ranked (a word found in every article costs what a
        rare one does), so paging ends there. Punctuation is ignored, never syntax: a query
        without letters or digits returns [].
        ``offset`` skips that many results (paging); ``relevant_only``: AZ–BY articles only.
        """
        ...

    def iter_articles(self) -> AsyncIterator[Article]:
        """Every stored article, oldest first, streamed."""
        ...

    async def recent_story_heads(self, since: datetime) -> list[StoryItem]:
        """The relevant articles published since ``since``, oldest first, with their story,
        title, language and first 1,500 characters: what a new relevant article is compared
        with to join an existing story (``bot.pipeline.cluster.assign_stories``)."""
        ...

    async def count_articles(self, *, relevant_only: bool = False) -> int:
        """How many articles are stored."""
        ...

    # --- chats and subscriptions -------------------------------------------------------

    async def upsert_chat(self, chat: Chat, now: datetime) -> None:
        """Remember a chat (its type and title), marking it active."""
        ...

    async def set_chat_active(self, chat_id: int, active: bool, now: datetime) -> None:
        """Mark a chat active or inactive (blocked, kicked, not found)."""
        ...

    async def migrate_chat(self, old_id: int, new_id: int, now: datetime) -> None:
        """A group became a supergroup: the new chat id takes over the old one's subscription;
        the old chat is marked inactive."""
        ...

    async def get_chat(self, chat_id: int) -> Chat | None:
        """The stored chat, if any."""
        ...

    async def subscribe(self, subscription: Subscription, now: datetime) -> bool:
        """Create or replace a chat's subscription; True when it is new."""
        ...

    async def unsubscribe(self, chat_id: int) -> bool:
        """Remove a chat's subscription; True when there was one."""
        ...

    async def get_subscription(self, chat_id: int) -> Subscription | None:
        """The chat's subscription, if any."""
        ...

    async def active_subscriptions(self) -> list[Subscription]:
        """Subscriptions of active chats."""
        ...

    async def due_subscriptions(self, now: datetime, limit: int) -> list[tuple[Subscription, Chat]]:
        """Subscriptions of active chats whose ``next_digest_at`` has come, oldest first: one
        indexed query, however many chats there are."""
        ...

    async def queue_digest(
        self,
        subscription: Subscription,
        *,
        sent_at: datetime,
        next_at: datetime | None,
        period: str,
        messages: Sequence[str],
        link_previews: bool,
    ) -> bool:
        """In one transaction: move the subscription on (``last_digest_at`` = ``sent_at``,
        ``next_digest_at`` = ``next_at``) if nobody else did since it was read, and put the
        digest's messages in the outbox (unique per chat, period and part). False when another
        process had already taken this digest. ``messages`` may be empty (a skipped day)."""
        ...

    async def enqueue(
        self,
        chat_id: int,
        *,
        kind: str,
        period: str,
        messages: Sequence[str],
        link_previews: bool,
        now: datetime,
    ) -> int:
        """Put messages in the outbox (alerts, broadcasts); returns how many were new."""
        ...

    async def enqueue_many(
        self,
        chat_ids: Sequence[int],
        *,
        kind: str,
        period: str,
        messages: Sequence[str],
        link_previews: bool,
        now: datetime,
    ) -> int:
        """``enqueue`` for each of ``chat_ids``, in one transaction (a broadcast to every
        subscriber); returns how many messages were new."""
        ...

    async def alert_subscriptions(self) -> list[tuple[Subscription, Chat]]:
        """Subscriptions of active chats that asked for instant alerts on some topics."""
        ...

    async def count_outbox(self, chat_id: int, *, kind: str, since: datetime) -> int:
        """How many messages of ``kind`` were queued for the chat since ``since`` (any status):
        what an hourly cap counts."""
        ...

    async def claim_outbox(
        self, now: datetime, *, limit: int, reclaim_before: datetime
    ) -> list[OutboxMessage]:
        """Take up to ``limit`` due messages to send (``pending`` with ``not_before`` ≤ now,
        or ``sending`` claimed before ``reclaim_before``: a process died sending them), in
        queue order. A chat's message is not claimed while an earlier one of that chat is
        claimed and not yet finished, or must still wait; claims are serialised on PostgreSQL,
        so concurrent claimers never get the same row nor messages of the same chat."""
        ...

    async def finish_outbox(self, message_ids: Sequence[int], now: datetime) -> None:
        """These messages were delivered."""
        ...

    async def defer_outbox(
        self,
        message: OutboxMessage,
        not_before: datetime,
        error: str,
        *,
        count: bool = True,
        failed_at: datetime | None = None,
    ) -> None:
        """Try the message again later; the chat's later messages wait too, so a digest's parts
        keep their order. ``count``: the attempt counts towards giving up. ``failed_at``: the
        attempt was a delivery failure (not a 429), counted by ``count_delivery_failures``."""
        ...

    async def drop_outbox(
        self,
        chat_id: int,
        error: str,
        *,
        message_id: int | None = None,
        failed_at: datetime | None = None,
    ) -> int:
        """Give up on one message (``message_id``) or on everything queued for the chat;
        ``failed_at`` as for ``defer_outbox`` (a blocked chat is not a delivery failure)."""
        ...

    async def count_delivery_failures(self, since: datetime) -> int:
        """Messages whose last failed attempt was at or after ``since`` (all processes)."""
        ...

    async def prune_outbox(self, before: datetime) -> int:
        """Delete sent and dropped messages queued before ``before`` (never pending ones);
        return how many were deleted."""
        ...

    async def move_outbox(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its queued messages go to the new id."""
        ...

    async def outbox_depth(self) -> int:
        """Messages waiting to be sent."""
        ...

    async def update_chat_settings(
        self, chat_id: int, *, language: str | None = None, link_previews: bool | None = None
    ) -> None:
        """Change a chat's own settings (the bot's language, link previews)."""
        ...

    async def take_leader_lock(self) -> LeaderLock | None:
        """The leader lock if no other process holds it, else None. PostgreSQL: a
        session-level advisory lock on a connection of its own; SQLite file: an exclusive
        ``flock`` on ``<database>.leader``; in-memory SQLite: always granted."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def redact_url(url: str) -> str:
    """A database URL fit for messages and logs: no password (just the scheme if unparsable)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split(":", 1)[0] + ":…" if ":" in url else "(unparsable URL)"


async def open_store(url: str) -> Store:
    """Open the database at ``url``, creating it and applying migrations as needed."""
    from storage._sql import SqlStore

    return await SqlStore.open(url)
