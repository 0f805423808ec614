"""Which admin notices a feed's stored state calls for, and how they are worded."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, NoticeSettings, parse_feeds_yaml
from bot.models import FeedState
from bot.telegram.notices import delivery_notice, feed_notices

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CONFIG = parse_feeds_yaml(
    "feeds: []\npoll: {pause_after: 7d}\nnotices: {feed_failing: 24h}\n", Path("feeds.yaml")
)
FEED = FeedState(
    id=7, name="Trend <en>", url="https://en.trend.az/rss", language="en",
    interval=timedelta(minutes=15), enabled=True, last_error="HTTP 503: Service Unavailable",
)  # fmt: skip


def test_a_working_feed_or_a_short_streak_needs_no_notice() -> None:
    assert feed_notices([FEED], NOW, CONFIG) == []
    recent = replace(FEED, failing_since=NOW - timedelta(hours=23, minutes=59))
    assert feed_notices([recent], NOW, CONFIG) == []


def test_a_feed_failing_for_a_day_gets_one_notice_per_streak() -> None:
    since = NOW - timedelta(hours=26)
    (notice,) = feed_notices([replace(FEED, failing_since=since)], NOW, CONFIG)
    assert notice.key == "notice:failing:7:20261122T100000"
    assert "Feed <b>Trend &lt;en&gt;</b> has been failing for 26 h" in notice.text
    assert "HTTP 503: Service Unavailable" in notice.text
    assert "paused after 7 days" in notice.text
    # the next cycle of the same streak names the same occurrence; a new streak a new one
    (later,) = feed_notices([replace(FEED, failing_since=since)], NOW + timedelta(hours=5), CONFIG)
    assert later.key == notice.key
    (other,) = feed_notices([replace(FEED, failing_since=NOW - timedelta(days=2))], NOW, CONFIG)
    assert other.key != notice.key and "failing for 2 days" in other.text


def test_a_feed_azby_paused_gets_a_pause_notice_not_a_failing_one() -> None:
    since = NOW - timedelta(days=7, hours=1)
    paused = replace(FEED, failing_since=since, paused_at=NOW - timedelta(hours=1))
    (notice,) = feed_notices([paused], NOW, CONFIG)
    assert notice.key == "notice:paused:7:20261123T110000"
    assert "was paused: it kept failing for 7 days" in notice.text
    assert "/resumefeed Trend &lt;en&gt;" in notice.text


def test_a_feed_an_admin_paused_or_a_pause_long_ago_gets_no_notice() -> None:
    by_admin = replace(
        FEED, failing_since=NOW - timedelta(hours=30), paused_at=NOW - timedelta(hours=2)
    )
    assert feed_notices([by_admin], NOW, CONFIG) == []
    long_ago = replace(
        FEED, failing_since=NOW - timedelta(days=20), paused_at=NOW - timedelta(days=10)
    )
    assert feed_notices([long_ago], NOW, CONFIG) == []


def test_delivery_failures_notice_at_the_threshold_once_an_hour() -> None:
    settings = NoticeSettings(delivery_failures=20)
    assert delivery_notice(19, NOW, settings) is None
    notice = delivery_notice(20, NOW, settings)
    assert notice is not None
    assert notice.key == "notice:delivery:2026-11-23T12"
    assert notice.text.startswith("📮 20 message deliveries failed in the last hour")
    later = delivery_notice(50, NOW + timedelta(minutes=59), settings)
    assert later is not None and later.key == notice.key


def test_notices_section_is_validated() -> None:
    config = parse_feeds_yaml(
        "notices: {feed_failing: 6h, delivery_failures: 5, max_per_hour: 3}\n",
        Path("feeds.yaml"),
    )
    assert config.notices == NoticeSettings(timedelta(hours=6), 5, 3)
    with pytest.raises(ConfigError, match=r"line 1: notices.delivery_failures"):
        parse_feeds_yaml("notices: {delivery_failures: 0}\n", Path("feeds.yaml"))
    with pytest.raises(ConfigError, match=r"retention.outbox: must be at least 1d"):
        parse_feeds_yaml("retention: {outbox: 1h}\n", Path("feeds.yaml"))
