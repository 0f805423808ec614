"""What every end-to-end test needs: the fake Bot API server and a local feed server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auxil.bot_process import AZBY, Bot
from tests.auxil.fake_telegram import FakeTelegramThread
from tests.auxil.feed_server import FeedServerThread

CHAT = 4242


def ask(
    telegram: FakeTelegramThread, command: str, chat_id: int = CHAT, *, user_id: int | None = None
) -> str:
    """Send a command (from ``user_id``, else the chat's default sender); return the text of
    the bot's answer (all its messages joined)."""
    before = len(telegram.sent_messages(chat_id))
    telegram.push_command(chat_id, command, user_id=user_id)
    telegram.wait_for_calls(
        "sendMessage", before + 1, lambda c: c.params.get("chat_id") == chat_id, timeout=15
    )
    time.sleep(0.3)  # a split answer sends its next messages right after the first
    return "\n".join(str(m["text"]) for m in telegram.sent_messages(chat_id)[before:])


def bot_env(
    tmp_path: Path, telegram: FakeTelegramThread, feeds_yaml: str, **env: str | None
) -> dict[str, str]:
    """The environment of an azby process against the fake Bot API server: ``feeds_yaml``
    as its feeds file and a SQLite store in ``tmp_path``, private networks allowed (the feed
    server is on 127.0.0.1); ``env`` adds or replaces variables (None drops one)."""
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(feeds_yaml, encoding="utf-8")
    environ = telegram.env(
        AZBY_TELEGRAM_TOKEN=telegram.token,
        AZBY_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'azby.sqlite3'}",
        AZBY_FEEDS_FILE=str(feeds_file),
        AZBY_ALLOW_PRIVATE_NETWORKS="1",
    )
    for key, value in env.items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    return environ


def start_bot(
    tmp_path: Path, telegram: FakeTelegramThread, feeds_yaml: str, *args: str, **env: str | None
) -> Bot:
    """The real ``azby run`` (or ``azby ARGS``) in ``bot_env``; returns once it logged that
    it started."""
    bot = Bot([AZBY, *(args or ("run",))], bot_env(tmp_path, telegram, feeds_yaml, **env))
    bot.wait_for_log("azby started")
    return bot


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
