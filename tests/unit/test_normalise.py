"""Canonical URLs: the same article under different links compares equal."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from bot.pipeline.normalise import canonical_url, http_url, struct_to_utc


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://en.trend.az/azerbaijan/business/123.html?utm_source=rss&utm_medium=feed",
            "https://en.trend.az/azerbaijan/business/123.html",
        ),
        ("HTTPS://Report.AZ:443/en/news/1/#comments", "https://report.az/en/news/1/"),
        ("http://apa.az:80/az/xeber?b=2&a=1&fbclid=XYZ", "http://apa.az/az/xeber?a=1&b=2"),
        ("https://www.belta.by", "https://www.belta.by/"),
        ("https://sb.by/news?id=5&yclid=1&gclid=2", "https://sb.by/news?id=5"),
        ("http://127.0.0.1:8080/x?utm_campaign=a", "http://127.0.0.1:8080/x"),
        ("https://m.report.az/en/news/1/", "https://report.az/en/news/1/"),
        ("https://report.az/amp/en/news/1/", "https://report.az/en/news/1/"),
        ("https://en.trend.az/business/123.html/amp", "https://en.trend.az/business/123.html"),
        ("https://news.az/news/x?amp=1&id=5", "https://news.az/news/x?id=5"),
        ("https://apa.az/xeber/123.amp", "https://apa.az/xeber/123"),
        ("https://m.az/x", "https://m.az/x"),  # a two-label host is a site, not a mobile copy
        ("https://example.com/camp/1", "https://example.com/camp/1"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.az/x", True),
        ("http://a.az", True),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("/relative/path", False),
        ("https://", False),
        ("http://[::1", False),
    ],
)
def test_http_url(url: str, expected: bool) -> None:
    assert http_url(url) is expected


def test_struct_to_utc() -> None:
    assert struct_to_utc(time.gmtime(0)) == datetime(1970, 1, 1, tzinfo=UTC)
    assert struct_to_utc(None) is None
