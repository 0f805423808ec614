"""Issue 5 end to end: digests at each chat's own 09:00 across a DST change and in far time
zones, with the real ``azby run`` whose wall clock starts at a chosen instant.

The subprocess's clock is set by ``tests/auxil/clock/sitecustomize.py`` (time-machine: the wall
clock starts at ``AZBY_TEST_CLOCK`` and runs on; monotonic clocks are untouched), so the bot
schedules by the calendar exactly as in production; nothing in azby is patched or told.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.auxil.bot_process import Bot
from tests.auxil.fake_telegram import FakeTelegramThread
from tests.e2e.conftest import ask, start_bot

CLOCK = Path(__file__).resolve().parents[1] / "auxil" / "clock"
BERLIN, PAGO_PAGO, KIRITIMATI = 301, 302, 303  # UTC+1/+2 (DST), UTC-11, UTC+14


def start(tmp_path: Path, telegram: FakeTelegramThread, clock: datetime) -> Bot:
    # no feeds: the digests are empty ones (skip_empty off), what counts here is when they come
    return start_bot(
        tmp_path,
        telegram,
        "feeds: []\ndigest: {skip_empty: false, check_every: 10s}\n",
        AZBY_TEST_CLOCK=clock.isoformat(),
        PYTHONPATH=os.pathsep.join(filter(None, [str(CLOCK), os.environ.get("PYTHONPATH")])),
    )


def digests(telegram: FakeTelegramThread, chat_id: int) -> list[str]:
    return [
        str(m["text"])
        for m in telegram.sent_messages(chat_id)
        if str(m["text"]).startswith("<b>Azerbaijan–Belarus digest</b>")
    ]


def wait_for_digest(
    telegram: FakeTelegramThread, chat_id: int, count: int, timeout: float
) -> float:
    """Seconds until ``chat_id`` has had ``count`` digests."""
    started = time.monotonic()
    while len(digests(telegram, chat_id)) < count:
        assert time.monotonic() - started < timeout, f"chat {chat_id}: no digest {count}"
        time.sleep(0.2)
    return time.monotonic() - started


def test_digests_follow_each_chats_clock_across_dst_and_the_date_line(
    tmp_path: Path, telegram: FakeTelegramThread
) -> None:
    # Saturday 28 March 2026, 07:00 UTC: subscribe three chats to their own local times
    bot = start(tmp_path, telegram, datetime(2026, 3, 28, 7, 0, tzinfo=UTC))
    try:
        for chat_id, zone, at in (
            (BERLIN, "Europe/Berlin", "09:00"),  # CET, UTC+1: 08:00 UTC
            (PAGO_PAGO, "Pacific/Pago_Pago", "21:00"),  # UTC-11: Friday 21:00 is 08:00 UTC
            (KIRITIMATI, "Pacific/Kiritimati", "22:00"),  # UTC+14: 08:00 UTC as well
        ):
            assert "Subscribed" in ask(telegram, "/subscribe", chat_id)
            assert zone in ask(telegram, f"/timezone {zone}", chat_id)
            assert at in ask(telegram, f"/time {at}", chat_id)
    finally:
        assert bot.stop()[0] == 0
    assert digests(telegram, BERLIN) == []

    # 8 s before 08:00 UTC: all three come at 08:00 UTC, each its own time of day, not before
    began = time.monotonic()
    bot = start(tmp_path, telegram, datetime(2026, 3, 28, 7, 59, 52, tzinfo=UTC))
    try:
        wait_for_digest(telegram, BERLIN, 1, timeout=40)
        assert time.monotonic() - began > 8
        wait_for_digest(telegram, PAGO_PAGO, 1, timeout=10)
        wait_for_digest(telegram, KIRITIMATI, 1, timeout=10)
        # the period ends at 08:00 UTC, shown in each chat's own time
        for chat_id, end in (
            (BERLIN, "28 Mar 09:00 Europe/Berlin"),
            (PAGO_PAGO, "27 Mar 21:00 Pacific/Pago_Pago"),
            (KIRITIMATI, "28 Mar 22:00 Pacific/Kiritimati"),
        ):
            assert f"– {end}" in digests(telegram, chat_id)[0]
    finally:
        assert bot.stop()[0] == 0

    # Sunday 29 March: Berlin moved to CEST (UTC+2) at 01:00 UTC, so its 09:00 is 07:00 UTC,
    # an hour earlier than the day before; Pago Pago and Kiritimati stay at 08:00 UTC
    began = time.monotonic()
    bot = start(tmp_path, telegram, datetime(2026, 3, 29, 6, 59, 52, tzinfo=UTC))
    try:
        wait_for_digest(telegram, BERLIN, 2, timeout=40)
        assert time.monotonic() - began > 8  # at 07:00 UTC, not at once
        # a day of 23 hours: from 09:00 CET to 09:00 CEST
        assert "28 Mar 09:00 – 29 Mar 09:00 Europe/Berlin" in digests(telegram, BERLIN)[1]
        # had their schedule moved with Berlin's, the same tick would have queued theirs too
        time.sleep(4)
        assert len(digests(telegram, PAGO_PAGO)) == 1
        assert len(digests(telegram, KIRITIMATI)) == 1
    finally:
        assert bot.stop()[0] == 0
