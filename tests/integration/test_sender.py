"""The outbox sender against the fake Bot API server: every Telegram error, nothing lost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import Bot, LinkPreviewOptions
from telegram.ext import AIORateLimiter, ExtBot

from bot.deliver.limits import DeliveryLimits
from bot.deliver.sender import RETRY_WAIT, Sender
from bot.models import Chat, Subscription
from storage import Store
from tests.auxil.fake_telegram import FakeTelegram, busiest_second

FAST = DeliveryLimits(rate=1000, private_interval=0, group_interval=0)


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(telegram.token, base_url=telegram.base_url) as client:
        yield client


async def queue(store: Store, chat_id: int, *texts: str, period: str = "digest:p") -> None:
    await store.upsert_chat(Chat(chat_id, "private" if chat_id > 0 else "group"), datetime.now(UTC))
    await store.enqueue(
        chat_id,
        kind="digest",
        period=period,
        messages=list(texts),
        link_previews=False,
        now=datetime.now(UTC),
    )


def texts(telegram: FakeTelegram, chat_id: int) -> list[str]:
    return [str(m["text"]) for m in telegram.sent_messages(chat_id)]


async def test_messages_are_sent_in_order_and_marked(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await queue(sqlite_store, 1, "<b>one</b>", "two", "three")
    await queue(sqlite_store, 2, "other chat")
    report = await Sender(sqlite_store, bot, FAST).drain(5)
    assert (report.sent, report.dropped, report.deferred) == (4, 0, 0)
    assert texts(telegram, 1) == ["<b>one</b>", "two", "three"]
    assert await sqlite_store.outbox_depth() == 0
    assert (await Sender(sqlite_store, bot, FAST).drain(1)).sent == 0  # nothing twice


async def test_429_waits_retry_after_then_resends(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await queue(sqlite_store, 1, "first", "second")
    telegram.inject_failures(
        "sendMessage",
        1,
        error_code=429,
        description="Too Many Requests: retry after 1",
        parameters={"retry_after": 1},
    )
    clock = Clock()
    sender = Sender(sqlite_store, bot, FAST, now=clock)
    report = await sender.drain(5)
    assert (report.sent, report.rate_limited) == (0, 1)
    assert texts(telegram, 1) == []
    clock.at += timedelta(seconds=1.1)
    started = time.monotonic()
    report = await sender.drain(5)
    assert report.sent == 2 and texts(telegram, 1) == ["first", "second"]
    assert time.monotonic() - started < 2


async def test_blocked_chat_is_deactivated_and_its_queue_dropped(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await queue(sqlite_store, 7, "a", "b")
    await sqlite_store.subscribe(
        Subscription(7, next_digest_at=datetime.now(UTC)), datetime.now(UTC)
    )
    await queue(sqlite_store, 8, "c")
    telegram.set_blocked(7)
    report = await Sender(sqlite_store, bot, FAST).drain(5)
    assert (report.sent, report.dropped, report.chats_deactivated) == (1, 2, [7])
    chat = await sqlite_store.get_chat(7)
    assert chat is not None and chat.active is False
    assert await sqlite_store.due_subscriptions(datetime.now(UTC) + timedelta(days=1), 10) == []


async def test_unknown_chat_is_deactivated(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await queue(sqlite_store, 9, "a")
    telegram.set_unknown(9)
    report = await Sender(sqlite_store, bot, FAST).drain(5)
    assert report.chats_deactivated == [9]


async def test_migrated_group_gets_it_at_its_new_id(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await sqlite_store.upsert_chat(Chat(-100, "group", "Team"), datetime.now(UTC))
    await sqlite_store.subscribe(Subscription(-100), datetime.now(UTC))
    await queue(sqlite_store, -100, "digest part 1", "digest part 2")
    telegram.set_migrated(-100, -1001234567890)
    report = await Sender(sqlite_store, bot, FAST).drain(5)
    assert report.sent == 2
    assert texts(telegram, -1001234567890) == ["digest part 1", "digest part 2"]
    assert await sqlite_store.get_subscription(-1001234567890) is not None


async def test_network_errors_retry_with_backoff(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await queue(sqlite_store, 1, "x")
    telegram.inject_failures("sendMessage", 2, error_code=502, description="Bad Gateway")
    clock = Clock()
    sender = Sender(sqlite_store, bot, FAST, now=clock)
    assert (await sender.drain(5)).deferred == 1
    clock.at += timedelta(seconds=2.5)
    assert (await sender.drain(5)).deferred == 1  # second failure: waits 4 s now
    clock.at += timedelta(seconds=3)
    assert (await sender.drain(5)).sent == 0
    clock.at += timedelta(seconds=1.5)
    assert (await sender.drain(5)).sent == 1


async def test_a_message_telegram_refuses_is_dropped_alone(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await queue(sqlite_store, 1, "<p>not Telegram HTML</p>", "fine")
    report = await Sender(sqlite_store, bot, FAST).drain(5)
    assert (report.sent, report.dropped) == (1, 1)
    assert texts(telegram, 1) == ["fine"]


async def test_a_dead_senders_messages_are_sent_after_reclaim(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await queue(sqlite_store, 1, "a", "b")
    now = datetime.now(UTC)
    claimed = await sqlite_store.claim_outbox(now, limit=1, reclaim_before=now)  # then "killed"
    assert len(claimed) == 1
    clock = Clock()
    sender = Sender(sqlite_store, bot, FAST, now=clock)
    await sender.drain(2)
    assert texts(telegram, 1) == []  # "a" is still claimed and "b" waits behind it
    clock.at += FAST.reclaim_after + timedelta(seconds=1)
    await sender.drain(2)
    assert texts(telegram, 1) == ["a", "b"]


async def test_per_chat_and_group_pacing(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await queue(sqlite_store, 1, "a", "b", "c")
    limits = DeliveryLimits(rate=1000, private_interval=0.2, group_interval=0.5)
    started = time.monotonic()
    await Sender(sqlite_store, bot, limits).drain(5)
    assert time.monotonic() - started >= 0.39  # three messages 0.2 s apart
    assert texts(telegram, 1) == ["a", "b", "c"]


async def test_many_small_batches_with_refusals_deliver_each_part_once_in_order(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    chats = list(range(1, 13))
    for chat in chats:
        await queue(sqlite_store, chat, f"{chat}: part 1", f"{chat}: part 2")
    telegram.set_blocked(5)
    telegram.inject_failures("sendMessage", 1, error_code=429, chat_id=9)
    clock = Clock()
    limits = DeliveryLimits(rate=1000, private_interval=0, concurrency=2, batch=3)
    sender = Sender(sqlite_store, bot, limits, now=clock)

    report = await sender.drain(10)  # the next batches are claimed while others still send

    assert (report.sent, report.dropped, report.rate_limited) == (20, 2, 1)
    assert report.chats_deactivated == [5]
    assert texts(telegram, 9) == []
    clock.at += timedelta(seconds=1.1)
    assert (await sender.drain(10)).sent == 2
    for chat in chats:
        expected = [] if chat == 5 else [f"{chat}: part 1", f"{chat}: part 2"]
        assert texts(telegram, chat) == expected  # once each, in order
    assert await sqlite_store.outbox_depth() == 0


async def test_a_refused_chats_store_writes_do_not_hold_up_the_others(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await queue(sqlite_store, 1, "refused")
    await queue(sqlite_store, 2, "accepted")
    telegram.inject_failures("sendMessage", 1, error_code=429, chat_id=1)
    other_sent = asyncio.Event()

    class SlowDeferrals:
        """The store, but recording a deferral waits until chat 2 got its message."""

        def __getattr__(self, name: str) -> object:
            return getattr(sqlite_store, name)

        async def defer_outbox(self, *args: object, **kwargs: object) -> None:
            await other_sent.wait()
            await sqlite_store.defer_outbox(*args, **kwargs)  # type: ignore[arg-type]

    async def watch() -> None:
        await telegram.wait_for_call("sendMessage", lambda c: c.ok, timeout=30)
        other_sent.set()

    watcher = asyncio.create_task(watch())
    one_turn = DeliveryLimits(rate=1000, private_interval=0, concurrency=1)
    sender = Sender(SlowDeferrals(), bot, one_turn)  # type: ignore[arg-type]

    # chat 1 goes first and is refused; were its deferral holding the only turn, chat 2 could
    # never be sent and the deferral would wait for ever
    report = await asyncio.wait_for(sender.drain(30), 30)
    await watcher

    # chat 2's message went first; chat 1's went again in the same drain once its 429 was due
    assert (report.sent, report.rate_limited) == (2, 1)
    assert [m["chat_id"] for m in telegram.sent_messages()] == [2, 1]
    assert texts(telegram, 2) == ["accepted"]
    assert texts(telegram, 1) == ["refused"]


async def test_never_more_than_the_rate_within_any_second_at_the_server(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    for chat in range(1, 46):
        await queue(sqlite_store, chat, f"to {chat}")
    limits = DeliveryLimits(rate=20, private_interval=0)
    report = await Sender(sqlite_store, bot, limits).drain(10)
    assert report.sent == 45
    busiest = busiest_second(telegram.calls_to("sendMessage"))
    assert 18 <= busiest <= 20  # the limit, and not much less


async def test_a_429_due_soon_is_sent_again_in_the_same_drain(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await queue(sqlite_store, 1, "first", "second")
    await queue(sqlite_store, 2, "other")
    telegram.inject_failures("sendMessage", 1, error_code=429, chat_id=1)  # retry after 1 s
    report = await Sender(sqlite_store, bot, FAST).drain(10)
    assert (report.sent, report.rate_limited) == (3, 1)
    assert texts(telegram, 1) == ["first", "second"]
    to_one = [c.at for c in telegram.calls_to("sendMessage") if c.params["chat_id"] == 1]
    refused, resent = to_one[:2]
    assert 1 <= resent - refused < 1.5
    assert await sqlite_store.outbox_depth() == 0


async def test_a_429_due_later_is_left_to_a_later_drain(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    await queue(sqlite_store, 1, "first")
    wait = RETRY_WAIT + 1
    telegram.inject_failures("sendMessage", 1, error_code=429, parameters={"retry_after": wait})
    started = time.monotonic()
    report = await Sender(sqlite_store, bot, FAST).drain(30)
    assert (report.sent, report.rate_limited) == (0, 1)
    assert time.monotonic() - started < 2
    assert await sqlite_store.outbox_depth() == 1


async def test_a_send_is_the_request_bot_send_message_makes(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    """The sender skips building a Message from the answer, not any part of the request."""
    await queue(sqlite_store, 1, "<b>digest</b> &amp; more")
    await Sender(sqlite_store, bot, FAST).drain(5)
    await bot.send_message(
        2,
        "<b>digest</b> &amp; more",
        parse_mode="HTML",
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    sender_call, bot_call = telegram.calls_to("sendMessage")
    assert sender_call.ok and sender_call.params == bot_call.params | {"chat_id": 1}


async def test_sends_through_the_applications_rate_limited_bot(
    sqlite_store: Store, telegram: FakeTelegram
) -> None:
    """Through an ExtBot with PTB's rate limiter too (no warning: they are errors here);
    azby run gives the sender a bot without one (next test)."""
    await queue(sqlite_store, 1, "first")
    await queue(sqlite_store, 2, "second")
    telegram.inject_failures("sendMessage", 1, error_code=429, chat_id=2)
    limiter = AIORateLimiter(max_retries=0)
    async with ExtBot(telegram.token, base_url=telegram.base_url, rate_limiter=limiter) as ext:
        report = await Sender(sqlite_store, ext, FAST).drain(10)
    assert (report.sent, report.rate_limited) == (2, 1)
    assert texts(telegram, 1) == ["first"] and texts(telegram, 2) == ["second"]


async def test_azby_runs_sender_bot_leaves_429s_to_the_sender(
    sqlite_store: Store, telegram: FakeTelegram, tmp_path: Any
) -> None:
    """The application's bot has PTB's rate limiter, which would sleep out a 429 and retry
    inside the sender's send; the sender's own bot hands the 429 to the sender at once."""
    from bot.telegram.app import _outbox_bot
    from tests.auxil.application import application_for

    application = application_for(telegram, tmp_path)
    await queue(sqlite_store, 1, "first")
    telegram.inject_failures("sendMessage", 1, error_code=429, parameters={"retry_after": 30})
    bot = await _outbox_bot(application)
    try:
        assert bot is not application.bot
        report = await Sender(sqlite_store, bot, FAST).drain(5)
    finally:
        await bot.shutdown()
    assert (report.sent, report.rate_limited, report.deferred) == (0, 1, 1)
    assert len(telegram.calls_to("sendMessage")) == 1  # not retried behind the sender's back


async def test_a_drain_claims_a_few_first_then_up_to_a_batch(
    sqlite_store: Store, telegram: FakeTelegram, bot: Bot
) -> None:
    """The first message goes out without waiting for a whole batch's claim."""
    for chat in range(1, 41):
        await queue(sqlite_store, chat, f"to {chat}")
    limits = DeliveryLimits(rate=1000, private_interval=0, concurrency=2, batch=30)
    asked: list[int] = []

    class Recording:
        def __getattr__(self, name: str) -> object:
            return getattr(sqlite_store, name)

        async def claim_outbox(self, now: datetime, *, limit: int, reclaim_before: datetime) -> Any:
            asked.append(limit)
            return await sqlite_store.claim_outbox(now, limit=limit, reclaim_before=reclaim_before)

    report = await Sender(Recording(), bot, limits).drain(10)  # type: ignore[arg-type]
    assert report.sent == 40 and len(telegram.sent_messages()) == 40
    assert asked[:3] == [4, 16, 30]  # then a batch each, until none is left
