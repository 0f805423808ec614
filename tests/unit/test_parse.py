"""Feed bytes → entries: RSS and Atom, encodings, broken XML, HTML pages, hostile items."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.pipeline.parse import parse_feed

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def rss(items: str, encoding: str = "utf-8", declaration: bool = True) -> bytes:
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n' if declaration else ""
    text = (
        f'{head}<rss version="2.0"><channel><title>Test</title><ttl>30</ttl>{items}</channel></rss>'
    )
    return text.encode(encoding)


ITEM = (
    "<item><title>{title}</title><link>{link}</link><description>{description}</description>"
    "<pubDate>{date}</pubDate>{extra}</item>"
)


def item(
    title: str = "Azerbaijan and Belarus sign a trade roadmap",
    link: str = "https://en.trend.az/business/1.html?utm_source=rss",
    description: str = "&lt;p&gt;Baku and Minsk agreed to raise trade.&lt;/p&gt;",
    date: str = "Mon, 23 Nov 2026 10:15:00 +0400",
    extra: str = "",
) -> str:
    return ITEM.format(title=title, link=link, description=description, date=date, extra=extra)


def test_rss_item_is_normalised() -> None:
    parsed = parse_feed(rss(item()), url="https://en.trend.az/rss", now=NOW)
    (entry,) = parsed.entries
    assert (entry.url, entry.title, entry.text, entry.published) == (
        "https://en.trend.az/business/1.html",
        "Azerbaijan and Belarus sign a trade roadmap",
        "Baku and Minsk agreed to raise trade.",
        datetime(2026, 11, 23, 6, 15, tzinfo=UTC),
    )
    assert (parsed.error, parsed.warning, parsed.ttl_minutes, parsed.title) == (
        None,
        None,
        30,
        "Test",
    )


def test_future_dates_become_now_and_missing_dates_stay_missing() -> None:
    parsed = parse_feed(
        rss(item(date="Wed, 01 Jan 2031 00:00:00 +0000") + item(link="https://a.az/2", date="")),
        url="https://a.az/rss",
        now=NOW,
    )
    assert [e.published for e in parsed.entries] == [NOW, None]


def test_unparseable_date_is_missing() -> None:
    parsed = parse_feed(rss(item(date="31 Февраля 2026")), url="https://a.az/rss", now=NOW)
    assert parsed.entries[0].published is None


def test_items_without_http_links_are_skipped() -> None:
    parsed = parse_feed(
        rss(item(link="javascript:alert(1)") + item(link="https://a.az/ok")),
        url="https://a.az/rss",
        now=NOW,
    )
    assert ([e.url for e in parsed.entries], parsed.skipped) == (["https://a.az/ok"], 1)


def test_guid_link_is_used_when_link_is_missing() -> None:
    feed = rss(
        "<item><title>Azerbaijan, Belarus</title><guid>https://a.az/news/7</guid>"
        "<description>x</description></item>"
    )
    assert [e.url for e in parse_feed(feed, url="https://a.az/rss", now=NOW).entries] == [
        "https://a.az/news/7"
    ]


def test_windows_1251_from_the_http_header() -> None:
    title = "Беларусь и Азербайджан нарастят товарооборот"
    feed = rss(item(title=title), encoding="windows-1251", declaration=False)
    parsed = parse_feed(
        feed, url="https://www.belta.by/rss", content_type="text/xml; charset=windows-1251", now=NOW
    )
    assert parsed.entries[0].title == title


def test_windows_1251_from_the_xml_declaration() -> None:
    title = "Минск и Баку подписали соглашение"
    parsed = parse_feed(
        rss(item(title=title), encoding="windows-1251"), url="https://b.by/rss", now=NOW
    )
    assert parsed.entries[0].title == title


def test_html_page_is_an_error_not_an_empty_feed() -> None:
    page = b"<!DOCTYPE html><html><head><title>APA</title></head><body><p>News</p></body></html>"
    parsed = parse_feed(page, url="https://apa.az/en/rss", content_type="text/html", now=NOW)
    assert (parsed.entries, parsed.error) == ((), "not a feed: the server sent an HTML page")


def test_empty_body_is_an_error() -> None:
    assert parse_feed(b"  \n", url="https://a.az/rss", now=NOW).error == (
        "empty response: the server sent no feed"
    )


def test_garbage_is_an_error() -> None:
    parsed = parse_feed(b"\x00\x01 certainly not xml", url="https://a.az/rss", now=NOW)
    assert parsed.entries == ()
    assert parsed.error is not None and parsed.error.startswith("not a feed")


def test_ill_formed_feed_keeps_its_items() -> None:
    broken = rss(item() + item(link="https://a.az/2?x=1&lang=en")).replace(b"</channel>", b"")
    parsed = parse_feed(broken, url="https://a.az/rss", now=NOW)
    assert [e.url for e in parsed.entries] == [
        "https://en.trend.az/business/1.html",
        "https://a.az/2?lang=en&x=1",
    ]
    assert parsed.warning is not None and parsed.warning.startswith("ill-formed feed")


def test_stray_ampersand_in_links_is_repaired() -> None:
    feed = rss(item(link="https://a.az/news?id=1&lang=az"))
    parsed = parse_feed(feed, url="https://a.az/rss", now=NOW)
    assert [e.url for e in parsed.entries] == ["https://a.az/news?id=1&lang=az"]


def test_atom() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>
<entry><title>Lukashenko meets Aliyev in Minsk</title><link href="https://a.by/1"/>
<id>tag:a.by,2026:1</id><updated>2026-11-22T09:00:00Z</updated>
<content type="html">&lt;p&gt;Talks on trade.&lt;/p&gt;</content></entry></feed>"""
    (entry,) = parse_feed(atom, url="https://a.by/atom", now=NOW).entries
    assert (entry.url, entry.title, entry.text, entry.published) == (
        "https://a.by/1",
        "Lukashenko meets Aliyev in Minsk",
        "Talks on trade.",
        datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
    )


def test_a_bad_link_or_control_characters_cost_one_item_at_most() -> None:
    feed = rss(
        item(title="Baku&#0; and Minsk\x01", link="https://a.az/1")
        + item(link="http://a.az:notaport/2")
        + item(link="http://a.az:99999/3")
    )
    parsed = parse_feed(feed, url="https://a.az/rss", now=NOW)
    assert [(e.url, e.title) for e in parsed.entries] == [("https://a.az/1", "Baku and Minsk")]
    assert parsed.skipped == 2


def test_a_body_that_looks_like_a_path_is_not_opened() -> None:
    parsed = parse_feed(b"/etc/hostname", url="https://a.az/rss", now=NOW)
    assert parsed.entries == () and parsed.error is not None


def test_script_in_items_is_dropped_from_text() -> None:
    description = "<![CDATA[<p>Baku &amp; Minsk</p><script>alert('x')</script>]]>"
    parsed = parse_feed(rss(item(description=description)), url="https://a.az/rss", now=NOW)
    assert parsed.entries[0].text == "Baku & Minsk"
