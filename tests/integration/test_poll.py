"""The poll cycle against a real local HTTP server: good feeds stored once, bad ones recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.config import AppConfig, parse_feeds_yaml
from bot.fetch.client import fetch, make_client
from bot.poll import FeedResult, poll_feeds
from storage import Store
from tests.auxil.feed_server import FeedServer

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as fs:
        fs.add_file("/trend", "trend-en-mixed.rss")
        fs.add_file("/belta", "belta-ru-mixed.rss")
        fs.add_file("/report", "report-az-mixed.rss")
        fs.add_file("/sb", "cp1251-russian.rss", content_type="application/rss+xml")
        fs.add_file("/hostile", "escaping-hostile.rss")
        fs.add_file("/broken", "not-well-formed.rss")
        fs.add_file("/empty-channel", "empty-channel.rss")
        fs.add_file("/html", "html-instead-of-feed.html", content_type="text/html; charset=utf-8")
        fs.add_route("/slow", delay=5)
        fs.add_route("/error", status=500)
        fs.add_route("/forbidden", status=403)
        fs.add_route("/empty", empty=True)
        fs.add_route("/loop", status=301, location="/loop")
        yield fs


def config_for(
    server: FeedServer, *paths: str, timeout: float = 1.0, extra: str = "  full_text: false\n"
) -> AppConfig:
    """Feeds on the local server. Full text is off unless asked for: fixture items link to
    the real outlets, and tests never touch the internet."""
    feeds = "".join(f"  - name: {p.strip('/')}\n    url: {server.url(p)}\n" for p in paths)
    text = f"feeds:\n{feeds}poll:\n  timeout: {timeout}\n{extra}"
    return parse_feeds_yaml(text, Path("feeds.yaml"))


async def poll(store: Store, config: AppConfig) -> dict[str, FeedResult]:
    await store.sync_feeds(config.feeds, NOW)
    async with make_client(allow_private_networks=True, timeout=config.poll.timeout) as client:
        results = await poll_feeds(store, config, client, now=lambda: NOW)
    return {r.feed: r for r in results}


async def test_good_feeds_are_stored_and_classified(
    server: FeedServer, sqlite_store: Store
) -> None:
    config = config_for(server, "/trend", "/belta", "/report", "/sb")
    results = await poll(sqlite_store, config)
    assert {name: (r.status, r.error) for name, r in results.items()} == {
        "trend": ("ok", None),
        "belta": ("ok", None),
        "report": ("ok", None),
        "sb": ("ok", None),
    }
    assert {name: r.new for name, r in results.items()} == {
        "trend": 8,
        "belta": 6,
        "report": 5,
        "sb": 3,
    }
    assert await sqlite_store.count_articles() == 22
    stored = {a.url: a for a in await sqlite_store.latest_articles(limit=100, relevant_only=False)}
    assert not any("utm_" in url for url in stored)
    cyrillic = [a for a in stored.values() if a.feed == "sb"]
    assert all(any("а" <= ch <= "я" for ch in a.title.lower()) for a in cyrillic)
    trade = await sqlite_store.latest_articles(topics=["trade"], limit=100)
    assert trade, "the fixtures hold relevant trade stories"
    assert all(a.relevant and "trade" in a.topics for a in trade)


async def test_polling_twice_stores_nothing_twice(server: FeedServer, sqlite_store: Store) -> None:
    config = config_for(server, "/trend", "/belta")
    first = await poll(sqlite_store, config)
    second = await poll(sqlite_store, config)
    assert [r.status for r in second.values()] == ["not_modified", "not_modified"]
    assert [r.headers.get("If-None-Match") for r in server.requests("/trend")][1] is not None
    # without conditional GET the items are parsed again, and still stored once
    server.add_file("/trend", "trend-en-mixed.rss", etag=False, last_modified=None)
    third = await poll(sqlite_store, config)
    assert (third["trend"].status, third["trend"].items, third["trend"].new) == ("ok", 8, 0)
    assert await sqlite_store.count_articles() == first["trend"].new + first["belta"].new


async def test_the_same_story_in_two_feeds_is_one_story(
    server: FeedServer, sqlite_store: Store
) -> None:
    server.add_file("/a", "same-story-two-outlets-a.rss")
    server.add_file("/b", "same-story-two-outlets-b.rss")
    await poll(sqlite_store, config_for(server, "/a", "/b"))
    relevant = await sqlite_store.latest_articles(limit=100)
    assert len(relevant) == 2
    assert len({a.cluster for a in relevant}) == 1


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/slow", "timed out (ReadTimeout)"),
        ("/error", "HTTP 500 Internal Server Error"),
        ("/forbidden", "HTTP 403 Forbidden"),
        ("/html", "not a feed: the server sent an HTML page"),
        ("/empty", "empty response: the server sent no feed"),
        ("/loop", "too many redirects (more than 5, or a loop)"),
        ("/nothing-here", "HTTP 404 Not Found"),
    ],
)
async def test_a_bad_feed_is_recorded_and_the_cycle_goes_on(
    server: FeedServer, sqlite_store: Store, path: str, error: str
) -> None:
    config = config_for(server, path, "/trend")
    results = await poll(sqlite_store, config)
    bad = results[path.strip("/")]
    assert (bad.status, bad.error) == ("error", error)
    assert results["trend"].new == 8
    stored = {f.name: f for f in await sqlite_store.list_feeds()}
    feed = stored[path.strip("/")]
    assert (feed.last_error, feed.last_error_at, feed.error_count) == (error, NOW, 1)


async def test_not_well_formed_feed_keeps_its_items(
    server: FeedServer, sqlite_store: Store
) -> None:
    results = await poll(sqlite_store, config_for(server, "/broken"))
    assert (results["broken"].status, results["broken"].items) == ("ok", 2)
    assert results["broken"].warning is not None


async def test_empty_channel_is_fine(server: FeedServer, sqlite_store: Store) -> None:
    results = await poll(sqlite_store, config_for(server, "/empty-channel"))
    assert (results["empty-channel"].status, results["empty-channel"].items) == ("ok", 0)


async def test_hostile_items_lose_scripts_and_javascript_links(
    server: FeedServer, sqlite_store: Store
) -> None:
    await poll(sqlite_store, config_for(server, "/hostile"))
    stored = await sqlite_store.latest_articles(limit=100, relevant_only=False)
    assert [a.url.split(":")[0] for a in stored] == ["https", "https"]  # javascript: item skipped
    raw_script = next(a for a in stored if "ceiling" in a.title)
    assert "alert(2)" not in raw_script.text and "javascript" not in raw_script.text
    # markup that was escaped twice in the feed is literal text: kept, and escaped when shown
    double = next(a for a in stored if "SOCAR" in a.title)
    assert double.text.endswith("<script>alert(6)</script>")


async def test_no_enabled_feeds_is_an_empty_cycle(sqlite_store: Store) -> None:
    assert await poll(sqlite_store, parse_feeds_yaml("feeds: []\n", Path("f.yaml"))) == {}


async def test_only_due_feeds_are_polled(server: FeedServer, sqlite_store: Store) -> None:
    config = config_for(server, "/trend")
    await poll(sqlite_store, config)
    async with make_client(allow_private_networks=True) as client:
        results = await poll_feeds(sqlite_store, config, client, now=lambda: NOW, due_only=True)
    assert results == []


class TestFetch:
    async def test_private_addresses_are_refused_unless_allowed(self, server: FeedServer) -> None:
        async with make_client(allow_private_networks=False) as client:
            result = await fetch(client, server.url("/trend"))
        assert result.status == "error"
        assert result.error is not None and "private/loopback address" in result.error
        assert server.requests("/trend") == []

    @pytest.mark.parametrize(
        "url",
        ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/rss", "http://[::1]:8080/"],
    )
    async def test_ssrf_targets_are_refused(self, url: str) -> None:
        async with make_client(allow_private_networks=False) as client:
            result = await fetch(client, url)
        assert result.error is not None and result.error.startswith("refused:")

    async def test_a_redirect_to_a_private_address_is_refused(self, server: FeedServer) -> None:
        # allowed for the first hop only: the guard runs on every hop
        transport_hits: list[str] = []

        async def hook(request: httpx.Request) -> None:
            transport_hits.append(str(request.url))

        server.add_route("/to-metadata", status=302, location="http://169.254.169.254/")
        async with make_client(allow_private_networks=False) as client:
            client.event_hooks["request"].insert(0, hook)
            result = await fetch(client, server.url("/to-metadata"))
        assert result.error is not None and result.error.startswith("refused:")
        assert transport_hits == [server.url("/to-metadata")]

    async def test_oversized_response_is_cut(self, server: FeedServer) -> None:
        server.add_route("/huge", huge=20)
        async with make_client(allow_private_networks=True) as client:
            result = await fetch(client, server.url("/huge"), max_bytes=10 * 1024 * 1024)
        assert (result.status, result.error) == ("error", "response larger than 10 MB, not read")

    async def test_a_trickling_server_hits_the_deadline(self, server: FeedServer) -> None:
        server.add_route("/slow", delay=3)
        async with make_client(allow_private_networks=True, timeout=10) as client:
            result = await fetch(client, server.url("/slow"), deadline=0.5)
        assert result.error == "timed out (no complete answer in 0.5 s)"

    @pytest.mark.parametrize("url", ["http://a..b/rss", "http://exa mple.com/"])
    async def test_invalid_urls_are_an_error_result(self, url: str) -> None:
        async with make_client(allow_private_networks=True) as client:
            result = await fetch(client, url)
        assert result.status == "error" and result.error is not None

    async def test_gzip_is_decoded(self, server: FeedServer) -> None:
        server.add_file("/gz", "trend-en-mixed.rss", gzip=True)
        async with make_client(allow_private_networks=True) as client:
            result = await fetch(client, server.url("/gz"))
        assert result.ok and result.content.startswith(b"<?xml")

    async def test_user_agent_names_the_bot(self, server: FeedServer) -> None:
        async with make_client(allow_private_networks=True) as client:
            await fetch(client, server.url("/trend"))
        assert "azby/" in server.requests("/trend")[0].headers["User-Agent"]


async def test_worker_processes_store_what_the_thread_stores(
    server: FeedServer, tmp_path: Path
) -> None:
    """poll.workers moves parsing and classifying to other processes: same feeds, same
    articles, classifications and stories as on the one thread of the default."""
    from storage import open_store

    paths = ("/trend", "/belta", "/report", "/sb", "/hostile", "/broken", "/html")
    stored = {}
    for workers in (0, 1):
        config = config_for(server, *paths, extra=f"  full_text: false\n  workers: {workers}\n")
        assert config.poll.workers == workers
        store = await open_store(f"sqlite+aiosqlite:///{tmp_path / f'w{workers}.sqlite3'}")
        try:
            results = await poll(store, config)
            articles = await store.latest_articles(limit=1000, relevant_only=False)
        finally:
            await store.close()
        stored[workers] = (
            {
                name: (r.status, r.new, r.relevant, r.stories, r.error)
                for name, r in results.items()
            },
            sorted(
                (a.url, a.title, a.summary, a.language, a.relevant, a.topics, a.cluster)
                for a in articles
            ),
        )
    assert stored[1] == stored[0]
    results, articles = stored[0]
    assert results["html"][0] == "error" and results["trend"][0] == "ok"
    assert any(relevant for *_, relevant, _, _ in articles)
