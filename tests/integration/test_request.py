"""AiohttpRequest, azby's python-telegram-bot networking, against the fake Bot API server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.telegram.request import AiohttpRequest
from tests.auxil.fake_telegram import FakeTelegram

CHAT = 4242


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url, request=AiohttpRequest()) as bot:
        yield bot


def _stall(tg: FakeTelegram, seconds: float) -> asyncio.Event:
    """sendMessage answers only after ``seconds``; the returned event is set when it starts."""
    started = asyncio.Event()
    builtin = tg._handlers["sendMessage"]

    async def slow(params: dict[str, Any]) -> Any:
        started.set()
        await asyncio.sleep(seconds)
        return builtin(params)

    tg.register("sendMessage", slow)
    return started


async def test_a_message_goes_out_with_its_parameters_and_comes_back_parsed(
    tg: FakeTelegram, bot: Bot
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Topics", callback_data="s:topics")]])

    message = await bot.send_message(
        CHAT,
        "<b>Baku</b> &amp; Minsk: «digest» 😀",
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        reply_markup=markup,
    )

    assert message.text == "Baku & Minsk: «digest» 😀"
    assert message.chat.id == CHAT
    assert message.entities[0].type == "bold"
    assert message.reply_markup == markup
    (sent,) = tg.sent_messages(CHAT)
    assert sent["parse_mode"] == "HTML"
    assert sent["link_preview_options"] == {"is_disabled": True}
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "s:topics"


async def test_429_raises_retry_after_with_the_servers_wait(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_failures("sendMessage", error_code=429, parameters={"retry_after": 7})

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "hello")

    assert caught.value.retry_after == timedelta(seconds=7)
    assert tg.sent_messages(CHAT) == []


async def test_blocked_unknown_and_migrated_chats_raise_what_the_sender_handles(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.set_blocked(CHAT)
    tg.set_unknown(77)
    tg.set_migrated(-55, -1005555)

    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(CHAT, "hello")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(77, "hello")
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-55, "hello")
    assert migrated.value.new_chat_id == -1005555


async def test_an_answer_slower_than_the_read_timeout_is_timed_out(tg: FakeTelegram) -> None:
    _stall(tg, 30)
    request = AiohttpRequest(read_timeout=0.2)
    async with Bot(tg.token, base_url=tg.base_url, request=request) as bot:
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(CHAT, "hello")

    assert tg.token not in str(caught.value)
    assert tg.token.split(":")[1] not in str(caught.value)


async def test_a_per_call_read_timeout_overrides_the_default(tg: FakeTelegram, bot: Bot) -> None:
    _stall(tg, 30)  # the default read timeout (5 s) would wait for it

    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "hello", read_timeout=0.2)


async def test_waiting_too_long_for_a_pooled_connection_is_timed_out_without_the_token(
    tg: FakeTelegram,
) -> None:
    started = _stall(tg, 30)
    # aiohttp bounds waiting for a connection and opening it together: pool + connect timeout
    request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.1, connect_timeout=0.1)
    async with Bot(tg.token, base_url=tg.base_url, request=request) as bot:
        first = asyncio.create_task(bot.send_message(CHAT, "takes the only connection"))
        await started.wait()
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(CHAT, "finds none free")
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first

    assert "aiohttp.ConnectionTimeoutError" in str(caught.value)
    assert "/bot<token>/sendMessage" in str(caught.value)  # aiohttp quotes the URL …
    assert tg.token not in str(caught.value)  # … without the token
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_no_server_listening_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    token = "123456:SECRET-token"
    request = AiohttpRequest()
    await request.initialize()
    try:
        bot = Bot(token, base_url=f"http://127.0.0.1:{port}/bot", request=request)
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(CHAT, "hello")
    finally:
        await request.shutdown()

    assert not isinstance(caught.value, TimedOut)
    assert "aiohttp.ClientConnectorError" in str(caught.value)
    assert "SECRET" not in str(caught.value)


async def test_a_connection_dropped_mid_answer_is_a_network_error() -> None:
    async def hang_up(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b'{"ok": true, "res')
        assert request.transport is not None
        request.transport.close()
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hang_up)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        bot = Bot("123456:SECRET-token", base_url=f"http://127.0.0.1:{port}/bot", request=request)
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(CHAT, "hello")
    finally:
        await request.shutdown()
        await runner.cleanup()

    assert not isinstance(caught.value, TimedOut)
    assert caught.value.message.startswith("aiohttp.")
    assert "SECRET" not in str(caught.value)


async def test_the_proxy_from_the_environment_is_used_and_no_proxy_honoured(
    tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        seen.append(str(request.url))  # a proxied request names the whole target URL
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "localhost")  # 127.0.0.1 goes through the proxy
    request = AiohttpRequest()
    await request.initialize()
    try:
        bot = Bot(tg.token, base_url=tg.base_url, request=request)
        assert await bot.delete_webhook() is True
        assert seen and seen[0].endswith("/deleteWebhook")
        assert tg.calls_to("deleteWebhook") == []  # the proxy answered, not the server

        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.setenv(name, "127.0.0.1")
        await request.shutdown()
        await request.initialize()  # a new session reads the environment again
        await bot.delete_webhook()
        assert len(seen) == 1
        assert len(tg.calls_to("deleteWebhook")) == 1
    finally:
        await request.shutdown()
        await runner.cleanup()


async def test_shut_down_it_refuses_and_initialized_again_it_works(tg: FakeTelegram) -> None:
    request = AiohttpRequest()
    bot = Bot(tg.token, base_url=tg.base_url, request=request)
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
        await bot.send_message(CHAT, "too early")

    async with bot:
        await bot.send_message(CHAT, "one")
    async with bot:
        await bot.send_message(CHAT, "two")

    assert [m["text"] for m in tg.sent_messages(CHAT)] == ["one", "two"]


def test_a_pool_of_no_connections_is_refused() -> None:
    with pytest.raises(ValueError, match="connection_pool_size"):
        AiohttpRequest(connection_pool_size=0)


async def test_azbys_application_talks_through_aiohttp_for_calls_and_long_polls(
    tg: FakeTelegram, tmp_path: Any
) -> None:
    from tests.auxil.application import application_for

    application = application_for(tg, tmp_path)
    tg.push_command(CHAT, "/help")

    async with application.bot as bot:
        assert isinstance(bot.request, AiohttpRequest)
        updates = await bot.get_updates(timeout=1)
        await bot.send_message(CHAT, "hello")

    assert isinstance(bot._request[0], AiohttpRequest)  # the long-polling one
    assert bot._request[0] is not bot.request
    assert [u.message.text for u in updates if u.message] == ["/help"]
    assert [m["text"] for m in tg.sent_messages(CHAT)] == ["hello"]
