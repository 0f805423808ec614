"""The feed fixtures parse as documented, and the local feed server serves what it promises."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator
from email.utils import format_datetime
from pathlib import Path

import feedparser
import httpx
import pytest
from aiohttp import web

from tests.auxil.feed_server import (
    DEFAULT_LAST_MODIFIED,
    FEEDS_DIR,
    FeedServer,
    FeedServerThread,
    Route,
)

# name -> (feedparser version, number of entries, bozo)
FIXTURES = {
    "trend-en-mixed.rss": ("rss20", 8, False),
    "belta-ru-mixed.rss": ("rss20", 6, False),
    "report-az-mixed.rss": ("rss20", 5, False),
    "cp1251-russian.rss": ("rss20", 3, False),
    "escaping-hostile.rss": ("rss20", 3, False),
    "not-well-formed.rss": ("rss20", 2, True),
    "html-instead-of-feed.html": ("", 0, True),
    "empty-channel.rss": ("rss20", 0, False),
    "atom-en.xml": ("atom10", 2, False),
    "same-story-two-outlets-a.rss": ("rss20", 2, False),
    "same-story-two-outlets-b.rss": ("rss20", 2, False),
    # feedparser alone misreads it (bozo): azby detects the charset first (test_ingest.py)
    "cp1251-no-declaration.rss": ("rss20", 2, True),
    "koi8r-russian.rss": ("rss20", 2, False),
    "repeated-guids.rss": ("rss20", 3, False),
}


def parse(name: str) -> feedparser.FeedParserDict:
    return feedparser.parse((FEEDS_DIR / name).read_bytes())


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as fs:
        yield fs


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=5) as c:
        yield c


# -- fixtures ----------------------------------------------------------------------------


def test_every_fixture_is_listed_here_and_in_the_readme() -> None:
    on_disk = {p.name for p in FEEDS_DIR.iterdir() if p.name != "README.md"}
    readme = (FEEDS_DIR / "README.md").read_text(encoding="utf-8")
    described = {name for name in on_disk if f"`{name}`" in readme}
    assert (on_disk, described) == (set(FIXTURES), set(FIXTURES))


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_parses_as_expected(name: str) -> None:
    parsed = parse(name)
    assert (parsed.version, len(parsed.entries), bool(parsed.bozo)) == FIXTURES[name]


@pytest.mark.parametrize("name", sorted(n for n, (_, count, _) in FIXTURES.items() if count))
def test_fixture_entries_are_complete(name: str) -> None:
    parsed = parse(name)
    for entry in parsed.entries:
        assert entry.title and entry.link and entry.summary, entry
        assert entry.published_parsed.tm_year == 2026
        assert entry.published_parsed.tm_mon == 11


def test_trend_titles_links_and_cdata() -> None:
    entries = parse("trend-en-mixed.rss").entries
    assert entries[2].title == (
        'Ganja Automobile Plant rolls out 1,000th "Belarus" tractor assembled with MTZ'
    )
    tracked = [e.link for e in entries if "utm_source=rss&utm_medium=feed" in e.link]
    assert len(tracked) == 4
    assert entries[0].summary.startswith("<p>BAKU, Azerbaijan, November 12. Trade turnover")
    assert entries[0].published == "Thu, 12 Nov 2026 13:47:00 +0400"


def test_cp1251_feed_is_decoded() -> None:
    raw = (FEEDS_DIR / "cp1251-russian.rss").read_bytes()
    parsed = feedparser.parse(raw)
    assert raw.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    assert "Лукашенко".encode("cp1251") in raw
    assert parsed.encoding == "windows-1251"
    assert parsed.feed.title == "СБ. Беларусь сегодня — Новости"
    assert parsed.entries[0].title == (
        "Лукашенко и Алиев обсудили совместное производство техники в Азербайджане"
    )
    assert "Гянджинском автозаводе" in parsed.entries[0].summary


@pytest.mark.parametrize(
    ("content_type", "bozo"),
    [
        ("application/rss+xml; charset=windows-1251", False),
        ("application/rss+xml", False),
        ("application/rss+xml; charset=utf-8", True),
        ("text/xml", True),
    ],
)
def test_cp1251_feed_under_a_wrong_charset_header(content_type: str, bozo: bool) -> None:
    raw = (FEEDS_DIR / "cp1251-russian.rss").read_bytes()
    parsed = feedparser.parse(raw, response_headers={"content-type": content_type})
    assert (bool(parsed.bozo), parsed.encoding) == (bozo, "windows-1251")
    if bozo:
        assert isinstance(parsed.bozo_exception, feedparser.CharacterEncodingOverride)
    assert parsed.entries[0].title.startswith("Лукашенко и Алиев")


def test_azerbaijani_letters_survive() -> None:
    titles = [e.title for e in parse("report-az-mixed.rss").entries]
    assert titles[0] == "Azərbaycanla Belarus arasında ticarət dövriyyəsi 17 faiz artıb"
    assert set("əşğıçöü") <= set("".join(titles))


def test_hostile_markup_reaches_the_parsed_entry() -> None:
    relevant, js_link, double_escaped = parse("escaping-hostile.rss").entries
    # feedparser leaves plain-text titles alone: the bot must escape them for Telegram.
    assert relevant.title == (
        'Aliyev & Lukashenko: Azerbaijan-Belarus trade < $1bn "is not the ceiling" '
        "<script>alert(1)</script>"
    )
    # It sanitises HTML descriptions but keeps a bare "<" and "&".
    assert "<script>" not in relevant.summary
    assert "javascript:" not in relevant.summary
    assert "<b>< $1 billion</b> between Azerbaijan & Belarus" in relevant.summary
    assert relevant.link.endswith("?id=581204&ref=rss")
    assert js_link.link == "javascript:alert(document.cookie)"
    assert double_escaped.title == "Oil &amp; gas: SOCAR <b>raises</b> output at Absheron field"


def test_not_well_formed_feed_still_yields_both_items() -> None:
    parsed = parse("not-well-formed.rss")
    assert [e.link for e in parsed.entries] == [
        "https://www.azernews.az/business/251874.html?ref=rss&src=feed",
        "https://www.azernews.az/travel/251860.html",
    ]


def test_same_story_appears_in_both_outlets() -> None:
    a = parse("same-story-two-outlets-a.rss").entries[0]
    b = parse("same-story-two-outlets-b.rss").entries[0]
    assert "seven documents" in a.title and "seven documents" in b.title
    assert a.title != b.title
    assert b.link.split("?")[0] == "https://www.azernews.az/nation/252310.html"
    assert "utm_source=rss" in b.link and "?" not in a.link


# -- files and conditional GET -----------------------------------------------------------


async def test_file_is_served_with_validators(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    route = server.add_file("/rss", "trend-en-mixed.rss")
    response = await client.get(server.url("/rss"))
    assert response.status_code == 200
    assert response.content == (FEEDS_DIR / "trend-en-mixed.rss").read_bytes()
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert response.headers["etag"] == route.etag
    assert response.headers["last-modified"] == "Thu, 12 Nov 2026 10:00:00 GMT"
    assert len(feedparser.parse(response.content).entries) == 8


async def test_conditional_get_gives_304(server: FeedServer, client: httpx.AsyncClient) -> None:
    route = server.add_file("/rss", "belta-ru-mixed.rss", headers={"Cache-Control": "max-age=60"})
    assert isinstance(route.etag, str)
    lm = format_datetime(DEFAULT_LAST_MODIFIED, usegmt=True)
    url = server.url("/rss")

    by_etag = await client.get(url, headers={"If-None-Match": route.etag})
    by_weak_list = await client.get(url, headers={"If-None-Match": f'"x", W/{route.etag}'})
    by_date = await client.get(url, headers={"If-Modified-Since": lm})
    stale_etag = await client.get(url, headers={"If-None-Match": '"old"', "If-Modified-Since": lm})
    older = await client.get(url, headers={"If-Modified-Since": "Wed, 11 Nov 2026 10:00:00 GMT"})

    assert [r.status_code for r in (by_etag, by_weak_list, by_date, stale_etag, older)] == [
        304,
        304,
        304,
        200,
        200,
    ]
    assert by_etag.content == b""
    assert by_etag.headers["etag"] == route.etag
    assert by_etag.headers["cache-control"] == "max-age=60"
    assert [r.headers.get("if-none-match") for r in server.requests("/rss")] == [
        route.etag,
        f'"x", W/{route.etag}',
        None,
        '"old"',
        None,
    ]


async def test_replacing_a_file_changes_its_etag(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    old = server.add_file("/rss", "same-story-two-outlets-a.rss")
    new = server.add_file("/rss", "same-story-two-outlets-b.rss")
    response = await client.get(server.url("/rss"), headers={"If-None-Match": str(old.etag)})
    assert (response.status_code, response.headers["etag"]) == (200, new.etag)
    assert b"Azernews" in response.content


async def test_file_from_bytes_without_validators(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.add_file("/b", b"<rss/>", content_type="text/xml", etag=False, last_modified=None)
    response = await client.get(server.url("/b"), headers={"If-Modified-Since": "x"})
    assert (response.status_code, response.content) == (200, b"<rss/>")
    assert "etag" not in response.headers and "last-modified" not in response.headers
    assert response.headers["content-type"] == "text/xml"


async def test_cp1251_served_with_its_charset(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.add_file(
        "/sb", "cp1251-russian.rss", content_type="application/rss+xml; charset=windows-1251"
    )
    response = await client.get(server.url("/sb"))
    parsed = feedparser.parse(
        response.content, response_headers={"content-type": response.headers["content-type"]}
    )
    assert parsed.entries[1].title == "В Гродно открылся обновленный «Ледовый дворец»"


# -- behaviours ----------------------------------------------------------------------------


async def test_statuses_and_headers(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.add_route("/forbidden", status=403, body=b"Forbidden", content_type="text/html")
    server.add_route("/down", {"status": 503, "headers": {"Retry-After": "120"}})
    server.add_route("/boom", Route(status=500))

    forbidden = await client.get(server.url("/forbidden"))
    down = await client.get(server.url("/down"))
    boom = await client.get(server.url("/boom"))
    missing = await client.get(server.url("/nothing-here"))

    assert (forbidden.status_code, forbidden.content) == (403, b"Forbidden")
    assert forbidden.headers["content-type"] == "text/html"
    assert (down.status_code, down.headers["retry-after"]) == (503, "120")
    assert boom.status_code == 500
    assert missing.status_code == 404
    assert len(server.requests("/nothing-here")) == 1


async def test_redirects_and_redirect_loop(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.add_file("/rss/", "empty-channel.rss")
    server.add_route("/rss", status=301, location="/rss/")
    server.add_route("/loop", status=302, location=server.url("/loop"))

    moved = await client.get(server.url("/rss"))
    followed = await client.get(server.url("/rss"), follow_redirects=True)
    with pytest.raises(httpx.TooManyRedirects):
        await client.get(server.url("/loop"), follow_redirects=True)

    assert (moved.status_code, moved.headers["location"]) == (301, "/rss/")
    assert (followed.status_code, str(followed.url)) == (200, server.url("/rss/"))
    assert len(server.requests("/loop")) == 21  # httpx: 1 request + max_redirects (20)


async def test_delay_triggers_client_timeout_and_stop_stays_quick() -> None:
    fs = FeedServer()
    await fs.start()
    fs.add_route("/slow", delay=30)
    fs.add_route("/bit-slow", delay=0.1, body=b"late")
    async with httpx.AsyncClient(trust_env=False, timeout=0.3) as client:
        late = await client.get(fs.url("/bit-slow"))
        with pytest.raises(httpx.ReadTimeout):
            await client.get(fs.url("/slow"))
        pending = asyncio.create_task(client.get(fs.url("/slow"), timeout=5))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await fs.stop()
        stopped_in = time.monotonic() - started
        await asyncio.gather(pending, return_exceptions=True)
    assert late.content == b"late"
    assert stopped_in < 1.5
    assert len(fs.requests("/slow")) == 2


async def test_gzip_body(server: FeedServer, client: httpx.AsyncClient) -> None:
    raw = (FEEDS_DIR / "report-az-mixed.rss").read_bytes()
    server.add_route("/gz", body=raw, gzip=True)
    decoded = await client.get(server.url("/gz"))
    async with client.stream("GET", server.url("/gz")) as stream:
        wire = b"".join([chunk async for chunk in stream.aiter_raw()])
    assert decoded.headers["content-encoding"] == "gzip"
    assert decoded.content == raw
    assert wire[:2] == b"\x1f\x8b" and gzip.decompress(wire) == raw


async def test_huge_body_is_streamed_chunked(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.add_route("/huge", huge=3)
    server.add_route("/huge-declared", huge=0.5, huge_content_length=True)
    async with client.stream("GET", server.url("/huge")) as stream:
        total = 0
        first = b""
        async for chunk in stream.aiter_raw():
            first = first or chunk
            total += len(chunk)
        assert stream.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in stream.headers
    declared = await client.get(server.url("/huge-declared"))
    assert total == 3 * 1024 * 1024
    assert first.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">')
    assert declared.headers["content-length"] == str(512 * 1024) == str(len(declared.content))


async def test_client_abandoning_a_huge_body_is_harmless(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.add_route("/huge", huge=200)
    server.add_file("/rss", "atom-en.xml")
    async with client.stream("GET", server.url("/huge")) as stream:
        read = 0
        async for chunk in stream.aiter_raw():
            read += len(chunk)
            if read > 1024 * 1024:
                break
    after = await client.get(server.url("/rss"))
    assert after.status_code == 200


async def test_empty_200(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.add_route("/empty", empty=True, body=b"ignored")
    response = await client.get(server.url("/empty"))
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == "0"


async def test_custom_handler_and_query_routes(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    async def teapot(request: web.Request) -> web.Response:
        return web.Response(status=418, text=request.query.get("rubric", "-"))

    server.add_route("/rss/", teapot)
    server.add_route("/rss/?rubric=news", body=b"news only")
    news = await client.get(server.url("/rss/?rubric=news"))
    other = await client.get(server.url("/rss/?rubric=sport"))
    assert (news.status_code, news.content) == (200, b"news only")
    assert (other.status_code, other.text) == (418, "sport")
    assert len(server.requests("/rss/")) == 2
    assert [r.query_string for r in server.requests("/rss/?rubric=sport")] == ["rubric=sport"]


async def test_request_log_records_headers(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.add_file("/rss", "trend-en-mixed.rss")
    for _ in range(3):
        await client.get(server.url("/rss"), headers={"User-Agent": "azby-test/1.0"})
    await client.head(server.url("/rss"))
    log = server.requests("/rss")
    assert [r.method for r in log] == ["GET", "GET", "GET", "HEAD"]
    assert log[0].headers["user-agent"] == "azby-test/1.0"
    assert log[0].monotonic <= log[-1].monotonic
    server.clear_requests()
    assert server.requests() == []


def test_add_route_rejects_bad_specs() -> None:
    fs = FeedServer()
    with pytest.raises(ValueError, match="must start with"):
        fs.add_route("rss", status=500)
    with pytest.raises(ValueError, match="huge"):
        fs.add_route("/x", huge=1, gzip=True)
    with pytest.raises(TypeError):
        fs.add_route("/x", lambda request: request, status=500)  # type: ignore[arg-type,return-value]


# -- thread mode -----------------------------------------------------------------------------


def test_thread_server_serves_sync_clients() -> None:
    with FeedServerThread() as fs, httpx.Client(trust_env=False, timeout=5) as client:
        route = fs.add_file("/rss", Path(FEEDS_DIR / "atom-en.xml"), "application/atom+xml")
        fs.add_route("/forbidden", status=403)
        first = client.get(fs.url("/rss"))
        again = client.get(fs.url("/rss"), headers={"If-None-Match": str(route.etag)})
        forbidden = client.get(fs.url("/forbidden"))
        assert fs.url("/x") == f"http://127.0.0.1:{fs.port}/x"
        assert (first.status_code, again.status_code, forbidden.status_code) == (200, 304, 403)
        assert feedparser.parse(first.content).version == "atom10"
        assert fs.requests("/rss")[1].headers["if-none-match"] == route.etag


def test_thread_server_stops_quickly_with_a_pending_delay() -> None:
    fs = FeedServerThread()
    fs.start()
    fs.add_route("/slow", delay=30)
    with httpx.Client(trust_env=False, timeout=0.2) as client, pytest.raises(httpx.ReadTimeout):
        client.get(fs.url("/slow"))
    started = time.monotonic()
    fs.stop()
    fs.stop()
    assert time.monotonic() - started < 1.5
