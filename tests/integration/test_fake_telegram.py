"""The fake Bot API server against the real python-telegram-bot."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.auxil.fake_telegram import DEFAULT_TOKEN, FakeTelegram, FakeTelegramThread

CHAT = 4242
GROUP = -1001234567890


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url) as bot:
        yield bot


async def test_get_me_describes_the_bot(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot, me.can_join_groups) == (
        123456,
        "azby_test_bot",
        True,
        True,
    )


async def test_wrong_token_is_unauthorized(tg: FakeTelegram) -> None:
    bot = Bot("999:wrong", base_url=tg.base_url)

    with pytest.raises(InvalidToken):
        await bot.initialize()  # calls getMe
    await bot.shutdown()


def test_raw_http_status_equals_error_code() -> None:
    with FakeTelegramThread() as tg:
        for url, expected in [
            (f"{tg.base_url}999:wrong/getMe", 401),
            (f"{tg.base_url}{DEFAULT_TOKEN}/noSuchMethod", 404),
        ]:
            with pytest.raises(urllib.error.HTTPError) as raised:
                urllib.request.urlopen(url, timeout=5)
            body = json.loads(raised.value.read())
            raised.value.close()
            assert (raised.value.code, body["ok"], body["error_code"]) == (
                expected,
                False,
                expected,
            )
        with urllib.request.urlopen(f"{tg.base_url}{DEFAULT_TOKEN}/GETME", timeout=5) as reply:
            assert json.loads(reply.read())["result"]["username"] == "azby_test_bot"
        as_json = urllib.request.Request(
            f"{tg.base_url}{DEFAULT_TOKEN}/sendMessage?parse_mode=HTML",
            data=json.dumps({"chat_id": CHAT, "text": "<i>json</i>"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(as_json, timeout=5) as reply:
            assert json.loads(reply.read())["result"]["entities"][0]["type"] == "italic"
        assert tg.sent_messages(CHAT) == [
            {"chat_id": CHAT, "text": "<i>json</i>", "parse_mode": "HTML"}
        ]


async def test_send_message_returns_a_message_and_records_the_call(
    tg: FakeTelegram, bot: Bot
) -> None:
    first = await bot.send_message(CHAT, "<b>Baku</b> &amp; Minsk", parse_mode=ParseMode.HTML)
    second = await bot.send_message(CHAT, "again", disable_notification=True)

    assert (first.chat.id, first.text, first.text_html) == (
        CHAT,
        "Baku & Minsk",
        "<b>Baku</b> &amp; Minsk",
    )
    assert first.from_user is not None and first.from_user.username == "azby_test_bot"
    assert second.message_id == first.message_id + 1
    assert first.date.year >= 2025
    assert [m["text"] for m in tg.sent_messages(CHAT)] == ["<b>Baku</b> &amp; Minsk", "again"]
    assert tg.sent_messages(CHAT)[1]["disable_notification"] is True


async def test_edit_message_text_changes_the_stored_message(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "draft")

    edited = await bot.edit_message_text("final", chat_id=CHAT, message_id=sent.message_id)
    assert isinstance(edited, Message)

    assert (edited.text, [m["text"] for m in tg.bot_messages(CHAT)]) == ("final", ["final"])
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("final", chat_id=CHAT, message_id=sent.message_id)


async def test_wait_for_call_times_out_with_what_it_saw(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(CHAT, "to someone else")

    with pytest.raises(TimeoutError, match="to someone else"):
        await tg.wait_for_call("sendMessage", lambda c: c.params["chat_id"] == 1, timeout=0.1)


async def test_blocked_chat_raises_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    tg.set_blocked(CHAT)

    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(CHAT, "hello")
    assert tg.sent_messages() == []
    assert tg.calls_to("sendMessage")[0].status == 403


async def test_unknown_chat_raises_bad_request(tg: FakeTelegram, bot: Bot) -> None:
    tg.set_unknown(CHAT)

    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(CHAT, "hello")


async def test_migrated_chat_raises_chat_migrated_with_the_new_id(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.set_migrated(-42, GROUP)

    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(-42, "hello")

    assert raised.value.new_chat_id == GROUP
    assert (await bot.send_message(GROUP, "hello")).chat.type == "supergroup"


async def test_injected_429_raises_retry_after_then_recovers(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_failures("sendmessage", 2, parameters={"retry_after": 3})

    for _ in range(2):
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(CHAT, "hello")
        assert raised.value.retry_after == timedelta(seconds=3)
    await bot.send_message(CHAT, "hello")

    assert [call.status for call in tg.calls_to("sendMessage")] == [429, 429, 200]


async def test_injected_failure_can_target_one_chat(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_failures("sendMessage", 1, 403, chat_id=7)

    await bot.send_message(CHAT, "unaffected")
    with pytest.raises(Forbidden):
        await bot.send_message(7, "hello")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<p>paragraph</p>", 'Unsupported start tag "p"'),
        ("line<br/>break", 'Unsupported start tag "br"'),
        ("<b>open", 'end tag corresponding to start tag "b"'),
        ("<b><i>crossed</b></i>", "Unmatched end tag"),
        ("Tom & Jerry", "end of the entity"),
        ("1 < 2", "Unclosed start tag"),
        ('<span class="x">s</span>', 'must have class "tg-spoiler"'),
    ],
)
async def test_invalid_html_raises_bad_request(bot: Bot, text: str, error: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as raised:
        await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML)

    assert error.lower() in str(raised.value).lower()


async def test_supported_html_is_accepted(bot: Bot) -> None:
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><del>d</del>"
        '<strike>k</strike><tg-spoiler>t</tg-spoiler><span class="tg-spoiler">p</span>'
        '<a href="https://example.com">a</a><tg-emoji emoji-id="1">🙂</tg-emoji><code>c</code>'
        '<pre><code class="language-python">x</code></pre><blockquote expandable>q</blockquote>'
        "&lt;&gt;&quot;&#38;&#x26;"
    )

    message = await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML)

    assert message.text == 'bsieunsdktpa🙂cxq<>"&&'


async def test_text_limit_counts_utf16_units_after_parsing(bot: Bot) -> None:
    await bot.send_message(CHAT, "a" * 4096)
    await bot.send_message(CHAT, f"<b>{'a' * 4096}</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(CHAT, "&amp;" * 4096, parse_mode=ParseMode.HTML)

    for too_long in ["a" * 4097, "🙂" * 2049]:
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(CHAT, too_long)


async def test_empty_text_raises_bad_request(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "<b> </b>", parse_mode=ParseMode.HTML)


async def test_callback_data_over_64_bytes_raises_bad_request(bot: Bot) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("go", callback_data=data)]])

    await bot.send_message(CHAT, "ok", reply_markup=keyboard("d" * 64))
    # PTB capitalises descriptions with str.capitalize: "Button_data_invalid".
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "too long", reply_markup=keyboard("д" * 33))


async def test_set_my_commands_validates_and_stores(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("trade", "Trade news"), BotCommand("start", "Hello")])

    assert [c.command for c in await bot.get_my_commands()] == ["trade", "start"]
    assert tg.my_commands() == [
        {"command": "trade", "description": "Trade news"},
        {"command": "start", "description": "Hello"},
    ]
    for commands in [
        [BotCommand("Trade", "capital letter")],
        [BotCommand("a" * 33, "name too long")],
        [BotCommand("trade", "")],
        [BotCommand("trade", "x" * 257)],
        [BotCommand(f"c{i}", "many") for i in range(101)],
    ]:
        with pytest.raises(BadRequest):
            await bot.set_my_commands(commands)
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_chat_members_follow_the_configured_admins(tg: FakeTelegram, bot: Bot) -> None:
    tg.set_admins(GROUP, [7])

    assert (await bot.get_chat_member(GROUP, 7)).status == "administrator"
    assert (await bot.get_chat_member(GROUP, 8)).status == "member"
    assert [m.user.id for m in await bot.get_chat_administrators(GROUP)] == [7]
    assert (await bot.get_chat(GROUP)).type == "supergroup"


async def test_get_updates_long_poll_returns_when_an_update_is_pushed(
    tg: FakeTelegram, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    tg.push_message(CHAT, "hi")

    updates = await asyncio.wait_for(poll, 2)

    assert [u.message.text for u in updates if u.message] == ["hi"]
    # Delivered but not confirmed: it comes back until the offset moves past it.
    assert len(await bot.get_updates(timeout=0)) == 1
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    assert tg.pending_updates == []


async def test_stop_wakes_a_parked_long_poll() -> None:
    tg = FakeTelegram()
    await tg.start()
    async with Bot(tg.token, base_url=tg.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=35))
        await tg.wait_for_call("getMe", timeout=2)
        await asyncio.sleep(0.05)

        async with asyncio.timeout(3):
            await tg.stop()
            assert await poll == ()


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, f"Welcome {context.args}")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer("done")


async def test_application_answers_a_pushed_command(tg: FakeTelegram) -> None:
    app = Application.builder().token(tg.token).base_url(tg.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        tg.push_command(CHAT, "/start azby")
        reply = await tg.wait_for_call("sendMessage", timeout=5)
        tg.push_callback_query(CHAT, "page:2")
        answer = await tg.wait_for_call("answerCallbackQuery", timeout=5)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    assert (reply.params["chat_id"], reply.params["text"]) == (CHAT, "Welcome ['azby']")
    assert answer.params["text"] == "done"
    assert tg.pending_updates == []
    assert [c.method for c in tg.calls[:2]] == ["getMe", "deleteWebhook"]


def test_thread_mode_serves_a_bot_in_another_loop() -> None:
    async def client(server: FakeTelegramThread) -> None:
        app = Application.builder().token(server.token).base_url(server.base_url).build()
        app.add_handler(CommandHandler("start", start))
        async with app:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            await app.start()
            await server.wait_for_call_async("sendMessage", timeout=5)
            await app.updater.stop()
            await app.stop()

    with FakeTelegramThread() as tg:
        tg.push_command(CHAT, "/start")
        asyncio.run(client(tg))

        assert [m["text"] for m in tg.sent_messages(CHAT)] == ["Welcome []"]
        assert tg.calls("getMe")[0].ok
        assert tg.pending_updates() == []
        assert tg.env()["AZBY_TELEGRAM_API_URL"] == tg.base_url
    with pytest.raises(RuntimeError, match="not running"):
        tg.push_command(CHAT, "/late")
