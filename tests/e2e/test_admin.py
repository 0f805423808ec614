"""Admin commands end to end: the real ``azby run`` against the fake Bot API and a feed server."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

from tests.auxil.bot_process import AZBY, Bot
from tests.auxil.fake_telegram import FakeTelegramThread
from tests.auxil.feed_server import FeedServerThread
from tests.e2e.conftest import ask, start_bot

ADMIN = 4242
STRANGER = 5151
ADMIN_COMMANDS = (
    "addfeed",
    "removefeed",
    "pausefeed",
    "resumefeed",
    "feeds",
    "feedstatus",
    "stats",
    "reload",
    "broadcast",
)


def start(
    tmp_path: Path, telegram: FakeTelegramThread, feeds_yaml: str, *, private: bool = True
) -> Bot:
    return start_bot(
        tmp_path,
        telegram,
        feeds_yaml,
        AZBY_ADMIN_IDS=f"{ADMIN},999",
        AZBY_ALLOW_PRIVATE_NETWORKS="1" if private else None,
    )


def test_only_admins_see_and_run_admin_commands(
    tmp_path: Path, telegram: FakeTelegramThread, feeds: FeedServerThread
) -> None:
    bot = start(
        tmp_path, telegram, f"feeds:\n  - {{name: Trend, url: '{feeds.url('/trend/rss')}'}}\n"
    )
    try:
        everyone = {c["command"] for c in telegram.my_commands()}
        admins = {c["command"] for c in telegram.my_commands({"chat_id": ADMIN, "type": "chat"})}
        assert everyone & set(ADMIN_COMMANDS) == set()
        assert set(ADMIN_COMMANDS) | {"start", "trade", "search"} <= admins
        for name in ADMIN_COMMANDS:
            answer = ask(telegram, f"/{name} Trend", STRANGER)
            assert answer == f"Sorry, /{name} is only for the bot's admins: not allowed."
            bot.wait_for_log(
                f"admin command /{name} refused: user {STRANGER} (chat {STRANGER}) "
                "is not in AZBY_ADMIN_IDS"
            )
        # in a group too, and nothing happened
        group = -100555
        telegram.push_command(group, "/removefeed Trend", user_id=STRANGER)
        bot.wait_for_log(f"admin command /removefeed refused: user {STRANGER} (chat {group})")
        listing = ask(telegram, "/feeds", ADMIN)
        assert listing.startswith("<b>Feeds: 1</b>") and "<b>Trend</b> — " in listing
    finally:
        code, _ = bot.stop()
    assert code == 0


def test_addfeed_checks_a_feed_before_adding_it(
    tmp_path: Path, telegram: FakeTelegramThread, feeds: FeedServerThread
) -> None:
    feeds.add_file("/html", "html-instead-of-feed.html", content_type="text/html")
    feeds.add_route("/huge", huge=20)  # 20 MB of RSS-looking bytes, no Content-Length
    feeds.add_route("/old-trend", status=301, location=feeds.url("/trend/rss"))
    feeds_yaml = (
        "feeds:\n"
        f"  - {{name: BelTA, url: '{feeds.url('/belta/rss')}'}}\n"
        f"  - {{name: Down, url: '{feeds.url('/down/rss')}'}}\n"
        "poll: {full_text: false, backlog_age: 3650d}\n"
    )
    bot = start(tmp_path, telegram, feeds_yaml)
    try:
        bot.wait_for_log("poll cycle finished: 2 feeds, 1 failed")
        assert ask(telegram, "/addfeed", ADMIN).startswith("Usage: /addfeed URL [name]")
        assert ask(telegram, "/addfeed file:///etc/passwd", ADMIN) == (
            "Not added: file:///etc/passwd: only http:// and https:// feeds can be added, "
            "not file:."
        )
        secret = ask(telegram, "/addfeed https://reader:hunter2@example.org/rss", ADMIN)
        assert secret.startswith(
            "Not added: https://***@example.org/rss: the URL has a user name or password in it"
        )
        assert "hunter2" not in secret and "reader" not in secret
        assert ask(telegram, f"/addfeed {feeds.url('/html')}", ADMIN).endswith(
            "not a feed: the server sent an HTML page"
        )
        assert ask(telegram, f"/addfeed {feeds.url('/nothing-here')}", ADMIN).endswith(
            ": HTTP 404 Not Found"
        )
        assert ask(telegram, f"/addfeed {feeds.url('/huge')}", ADMIN).endswith(
            ": response larger than 10 MB, not read"
        )
        assert ask(telegram, f"/addfeed {feeds.url('/belta/rss')}", ADMIN).startswith(
            "Already a feed: <b>BelTA</b>"
        )
        assert ask(telegram, f"/addfeed {feeds.url('/trend/rss')} belta", ADMIN).startswith(
            "Not added: a feed named <b>BelTA</b> exists (http://127.0.0.1:"
        )

        added = ask(telegram, f"/addfeed {feeds.url('/trend/rss')} Trend  Azerbaijan", ADMIN)
        match = re.match(
            r"Added <b>Trend Azerbaijan</b> \(http://127\.0\.0\.1:\d+/trend/rss\): "
            r"(\d+) items, (\d+) relevant to Azerbaijan–Belarus\.",
            added,
        )
        assert match, added
        items, relevant = int(match[1]), int(match[2])
        assert 0 < relevant < items
        # a URL that redirects to a known feed is that feed
        moved = ask(telegram, f"/addfeed {feeds.url('/old-trend')}", ADMIN)
        assert "leads to" in moved and "Already a feed: <b>Trend Azerbaijan</b>" in moved

        # the next poll stores what /addfeed counted (the classifier is the same)
        bot.wait_for_log("poll cycle finished: 1 feeds, 0 failed")
        listing = ask(telegram, "/feeds", ADMIN)
        assert listing.startswith("<b>Feeds: 3</b> (1 failing)")
        assert "<b>Trend Azerbaijan</b> — ok · added in Telegram\nlast success" in listing
        assert f"7 d: {items} items, {relevant} relevant" in listing
        assert re.search(
            r"<b>Down</b> — ⚠️ failing since .*\nlast success never · error streak 1", listing
        )

        status = ask(telegram, "/feedstatus down", ADMIN)
        assert status.startswith("<b>Down</b> — ⚠️ failing since")
        assert re.search(r"\d\d \w{3} \d\d:\d\d UTC — HTTP 500 Internal Server Error", status)
        assert "No feed named Tren. Did you mean Trend Azerbaijan?" in ask(
            telegram, "/feedstatus Tren", ADMIN
        )

        assert ask(telegram, "/pausefeed Trend Azerbaijan", ADMIN) == (
            "Paused <b>Trend Azerbaijan</b>: not polled until /resumefeed Trend Azerbaijan."
        )
        assert "is already paused" in ask(telegram, "/pausefeed trend azerbaijan", ADMIN)
        assert "⏸ paused since" in ask(telegram, "/feeds", ADMIN)
        assert ask(telegram, "/resumefeed Trend Azerbaijan", ADMIN) == (
            "Resumed <b>Trend Azerbaijan</b>: polled within a minute."
        )
        assert "is not paused" in ask(telegram, "/resumefeed Trend Azerbaijan", ADMIN)

        assert (
            ask(telegram, "/removefeed", ADMIN) == "Usage: /removefeed NAME (as /feeds shows it)."
        )
        assert ask(telegram, "/removefeed Nope", ADMIN) == "No feed named Nope. /feeds lists them."
        assert ask(telegram, "/removefeed BelTA", ADMIN).startswith(
            "<b>BelTA</b> is listed in feeds.yaml: remove it there and /reload"
        )
        assert ask(telegram, '/removefeed "Trend Azerbaijan"', ADMIN) == (
            "Removed <b>Trend Azerbaijan</b>. Its stored stories stay."
        )
        assert "Trend" not in ask(telegram, "/feeds", ADMIN)

        stats = ask(telegram, "/stats", ADMIN)
        # admin commands do not make a chat known; the stories of a removed feed stay
        assert stats.startswith("<b>azby stats</b>\nChats: 0 active (0 known) · subscribers: 0")
        assert re.search(r"\n  \d{4}-\d\d-\d\d: [1-9]\d*\nSince", stats), stats
        assert "Feeds: 2 (1 failing, 0 paused)" in stats
    finally:
        code, _ = bot.stop()
    assert code == 0
    assert "hunter2" not in "\n".join(bot.lines)


def test_addfeed_refuses_private_addresses_unless_allowed(
    tmp_path: Path, telegram: FakeTelegramThread, feeds: FeedServerThread
) -> None:
    bot = start(tmp_path, telegram, "feeds: []\n", private=False)
    try:
        for url, address in (
            ("http://127.0.0.1:5432/", "127.0.0.1"),
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
            (feeds.url("/trend/rss"), "127.0.0.1"),
            ("http://localhost:8080/rss", ""),
        ):
            answer = ask(telegram, f"/addfeed {url}", ADMIN)
            assert answer.startswith(f"Not added: {url}: refused: "), answer
            assert f"resolves to {address}" in answer
            assert "a private/loopback address" in answer
        assert feeds.requests("/trend/rss") == []
        assert ask(telegram, "/feeds", ADMIN).startswith("No feeds yet")
    finally:
        code, _ = bot.stop()
    assert code == 0


def test_reload_swaps_the_config_or_keeps_the_old_one(
    tmp_path: Path, telegram: FakeTelegramThread, feeds: FeedServerThread
) -> None:
    feeds_file = tmp_path / "feeds.yaml"
    bot = start(
        tmp_path, telegram, f"feeds:\n  - {{name: Trend, url: '{feeds.url('/trend/rss')}'}}\n"
    )
    try:
        feeds_file.write_text("feeds:\n  - name: Trend\n    url: [unclosed\n", encoding="utf-8")
        answer = ask(telegram, "/reload", ADMIN)
        assert answer.startswith("Not reloaded, the old config stays:\n<code>")
        assert f"{feeds_file} line 4: invalid YAML" in answer
        assert "culture, tourism and sport" in ask(telegram, "/culture", ADMIN).lower()

        feeds_file.write_text(
            "feeds:\n"
            f"  - {{name: Trend, url: '{feeds.url('/trend/rss')}'}}\n"
            f"  - {{name: BelTA, url: '{feeds.url('/belta/rss')}'}}\n"
            "topics:\n"
            "  shipping:\n    title: Shipping\n    description: ports\n    keywords: [containership]\n"
            "  culture: null\n",
            encoding="utf-8",
        )
        assert ask(telegram, "/reload", ADMIN) == (
            f"Reloaded {feeds_file}: 2 feeds (1 added, 0 removed, 0 changed); "
            "10 topics (new: /shipping); gone: /culture. "
            "(This process: with several processes, send SIGHUP to each.)"
        )
        assert "No shipping stories yet" in ask(telegram, "/shipping", ADMIN)
        assert "I don't know /culture" in ask(telegram, "/culture", ADMIN)
        menu = {c["command"] for c in telegram.my_commands()}
        assert "shipping" in menu and "culture" not in menu
        assert "<b>BelTA</b>" in ask(telegram, "/feeds", ADMIN)

        # SIGHUP: the same, and the admins hear when the file is wrong
        feeds_file.write_text("feeds:\n  - {name: X, url: 'ftp://x'}\n", encoding="utf-8")
        before = len(telegram.sent_messages(ADMIN))
        bot.process.send_signal(signal.SIGHUP)
        bot.wait_for_log("SIGHUP: feeds.yaml not reloaded, the old config stays")
        telegram.wait_for_calls(
            "sendMessage", before + 1, lambda c: c.params.get("chat_id") == ADMIN, timeout=15
        )
        notice = telegram.sent_messages(ADMIN)[-1]["text"]
        assert notice.startswith("⚠️ SIGHUP: feeds.yaml not reloaded, the old config stays:")
        assert "feeds[0].url: must be an http(s) URL" in notice
        assert "No shipping stories yet" in ask(telegram, "/shipping", ADMIN)

        feeds_file.write_text(f"feeds:\n  - {{name: Trend, url: '{feeds.url('/trend/rss')}'}}\n")
        bot.process.send_signal(signal.SIGHUP)
        bot.wait_for_log("SIGHUP: Reloaded")
        assert "culture, tourism and sport" in ask(telegram, "/culture", ADMIN).lower()
    finally:
        code, _ = bot.stop()
    assert code == 0


def test_broadcast_reaches_every_subscriber_once(
    tmp_path: Path, telegram: FakeTelegramThread
) -> None:
    subscribers = (7001, 7002)
    bot = start(tmp_path, telegram, "feeds: []\n")
    try:
        for chat in subscribers:
            assert "Subscribed" in ask(telegram, "/subscribe", chat)
        ask(telegram, "/start", 7003)  # a chat without a subscription gets nothing
        assert (
            ask(telegram, "/broadcast", ADMIN)
            == "Usage: /broadcast TEXT — sent to every subscriber."
        )
        text = "Maintenance tonight: digests at 10:00 <not 09:00> & no alerts"
        assert ask(telegram, f"/broadcast {text}", ADMIN) == "Broadcast queued for 2 subscribers."
        for chat in subscribers:
            telegram.wait_for_calls(
                "sendMessage",
                2,
                lambda c, chat=chat: c.params.get("chat_id") == chat,
                timeout=15,
            )
            assert telegram.sent_messages(chat)[-1]["text"] == (
                "Maintenance tonight: digests at 10:00 &lt;not 09:00&gt; &amp; no alerts"
            )
        assert ask(telegram, f"/broadcast {text}", ADMIN) == (
            "Already queued today for all 2 subscribers: nothing is sent twice. "
            "To send it again today, change the wording."
        )
        time.sleep(3)  # a sender pass
        assert [len(telegram.sent_messages(chat)) for chat in subscribers] == [2, 2]
        assert len(telegram.sent_messages(7003)) == 1
        assert "Since" in ask(telegram, "/stats", ADMIN)
        assert (
            "2 messages delivered, 0 failed; 0 waiting" in telegram.sent_messages(ADMIN)[-1]["text"]
        )
    finally:
        code, _ = bot.stop()
    assert code == 0


def test_a_long_feed_list_is_split_into_valid_messages(
    tmp_path: Path, telegram: FakeTelegramThread
) -> None:
    many = tmp_path / "many.yaml"
    many.write_text(
        "feeds:\n"
        + "".join(
            f"  - {{name: 'Лента {i:03} {'long name ' * 8}', "
            f"url: 'https://feed{i}.example/rss', enabled: false}}\n"
            for i in range(120)
        ),
        encoding="utf-8",
    )
    env = telegram.env(AZBY_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'azby.sqlite3'}")
    imported = subprocess.run(
        [AZBY, "import", str(many)], env=env, capture_output=True, text=True, timeout=60
    )
    assert imported.returncode == 0, imported.stderr
    bot = start(tmp_path, telegram, "feeds: []\n")
    try:
        telegram.push_command(ADMIN, "/feeds")
        telegram.wait_for_calls(
            "sendMessage", 1, lambda c: "<b>Лента 119 " in str(c.params.get("text")), timeout=15
        )
        messages = [m["text"] for m in telegram.sent_messages(ADMIN)]
        listing = "\n".join(messages)
        assert len(messages) > 1
        assert all(len(m.encode("utf-16-le")) // 2 <= 4096 for m in messages)
        assert [c for c in telegram.calls("sendMessage") if not c.ok] == []
        assert all(listing.count(f"<b>Лента {i:03} ") == 1 for i in range(120))
        assert listing.count("— disabled · added in Telegram") == 120
    finally:
        code, _ = bot.stop()
    assert code == 0
