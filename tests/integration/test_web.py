"""The HTTP server of ``azby run`` on a real socket, over a real store; 429s counted from the
fake Bot API; delivery failures by reason."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.ext import ExtBot

from bot.config import ConfigError
from bot.deliver.limits import DeliveryLimits
from bot.deliver.sender import Sender
from bot.metrics import Metrics
from bot.models import Chat
from bot.telegram.runner import CountingRateLimiter, _set_webhook
from bot.web import MAX_BODY, SCHEDULER_STALE_AFTER, Webhook, WebhookRoute, WebServer
from storage import Store, open_store
from tests.auxil.fake_telegram import FakeTelegram

SECRET = "test-Secret_42"


class Clock:
    def __init__(self, at: float = 1_800_000_000.0) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


async def queue(store: Store, chat_id: int, *texts: str) -> None:
    now = datetime.now(UTC)
    await store.upsert_chat(Chat(chat_id, "private" if chat_id > 0 else "group"), now)
    await store.enqueue(
        chat_id,
        kind="digest",
        period="digest:p",
        messages=list(texts),
        link_previews=False,
        now=now,
    )


class Served:
    """A WebServer on 127.0.0.1:0 and an HTTP client for it."""

    def __init__(self, server: WebServer, http: httpx.AsyncClient, received: list[Any]) -> None:
        self.server, self.http, self.received = server, http, received

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"


async def serving(
    metrics: Metrics, store: Store | None, clock: Clock, *, webhook: bool = False
) -> AsyncIterator[Served]:
    received: list[Any] = []

    async def put(update: object) -> None:
        received.append(update)

    route = WebhookRoute("/tg/hook", SECRET, parse=dict, put=put) if webhook else None
    server = WebServer("127.0.0.1", 0, metrics, lambda: store, webhook=route, clock=clock)
    await server.start()
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
            yield Served(server, http, received)
    finally:
        await server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def served(sqlite_store: Store, clock: Clock) -> AsyncIterator[Served]:
    async for s in serving(Metrics(), sqlite_store, clock, webhook=True):
        yield s


async def test_healthz_ok_and_metrics_read_the_outbox(
    served: Served, sqlite_store: Store, clock: Clock
) -> None:
    await queue(sqlite_store, 1, "one", "two")
    served.server._metrics.job_ran("sender", at=clock.at - 3)
    health = await served.http.get(served.url("/healthz"))
    assert health.status_code == 200
    assert health.json() == {
        "status": "ok",
        "mode": "webhook",
        "outbox_depth": 2,
        "last_send_job_seconds_ago": 3.0,
        "last_poll_job_seconds_ago": None,
    }
    metrics = await served.http.get(served.url("/metrics"))
    assert "azby_outbox_depth 2.0" in metrics.text.splitlines()
    assert metrics.headers["content-type"].startswith("text/plain")


async def test_a_stuck_scheduler_is_503(served: Served, clock: Clock) -> None:
    served.server._metrics.job_ran("sender", at=clock.at)
    clock.at += SCHEDULER_STALE_AFTER + 10
    health = await served.http.get(served.url("/healthz"))
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert health.json()["reasons"] == [
        f"scheduler: the sender job last ran {SCHEDULER_STALE_AFTER + 10:.0f} s ago "
        "(expected every few seconds)"
    ]


async def test_a_store_that_cannot_answer_is_503(tmp_path: Path, clock: Clock) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    store = await open_store(f"sqlite+aiosqlite:///{folder / 'azby.sqlite3'}")
    await store.close()  # its pool is emptied: the next query opens the file again
    shutil.rmtree(folder)  # … which is gone, with its folder
    async for served in serving(Metrics(), store, clock):
        health = await served.http.get(served.url("/healthz"))
        assert health.status_code == 503
        (reason,) = health.json()["reasons"]
        assert reason.startswith("store: ")
        assert health.json()["outbox_depth"] is None
        metrics = await served.http.get(served.url("/metrics"))  # still served, depth unknown
        assert metrics.status_code == 200


async def test_no_store_yet_is_503(clock: Clock) -> None:
    async for served in serving(Metrics(), None, clock):
        health = await served.http.get(served.url("/healthz"))
        assert (health.status_code, health.json()["reasons"]) == (503, ["store: not open yet"])
        assert (await served.http.post(served.url("/tg/hook"), json={})).status_code == 404


async def test_webhook_checks_the_secret_first_then_the_body(served: Served) -> None:
    hook, right = served.url("/tg/hook"), {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    update = {"update_id": 5, "message": {"text": "hi"}}
    statuses = [
        (await served.http.post(hook, json=update)).status_code,
        (
            await served.http.post(
                hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
            )
        ).status_code,
        (await served.http.post(hook, content=b"{not json", headers=right)).status_code,
        (await served.http.post(hook, content=b"", headers=right)).status_code,
        (await served.http.post(hook, json={"message": {}}, headers=right)).status_code,
        (await served.http.post(hook, json="5", headers=right)).status_code,
        (await served.http.post(hook, content=b"x" * (MAX_BODY + 1), headers=right)).status_code,
        (await served.http.get(hook, headers=right)).status_code,
    ]
    assert statuses == [403, 403, 400, 400, 400, 400, 413, 405]
    assert served.received == []

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused while reading
        for _ in range(MAX_BODY // 65536 + 2):
            yield b" " * 65536

    chunked = await served.http.post(hook, content=chunks(), headers=right)
    assert chunked.status_code == 413

    accepted = await served.http.post(hook, json=update, headers=right)
    assert (accepted.status_code, accepted.json()) == (200, {"ok": True, "reason": "queued"})
    assert served.received == [update]
    page = (await served.http.get(served.url("/metrics"))).text
    assert 'azby_webhook_requests_total{status="403"} 2.0' in page
    assert 'azby_webhook_requests_total{status="200"} 1.0' in page


async def test_a_malformed_update_is_400_not_a_crash(clock: Clock) -> None:
    async with FakeTelegram() as telegram, Bot(telegram.token, base_url=telegram.base_url) as bot:
        from telegram import Update

        received: list[object] = []

        async def put(update: object) -> None:
            received.append(update)

        route = WebhookRoute("/", SECRET, parse=lambda d: Update.de_json(d, bot), put=put)
        server = WebServer("127.0.0.1", 0, Metrics(), lambda: None, webhook=route, clock=clock)
        await server.start()
        try:
            async with httpx.AsyncClient(trust_env=False) as http:
                url, headers = (
                    f"http://127.0.0.1:{server.port}/",
                    {"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                bad = await http.post(
                    url, json={"update_id": 1, "message": {"chat": 5}}, headers=headers
                )
                good = await http.post(url, content=json.dumps({"update_id": 2}), headers=headers)
        finally:
            await server.stop()
    assert bad.status_code == 400 and "not a Telegram update" in bad.json()["reason"]
    assert good.status_code == 200
    assert [u.update_id for u in received] == [2]  # type: ignore[attr-defined]


async def test_a_port_in_use_is_one_line(served: Served, clock: Clock) -> None:
    other = WebServer("127.0.0.1", served.server.port, Metrics(), lambda: None, clock=clock)
    with pytest.raises(ConfigError, match=r"^AZBY_HTTP_HOST/AZBY_HTTP_PORT: cannot listen on"):
        await other.start()


async def test_every_429_is_counted_also_those_retried() -> None:
    metrics = Metrics()
    async with FakeTelegram() as telegram:
        telegram.inject_failures("sendMessage", 1, error_code=429, parameters={"retry_after": 1})
        limiter = CountingRateLimiter(metrics, max_retries=1)
        async with ExtBot(telegram.token, base_url=telegram.base_url, rate_limiter=limiter) as bot:
            await bot.send_message(7, "hello")  # 429, retried after 1 s, sent
    assert metrics.registry.get_sample_value("azby_telegram_rate_limited_total") == 1
    assert len(telegram.sent_messages(7)) == 1


async def test_the_sender_reports_each_failure_by_reason(sqlite_store: Store) -> None:
    fast = DeliveryLimits(rate=1000, private_interval=0, group_interval=0)
    async with FakeTelegram() as telegram, Bot(telegram.token, base_url=telegram.base_url) as bot:
        telegram.set_blocked(2)
        telegram.set_unknown(3)
        await queue(sqlite_store, 1, "fine", "<p>refused</p>")
        await queue(sqlite_store, 2, "to a blocked chat")
        await queue(sqlite_store, 3, "to a chat that is gone")
        report = await Sender(sqlite_store, bot, fast).drain(5)
    assert report.sent == 1
    assert dict(report.failures) == {"refused": 1, "blocked": 1, "chat_not_found": 1}


async def test_a_webhook_telegram_refuses_is_a_config_error() -> None:
    async with FakeTelegram() as telegram, Bot(telegram.token, base_url=telegram.base_url) as bot:
        webhook = Webhook("http://insecure.example.org/", "/", SECRET)
        with pytest.raises(ConfigError) as caught:
            await _set_webhook(SimpleNamespace(bot=bot), webhook)  # type: ignore[arg-type]
        assert str(caught.value) == (
            "--webhook: Telegram refused http://insecure.example.org/: "
            "Bad webhook: an https url must be provided for webhook"
        )
        good = Webhook("https://bot.example.org/tg", "/tg", SECRET)
        await _set_webhook(SimpleNamespace(bot=bot), good)  # type: ignore[arg-type]
        assert (telegram.webhook_url, telegram.webhook_secret) == (
            "https://bot.example.org/tg",
            SECRET,
        )
        info = await bot.get_webhook_info()
        assert info.url == "https://bot.example.org/tg"
        await bot.delete_webhook()
        assert (telegram.webhook_url, telegram.webhook_secret) == ("", "")
        calls = [c.method for c in telegram.calls]
        assert calls == ["getMe", "setWebhook", "setWebhook", "getWebhookInfo", "deleteWebhook"]
