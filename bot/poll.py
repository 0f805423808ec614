"""One poll cycle: fetch the due feeds concurrently, parse, classify, group and store.

A failing feed is a ``FeedResult`` with ``error`` set and recorded on the feed in the store;
the cycle always goes on to the other feeds. When each feed is due next, how failures back
off and when a feed is paused are decided by ``bot.pipeline.schedule``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from bot.config import AppConfig, Settings
from bot.fetch.client import FetchResult, fetch, make_client
from bot.fetch.fulltext import fetch_full_text
from bot.fetch.llm import LlmSettings, LlmSummariser
from bot.models import Entry, FeedState, NewArticle, StoryItem
from bot.pipeline.articles import classify_entries, content_hash
from bot.pipeline.cluster import StoryIndex
from bot.pipeline.parse import ParsedFeed, parse_feed
from bot.pipeline.schedule import FetchOutcome, ScheduleBounds, next_fetch_at, should_pause
from bot.workers import shared_workers
from storage import StorageError, Store

__all__ = ["FeedResult", "poll_client", "poll_feeds", "summariser_for", "utcnow"]

log = logging.getLogger(__name__)
STORY_WINDOW = timedelta(hours=72)


# The CPU work of a cycle runs off the event loop, so the bot keeps answering while a cycle
# runs (bot.workers). Parsing and classifying a feed's items (pure functions of their
# arguments) go to ``poll.workers`` processes, or with 0 to this process's one CPU thread.
# Grouping stories reads the cycle's shared index: it always runs on that one thread, so with
# 0 workers all of a cycle's CPU work shares one thread (more would contend for the GIL).
_IN_PROCESS = 0


def utcnow() -> datetime:
    return datetime.now(UTC)


def summariser_for(settings: Settings, config: AppConfig) -> LlmSummariser | None:
    """The LLM summariser when ``AZBY_LLM_URL`` is set (the caller closes it)."""
    if not settings.llm_url or not settings.llm_model:
        return None
    return LlmSummariser(
        LlmSettings(
            url=settings.llm_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=config.llm_timeout,
            daily_tokens=config.llm_daily_tokens,
        )
    )


def poll_client(settings: Settings, config: AppConfig) -> httpx.AsyncClient:
    """The HTTP client for feeds and article pages, sized and guarded as configured."""
    return make_client(
        allow_private_networks=settings.allow_private_networks,
        timeout=config.poll.timeout,
        concurrency=config.poll.concurrency,
    )


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What one feed gave in one cycle."""

    feed: str
    url: str
    status: str  # "ok", "not_modified" or "error"
    items: int = 0
    new: int = 0
    updated: int = 0
    relevant: int = 0
    stories: int = 0  # relevant new articles that started a story of their own
    error: str | None = None
    warning: str | None = None
    newest: datetime | None = None
    paused: bool = False  # this failure paused the feed: the admins should hear of it
    moved_to: str | None = None  # a permanent redirect moved the feed here


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
    rng: random.Random | None = None,
    summariser: LlmSummariser | None = None,
) -> list[FeedResult]:
    """Poll every enabled, unpaused feed once (with ``due_only``, only those whose
    ``next_fetch_at`` has come); one result per polled feed, in feed-name order. The feeds
    are claimed first (``Store.claim_feeds``): no other poller fetches them in their interval."""
    feeds = await store.claim_feeds(now(), due_only=due_only)
    cycle = _Cycle(store, config, client, now, rng or random.Random(), summariser)

    async def one(feed: FeedState) -> FeedResult:
        async with cycle.limit:
            result = await cycle.poll(feed)
        if on_done is not None:
            on_done(result)
        return result

    return list(await asyncio.gather(*(one(feed) for feed in feeds)))


