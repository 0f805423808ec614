"""``/search`` through the real ``azby run`` process, a fake Bot API server and local feeds."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.auxil.bot_process import Bot
from tests.auxil.fake_telegram import FakeTelegramThread
from tests.auxil.feed_server import FeedServerThread
from tests.e2e.conftest import start_bot

CHAT = 4242


@pytest.fixture
def bot(tmp_path: Path, feeds: FeedServerThread, telegram: FakeTelegramThread) -> Iterator[Bot]:
    process = start_bot(
        tmp_path,
        telegram,
        "feeds:\n"
        f"  - {{name: Trend, url: '{feeds.url('/trend/rss')}', language: en}}\n"
        f"  - {{name: BelTA, url: '{feeds.url('/belta/rss')}', language: ru}}\n"
        f"  - {{name: Report, url: '{feeds.url('/report/rss')}', language: az}}\n"
        # fixture links point to real sites: never fetch article pages; keep old items
        "poll: {full_text: false, backlog_age: 3650d}\n",
    )
    try:
        process.wait_for_log("poll cycle finished: 3 feeds")
        yield process
    finally:
        code, _ = process.stop()
        assert code == 0


def _answer(telegram: FakeTelegramThread, before: int) -> list[dict[str, Any]]:
    telegram.wait_for_calls(
        "sendMessage", before + 1, lambda c: c.params.get("chat_id") == CHAT, timeout=15
    )
    time.sleep(0.3)  # a split answer sends its next messages right after the first
    return telegram.sent_messages(CHAT)[before:]


def ask(telegram: FakeTelegramThread, command: str) -> list[dict[str, Any]]:
    """Send a command; return the params of the bot's answers."""
    before = len(telegram.sent_messages(CHAT))
    telegram.push_command(CHAT, command)
    return _answer(telegram, before)


def press(telegram: FakeTelegramThread, data: str) -> list[dict[str, Any]]:
    """Press an inline button of the bot's latest message; return the messages it sends."""
    before = len(telegram.sent_messages(CHAT))
    telegram.push_callback_query(CHAT, data)
    return _answer(telegram, before)


def button_data(message: dict[str, Any]) -> str | None:
    markup = message.get("reply_markup")
    if markup is None:
        return None
    if isinstance(markup, str):
        markup = json.loads(markup)
    ((button,),) = markup["inline_keyboard"]
    assert button["text"] == "More results"
    data = str(button["callback_data"])
    assert len(data.encode()) <= 64
    return data


def test_search_finds_cyrillic_stories_and_pages(bot: Bot, telegram: FakeTelegramThread) -> None:
    commands = {c["command"] for c in telegram.my_commands()}
    assert "search" in commands

    (usage,) = ask(telegram, "/search")
    assert "/search MAZ Ganja" in str(usage["text"])

    (found,) = ask(telegram, "/search Lukashenko")
    text = str(found["text"])
    assert "Лукашенко пригласил Алиева посетить Минск с официальным визитом в 2027 году" in text
    assert "BelTA" in text
    assert button_data(found) is None  # one page only

    (nothing,) = ask(telegram, '/search "NEAR(*:"')
    assert "Nothing found" in str(nothing["text"])

    first = ask(telegram, "/search Belarus")
    data = button_data(first[-1])
    assert data is not None
    first_links = str(first[0]["text"]).count("<a href=")
    assert first_links >= 5

    second = press(telegram, data)
    assert telegram.calls("answerCallbackQuery")
    second_text = "\n".join(str(m["text"]) for m in second)
    assert "results 6–" in second_text or "result 6" in second_text
    shown_first = {line for line in str(first[0]["text"]).splitlines() if "<a href=" in line}
    assert not any(line in shown_first for line in second_text.splitlines())
    # the pressed button is gone, so a second press cannot repeat the page
    edits = [c for c in telegram.calls("editMessageText") if c.ok]
    assert edits and "reply_markup" not in edits[-1].params
