"""Telegram HTML: feed text escaped, only allowed tags, messages ≤ 4096 split between stories."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.models import Article, Topic
from bot.pipeline.digest import Story, compose_digest
from bot.telegram.render import (
    MAX_MESSAGE,
    html_to_plain,
    pack_messages,
    render_digest,
    render_story,
    utf16_len,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ALLOWED = re.compile(r"</?(?:b|i|a)(?: href=\"[^\"]*\")?>")


def article(id_: int, title: str = "Azerbaijan and Belarus", summary: str = "Summary.") -> Article:
    return Article(
        id=id_, feed="Trend", url=f"https://en.trend.az/{id_}?a=1&b=2", title=title, text="",
        summary=summary, language="en", published=NOW - timedelta(minutes=id_), fetched=NOW,
        relevant=True, relevance_score=0.9, topics=("trade",), cluster=f"s{id_}",
    )  # fmt: skip


def test_feed_text_is_escaped() -> None:
    hostile = article(1, title="<script>alert(1)</script> Baku & Minsk", summary="a < b & c > d")
    message = render_story(Story(hostile))
    assert message == (
        '<b><a href="https://en.trend.az/1?a=1&amp;b=2">&lt;script&gt;alert(1)&lt;/script&gt; '
        "Baku &amp; Minsk</a></b>\n<i>Trend · 23 Nov 2026</i>\na &lt; b &amp; c &gt; d"
    )
    assert ALLOWED.sub("", message).count("<") == 0


def test_other_outlets_are_listed() -> None:
    story = Story(article(1), others=(replace(article(2), feed="BelTA"), article(3)))
    assert render_story(story).endswith("<i>also: BelTA</i>")


def test_long_digests_split_between_stories() -> None:
    articles = [
        article(i, title=f"Story {i} " + "word " * 40, summary="x " * 140) for i in range(60)
    ]
    topics = (Topic("trade", "Trade", "", ("trade",)),)
    digest = compose_digest(
        articles,
        topics,
        since=NOW - timedelta(days=1),
        until=NOW + timedelta(seconds=1),
        max_stories=60,
    )
    messages = render_digest(digest)
    assert len(messages) > 1
    assert all(utf16_len(m) <= MAX_MESSAGE for m in messages)
    assert sum(m.count("<a href=") for m in messages) == 60
    assert all(m.count("<b>") == m.count("</b>") for m in messages)
    assert messages[0].startswith("<b>Azerbaijan–Belarus digest</b>\n")


def test_utf16_counts_emoji_twice() -> None:
    assert utf16_len("🇦🇿") == 4
    assert utf16_len("Bakı") == 4


def test_pack_messages_never_exceeds_the_limit() -> None:
    blocks = ["é" * 30] * 10 + ["😀" * 3000]
    messages = pack_messages("<b>h</b>", blocks, limit=100)
    assert all(utf16_len(m) <= 100 for m in messages)
    assert messages[-1].endswith("…")


def test_html_to_plain() -> None:
    message = '<b><a href="https://a.az/1?x=1&amp;y=2">Baku &amp; Minsk</a></b>\n<i>Trend</i>'
    assert html_to_plain(message) == "Baku & Minsk <https://a.az/1?x=1&y=2>\nTrend"


def test_the_digest_period_is_shown_in_the_chats_time_zone() -> None:
    from datetime import UTC, datetime

    from bot.pipeline.digest import Digest

    digest = Digest(
        since=datetime(2026, 12, 31, 5, 0, tzinfo=UTC),
        until=datetime(2027, 1, 1, 5, 0, tzinfo=UTC),
        sections=(),
    )
    (baku,) = render_digest(digest, time_zone="Asia/Baku")
    assert "31 Dec 2026 09:00 – 01 Jan 09:00 Asia/Baku" in baku
    (utc,) = render_digest(digest)
    assert "31 Dec 2026 05:00 – 01 Jan 05:00 UTC" in utc
    (unknown,) = render_digest(digest, time_zone="Mars/Olympus")  # a bad stored value
    assert "05:00 UTC" in unknown
