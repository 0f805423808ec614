"""Admin notices end to end: a feed that keeps failing is paused by the real ``azby run``, and
the admin hears of it once, through the outbox and the sender."""

from __future__ import annotations

import time
from pathlib import Path

from tests.auxil.fake_telegram import FakeTelegramThread
from tests.auxil.feed_server import FeedServerThread
from tests.e2e.conftest import start_bot

ADMIN = 777


def test_a_paused_feed_is_told_to_the_admin_once(
    tmp_path: Path, feeds: FeedServerThread, telegram: FakeTelegramThread
) -> None:
    bot = start_bot(
        tmp_path,
        telegram,
        "feeds:\n"
        f"  - {{name: Down & Out, url: '{feeds.url('/down/rss')}', interval: 10s}}\n"
        # a working feed polled every 10 s: the cycles after the pause look at it again
        f"  - {{name: Trend, url: '{feeds.url('/trend/rss')}', interval: 10s}}\n"
        "poll: {pause_after: 10s, max_backoff: 10s}\n",
        AZBY_ADMIN_IDS=str(ADMIN),
    )
    try:
        call = telegram.wait_for_call(
            "sendMessage",
            lambda c: c.params.get("chat_id") == ADMIN and "was paused" in str(c.params["text"]),
            timeout=60,
        )
        text = str(call.params["text"])
        assert text.startswith("⏸ Feed <b>Down &amp; Out</b> was paused")
        assert "HTTP 500" in text and "/resumefeed Down &amp; Out" in text
        bot.wait_for_log("feed Down & Out paused")
        # more cycles pass (the notices are looked for after each): the pause is told once
        cycles = sum("poll cycle finished" in line for line in bot.lines)
        deadline = time.monotonic() + 40
        while sum("poll cycle finished" in line for line in bot.lines) < cycles + 1:
            assert time.monotonic() < deadline, "no further poll cycles"
            time.sleep(0.5)
        time.sleep(2.5)  # a sender run after the last cycle
        told = [m for m in telegram.sent_messages(ADMIN) if "was paused" in str(m["text"])]
        assert len(told) == 1
    finally:
        assert bot.stop()[0] == 0
