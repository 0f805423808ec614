"""The lxml reader for plain RSS (``bot.pipeline.rss``) gives what feedparser gives.

Every feed fixture, in several content types, and mutations of a plain feed that touch each
rule of the reader are parsed twice: as ``parse_feed`` does (fast path where it applies) and
with feedparser alone. The results must be equal, and the fast path must be taken where it
is meant to be (else the comparison would prove nothing).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

import bot.pipeline.parse as parse_module
from bot.pipeline.parse import ParsedFeed, parse_feed
from bot.pipeline.rss import read_rss
from bot.pipeline.text import _simple_parts, _TextCollector

FEEDS = Path(__file__).resolve().parents[1] / "data" / "feeds"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
URL = "https://outlet.example/rss/"
CONTENT_TYPES = [None, "application/rss+xml", "text/xml", "application/xml; charset=utf-8"]
PLAIN = sorted(
    path.name
    for path in FEEDS.glob("*.rss")
    if path.name != "not-well-formed.rss"  # feedparser's lenient parser reads that one
)


def both(
    content: bytes,
    monkeypatch: pytest.MonkeyPatch,
    content_type: str | None = None,
    url: str = URL,
) -> tuple[ParsedFeed, ParsedFeed]:
    fast = parse_feed(content, url=url, content_type=content_type, now=NOW)
    with monkeypatch.context() as patch:
        patch.setattr(parse_module, "read_rss", lambda *args: None)
        slow = parse_feed(content, url=url, content_type=content_type, now=NOW)
    return fast, slow


def taken(content: bytes, content_type: str | None = None) -> bool:
    headers = {"content-location": URL}
    if content_type:
        headers["content-type"] = content_type
    return read_rss(content, headers) is not None


@pytest.mark.parametrize("name", sorted(p.name for p in FEEDS.iterdir() if p.suffix != ".md"))
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_every_fixture_reads_the_same(
    name: str, content_type: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = both((FEEDS / name).read_bytes(), monkeypatch, content_type)
    assert fast == slow


@pytest.mark.parametrize("name", PLAIN)
def test_the_fast_path_reads_the_plain_fixtures(name: str) -> None:
    content = (FEEDS / name).read_bytes()
    if name == "cp1251-no-declaration.rss":  # parse_feed finds the charset first
        assert taken(content, "text/xml; charset=windows-1251")
    else:
        assert taken(content, "application/rss+xml")


@pytest.mark.parametrize(
    "name", ["atom-en.xml", "not-well-formed.rss", "html-instead-of-feed.html"]
)
def test_the_fast_path_leaves_other_documents_to_feedparser(name: str) -> None:
    assert not taken((FEEDS / name).read_bytes(), "application/xml")


CHANNEL = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:yandex="http://news.yandex.ru" xmlns:atom="http://www.w3.org/2005/Atom">\n'
    "<channel><title>Outlet &amp; Co</title><link>https://outlet.example/</link>"
    '<atom:link href="https://outlet.example/rss/" rel="self"/>'
    "<language>ru</language><ttl>30</ttl>"
    "<image><url>https://outlet.example/logo.png</url><title>Logo</title></image>\n"
    "{items}\n</channel></rss>"
)
ITEM = (
    "<item><title>Azerbaijan and Belarus sign a trade deal</title>"
    "<link>https://outlet.example/news/1?utm_source=rss&amp;id=7</link>"
    "<description><![CDATA[<p>Baku and <b>Minsk</b> agreed&nbsp;on trade.</p><p>Second.</p>]]>"
    "</description><guid>https://outlet.example/news/1</guid>"
    "<pubDate>Mon, 23 Nov 2026 10:00:00 +0400</pubDate><category>Economy</category>"
    '<enclosure url="https://outlet.example/1.jpg" type="image/jpeg" length="1"/></item>'
)


def feed(*items: str) -> bytes:
    return CHANNEL.format(items="\n".join(items)).encode()


def swap(old: str, new: str) -> Callable[[str], str]:
    def mutate(item: str) -> str:
        assert old in item
        return item.replace(old, new)

    return mutate


# (name, mutation of ITEM, whether the fast path still reads it)
MUTATIONS: list[tuple[str, Callable[[str], str], bool]] = [
    ("as is", lambda item: item, True),
    ("title in CDATA", swap("trade deal</title>", "<![CDATA[trade & <b>deal</b>]]></title>"), True),
    ("padded title", swap("<title>", "<title>\n   "), True),
    ("empty title", swap("Azerbaijan and Belarus sign a trade deal", ""), True),
    ("entity in title", swap("trade deal", "trade &amp;amp; deal &#150; now"), True),
    ("mojibake title", swap("trade deal", "trade Ã©tÃ© deal"), True),
    (
        "no link",
        swap("<link>https://outlet.example/news/1?utm_source=rss&amp;id=7</link>", ""),
        True,
    ),
    ("relative link", swap("https://outlet.example/news/1?utm", "/news/1?utm"), True),
    ("link entity", swap("&amp;id=7", "&amp;lang=7&amp;amp;x=1"), True),
    ("guid not permalink", swap("<guid>", '<guid isPermaLink="false">'), True),
    ("guid True", swap("<guid>", '<guid isPermaLink="True">'), True),
    (
        "guid first",
        lambda item: item.replace(
            "<title>", "<guid>https://outlet.example/g</guid><title>", 1
        ).replace("<guid>https://outlet.example/news/1</guid>", ""),
        True,
    ),
    ("relative guid", swap("<guid>https://outlet.example/news/1", "<guid>news/1"), True),
    ("no guid", swap("<guid>https://outlet.example/news/1</guid>", ""), True),
    (
        "dc:date",
        swap(
            "<pubDate>Mon, 23 Nov 2026 10:00:00 +0400</pubDate>",
            "<dc:date>2026-11-23T10:00:00+04:00</dc:date>",
        ),
        True,
    ),
    ("bad date", swap("Mon, 23 Nov 2026 10:00:00 +0400", "23 ноября 2026"), True),
    ("future date", swap("23 Nov 2026", "23 Nov 2030"), True),
    (
        "content:encoded",
        swap(
            "<category>",
            "<content:encoded><![CDATA[<p>Full text of the story, longer than the teaser by far.</p>]]></content:encoded><category>",
        ),
        True,
    ),
    (
        "content before description",
        lambda item: item.replace(
            "<description>", "<content:encoded>Full</content:encoded><description>", 1
        ),
        True,
    ),
    (
        "only content",
        lambda item: item.replace("<description>", "<content:encoded>", 1).replace(
            "</description>", "</content:encoded>", 1
        ),
        True,
    ),
    ("dc:language", swap("<category>", "<dc:language>az-AZ</dc:language><category>"), True),
    ("comment inside", swap("<category>", "<!-- note --><category>"), True),
    ("comment in title", swap("sign a", "sign <!-- x --> a"), False),
    (
        "unknown namespace",
        swap("<category>", "<yandex:full-text>Full text</yandex:full-text><category>"),
        True,
    ),
    (
        "media:content",
        swap("<category>", '<media:content url="https://outlet.example/v.mp4"/><category>'),
        True,
    ),
    (
        "media:title inside media:content",
        swap(
            "<category>",
            '<media:content url="u"><media:title>Other</media:title></media:content><category>',
        ),
        False,
    ),
    ("dc:title", swap("<category>", "<dc:title>Other title</dc:title><category>"), False),
    (
        "source",
        swap("<category>", '<source url="https://other.example/rss">Other</source><category>'),
        False,
    ),
    ("two titles", swap("<category>", "<title>Second</title><category>"), False),
    ("two descriptions", swap("<category>", "<description>Second</description><category>"), False),
    (
        "item attribute",
        swap(
            "<item>", '<item rdf:about="x" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        ),
        False,
    ),
    ("xml:base", swap("<link>", '<link xml:base="https://other.example/">'), False),
    (
        "markup in description",
        swap("<description><![CDATA[", "<description><p>x</p><![CDATA["),
        False,
    ),
    ("base64 title", swap("<title>", '<title mode="base64">'), False),
]


@pytest.mark.parametrize(("name", "mutate", "fast"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutations_read_the_same(
    name: str, mutate: Callable[[str], str], fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = feed(mutate(ITEM), ITEM.replace("/news/1", "/news/2"))
    assert taken(content, "application/rss+xml") is fast
    parsed, reference = both(content, monkeypatch, "application/rss+xml")
    assert parsed == reference
    assert parsed.title == "Outlet & Co" and parsed.ttl_minutes == 30


def test_channel_quirks_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    for content in (
        feed(ITEM).replace(b"<channel>", b"<channel><title>Again</title>", 1),
        feed(ITEM).replace(b"<channel>", b'<channel xml:base="https://x.example/">', 1),
        feed(ITEM).replace(b"<?xml", b'<!DOCTYPE rss SYSTEM "x.dtd"><?xml', 1),
        feed(ITEM).replace(b'<rss version="2.0"', b'<rss version="2.0" xmlns="urn:x"', 1),
    ):
        assert not taken(content, "application/rss+xml")
        fast, slow = both(content, monkeypatch, "application/rss+xml")
        assert fast == slow


PLAIN_ITEM = (
    "<item><title>Hello</title><link>/news/1</link><description>Body text</description>"
    "<guid>news/1</guid><pubDate>Mon, 23 Nov 2026 10:00:00 +0400</pubDate>{extra}</item>"
)
# Found by a review reading feedparser's source: documents that feedparser reads its own way.
# The fast path must leave each to feedparser (and so the results must be equal).
QUIRKS = {
    "unknown element named like a mapped key": ("", "<date_parsed>abcdef</date_parsed>"),
    "unknown element named like a filled key": ("", "<links>x</links>"),
    "userland RSS namespace": (
        "",
        '<u:title xmlns:u="http://backend.userland.com/rss2">X</u:title>',
    ),
    "a prefix bound twice": ('xmlns:y="urn:x"', '<z xmlns:y="urn:other"/><y:title>Fake</y:title>'),
    "two prefixes for one URI": (
        'xmlns:content="urn:x" xmlns:y="urn:x"',
        "<y:encoded>Full content here, longer than the body</y:encoded>",
    ),
    "a known prefix on another known namespace": (
        'xmlns:dce="http://purl.org/dc/elements/1.1/" xmlns:dc="http://purl.org/dc/terms/"',
        "<dce:date>2026-11-20T10:00:00Z</dce:date>",
    ),
    "Base attribute": ('Base="http://other.example/"', ""),
    "base in another namespace": ('xmlns:q="urn:q" q:base="http://other.example/"', ""),
    "a name expat refuses": ("", "<f\u2c00o>x</f\u2c00o>"),
}


@pytest.mark.parametrize(("root", "extra"), QUIRKS.values(), ids=list(QUIRKS))
def test_feedparser_quirks_are_left_to_feedparser(
    root: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {root}><channel>'
        f"<title>T</title>{PLAIN_ITEM.format(extra=extra)}</channel></rss>"
    ).encode()
    assert not taken(content, "application/rss+xml")
    fast, slow = both(content, monkeypatch, "application/rss+xml")
    assert fast == slow


def test_a_doctype_far_from_the_start_is_left_to_feedparser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content = (
        '<?xml version="1.0" encoding="utf-8"?><!--' + "x" * 5000 + "-->"
        '<!DOCTYPE rss [<!ATTLIST guid isPermaLink CDATA "false">]>'
        f'<rss version="2.0"><channel><title>T</title>{PLAIN_ITEM.format(extra="")}'
        "</channel></rss>"
    ).encode()
    assert not taken(content, "application/rss+xml")
    fast, slow = both(content, monkeypatch, "application/rss+xml")
    assert fast == slow


@pytest.mark.parametrize("url", ["http:///outlet.example/rss/", "https:////outlet.example/rss/"])
def test_an_odd_feed_url_resolves_links_as_feedparser_does(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = (
        f'<rss version="2.0"><channel><title>T</title>{PLAIN_ITEM.format(extra="")}</channel></rss>'
    ).encode()
    fast, slow = both(content, monkeypatch, "application/rss+xml", url=url)
    assert fast == slow and len(fast.entries) == 1


@pytest.mark.parametrize(
    ("content_type", "declared"),
    [
        ("text/xml; charset=windows-1251", "windows-1251"),
        ("application/rss+xml; charset=utf-8", "windows-1251"),  # the header is wrong
        ("text/xml", "koi8-r"),
        (None, "windows-1251"),
    ],
)
def test_encodings_read_the_same(
    content_type: str | None, declared: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = feed(ITEM.replace("Azerbaijan and Belarus", "Азербайджан и Беларусь")).decode()
    content = text.replace('encoding="utf-8"', f'encoding="{declared}"').encode(declared)
    fast, slow = both(content, monkeypatch, content_type)
    assert fast == slow
    assert fast.entries[0].title.startswith("Азербайджан")


# --- html_to_text: the one-regex path against html.parser ------------------------------

PIECES = [
    "text", " ", "  ", "\n", "\t", "\xa0", "&amp;", "&nbsp;", "&#1041;", "&lt;", "&bogus;", "&",
    "Баку", "Bakı", "<p>", "</p>", "<br>", "<br/>", "<br />", "<div class=\"a\">", "</div>",
    "<a href='https://x.example/?a=1&b=2'>", "</a>", "<li>", "<h2 id=t>", "</h2>", "<P>",
    "<img src=\"x.png\" alt=\"a > b\"/>", "<span data-x=y>", "</span>", "<a href=x/>", "<",
    "a < b", "<!-- c -->", "<script>var a = '<p>';</script>", "<style>p{}</style>", "<hr>",
    "<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>", "<b >", "</b >", "<x-y>",
    "<p\xa0class='x'>", "<br\u3000/>", "<a\thref='x'\nid=y>", "<p class=a\xa0id=b>",
]  # fmt: skip


def collected(markup: str, keep_newlines: bool) -> list[str]:
    collector = _TextCollector(keep_newlines)
    collector.feed(markup)
    collector.close()
    return collector.parts


def test_the_simple_path_matches_html_parser_on_generated_fragments() -> None:
    rng = random.Random(2026)
    simple = 0
    for _ in range(20_000):
        markup = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 14)))
        for keep_newlines in (False, True):
            parts = _simple_parts(markup, keep_newlines)
            if parts is not None:
                simple += 1
                assert parts == collected(markup, keep_newlines), markup
    assert simple > 10_000  # most fragments take the simple path: the check is not vacuous


def test_elements_html_parser_reads_its_own_way_take_its_path() -> None:
    # newer CPython patch releases read these as raw text or entity-only text
    for name in ("script", "style", "title", "textarea", "xmp", "iframe", "plaintext"):
        assert _simple_parts(f"a <{name}>x &amp; y</{name}> b", keep_newlines=False) is None
    assert _simple_parts("a <p>x &amp; y</p> b", keep_newlines=False) is not None


def test_the_simple_path_matches_html_parser_on_the_fixtures() -> None:
    simple = 0
    for path in FEEDS.iterdir():
        for entry in feedparser.parse(path.read_bytes()).entries:
            for markup in (entry.get("title", ""), entry.get("summary", "")):
                parts = _simple_parts(markup, keep_newlines=False)
                if parts is not None:
                    simple += 1
                    assert parts == collected(markup, keep_newlines=False), markup
    assert simple > 20
