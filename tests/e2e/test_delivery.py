"""Issue 5 end to end: settings, a scheduled digest through the outbox, a kill -9 mid-fan-out."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from pathlib import Path

from tests.auxil.bot_process import Bot
from tests.auxil.fake_telegram import FakeTelegramThread
from tests.auxil.feed_server import FeedServerThread
from tests.e2e.conftest import ask, start_bot

CHAT = 5151


def start(
    tmp_path: Path,
    telegram: FakeTelegramThread,
    feeds: FeedServerThread,
    extra: str = "",
    *,
    max_stories: int = 10,
    admin_ids: str = "",
    more: tuple[str, ...] = (),
) -> Bot:
    """``more``: fixture files to serve as further feeds."""
    for name in more:
        feeds.add_file(f"/{name}", name)
    feeds_yaml = (
        "feeds:\n"
        f"  - {{name: Trend, url: '{feeds.url('/trend/rss')}'}}\n"
        f"  - {{name: BelTA, url: '{feeds.url('/belta/rss')}'}}\n"
        + "".join(f"  - {{name: '{n}', url: '{feeds.url('/' + n)}'}}\n" for n in more)
        + f"digest: {{story_age: 3650d, check_every: 10s, max_stories: {max_stories}}}\n"
        "poll: {full_text: false, backlog_age: 3650d}\n" + extra
    )
    return start_bot(tmp_path, telegram, feeds_yaml, AZBY_ADMIN_IDS=admin_ids)


def make_due(tmp_path: Path) -> None:
    """Move every subscription's next digest into the past, as the clock would."""
    with sqlite3.connect(tmp_path / "azby.sqlite3") as db:
        db.execute("UPDATE subscriptions SET next_digest_at = '2000-01-01 00:00:00.000000'")


def test_settings_and_a_scheduled_digest_in_the_chat_language(
    tmp_path: Path, telegram: FakeTelegramThread, feeds: FeedServerThread
) -> None:
    bot = start(tmp_path, telegram, feeds)
    try:
        bot.wait_for_log("poll cycle finished")
        assert "Subscribed" in ask(telegram, "/subscribe", CHAT)
        assert "Europe/Minsk" in ask(telegram, "/timezone Europe/Minsk", CHAT)
        assert "Mars/Olympus" in ask(telegram, "/timezone Mars/Olympus", CHAT)
        assert "08:30" in ask(telegram, "/time 08:30", CHAT)
        topics = ask(telegram, "/topics trade defence", CHAT)
        assert "Topics: Trade" in topics and "Defence" in topics and "Culture" not in topics
        settings = ask(telegram, "/language ru", CHAT)
        assert "Язык: Русский" in settings and "08:30 (Europe/Minsk)" in settings

        # /settings: buttons; pressing one edits the message in place
        before = len(telegram.sent_messages(CHAT))
        telegram.push_command(CHAT, "/settings")
        telegram.wait_for_calls(
            "sendMessage", before + 1, lambda c: c.params.get("chat_id") == CHAT
        )
        markup = telegram.sent_messages(CHAT)[-1]["reply_markup"]
        assert "s:m:topics" in str(markup)
        for data, expected in (
            ("s:m:freq", "Дайджест: ежедневно"),
            ("s:f:w0", "еженедельно, понедельник"),
            ("s:f:daily", "Дайджест: ежедневно"),
        ):
            edits = len(telegram.calls("editMessageText"))
            telegram.push_callback_query(CHAT, data)
            (*_, call) = telegram.wait_for_calls("editMessageText", edits + 1, timeout=10)
            assert expected in str(call.params["text"])

        # the digest falls due: queued in the outbox and sent by the sender, in Russian
        make_due(tmp_path)
        call = telegram.wait_for_call(
            "sendMessage",
            lambda c: (
                c.params.get("chat_id") == CHAT
                and "Дайджест: Азербайджан" in str(c.params.get("text"))
            ),
            timeout=30,
        )
        digest = str(call.params["text"])
        assert "ТОРГОВЛЯ" in digest and "ОБОРОНА" in digest  # only the chosen topics
        assert "Azerbaijan-Belarus trade turnover up 17.4%" in digest
        assert "ТРАНСПОРТ" not in digest
        time.sleep(2)
        digests = [
            m for m in telegram.sent_messages(CHAT) if "Дайджест: Азербайджан" in str(m["text"])
        ]
        assert len(digests) == 1  # once, however many ticks pass
    finally:
        code, _ = bot.stop()
    assert code == 0


