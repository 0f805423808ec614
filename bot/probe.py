"""A candidate feed, checked before an admin adds it (``/addfeed``): its URL, one fetch through
the guarded client, a parse, and the real classifier over its items.

Nothing is stored here; the caller decides. URLs shown to people go through :func:`redact`, so
a password typed into a URL is never echoed back or logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from bot.config import AppConfig, Settings, split_url
from bot.fetch.client import fetch, make_client
from bot.models import FeedState
from bot.pipeline.articles import classify_entries
from bot.pipeline.normalise import canonical_url
from bot.pipeline.parse import parse_feed
from bot.workers import shared_workers

__all__ = ["FeedProbe", "find_duplicate", "probe_feed", "redact", "url_problem"]


@dataclass(frozen=True, slots=True)
class FeedProbe:
    """What one fetch of a candidate feed showed: ``error`` set when it is no usable feed."""

    url: str  # where the feed is: the URL asked for, or where permanent redirects led
    final_url: str  # where the last fetch ended (temporary redirects included)
    title: str = ""
    items: int = 0
    relevant: int = 0
    error: str | None = None


def redact(url: str, *, keep_user: bool = False) -> str:
    """``url`` fit to show: a user name and password in it become ``***`` (with
    ``keep_user``, only a password does: an admin's own listing names the account)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unparsable URL)"
    if "@" not in parts.netloc or (keep_user and parts.password is None):
        return url
    hidden = f"{parts.username}:***" if keep_user else "***"
    return urlunsplit(parts._replace(netloc=f"{hidden}@{parts.netloc.rpartition('@')[2]}"))


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a feed's URL (None when it can): only public http(s) URLs
    without credentials. Addresses are checked when fetching (after DNS)."""
    try:
        parts = split_url(url)
    except ValueError:
        return "it is not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        scheme = f"{parts.scheme}:" if parts.scheme else "a URL without http(s)://"
        return f"only http:// and https:// feeds can be added, not {scheme}"
    if parts.username is not None or parts.password is not None:
        return (
            "the URL has a user name or password in it; azby adds only public feeds "
            "(and you may want to delete your message: it holds the password)"
        )
    if not parts.hostname:
        return "the URL has no host"
    return None


def _key(url: str) -> str:
    """What makes two feed URLs the same feed: canonical form, any scheme, no trailing slash."""
    try:
        canonical = canonical_url(url)
    except ValueError:
        canonical = url
    parts = urlsplit(canonical)
    path = parts.path.rstrip("/")
    return urlunsplit(("", parts.netloc, path, parts.query, ""))


def find_duplicate(
    feeds: Sequence[FeedState], *, urls: Sequence[str] = (), name: str | None = None
) -> FeedState | None:
    """The stored feed that one of ``urls`` (or ``name``, in any case) already is: same
    canonical URL, or the URL it moved from by a permanent redirect."""
    wanted = {_key(url) for url in urls}
    for feed in feeds:
        known = {_key(feed.url)} | ({_key(feed.moved_from)} if feed.moved_from else set())
        if wanted & known:
            return feed
    if name:
        return next((f for f in feeds if f.name.lower() == name.lower()), None)
    return None


async def probe_feed(url: str, settings: Settings, config: AppConfig, now: datetime) -> FeedProbe:
    """Fetch ``url`` once (SSRF guard, size cap and deadline of the poll), parse it and
    classify its items as the poll would (on the feed's own text: no full-text fetches)."""
    async with make_client(
        allow_private_networks=settings.allow_private_networks,
        timeout=config.poll.timeout,
        concurrency=2,
    ) as client:
        fetched = await fetch(
            client, url, max_bytes=config.poll.max_bytes, deadline=config.poll.deadline
        )
    where = fetched.permanent_url or url
    if not fetched.ok:
        return FeedProbe(where, fetched.url, error=fetched.error or "fetch failed")
    parsed = await shared_workers(config.poll.workers).run(  # the poll's own workers
        parse_feed, fetched.content, url=fetched.url, content_type=fetched.content_type, now=now
    )
    if parsed.error:
        return FeedProbe(where, fetched.url, error=parsed.error)
    articles = await shared_workers(config.poll.workers).run(
        classify_entries,
        parsed.entries,
        {},
        topics=config.topics,
        feed_language=None,
        threshold=config.relevance_threshold,
        at=now,
    )
    relevant = sum(1 for article in articles if article.relevant)
    return FeedProbe(where, fetched.url, parsed.title, len(parsed.entries), relevant)
