"""Two real ``azby run`` processes on one database: one leader, taken over when it dies."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.auxil.bot_process import Bot
from tests.auxil.fake_telegram import FakeTelegramThread
from tests.auxil.feed_server import FeedServerThread
from tests.conftest import _run, temporary_postgres_database
from tests.e2e.conftest import ask, start_bot
from tests.e2e.test_delivery import digests_by_chat

INTERVAL = 10.0  # seconds: the shortest feed interval allowed
JITTER = 0.1  # bot.pipeline.schedule: a feed's wait moves by up to a tenth of itself
PATHS = ("/trend/rss", "/belta/rss")


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A PostgreSQL database of this test's own (dropped at the end)."""
    with temporary_postgres_database("azby_e2e") as url:
        yield url


def start(
    tmp_path: Path, telegram: FakeTelegramThread, feeds: FeedServerThread, database_url: str
) -> Bot:
    return start_bot(
        tmp_path,
        telegram,
        "feeds:\n"
        + "".join(
            f"  - {{name: '{path}', url: '{feeds.url(path)}', interval: {INTERVAL:g}s}}\n"
            for path in PATHS
        )
        + "digest: {story_age: 3650d, check_every: 10s}\n"
        "poll: {full_text: false, backlog_age: 3650d}\n"
        "delivery: {rate: 4, reclaim_after: 1}\n",
        AZBY_DATABASE_URL=database_url,
    )


def assert_polled_once_an_interval(feeds: FeedServerThread) -> None:
    """No feed fetched twice within its interval (less the jitter its schedule allows)."""
    for path in PATHS:
        times = [r.monotonic for r in feeds.requests(path)]
        gaps = [round(later - earlier, 2) for earlier, later in itertools.pairwise(times)]
        assert times and all(gap >= INTERVAL * (1 - JITTER) for gap in gaps), (path, gaps)


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def hold_digests(telegram: FakeTelegramThread) -> Any:
    """From now on digest messages reach the fake server but are never answered (the sender
    is killed with them in flight, undelivered); returns the call that lets them through."""
    built_in = telegram.run(lambda tg: tg._handlers["sendMessage"])
    holding = [True]

    async def send_message(params: dict[str, Any]) -> Any:
        if holding[0] and "Azerbaijan–Belarus digest</b>" in str(params.get("text")):
            await asyncio.Event().wait()  # until the server stops: never a delivery
        return built_in(params)

    def release() -> None:
        holding[0] = False

    telegram.run(lambda tg: tg.register("sendMessage", send_message))
    return release


@pytest.mark.postgres
def test_two_processes_on_postgres_one_leads_and_the_other_takes_over(
    tmp_path: Path, telegram: FakeTelegramThread, feeds: FeedServerThread, fresh_postgres: str
) -> None:
    chats = list(range(7001, 7013))
    first = start(tmp_path, telegram, feeds, fresh_postgres)
    second: Bot | None = None
    try:
        first.wait_for_log("leadership taken")
        first.wait_for_log("poll cycle finished: 2 feeds")  # every feed once at start
        for chat in chats:
            ask(telegram, "/subscribe", chat_id=chat)
        second = start(tmp_path, telegram, feeds, fresh_postgres)
        second.wait_for_log("standing by")
        second.wait_for_log("Application started")
        time.sleep(2.5)  # a leader tick: one long-polling process, the leader, even at start
        assert not any("fetching updates" in line for line in second.lines)

        make_due(fresh_postgres)
        wait_until(lambda: len(digests_by_chat(telegram, chats)) >= 3, 30, "the fan-out")
        release = hold_digests(telegram)
        time.sleep(1)  # the sender has marked what was delivered; the next sends hang
        delivered_by_first = set(digests_by_chat(telegram, chats))
        assert len(delivered_by_first) < len(chats)
    finally:
        first.kill()
    killed_at = time.monotonic()
    assert second is not None
    try:
        release()
        second.wait_for_log("leadership taken", timeout=10)
        second.wait_for_log("fetching updates (long polling)", timeout=10)
        wait_until(lambda: set(digests_by_chat(telegram, chats)) == set(chats), 40, "all digests")
        # it polls the feeds as they fall due, not all of them at once
        wait_until(
            lambda: all(r.monotonic > killed_at for p in PATHS for r in feeds.requests(p)[-1:]),
            25,
            "the new leader's polls",
        )
        assert ask(telegram, "/help", chat_id=chats[0])  # it fetches updates and answers
        time.sleep(2)  # a duplicate would arrive now
    finally:
        code, _ = second.stop()
    assert code == 0
    taken = next(n for n, line in enumerate(second.lines) if "leadership taken" in line)
    assert not any("poll cycle" in line for line in second.lines[:taken])  # standing by
    counts = digests_by_chat(telegram, chats)
    assert counts == dict.fromkeys(chats, 1)  # none lost, none twice
    assert_polled_once_an_interval(feeds)


