"""What every end-to-end test needs: the fake Bot API server and a local feed server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auxil.fake_telegram import FakeTelegramThread
from tests.auxil.feed_server import FeedServerThread


@pytest.fixture
def feeds() -> Iterator[FeedServerThread]:
    """The outlets' fixture feeds (a test's feeds.yaml picks the ones it polls)."""
    with FeedServerThread() as server:
        server.add_file("/trend/rss", "trend-en-mixed.rss")
        server.add_file("/belta/rss", "belta-ru-mixed.rss")
        server.add_file("/report/rss", "report-az-mixed.rss")
        server.add_file("/newsaz/rss", "escaping-hostile.rss")
        server.add_route("/down/rss", status=500)
        yield server


@pytest.fixture
def telegram() -> Iterator[FakeTelegramThread]:
    with FakeTelegramThread() as fake:
        yield fake
