"""Plain frozen dataclasses shared by every stage.

Nothing here does I/O. Times are timezone-aware UTC ``datetime`` values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = [
    "Article",
    "ArticleKey",
    "BotStats",
    "Chat",
    "Classification",
    "Entry",
    "Fact",
    "FeedConfig",
    "FeedError",
    "FeedImport",
    "FeedReport",
    "FeedState",
    "NewArticle",
    "OutboxMessage",
    "Relevance",
    "StoryItem",
    "Subscription",
    "Topic",
]


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One feed as configured in ``feeds.yaml``."""

    name: str
    url: str
    language: str | None = None
    interval: timedelta = timedelta(minutes=15)
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed as the store knows it: its configuration plus fetch history."""

    id: int
    name: str
    url: str
    language: str | None
    interval: timedelta
    enabled: bool
    caching: str | None = None
    last_fetched_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    error_count: int = 0
    next_fetch_at: datetime | None = None
    failing_since: datetime | None = None
    paused_at: datetime | None = None
    paused_reason: str | None = None
    moved_from: str | None = None
    source: str = "config"  # "config" (feeds.yaml) or "admin" (added from Telegram, imported)


@dataclass(frozen=True, slots=True)
class FeedReport:
    """A feed with what it brought lately (``/feeds``): articles first seen in the window."""

    feed: FeedState
    items: int
    relevant: int


@dataclass(frozen=True, slots=True)
class FeedError:
    """One failed fetch of a feed, kept in a short per-feed history (``/feedstatus``)."""

    at: datetime
    error: str


@dataclass(frozen=True, slots=True)
class FeedImport:
    """What importing one feed did: ``action`` is "added", "updated" or "skipped"."""

    name: str
    url: str
    action: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BotStats:
    """The bot at a glance (``/stats``). ``stories_per_day``: (UTC day, stories first seen
    that day), oldest first; the delivery counts cover ``since`` up to now."""

    chats: int
    active_chats: int
    subscribers: int
    feeds: int
    feeds_failing: int
    feeds_paused: int
    stories_per_day: tuple[tuple[str, int], ...]
    since: datetime
    delivered: int
    failed: int
    queued: int


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic of the taxonomy; ``key`` is also a bot command."""

    key: str
    title: str
    description: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed item, normalised: canonical URL, plain text, UTC date."""

    url: str
    title: str
    text: str
    published: datetime | None = None
    guid: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Relevance:
    """Whether a text is about both countries, with a score in 0..1 and the cues that fired."""

    relevant: bool
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Fact:
    """A figure an article reports, with its context (see ``bot.pipeline.facts``).

    ``value`` is in whole units: 412_600_000.0 for "$412.6 million", 17.4 for "17.4%".
    ``metric`` is "trade_turnover", "exports", "imports" or None; ``direction`` "az->by",
    "by->az" or None; ``period`` and ``source`` are quoted as written, or None.
    """

    kind: str  # "money" or "percent"
    value: float
    unit: str  # "USD", "EUR", "AZN", "BYN", "RUB" or "%"
    text: str  # the figure as written: "$412.6 million", "17,4 faiz"
    sentence: str
    metric: str | None = None
    direction: str | None = None
    period: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Classification:
    """What the pipeline makes of one article."""

    relevant: bool
    relevance_score: float
    reason: str
    topics: tuple[str, ...]
    summary: str
    language: str
    facts: tuple[Fact, ...] = ()


@dataclass(frozen=True, slots=True)
class StoryItem:
    """An article as story grouping sees it (``bot.pipeline.cluster.assign_stories``).

    ``text`` is plain text (its first ~1,500 characters are used), ``language`` the
    detected language ("en", "ru", "az" …; None reads Latin letters the English way).
    ``story`` is the story id of an already grouped article, None for a new one.
    """

    id: str
    title: str
    text: str = ""
    published: datetime | None = None
    language: str | None = None
    story: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article with its classification."""

    id: int
    feed: str
    url: str
    title: str
    text: str
    summary: str
    language: str
    published: datetime
    fetched: datetime
    relevant: bool
    relevance_score: float
    topics: tuple[str, ...] = ()
    cluster: str | None = None


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article ready to be stored: the normalised entry plus its classification."""

    url: str
    title: str
    text: str
    summary: str
    language: str
    published: datetime
    fetched: datetime
    relevant: bool
    relevance_score: float
    reason: str = ""
    topics: tuple[str, ...] = ()
    cluster: str | None = None
    guid: str | None = None
    content_hash: str = ""
    # the feed's own text when ``text`` is the full text fetched from the article page
    teaser: str | None = None
    # old items of a feed's first poll: stored, never digested or alerted
    backlog: bool = False


@dataclass(frozen=True, slots=True)
class ArticleKey:
    """What identifies a stored article, to recognise it when a feed changes it."""

    id: int
    url: str
    guid: str | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class Chat:
    """A Telegram chat the bot has talked to."""

    id: int
    type: str
    title: str | None = None
    active: bool = True
    language: str = "en"
    link_previews: bool = False


@dataclass(frozen=True, slots=True)
class Subscription:
    """A chat's digest subscription."""

    chat_id: int
    time_of_day: str = "09:00"
    timezone: str = "Asia/Baku"
    topics: tuple[str, ...] = field(default_factory=tuple)
    # the last digest actually sent; None until the first one
    last_digest_at: datetime | None = None
    created_at: datetime | None = None
    frequency: str = "daily"  # "daily", "weekly" or "off"
    weekday: int | None = None  # 0 = Monday, for weekly digests
    next_digest_at: datetime | None = None
    alert_topics: tuple[str, ...] = ()
    alerts_per_hour: int = 3


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message waiting in the outbox (or being sent)."""

    id: int
    chat_id: int
    kind: str
    period: str
    part: int
    text: str
    link_previews: bool = False
    attempts: int = 0
