"""One poll cycle: fetch every enabled feed concurrently, parse, classify, group and store.

A failing feed is a ``FeedResult`` with ``error`` set and recorded on the feed in the store;
the cycle always goes on to the other feeds.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from bot.config import AppConfig
from bot.fetch.client import fetch
from bot.models import Entry, FeedState, NewArticle
from bot.pipeline.classify import classify
from bot.pipeline.cluster import assign_clusters
from bot.pipeline.parse import parse_feed
from storage import StorageError, Store

__all__ = ["FeedResult", "poll_feeds", "utcnow"]

log = logging.getLogger(__name__)
STORY_WINDOW = timedelta(hours=72)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What one feed gave in one cycle."""

    feed: str
    url: str
    status: str  # "ok", "not_modified" or "error"
    items: int = 0
    new: int = 0
    relevant: int = 0
    error: str | None = None
    warning: str | None = None
    newest: datetime | None = None


def story_id(url: str) -> str:
    """A story's id: derived from the URL of its first article."""
    return hashlib.sha1(url.encode()).hexdigest()[:16]


async def poll_feeds(
    store: Store,
    config: AppConfig,
    client: httpx.AsyncClient,
    *,
    now: Callable[[], datetime] = utcnow,
    on_done: Callable[[FeedResult], None] | None = None,
    due_only: bool = False,
) -> list[FeedResult]:
    """Poll every enabled stored feed once (with ``due_only``, only those whose ``interval``
    has passed since their last fetch); one result per polled feed, in feed-name order."""
    feeds = await store.list_feeds(enabled_only=True)
    if due_only:
        at = now()
        feeds = [
            f for f in feeds if f.last_fetched_at is None or at - f.last_fetched_at >= f.interval
        ]
    limit = asyncio.Semaphore(max(1, config.poll_concurrency))
    # storing is serialised so that two feeds carrying the same story in one cycle join one story
    store_lock = asyncio.Lock()

    async def one(feed: FeedState) -> FeedResult:
        async with limit:
            result = await _poll_feed(store, config, client, feed, now, store_lock)
        if on_done is not None:
            on_done(result)
        return result

    return list(await asyncio.gather(*(one(feed) for feed in feeds)))


async def _poll_feed(
    store: Store,
    config: AppConfig,
    client: httpx.AsyncClient,
    feed: FeedState,
    now: Callable[[], datetime],
    store_lock: asyncio.Lock,
) -> FeedResult:
    try:
        fetched = await fetch(
            client, feed.url, caching=feed.caching, deadline=config.poll_timeout * 3
        )
        if fetched.status == "not_modified":
            await store.record_fetch(feed.id, now(), not_modified=True)
            return FeedResult(feed.name, feed.url, "not_modified")
        if not fetched.ok:
            return await _failed(store, feed, now(), fetched.error or "fetch failed")
        # CPU work off the event loop, so the bot keeps answering while a cycle runs
        parsed = await asyncio.to_thread(
            parse_feed,
            fetched.content,
            url=fetched.url,
            content_type=fetched.content_type,
            now=now(),
        )
        if parsed.error:
            return await _failed(store, feed, now(), parsed.error)
        async with store_lock:
            new, relevant = await _store_entries(store, config, feed, parsed.entries, now())
            await store.record_fetch(feed.id, now(), caching=fetched.caching)
        newest = max((e.published for e in parsed.entries if e.published), default=None)
        if parsed.warning:
            log.warning("feed %s: %s", feed.name, parsed.warning)
        return FeedResult(
            feed.name,
            feed.url,
            "ok",
            items=len(parsed.entries),
            new=new,
            relevant=relevant,
            warning=parsed.warning,
            newest=newest,
        )
    except StorageError as exc:
        log.error("feed %s: %s", feed.name, exc)
        return FeedResult(feed.name, feed.url, "error", error=str(exc))
    except Exception as exc:  # one broken feed never stops the cycle
        log.exception("feed %s: unexpected error", feed.name)
        return await _failed(store, feed, now(), f"internal error: {type(exc).__name__}: {exc}")


async def _failed(store: Store, feed: FeedState, at: datetime, error: str) -> FeedResult:
    log.warning("feed %s: %s", feed.name, error)
    try:
        await store.record_fetch(feed.id, at, error=error)
    except StorageError as exc:
        log.error("feed %s: cannot record the error: %s", feed.name, exc)
    return FeedResult(feed.name, feed.url, "error", error=error)


async def _store_entries(
    store: Store,
    config: AppConfig,
    feed: FeedState,
    entries: Sequence[Entry],
    at: datetime,
) -> tuple[int, int]:
    known = await store.known_urls([e.url for e in entries])
    fresh = list({e.url: e for e in entries if e.url not in known}.values())
    if not fresh:
        return 0, 0
    fresh.sort(key=lambda e: e.published or at)
    heads = await store.recent_story_heads(at - STORY_WINDOW)
    clusters = assign_clusters(
        [*heads, *((story_id(e.url), e.title, e.published or at) for e in fresh)],
        window=STORY_WINDOW,
    )[len(heads) :]
    articles = await asyncio.to_thread(_classify_entries, config, feed, fresh, clusters, at)
    inserted = await store.add_articles(feed.id, articles)
    return len(inserted), sum(1 for a in articles if a.relevant)


def _classify_entries(
    config: AppConfig,
    feed: FeedState,
    fresh: Sequence[Entry],
    clusters: Sequence[str],
    at: datetime,
) -> list[NewArticle]:
    articles = []
    for entry, cluster in zip(fresh, clusters, strict=True):
        verdict = classify(
            entry.title,
            entry.text,
            config.topics,
            language_hint=entry.language or feed.language,
        )
        relevant = verdict.relevance_score >= config.relevance_threshold
        articles.append(
            NewArticle(
                url=entry.url,
                title=entry.title,
                text=entry.text,
                summary=verdict.summary,
                language=verdict.language,
                published=entry.published or at,
                fetched=at,
                relevant=relevant,
                relevance_score=verdict.relevance_score,
                reason=verdict.reason,
                topics=verdict.topics,
                cluster=cluster,
                guid=entry.guid,
                content_hash=hashlib.sha256(f"{entry.title}\n{entry.text}".encode()).hexdigest(),
            )
        )
    return articles
