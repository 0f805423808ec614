"""Issue 3: ingestion that holds up against real news sites, against a real local server."""

from __future__ import annotations

import gzip
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import brotli
import pytest
from aiohttp import web

from bot.config import AppConfig, parse_feeds_yaml
from bot.fetch.client import fetch, make_client
from bot.models import FeedState
from bot.poll import FeedResult, poll_feeds
from storage import Store
from tests.auxil.feed_server import FEEDS_DIR, FeedServer

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PAGES = Path(__file__).resolve().parents[1] / "data" / "pages"


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as fs:
        yield fs


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    """Ingestion is tested above the store: SQLite is enough (test_store.py covers both)."""
    return sqlite_store


def config(server: FeedServer, feeds: dict[str, str], poll: str = "full_text: false") -> AppConfig:
    lines = "".join(
        f"  - {{name: {name}, url: '{server.url(path)}'}}\n" for name, path in feeds.items()
    )
    return parse_feeds_yaml(f"feeds:\n{lines}poll: {{timeout: 2, {poll}}}\n", Path("feeds.yaml"))


class Clock:
    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def poll(
    store: Store, cfg: AppConfig, clock: Clock | None = None, *, due_only: bool = False
) -> dict[str, FeedResult]:
    await store.sync_feeds(cfg.feeds, NOW)
    async with make_client(allow_private_networks=True, timeout=cfg.poll.timeout) as client:
        results = await poll_feeds(
            store, cfg, client, now=clock or Clock(), due_only=due_only, rng=random.Random(1)
        )
    return {r.feed: r for r in results}


async def feed_named(store: Store, name: str) -> FeedState:
    return next(f for f in await store.list_feeds() if f.name == name)


