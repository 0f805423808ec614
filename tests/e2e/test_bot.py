"""The real ``azby run`` process against a fake Bot API server and a local feed server."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.auxil.bot_process import AZBY
from tests.auxil.fake_telegram import Call, FakeTelegramThread
from tests.auxil.feed_server import FeedServerThread
from tests.e2e.conftest import ask, bot_env, start_bot


def test_commands_answered_after_the_first_poll(
    tmp_path: Path, feeds: FeedServerThread, telegram: FakeTelegramThread
) -> None:
    feeds_yaml = (
        "feeds:\n"
        f"  - {{name: Trend, url: '{feeds.url('/trend/rss')}', language: en}}\n"
        f"  - {{name: BelTA, url: '{feeds.url('/belta/rss')}', language: ru}}\n"
        f"  - {{name: News.Az, url: '{feeds.url('/newsaz/rss')}'}}\n"
        f"  - {{name: Down, url: '{feeds.url('/down/rss')}'}}\n"
        # the fixtures are dated November 2026: keep them inside the digest window for years
        "digest: {story_age: 3650d}\n"
        "poll: {full_text: false, backlog_age: 3650d}\n"
    )
    bot = start_bot(tmp_path, telegram, feeds_yaml)
    try:
        commands = {c["command"] for c in telegram.my_commands()}
        assert {
            "start",
            "help",
            "latest",
            "subscribe",
            "unsubscribe",
            "digest",
            "trade",
        } <= commands
        assert {"defence", "energy", "diplomacy", "culture"} <= commands

        start = ask(telegram, "/start")
        assert "Azerbaijan and Belarus" in start and "/subscribe" in start

        bot.wait_for_log("poll cycle finished: 4 feeds, 1 failed")

        trade = ask(telegram, "/trade")
        # it opens with the latest reported bilateral trade turnover, its period and source
        opening = trade.split("\n")[1]
        assert opening.startswith("📊 Trade turnover: <b>")
        assert "million" in opening or "млн" in opening
        assert "Azerbaijan-Belarus trade turnover up 17.4% in January-October" in trade
        assert "Товарооборот Беларуси и Азербайджана за девять месяцев вырос на 14%" in trade
        assert "non-oil exports" not in trade  # a trade story about Azerbaijan alone
        assert "Belarus harvests record" not in trade  # relevant (dateline) but not trade
        assert trade.count("<a href=") == 3  # the two above and the News.Az trade story

        # feed text with <, & and <script> is escaped, and the fake server accepted the HTML
        assert "Aliyev &amp; Lukashenko: Azerbaijan-Belarus trade &lt; $1bn" in trade
        assert "<script" not in trade

        latest = ask(telegram, "/latest")
        assert latest.count("<a href=") == 5
        assert "wrestlers" not in latest and "метрополитен" not in latest

        help_text = ask(telegram, "/help")
        assert all(f"/{name}" in help_text for name in ("latest", "trade", "defence", "digest"))

        assert "daily digest at 09:00 (Asia/Baku)" in ask(telegram, "/subscribe")
        digest = ask(telegram, "/digest")
        assert digest.startswith("<b>Azerbaijan–Belarus digest</b>")
        assert "TRADE" in digest
        assert "Unsubscribed" in ask(telegram, "/unsubscribe")

        unknown = ask(telegram, "/weather")
        assert "I don't know /weather" in unknown and "/help" in unknown

        failed: list[Call] = [c for c in telegram.calls("sendMessage") if not c.ok]
        assert failed == []
    finally:
        code, took = bot.stop()
    assert (code, took < 10) == (0, True)
    assert telegram.token not in "\n".join(bot.lines)


def test_groups_only_admins_configure_and_the_bot_stays_quiet(
    tmp_path: Path, telegram: FakeTelegramThread
) -> None:
    group, admin, member = -100777, 11, 22
    telegram.set_admins(group, [admin])
    bot = start_bot(tmp_path, telegram, "feeds: []\n")
    try:
        refused = ask(telegram, "/subscribe", group, user_id=member)
        assert refused == "Only this group's admins can change its digest."
        assert "Subscribed" in ask(telegram, "/subscribe", group, user_id=admin)
        assert "Only this group's admins" in ask(telegram, "/unsubscribe", group, user_id=member)
        # commands for other bots, or bare unknown ones, get no answer in a group
        before = len(telegram.sent_messages(group))
        telegram.push_command(group, "/weather@other_bot", user_id=member)
        telegram.push_command(group, "/weather", user_id=member)
        addressed = ask(telegram, "/weather@azby_test_bot", group, user_id=member)
        assert "I don't know /weather" in addressed
        assert len(telegram.sent_messages(group)) == before + 1
        # a very long unknown command is quoted short, so the answer stays valid
        long = ask(telegram, "/" + "x" * 5000)
        assert "I don't know /xxxx" in long and len(long) < 400
    finally:
        code, _ = bot.stop()
    assert code == 0


def test_a_rejected_token_is_one_line_without_the_token(
    tmp_path: Path, telegram: FakeTelegramThread
) -> None:
    wrong = "999999:WRONG-secret-token"
    env = bot_env(
        tmp_path,
        telegram,
        "feeds: []\n",
        AZBY_TELEGRAM_TOKEN=wrong,
        AZBY_ALLOW_PRIVATE_NETWORKS=None,
    )
    result = subprocess.run([AZBY, "run"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "azby: error: AZBY_TELEGRAM_TOKEN was rejected by the Bot API: check it with @BotFather"
    )
    assert wrong not in result.stderr + result.stdout
    assert "WRONG-secret" not in result.stderr + result.stdout


def test_no_feeds_the_bot_still_runs_and_says_so(
    tmp_path: Path, telegram: FakeTelegramThread
) -> None:
    bot = start_bot(tmp_path, telegram, "feeds: []\n")
    try:
        assert "No news sources are configured yet" in ask(telegram, "/start")
        assert "No news sources are configured yet" in ask(telegram, "/latest")
    finally:
        code, _ = bot.stop()
    assert code == 0
