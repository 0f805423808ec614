"""The real ``azby run``: JSON logs, /healthz and /metrics, webhook mode; never the token."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.auxil.bot_process import AZBY, Bot
from tests.auxil.fake_telegram import FakeTelegramThread
from tests.auxil.feed_server import FeedServerThread
from tests.e2e.conftest import bot_env, start_bot

CHAT = 5151
HOOK = "https://bot.example.org/tg/hook"
SECRET = "e2e-webhook-Secret_0123456789"


def server_url(bot: Bot) -> str:
    line = bot.wait_for_log("http server listening on")
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert match is not None, line
    return match.group(0)


def client() -> httpx.Client:
    return httpx.Client(trust_env=False, timeout=10)


def sample(metrics: str, name: str) -> float:
    """The value of one series in the Prometheus text format (``name`` with its labels)."""
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no series {name} in:\n{metrics}")


def assert_no_secrets(bot: Bot, *secrets: str) -> None:
    text = "\n".join(bot.lines)
    for secret in secrets:
        assert secret not in text


def test_json_logs_metrics_and_health_after_a_poll(
    tmp_path: Path, feeds: FeedServerThread, telegram: FakeTelegramThread
) -> None:
    feeds_yaml = (
        "feeds:\n"
        f"  - {{name: Trend, url: '{feeds.url('/trend/rss')}', language: en}}\n"
        f"  - {{name: BelTA, url: '{feeds.url('/belta/rss')}', language: ru}}\n"
        f"  - {{name: Down, url: '{feeds.url('/down/rss')}'}}\n"
        "poll: {full_text: false, backlog_age: 3650d}\n"
    )
    bot = start_bot(
        tmp_path, telegram, feeds_yaml, "-v", "run", AZBY_LOG_FORMAT="json", AZBY_HTTP_PORT="0"
    )
    try:
        url = server_url(bot)
        bot.wait_for_log("poll cycle finished")
        with client() as http:
            metrics = http.get(f"{url}/metrics")
            health = http.get(f"{url}/healthz")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        page = metrics.text
        assert sample(page, 'azby_feeds_polled_total{status="ok"}') == 2
        assert sample(page, 'azby_feeds_polled_total{status="error"}') == 1
        assert sample(page, "azby_items_fetched_total") > 0
        assert sample(page, "azby_articles_new_total") > 0
        relevant = sample(page, "azby_articles_relevant_total")
        assert 0 < relevant <= sample(page, "azby_articles_new_total")
        assert 0 < sample(page, "azby_stories_new_total") <= relevant
        assert sample(page, "azby_poll_duration_seconds_count") == 1
        assert sample(page, "azby_last_poll_success_timestamp_seconds") > time.time() - 120
        assert sample(page, "azby_outbox_depth") == 0
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["mode"] == "polling"
    finally:
        code, _ = bot.stop()
    assert code == 0
    records = [json.loads(line) for line in bot.lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(records[0])
    finished = next(r for r in records if r["message"].startswith("poll cycle finished"))
    assert finished["feeds"] == 3 and finished["duration"] > 0
    down = next(r for r in records if r.get("feed") == "Down")
    assert down["level"] == "WARNING" and "500" in down["message"]
    # -v lets httpx log each Bot API request URL: the token is there, blanked out
    assert any("bot<token>/getUpdates" in r["message"] for r in records)
    assert_no_secrets(bot, telegram.token)


def test_text_logs_with_debug_never_show_the_token(
    tmp_path: Path, telegram: FakeTelegramThread
) -> None:
    """Plain ``azby run`` (no HTTP variables): long polling as always, the token blanked."""
    bot = start_bot(tmp_path, telegram, "feeds: []\n", "-v", "run")
    try:
        telegram.push_command(CHAT, "/start")
        telegram.wait_for_call("sendMessage", lambda c: c.params["chat_id"] == CHAT)
        bot.wait_for_log("bot<token>/sendMessage")
    finally:
        code, _ = bot.stop()
    assert code == 0
    assert not any("http server listening" in line for line in bot.lines)
    assert not any(line.startswith("{") for line in bot.lines)
    assert_no_secrets(bot, telegram.token)


def command_update(telegram: FakeTelegramThread, text: str) -> dict[str, object]:
    """A command update as Telegram would POST it (built by the fake, which also queues it
    for getUpdates: unused in webhook mode)."""
    return telegram.push_command(CHAT, text)


def test_webhook_mode(tmp_path: Path, telegram: FakeTelegramThread) -> None:
    bot = start_bot(
        tmp_path,
        telegram,
        "feeds: []\n",
        "-v",
        "run",
        "--webhook",
        HOOK,
        AZBY_HTTP_PORT="0",
        AZBY_WEBHOOK_SECRET=SECRET,
    )
    try:
        url = server_url(bot)
        bot.wait_for_log("webhook set")
        (call,) = telegram.calls("setWebhook")
        assert (call.params["url"], call.params["secret_token"]) == (HOOK, SECRET)
        assert telegram.calls("getUpdates") == [] and telegram.calls("deleteWebhook") == []

        hook = f"{url}/tg/hook"
        with client() as http:
            right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            wrong = {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"}
            refused = [
                http.post(hook, json=command_update(telegram, "/help"), headers=wrong),
                http.post(hook, json=command_update(telegram, "/help")),
            ]
            assert [r.status_code for r in refused] == [403, 403]
            bad = [
                http.post(hook, content=b'{"update_id": 1, "message": ', headers=right),
                http.post(hook, content=b"\xff\xfe", headers=right),
                http.post(hook, json=[1, 2], headers=right),
                http.post(hook, json={"update_id": 7, "message": "x"}, headers=right),
            ]
            assert [r.status_code for r in bad] == [400, 400, 400, 400]
            huge = b'{"update_id": 1, "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
            assert http.post(hook, content=huge, headers=right).status_code == 413

            accepted = http.post(hook, json=command_update(telegram, "/start"), headers=right)
            assert accepted.status_code == 200
            answer = telegram.wait_for_call("sendMessage", lambda c: c.params["chat_id"] == CHAT)
            assert "Azerbaijan and Belarus" in answer.params["text"]

            health = http.get(f"{url}/healthz")
            assert (health.status_code, health.json()["mode"]) == (200, "webhook")
            metrics = http.get(f"{url}/metrics").text
        assert sample(metrics, 'azby_webhook_requests_total{status="403"}') == 2
        assert sample(metrics, 'azby_webhook_requests_total{status="400"}') == 4
        assert sample(metrics, 'azby_webhook_requests_total{status="200"}') == 1
        # updates are handled in order: a /help that got through would be answered before /start
        assert len(telegram.sent_messages(CHAT)) == 1
        bot.wait_for_log("webhook: missing or wrong secret token")
    finally:
        code, _ = bot.stop()
    assert code == 0
    # several processes may serve one URL: stopping one leaves the webhook in place
    assert telegram.calls("deleteWebhook") == []
    assert_no_secrets(bot, telegram.token, SECRET)
    assert any("<webhook-secret>" in line for line in bot.lines)  # PTB's debug log of setWebhook


def test_webhook_without_a_secret_gets_a_random_one(
    tmp_path: Path, telegram: FakeTelegramThread
) -> None:
    bot = start_bot(
        tmp_path, telegram, "feeds: []\n", "-v", "run", "--webhook", HOOK, AZBY_HTTP_PORT="0"
    )
    try:
        url = server_url(bot)
        bot.wait_for_log("a random secret token for this run")
        secret = telegram.calls("setWebhook")[0].params["secret_token"]
        assert len(secret) >= 32
        with client() as http:
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            reply = http.post(
                f"{url}/tg/hook", json=command_update(telegram, "/start"), headers=headers
            )
        assert reply.status_code == 200
        telegram.wait_for_call("sendMessage", lambda c: c.params["chat_id"] == CHAT)
    finally:
        code, _ = bot.stop()
    assert code == 0
    assert_no_secrets(bot, telegram.token, secret)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://bot.example.org/hook", "must be a public https URL"),
        ("https://bot.example.org:8080/hook", "only delivers to ports 443, 80, 88 and 8443"),
        ("https://bot.example.org/healthz", "taken by the health endpoints"),
    ],
)
def test_a_bad_webhook_url_is_one_line(
    tmp_path: Path, telegram: FakeTelegramThread, url: str, message: str
) -> None:
    env = bot_env(
        tmp_path,
        telegram,
        "feeds: []\n",
        AZBY_FEEDS_FILE=str(tmp_path / "missing.yaml"),
        AZBY_ALLOW_PRIVATE_NETWORKS=None,
    )
    result = subprocess.run(
        [AZBY, "run", "--webhook", url], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("azby: error: --webhook: ") and message in line
    assert telegram.calls() == []