def rss(items: list[tuple[str, str, str]], guid: bool = True, ttl: int | None = None) -> bytes:
    """RSS with (title, link, description) items dated a day before NOW."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
        + (f"<guid>{link}</guid>" if guid else "")
        + "<pubDate>Sun, 22 Nov 2026 10:00:00 +0000</pubDate></item>"
        for t, link, d in items
    )
    extra = f"<ttl>{ttl}</ttl>" if ttl else ""
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>{extra}{body}</channel></rss>'.encode()


class TestSchedule:
    async def test_interval_with_jitter_then_due(self, server: FeedServer, store: Store) -> None:
        server.add_file("/rss", "trend-en-mixed.rss")
        cfg = config(server, {"A": "/rss"})
        await poll(store, cfg)
        feed = await feed_named(store, "A")
        assert feed.next_fetch_at is not None
        assert timedelta(minutes=13.5) <= feed.next_fetch_at - NOW <= timedelta(minutes=16.5)
        assert await poll(store, cfg, Clock(NOW + timedelta(minutes=10)), due_only=True) == {}
        later = await poll(store, cfg, Clock(NOW + timedelta(minutes=17)), due_only=True)
        assert later["A"].status == "not_modified"

    @pytest.mark.parametrize(
        ("headers", "ttl", "expected"),
        [
            ({"Cache-Control": "max-age=3600"}, None, timedelta(hours=1)),
            ({"Cache-Control": "public, max-age=86400"}, None, timedelta(hours=6)),  # capped
            ({}, 120, timedelta(hours=2)),  # RSS <ttl> in minutes
            ({"Cache-Control": "max-age=60"}, None, timedelta(minutes=15)),  # never shorter
        ],
    )
    async def test_server_hints_stretch_the_interval_within_bounds(
        self,
        server: FeedServer,
        store: Store,
        headers: dict[str, str],
        ttl: int | None,
        expected: timedelta,
    ) -> None:
        server.add_file(
            "/rss", rss([("Baku and Minsk", "https://a.az/1", "x")], ttl=ttl), headers=headers
        )
        await poll(store, config(server, {"A": "/rss"}))
        feed = await feed_named(store, "A")
        assert feed.next_fetch_at is not None
        assert expected * 0.89 <= feed.next_fetch_at - NOW <= expected * 1.11

    async def test_retry_after_on_503(self, server: FeedServer, store: Store) -> None:
        server.add_route("/rss", status=503, headers={"Retry-After": "7200"})
        await poll(store, config(server, {"A": "/rss"}))
        feed = await feed_named(store, "A")
        assert feed.next_fetch_at is not None
        assert timedelta(hours=1.78) <= feed.next_fetch_at - NOW <= timedelta(hours=2.2)

    async def test_errors_back_off_doubling_up_to_a_day(
        self, server: FeedServer, store: Store
    ) -> None:
        server.add_route("/rss", status=500)
        cfg = config(server, {"A": "/rss"})
        waits = []
        clock = Clock()
        for _ in range(9):
            await poll(store, cfg, clock)
            feed = await feed_named(store, "A")
            assert feed.next_fetch_at is not None
            waits.append((feed.next_fetch_at - clock.at) / timedelta(minutes=15))
            clock.at = feed.next_fetch_at
        expected = [1, 2, 4, 8, 16, 32, 64, 96, 96]  # 96 × 15 min = 24 h
        assert all(0.9 * e <= w <= 1.1 * e for w, e in zip(waits, expected, strict=True)), waits
        assert feed.error_count == 9

    async def test_a_feed_failing_for_days_is_paused_once(
        self, server: FeedServer, store: Store
    ) -> None:
        server.add_route("/rss", status=500)
        server.add_file("/ok", "trend-en-mixed.rss")
        cfg = config(
            server, {"Broken": "/rss", "Fine": "/ok"}, poll="full_text: false, pause_after: 2d"
        )
        first = await poll(store, cfg)
        assert first["Broken"].paused is False
        later = await poll(store, cfg, Clock(NOW + timedelta(days=2, minutes=1)))
        assert (later["Broken"].paused, later["Broken"].error) == (
            True,
            "HTTP 500 Internal Server Error",
        )
        broken = await feed_named(store, "Broken")
        assert broken.paused_reason == (
            "failing since 2026-11-23 12:00 UTC: HTTP 500 Internal Server Error"
        )
        again = await poll(store, cfg, Clock(NOW + timedelta(days=3)))
        assert set(again) == {"Fine"}  # a paused feed is not polled (so nobody is told twice)
        await store.resume_feed(broken.id, NOW + timedelta(days=3))
        assert set(await poll(store, cfg, Clock(NOW + timedelta(days=3)))) == {"Broken", "Fine"}

    async def test_a_success_ends_the_streak(self, server: FeedServer, store: Store) -> None:
        server.add_route("/rss", status=500)
        cfg = config(server, {"A": "/rss"})
        await poll(store, cfg)
        server.add_file("/rss", "trend-en-mixed.rss")
        await poll(store, cfg, Clock(NOW + timedelta(hours=1)))
        feed = await feed_named(store, "A")
        assert (feed.error_count, feed.failing_since) == (0, None)


class TestRedirects:
    async def test_a_permanent_redirect_moves_the_feed(
        self, server: FeedServer, store: Store
    ) -> None:
        server.add_route("/old", status=301, location="/new")
        server.add_file("/new", "trend-en-mixed.rss")
        cfg = config(server, {"A": "/old"})
        results = await poll(store, cfg)
        assert (results["A"].status, results["A"].moved_to) == ("ok", server.url("/new"))
        feed = await feed_named(store, "A")
        assert (feed.url, feed.moved_from) == (server.url("/new"), server.url("/old"))
        await poll(store, cfg, Clock(NOW + timedelta(hours=1)))  # feeds.yaml still says /old
        assert (await feed_named(store, "A")).url == server.url("/new")
        assert len(server.requests("/old")) == 1

    async def test_a_temporary_redirect_does_not(self, server: FeedServer, store: Store) -> None:
        server.add_route("/old", status=302, location="/new")
        server.add_file("/new", "trend-en-mixed.rss")
        results = await poll(store, config(server, {"A": "/old"}))
        assert results["A"].moved_to is None
        assert (await feed_named(store, "A")).url == server.url("/old")


class TestLimits:
    async def test_per_host_concurrency(self, server: FeedServer, store: Store) -> None:
        for i in range(4):
            server.add_route(
                f"/slow{i}", delay=0.3, body=rss([]), content_type="application/rss+xml"
            )
        cfg = config(
            server, {f"F{i}": f"/slow{i}" for i in range(4)}, poll="full_text: false, per_host: 2"
        )
        started = time.monotonic()
        await poll(store, cfg)
        assert time.monotonic() - started >= 0.55  # 4 requests, 2 at a time, 0.3 s each
        starts = sorted(r.monotonic for i in range(4) for r in server.requests(f"/slow{i}"))
        assert starts[2] - starts[0] >= 0.25

    async def test_brotli_and_gzip(self, server: FeedServer) -> None:
        body = (FEEDS_DIR / "trend-en-mixed.rss").read_bytes()

        async def brotli_handler(request: web.Request) -> web.Response:
            return web.Response(
                body=brotli.compress(body),
                headers={"Content-Encoding": "br", "Content-Type": "application/rss+xml"},
            )

        server.add_route("/br", brotli_handler)
        server.add_file("/gz", "trend-en-mixed.rss", gzip=True)
        async with make_client(allow_private_networks=True) as client:
            for path in ("/br", "/gz"):
                result = await fetch(client, server.url(path))
                assert (result.ok, result.content) == (True, body)
        assert "br" in server.requests("/br")[0].headers["Accept-Encoding"]

    async def test_a_gzip_bomb_is_stopped(self, server: FeedServer) -> None:
        bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)  # ~200 KB on the wire

        async def handler(request: web.Request) -> web.Response:
            return web.Response(
                body=bomb,
                headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"},
            )

        server.add_route("/bomb", handler)
        async with make_client(allow_private_networks=True) as client:
            result = await fetch(client, server.url("/bomb"))
        assert (result.status, result.error) == ("error", "response larger than 10 MB, not read")

    async def test_a_20_mb_feed_is_refused_and_the_cycle_goes_on(
        self, server: FeedServer, store: Store
    ) -> None:
        server.add_route("/huge", huge=20)
        server.add_file("/ok", "trend-en-mixed.rss")
        results = await poll(store, config(server, {"Huge": "/huge", "Ok": "/ok"}))
        assert results["Huge"].error == "response larger than 10 MB, not read"
        assert results["Ok"].new == 8

    async def test_user_agent_and_redirect_limit(self, server: FeedServer) -> None:
        for i in range(7):
            server.add_route(f"/r{i}", status=302, location=f"/r{i + 1}")
        server.add_file("/r7", "trend-en-mixed.rss")
        async with make_client(allow_private_networks=True) as client:
            far = await fetch(client, server.url("/r0"))
            near = await fetch(client, server.url("/r2"))
        assert far.error == "too many redirects (more than 5, or a loop)"
        assert near.ok
        assert (
            server.requests("/r2")[0]
            .headers["User-Agent"]
            .startswith("Mozilla/5.0 (compatible; azby/")
        )


class TestEncodings:
    @pytest.mark.parametrize(
        ("fixture", "content_type"),
        [
            ("cp1251-no-declaration.rss", "text/xml"),  # no charset anywhere: detected
            ("cp1251-no-declaration.rss", "application/rss+xml; charset=windows-1251"),
            ("cp1251-russian.rss", "text/xml"),  # declared in the XML prolog only
            ("koi8r-russian.rss", "application/xml"),
        ],
    )
    async def test_russian_feeds_read_right(
        self, server: FeedServer, store: Store, fixture: str, content_type: str
    ) -> None:
        server.add_file("/rss", fixture, content_type=content_type)
        results = await poll(store, config(server, {"A": "/rss"}))
        assert results["A"].status == "ok"
        titles = [a.title for a in await store.latest_articles(relevant_only=False, limit=10)]
        assert titles and all(any("а" <= ch <= "я" for ch in t.lower()) for t in titles)
        assert not any("Ð" in t or "Ã" in t or "\ufffd" in t for t in titles)


class TestIdentity:
    async def test_repeated_guids_are_not_trusted(self, server: FeedServer, store: Store) -> None:
        server.add_file("/rss", "repeated-guids.rss")
        results = await poll(store, config(server, {"A": "/rss"}))
        assert results["A"].new == 3

    async def test_missing_guids_key_on_the_link(self, server: FeedServer, store: Store) -> None:
        items = [
            ("Baku and Minsk talk trade", "https://a.az/1", "x"),
            ("Weather", "https://a.az/2", "y"),
        ]
        server.add_file("/rss", rss(items, guid=False))
        cfg = config(server, {"A": "/rss"})
        assert (await poll(store, cfg))["A"].new == 2
        server.add_file("/rss", rss(items, guid=False), etag=False, last_modified=None)
        assert (await poll(store, cfg, Clock(NOW + timedelta(hours=1))))["A"].new == 0

    async def test_a_title_edit_updates_the_article(self, server: FeedServer, store: Store) -> None:
        cfg = config(server, {"A": "/rss"})
        server.add_file(
            "/rss", rss([("Azerbaijan, Belarus sign roadmp", "https://a.az/1", "Baku and Minsk.")])
        )
        await poll(store, cfg)
        server.add_file(
            "/rss",
            rss(
                [
                    (
                        "Azerbaijan, Belarus sign roadmap",
                        "https://a.az/1?utm_source=x",
                        "Baku and Minsk.",
                    )
                ]
            ),
        )
        results = await poll(store, cfg, Clock(NOW + timedelta(hours=1)))
        assert (results["A"].new, results["A"].updated) == (0, 1)
        (article,) = await store.latest_articles(relevant_only=False)
        assert article.title == "Azerbaijan, Belarus sign roadmap"
        assert article.fetched == NOW  # still first seen then: no second alert or digest

    async def test_a_link_change_with_a_trusted_guid_is_the_same_article(
        self, server: FeedServer, store: Store
    ) -> None:
        cfg = config(server, {"A": "/rss"})

        def feed(link: str) -> bytes:
            return (
                '<rss version="2.0"><channel><title>T</title><item><title>Aliyev, Lukashenko talk</title>'
                f'<link>{link}</link><guid isPermaLink="false">apa-123</guid><description>Baku, Minsk.</description>'
                "</item></channel></rss>"
            ).encode()

        server.add_file("/rss", feed("https://apa.az/en/news/123"))
        await poll(store, cfg)
        server.add_file("/rss", feed("https://apa.az/en/politics/aliyev-lukashenko-talk-123"))
        results = await poll(store, cfg, Clock(NOW + timedelta(hours=1)))
        assert (results["A"].new, results["A"].updated) == (0, 1)
        (article,) = await store.latest_articles(relevant_only=False)
        assert article.url == "https://apa.az/en/politics/aliyev-lukashenko-talk-123"

    async def test_mobile_and_amp_links_are_one_article(
        self, server: FeedServer, store: Store
    ) -> None:
        server.add_file("/a", rss([("Baku and Minsk", "https://report.az/en/news/1/", "x")]))
        server.add_file(
            "/b",
            rss([("Baku and Minsk", "https://m.report.az/amp/en/news/1/?utm_medium=rss", "x")]),
        )
        results = await poll(store, config(server, {"A": "/a", "B": "/b"}))
        assert results["A"].new + results["B"].new == 1

    async def test_the_same_article_in_two_feeds_is_stored_once(
        self, server: FeedServer, store: Store
    ) -> None:
        server.add_file("/one", "trend-en-mixed.rss")
        server.add_file("/two", "trend-en-mixed.rss")
        results = await poll(store, config(server, {"One": "/one", "Two": "/two"}))
        assert results["One"].new + results["Two"].new == 8
        assert await store.count_articles() == 8


class TestFullText:
    async def test_teasers_get_the_page_text(self, server: FeedServer, store: Store) -> None:
        server.add_file(
            "/page",
            (PAGES / "newsaz-article-page.html").read_bytes(),
            content_type="text/html; charset=utf-8",
        )
        server.add_route("/gone", status=404)
        items = [
            (
                "New opportunities for Belarus and Azerbaijan in the SCO",
                server.url("/page"),
                "Belarus will support Azerbaijan in the SCO.",
            ),
            (
                "Azerbaijan and Belarus discuss trade",
                server.url("/gone"),
                "Baku and Minsk discussed trade.",
            ),
        ]
        server.add_file("/rss", rss(items))
        results = await poll(store, config(server, {"News.Az": "/rss"}, poll="teaser_chars: 400"))
        assert results["News.Az"].new == 2
        by_url = {a.url: a for a in await store.latest_articles(relevant_only=False)}
        page = by_url[server.url("/page")]
        assert "108 Belarusian enterprises registered in Azerbaijan" in page.text
        for noise in ("Yandex", "Similar news", "Archive", "Prev Next", "Su Mo", "Home", "©"):
            assert noise not in page.text
        assert {"trade"} <= set(page.topics)
        gone = by_url[server.url("/gone")]
        assert gone.text == "Baku and Minsk discussed trade."  # extraction failed: the teaser
        exported = await store.find_articles(0, [page.url], [])
        assert exported and len(server.requests("/page")) == 1

    async def test_long_items_are_not_fetched_again(self, server: FeedServer, store: Store) -> None:
        long_text = "Azerbaijan and Belarus agreed on trade. " * 20
        server.add_route("/page", status=500)
        server.add_file("/rss", rss([("Trade", server.url("/page"), long_text)]))
        await poll(store, config(server, {"A": "/rss"}, poll="teaser_chars: 400"))
        assert server.requests("/page") == []


class TestBacklog:
    async def test_a_new_feeds_old_items_are_stored_but_never_digested(
        self, server: FeedServer, store: Store
    ) -> None:
        server.add_file("/rss", "trend-en-mixed.rss")  # items of 18–19 Nov 2026
        await poll(store, config(server, {"A": "/rss"}))
        everything = await store.latest_articles(limit=100)
        digestible = await store.latest_articles(limit=100, include_backlog=False)
        assert everything and digestible == []

    async def test_items_after_the_first_poll_are_news(
        self, server: FeedServer, store: Store
    ) -> None:
        cfg = config(server, {"A": "/rss"})
        # both items are dated 22 Nov 10:00, more than a day before these polls
        server.add_file("/rss", rss([("Baku and Minsk", "https://a.az/1", "Azerbaijan, Belarus.")]))
        await poll(store, cfg, Clock(NOW))
        server.add_file(
            "/rss", rss([("Aliyev and Lukashenko", "https://a.az/2", "Azerbaijan, Belarus.")])
        )
        await poll(store, cfg, Clock(NOW + timedelta(hours=1)))
        digestible = await store.latest_articles(include_backlog=False)
        assert [a.url for a in digestible] == ["https://a.az/2"]


async def test_retention(store: Store) -> None:
    from bot.models import FeedConfig, NewArticle

    await store.sync_feeds([FeedConfig("A", "https://a.az/rss")], NOW)
    (feed,) = await store.list_feeds()

    def article(url: str, days: int, relevant: bool) -> NewArticle:
        at = NOW - timedelta(days=days)
        return NewArticle(url=url, title="t", text="x", summary="s", language="en", published=at,
                          fetched=at, relevant=relevant, relevance_score=1.0 if relevant else 0.0,
                          topics=("trade",))  # fmt: skip

    await store.add_articles(
        feed.id,
        [article("https://a.az/1", 10, False), article("https://a.az/2", 40, False),
         article("https://a.az/3", 40, True), article("https://a.az/4", 400, True)],
    )  # fmt: skip
    deleted = await store.prune(
        irrelevant_before=NOW - timedelta(days=30), all_before=NOW - timedelta(days=365)
    )
    assert deleted == 2
    left = await store.latest_articles(relevant_only=False, limit=10)
    assert sorted(a.url for a in left) == ["https://a.az/1", "https://a.az/3"]