class _Cycle:
    """The shared state of one cycle: limits, the clock, the store lock."""

    def __init__(
        self,
        store: Store,
        config: AppConfig,
        client: httpx.AsyncClient,
        now: Callable[[], datetime],
        rng: random.Random,
        summariser: LlmSummariser | None = None,
    ) -> None:
        self.store, self.config, self.client, self.now, self.rng = store, config, client, now, rng
        self.summariser = summariser
        self.stories: StoryIndex | None = None
        self.settings = config.poll
        self.limit = asyncio.Semaphore(self.settings.concurrency)
        self.hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.settings.per_host)
        )
        # storing is serialised so two feeds carrying one story in one cycle join one story
        self.store_lock = asyncio.Lock()
        self.bounds = ScheduleBounds(
            max_hint=self.settings.max_hint, max_backoff=self.settings.max_backoff
        )

    async def get(self, url: str, caching: str | None = None) -> FetchResult:
        async with self.hosts[(urlsplit(url).hostname or "").lower()]:
            return await fetch(
                self.client,
                url,
                caching=caching,
                max_bytes=self.settings.max_bytes,
                deadline=self.settings.deadline,
            )

    def next_due(self, feed: FeedState, outcome: FetchOutcome) -> datetime:
        jitter = self.rng.uniform(-1.0, 1.0)
        return next_fetch_at(self.now(), feed.interval, outcome, jitter=jitter, bounds=self.bounds)

    async def poll(self, feed: FeedState) -> FeedResult:
        try:
            return await self._poll(feed)
        except StorageError as exc:
            log.error("feed %s: %s", feed.name, exc, extra={"feed": feed.name})
            return FeedResult(feed.name, feed.url, "error", error=str(exc))
        except Exception as exc:  # one broken feed never stops the cycle
            log.exception("feed %s: unexpected error", feed.name, extra={"feed": feed.name})
            error = f"internal error: {type(exc).__name__}: {exc}"
            return await self._failed(feed, FetchResult("error", feed.url, error=error))

    async def _poll(self, feed: FeedState) -> FeedResult:
        fetched = await self.get(feed.url, feed.caching)
        moved_to = None
        if fetched.permanent_url and await self.store.move_feed(feed.id, fetched.permanent_url):
            moved_to = fetched.permanent_url
            log.warning("feed %s moved permanently to %s: update feeds.yaml", feed.name, moved_to)
        if fetched.status == "not_modified":
            outcome = FetchOutcome(True, max_age=fetched.max_age, retry_after=fetched.retry_after)
            await self.store.record_fetch(
                feed.id, self.now(), not_modified=True, next_fetch_at=self.next_due(feed, outcome)
            )
            return FeedResult(feed.name, feed.url, "not_modified", moved_to=moved_to)
        if not fetched.ok:
            return replace(await self._failed(feed, fetched), moved_to=moved_to)
        parsed = await shared_workers(self.settings.workers).run(
            parse_feed,
            fetched.content,
            url=fetched.url,
            content_type=fetched.content_type,
            now=self.now(),
        )
        if parsed.error:
            return await self._failed(feed, replace(fetched, status="error", error=parsed.error))
        new, updated, relevant, stories = await self._store(feed, parsed)
        ttl = timedelta(minutes=parsed.ttl_minutes) if parsed.ttl_minutes else None
        outcome = FetchOutcome(
            True, max_age=fetched.max_age, retry_after=fetched.retry_after, ttl=ttl
        )
        await self.store.record_fetch(
            feed.id,
            self.now(),
            caching=fetched.caching,
            next_fetch_at=self.next_due(feed, outcome),
        )
        if parsed.warning:
            log.warning("feed %s: %s", feed.name, parsed.warning, extra={"feed": feed.name})
        return FeedResult(
            feed.name,
            feed.url,
            "ok",
            items=len(parsed.entries),
            new=new,
            updated=updated,
            relevant=relevant,
            stories=stories,
            warning=parsed.warning,
            newest=max((e.published for e in parsed.entries if e.published), default=None),
            moved_to=moved_to,
        )

    async def _failed(self, feed: FeedState, fetched: FetchResult) -> FeedResult:
        error = fetched.error or "fetch failed"
        at = self.now()
        log.warning("feed %s: %s", feed.name, error, extra={"feed": feed.name})
        outcome = FetchOutcome(
            False, error_count=feed.error_count + 1, retry_after=fetched.retry_after
        )
        paused = False
        try:
            await self.store.record_fetch(
                feed.id, at, error=error, next_fetch_at=self.next_due(feed, outcome)
            )
            if should_pause(feed.failing_since or at, at, self.settings.pause_after):
                reason = f"failing since {(feed.failing_since or at):%Y-%m-%d %H:%M} UTC: {error}"
                await self.store.pause_feed(feed.id, at, reason)
                paused = True
                log.warning("feed %s paused: %s", feed.name, reason)
        except StorageError as exc:
            log.error("feed %s: cannot record the error: %s", feed.name, exc)
        return FeedResult(feed.name, feed.url, "error", error=error, paused=paused)

    async def _store(self, feed: FeedState, parsed: ParsedFeed) -> tuple[int, int, int, int]:
        """Store new articles and edits of known ones: (new, updated, relevant among new,
        stories started by them)."""
        entries = list({e.url: e for e in parsed.entries}.values())
        if not entries:
            return 0, 0, 0, 0
        guid_counts = Counter(e.guid for e in entries if e.guid)
        # a GUID counts only when it is not shared by several items (some feeds repeat one)
        trusted = {e.guid for e in entries if e.guid and guid_counts[e.guid] == 1}
        keys = await self.store.find_articles(feed.id, [e.url for e in entries], list(trusted))
        by_url = {k.url: k for k in keys}
        by_guid = {k.guid: k for k in keys if k.guid in trusted}
        fresh: list[Entry] = []
        edited: list[tuple[int, Entry]] = []
        for entry in entries:
            key = by_url.get(entry.url) or by_guid.get(entry.guid or "")
            if key is None:
                fresh.append(entry)
            elif key.content_hash != content_hash(entry) or key.url != entry.url:
                edited.append((key.id, entry))
        full_texts = await self._full_texts([*fresh, *(entry for _, entry in edited)])
        at = self.now()
        fresh.sort(key=lambda e: e.published or at)
        # new and edited items classified in one go, before the store lock
        classified = await self._articles(
            feed, [*fresh, *(entry for _, entry in edited)], full_texts, at
        )
        new_articles, changed = classified[: len(fresh)], classified[len(fresh) :]
        if feed.last_success_at is None:  # the feed's first poll: its backlog is not news
            oldest = at - self.settings.backlog_age
            new_articles = [replace(a, backlog=a.published < oldest) for a in new_articles]
        new_articles = await self._llm_summaries(new_articles)
        async with self.store_lock:
            new_articles = await self._with_stories(new_articles, at)
            # first seen = when stored: a digest that ran while this was being classified
            # must not end after it (the article would fall between two digests)
            stored_at = self.now()
            new_articles = [replace(a, fetched=stored_at) for a in new_articles]
            inserted = await self.store.add_articles(feed.id, new_articles)
        # an edit keeps its story and first-seen time: nothing another feed's storing reads
        for (article_id, _), article in zip(edited, changed, strict=True):
            await self.store.update_article(article_id, article, at)
        relevant = [a for a in new_articles if a.relevant]
        started = sum(1 for a in relevant if a.cluster == story_id(a.url))
        return len(inserted), len(edited), len(relevant), started

    async def _full_texts(self, entries: Sequence[Entry]) -> dict[str, str]:
        """The article pages' main text for new items that carry only a teaser."""
        if not self.settings.full_text:
            return {}
        short = [e for e in entries if len(e.text) < self.settings.teaser_chars]
        short.sort(key=lambda e: e.published or datetime.min.replace(tzinfo=UTC), reverse=True)
        wanted = short[: self.settings.full_text_per_feed]

        async def one(entry: Entry) -> tuple[str, str | None]:
            async with self.hosts[(urlsplit(entry.url).hostname or "").lower()]:
                text = await fetch_full_text(
                    self.client,
                    entry.url,
                    max_bytes=self.settings.max_bytes,
                    deadline=self.settings.deadline,
                )
            return entry.url, text

        pages = await asyncio.gather(*(one(e) for e in wanted))
        # a page whose main text is no longer than the teaser adds nothing: keep the teaser
        return {url: text for url, text in pages if text and len(text) > len(_teaser(entries, url))}

    async def _with_stories(self, articles: list[NewArticle], at: datetime) -> list[NewArticle]:
        """Each new relevant article joins a recent story, across outlets and languages, or
        starts one (under the store lock). Only relevant articles are stories: an irrelevant
        one is its own, and never compared (the comparison is quadratic)."""
        relevant = [a for a in articles if a.relevant]
        stories: dict[str, str] = {}
        if relevant:
            thread = shared_workers(_IN_PROCESS)
            if self.stories is None:  # read once a cycle; this cycle's stories join it
                heads = await self.store.recent_story_heads(at - STORY_WINDOW)
                self.stories = await thread.run(StoryIndex, heads, STORY_WINDOW)
            index = self.stories
            new = [
                StoryItem(
                    id=story_id(a.url),
                    title=a.title,
                    text=a.text[:1500],
                    published=a.published,
                    language=a.language,
                )
                for a in relevant
            ]
            found = await thread.run(index.assign, new)
            stories = {item.id: story for item, story in zip(new, found, strict=True)}
        return [replace(a, cluster=stories.get(story_id(a.url), story_id(a.url))) for a in articles]

    async def _llm_summaries(self, articles: list[NewArticle]) -> list[NewArticle]:
        """Abstractive summaries for the relevant new articles, when an LLM is configured;
        the extractive summary stays wherever the LLM cannot help."""
        if self.summariser is None:
            return articles
        summariser = self.summariser
        limit = asyncio.Semaphore(4)

        async def one(article: NewArticle) -> NewArticle:
            if not article.relevant or article.backlog:
                return article
            async with limit:
                summary = await summariser.summarise(article.title, article.text, article.language)
            return replace(article, summary=summary) if summary else article

        return list(await asyncio.gather(*(one(a) for a in articles)))

    async def _articles(
        self,
        feed: FeedState,
        entries: Sequence[Entry],
        full_texts: dict[str, str],
        at: datetime,
    ) -> list[NewArticle]:
        """Classify entries (in a worker process)."""
        if not entries:
            return []
        return await shared_workers(self.settings.workers).run(
            classify_entries,
            entries,
            {e.url: full_texts[e.url] for e in entries if e.url in full_texts},
            topics=self.config.topics,
            feed_language=feed.language,
            threshold=self.config.relevance_threshold,
            at=at,
        )


def _teaser(entries: Sequence[Entry], url: str) -> str:
    return next((e.text for e in entries if e.url == url), "")