def make_due(database_url: str) -> None:
    """Move every subscription's next digest into the past, as the clock would."""

    async def update() -> None:
        dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute("UPDATE subscriptions SET next_digest_at = '2000-01-01Z'")
        finally:
            await connection.close()

    _run(update)


def test_two_processes_on_one_sqlite_file_poll_once(
    tmp_path: Path, telegram: FakeTelegramThread, feeds: FeedServerThread
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'azby.sqlite3'}"
    first = start(tmp_path, telegram, feeds, database_url)
    second: Bot | None = None
    try:
        first.wait_for_log("leadership taken")
        first.wait_for_log("poll cycle finished: 2 feeds")
        second = start(tmp_path, telegram, feeds, database_url)
        second.wait_for_log("standing by")
        wait_until(lambda: cycles(first) >= 2, 2 * INTERVAL, "the feeds falling due again")
        assert not any("poll cycle" in line for line in second.lines)
    finally:
        first.kill()
    killed_at = time.monotonic()
    assert second is not None
    try:
        second.wait_for_log("leadership taken", timeout=10)
        second.wait_for_log("poll cycle finished", timeout=2 * INTERVAL)
        assert any(r.monotonic > killed_at for r in feeds.requests())
    finally:
        second.stop()
    assert_polled_once_an_interval(feeds)


def cycles(bot: Bot) -> int:
    return sum("poll cycle finished" in line for line in bot.lines)


def test_a_stop_while_an_answer_is_on_its_way_is_clean(
    tmp_path: Path, telegram: FakeTelegramThread
) -> None:
    """SIGTERM while a handler waits for Telegram: the leader tick must not start long polling
    again while the running work finishes; the process stops cleanly (exit 0, store closed,
    leadership released) and confirms no update it will not handle."""
    slow = {"on": False}

    async def send_message(params: dict[str, Any]) -> dict[str, Any]:
        if slow["on"]:
            await asyncio.sleep(3.5)  # an answer that takes a while (under the 5 s timeout)
        chat = {"id": int(params["chat_id"]), "type": "private"}
        return {"message_id": 1, "date": 0, "chat": chat, "text": params.get("text", "")}

    telegram.run(lambda fake: fake.register("sendMessage", send_message))
    bot = start_bot(tmp_path, telegram, "feeds: []\n", AZBY_ALLOW_PRIVATE_NETWORKS=None)
    time.sleep(2.5)  # a leader tick or two
    slow["on"] = True
    telegram.push_command(42, "/start")
    time.sleep(1)  # the handler now waits for its answer to be sent
    code, _ = bot.stop(timeout=30)
    log = "\n".join(bot.lines)
    assert code == 0, log[-3000:]
    stopping = next(i for i, line in enumerate(bot.lines) if "Application is stopping" in line)
    assert not any("fetching updates" in line for line in bot.lines[stopping:]), log[-3000:]
    assert "leadership released" in log and "azby stopped" in log
    assert "Traceback" not in log, log[-4000:]
    assert len(telegram.sent_messages(42)) == 1  # the answer under way was finished
