"""Plain frozen dataclasses shared by every stage.

Nothing here does I/O. Times are timezone-aware UTC ``datetime`` values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = [
    "Article",
    "ArticleKey",
    "Chat",
    "Classification",
    "Entry",
    "FeedConfig",
    "FeedState",
    "NewArticle",
    "Relevance",
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
class Classification:
    """What the pipeline makes of one article."""

    relevant: bool
    relevance_score: float
    reason: str
    topics: tuple[str, ...]
    summary: str
    language: str


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