def test_kill_9_mid_fan_out_loses_nothing_and_repeats_nothing(
    tmp_path: Path, telegram: FakeTelegramThread, feeds: FeedServerThread
) -> None:
    chats = list(range(9001, 9031))
    slow = "delivery: {rate: 4, reclaim_after: 1}\n"
    bot = start(tmp_path, telegram, feeds, slow)
    try:
        bot.wait_for_log("poll cycle finished")
        for chat in chats:
            ask(telegram, "/subscribe", chat_id=chat)
        make_due(tmp_path)
        # wait until the fan-out is under way, then kill the process without a chance to clean up
        deadline = time.monotonic() + 30
        while len(digests_by_chat(telegram, chats)) < 5 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        bot.kill()
    sent_before = digests_by_chat(telegram, chats)
    assert 5 <= sum(sent_before.values()) < len(chats)

    bot = start(tmp_path, telegram, feeds, "delivery: {rate: 50, reclaim_after: 1}\n")
    try:
        deadline = time.monotonic() + 40
        while set(digests_by_chat(telegram, chats)) != set(chats) and time.monotonic() < deadline:
            time.sleep(0.3)
        time.sleep(3)  # any duplicate would arrive now
    finally:
        bot.stop()
    counts = digests_by_chat(telegram, chats)
    assert set(counts) == set(chats)  # nothing lost
    assert sum(n - 1 for n in counts.values()) <= 1  # the one in flight at the kill, at most


def digests_by_chat(telegram: FakeTelegramThread, chats: list[int]) -> Counter[int]:
    wanted = set(chats)
    return Counter(
        int(m["chat_id"])
        for m in telegram.sent_messages()
        if int(m["chat_id"]) in wanted and "Azerbaijan–Belarus digest</b>" in str(m["text"])
    )


def test_channels_groups_and_a_long_digest(
    tmp_path: Path, telegram: FakeTelegramThread, feeds: FeedServerThread
) -> None:
    channel, group, admin, stranger, member = -1009000000001, -100777, 11, 22, 33
    telegram.set_admins(channel, [admin, int(telegram.token.split(":")[0])])
    telegram.set_admins(group, [admin])
    more = (
        "report-az-mixed.rss",
        "atom-en.xml",
        "same-story-two-outlets-a.rss",
        "cp1251-russian.rss",
        "escaping-hostile.rss",
    )
    bot = start(tmp_path, telegram, feeds, max_stories=50, admin_ids=str(admin), more=more)
    try:
        bot.wait_for_log("poll cycle finished: 7 feeds")
        # a stranger may not make the channel a target; a bot admin may
        refused = ask(telegram, f"/channel {channel}", stranger, user_id=stranger)
        assert "Only a bot admin or an admin of" in refused
        accepted = ask(telegram, f"/channel {channel}", admin, user_id=admin)
        assert "now gets the digest at 09:00 (Asia/Baku)" in accepted
        # in a group, a member who is not an admin may not open /settings
        assert ask(telegram, "/settings", group, user_id=member) == (
            "Only this group's admins can change its digest."
        )
        make_due(tmp_path)
        calls = telegram.wait_for_calls(
            "sendMessage", 2, lambda c: c.params.get("chat_id") == channel, timeout=30
        )
        time.sleep(2)
        parts = [str(m["text"]) for m in telegram.sent_messages(channel)]
        assert len(parts) >= 2 and calls  # more than 4096 characters: split between stories
        assert parts[0].startswith("<b>Azerbaijan–Belarus digest</b>")
        assert all(len(p) <= 4096 for p in parts)  # and the fake server accepted every part
        assert all(c.ok for c in telegram.calls("sendMessage"))
    finally:
        bot.stop()
