"""What /addfeed refuses before fetching, how it shows URLs, and what counts as a duplicate."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.config import feed_config, format_interval, parse_interval
from bot.models import FeedState
from bot.probe import find_duplicate, redact, url_problem


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://en.trend.az/rss", None),
        ("http://127.0.0.1:5432/", None),  # addresses are checked after DNS, when fetching
        ("file:///etc/passwd", "only http:// and https:// feeds can be added, not file:"),
        ("ftp://example.org/rss", "only http:// and https:// feeds can be added, not ftp:"),
        ("en.trend.az/rss", "only http:// and https:// feeds can be added, not a URL without"),
        ("javascript:alert(1)", "not javascript:"),
        ("https://user:pw@example.org/rss", "the URL has a user name or password in it"),
        ("https://token@example.org/rss", "the URL has a user name or password in it"),
        ("http://example.org:99999/rss", "it is not a valid URL"),
        ("http:///rss", "the URL has no host"),
    ],
)
def test_url_problem(url: str, problem: str | None) -> None:
    found = url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:hunter2@example.org/rss?x=1", "https://***@example.org/rss?x=1"),
        ("https://token@example.org:8443/rss", "https://***@example.org:8443/rss"),
        ("https://example.org/rss", "https://example.org/rss"),
    ],
)
def test_redact(url: str, shown: str) -> None:
    assert redact(url) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:hunter2@example.org/rss", "https://user:***@example.org/rss"),
        ("https://token@example.org/rss", "https://token@example.org/rss"),
        ("https://example.org/rss", "https://example.org/rss"),
    ],
)
def test_redact_keeping_the_user_hides_only_a_password(url: str, shown: str) -> None:
    assert redact(url, keep_user=True) == shown


def feed(name: str, url: str, moved_from: str | None = None) -> FeedState:
    return FeedState(1, name, url, None, timedelta(minutes=15), True, moved_from=moved_from)


@pytest.mark.parametrize(
    "url",
    [
        "https://report.az/rss/",
        "http://report.az/rss",  # another scheme, no trailing slash
        "https://REPORT.az/rss/?utm_source=tg",  # host case, tracking parameters
        "https://report.az:443/rss/#top",
        "https://old.report.az/feed",  # the feed moved from here
    ],
)
def test_the_same_feed_under_another_spelling(url: str) -> None:
    stored = [feed("Report", "https://report.az/rss/", moved_from="https://old.report.az/feed")]
    assert find_duplicate(stored, urls=[url]) == stored[0]


def test_other_feeds_and_names() -> None:
    stored = [feed("Report (az)", "https://report.az/rss/")]
    assert find_duplicate(stored, urls=["https://report.az/en/rss/"]) is None
    assert find_duplicate(stored, urls=["https://report.az/rss/?lang=en"]) is None
    assert find_duplicate(stored, urls=["https://x.example/"], name="report (AZ)") == stored[0]
    assert find_duplicate(stored, urls=["https://x.example/"], name="Report") is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(900, "15m"), (5400, "1h30m"), (86400 * 2, "2d"), (45, "45s"), (90061, "1d1h1m1s")],
)
def test_format_interval_round_trips(seconds: int, text: str) -> None:
    assert format_interval(timedelta(seconds=seconds)) == text
    assert parse_interval(text) == timedelta(seconds=seconds)


def test_feed_config_uses_the_feeds_yaml_rules() -> None:
    assert feed_config({"name": " Мінск ", "url": "https://m.example/rss", "interval": "1h"}) == (
        feed_config({"name": "Мінск", "url": "https://m.example/rss", "interval": 3600})
    )
    for values, message in (
        ({"name": "A", "url": "gopher://x"}, "url: must be an http(s) URL"),
        ({"name": "", "url": "https://x.example/"}, "name: must not be empty"),
        ({"name": "a\nb", "url": "https://x.example/"}, "name: must be one line"),
        ({"name": "A" * 201, "url": "https://x.example/"}, "name: must be one line of at most 200"),
        ({"name": "A", "url": "https://x.example/", "language": "English"}, "language: must be"),
        ({"name": "A", "url": "https://x.example/", "colour": "red"}, "unknown key `colour`"),
        ({"url": "https://x.example/"}, "missing required key `name`"),
    ):
        with pytest.raises(ValueError, match=re.escape(message)):
            feed_config(values)


def test_admin_commands_cannot_be_topics() -> None:
    from bot.config import RESERVED_TOPIC_KEYS
    from bot.telegram.admin import ADMIN_COMMANDS

    assert {name for name, _ in ADMIN_COMMANDS} <= RESERVED_TOPIC_KEYS
