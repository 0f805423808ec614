"""Admin notices through the outbox: each occurrence once per admin, at most max_per_hour an
hour, on both backends; delivery failures counted across the outbox."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram import Bot

from bot.config import NoticeSettings, load_settings, parse_feeds_yaml
from bot.deliver.limits import DeliveryLimits
from bot.deliver.sender import Sender
from bot.jobs import queue_delivery_notice, queue_feed_notices
from bot.models import Chat, FeedConfig
from bot.telegram.handlers import Services
from bot.telegram.notices import Notice, queue_notices
from storage import Store
from tests.auxil.fake_telegram import FakeTelegram

NOW = datetime.now(UTC).replace(microsecond=0)
SETTINGS = NoticeSettings(max_per_hour=2, delivery_failures=3)


def notices(*keys: str) -> list[Notice]:
    return [Notice(key, f"text of {key}") for key in keys]


async def queued(store: Store) -> list[tuple[int, str]]:
    claimed = await store.claim_outbox(NOW + timedelta(hours=3), limit=100, reclaim_before=NOW)
    return sorted((m.chat_id, m.text) for m in claimed)


async def test_each_notice_once_per_admin_within_the_hourly_cap(store: Store) -> None:
    admins = frozenset({11, 22})
    assert await queue_notices(store, admins, notices("notice:a"), NOW, SETTINGS) == 2
    # another cycle or another process sees the same trouble: nothing new
    assert await queue_notices(store, admins, notices("notice:a"), NOW, SETTINGS) == 0
    # two more this hour: the cap (2) lets one through per admin, the other waits
    assert await queue_notices(store, admins, notices("notice:b", "notice:c"), NOW, SETTINGS) == 2
    assert await queued(store) == [
        (11, "text of notice:a"), (11, "text of notice:b"),
        (22, "text of notice:a"), (22, "text of notice:b"),
    ]  # fmt: skip
    # an hour later there is room again: the held-back notice goes out, the others not twice
    later = NOW + timedelta(hours=1, minutes=1)
    again = notices("notice:a", "notice:b", "notice:c")
    assert await queue_notices(store, admins, again, later, SETTINGS) == 2


async def test_no_admins_configured_is_logged_not_raised(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert await queue_notices(store, frozenset(), notices("notice:x"), NOW, SETTINGS) == 0
    assert "no AZBY_ADMIN_IDS" in caplog.text
    assert await store.outbox_depth() == 0


async def test_feed_notices_from_the_stored_feed_state(store: Store) -> None:
    config = parse_feeds_yaml(
        "feeds: []\npoll: {pause_after: 3d}\nnotices: {feed_failing: 24h}\n", Path("feeds.yaml")
    )
    settings = replace(load_settings({}), admin_ids=frozenset({11}))
    services = Services(settings, config, store)
    await store.sync_feeds(
        [FeedConfig("Fine", "https://a.az/rss"), FeedConfig("Broken", "https://b.az/rss"),
         FeedConfig("Dead", "https://c.az/rss")],
        NOW,
    )  # fmt: skip
    by_name = {f.name: f.id for f in await store.list_feeds()}
    started = NOW - timedelta(days=4)
    await store.record_fetch(by_name["Broken"], NOW - timedelta(hours=30), error="HTTP 500")
    await store.record_fetch(by_name["Broken"], NOW, error="HTTP 500")
    await store.record_fetch(by_name["Dead"], started, error="connection refused")
    await store.pause_feed(by_name["Dead"], NOW - timedelta(minutes=5), "failing since …")

    assert await queue_feed_notices(services, NOW) == 2
    assert await queue_feed_notices(services, NOW + timedelta(minutes=1)) == 0
    texts = [text for _, text in await queued(store)]
    assert len(texts) == 2
    assert any("Feed <b>Broken</b> has been failing for 30 h" in t for t in texts)
    assert any("Feed <b>Dead</b> was paused: it kept failing for 3 days" in t for t in texts)


async def test_failed_deliveries_are_counted_and_notified(store: Store) -> None:
    config = parse_feeds_yaml("feeds: []\nnotices: {delivery_failures: 2}\n", Path("feeds.yaml"))
    settings = replace(load_settings({}), admin_ids=frozenset({99}))
    services = Services(settings, config, store)
    async with FakeTelegram() as telegram, Bot(telegram.token, base_url=telegram.base_url) as bot:
        for chat_id in (1, 2, 3):
            await store.upsert_chat(Chat(chat_id, "private"), NOW)
            await store.enqueue(
                chat_id, kind="digest", period="digest:p", messages=["hello"],
                link_previews=False, now=NOW,
            )  # fmt: skip
        telegram.inject_failures("sendMessage", 1, error_code=502, chat_id=1)
        telegram.inject_failures("sendMessage", 1, error_code=400, chat_id=2)  # refused
        telegram.set_blocked(3)  # a subscriber who blocked the bot: not a delivery failure
        limits = DeliveryLimits(rate=1000, private_interval=0, group_interval=0)
        report = await Sender(store, bot, limits).drain(5)
        assert (report.failed, report.deferred, report.dropped) == (2, 1, 2)
        assert await store.count_delivery_failures(datetime.now(UTC) - timedelta(hours=1)) == 2
        assert await store.count_delivery_failures(datetime.now(UTC) + timedelta(seconds=1)) == 0

        assert await queue_delivery_notice(services, datetime.now(UTC)) == 1
        assert await queue_delivery_notice(services, datetime.now(UTC)) == 0  # once an hour
        await Sender(store, bot, limits).drain(5)
        (notice,) = [m for m in telegram.sent_messages(99)]
        assert str(notice["text"]).startswith("📮 2 message deliveries failed in the last hour")


async def test_old_sent_and_dropped_messages_are_pruned_never_pending_ones(store: Store) -> None:
    old = NOW - timedelta(days=40)
    for chat_id in (1, 2, 3):
        await store.enqueue(
            chat_id, kind="digest", period="digest:old", messages=["x"], link_previews=False,
            now=old,
        )  # fmt: skip
    first, second, _third = await store.claim_outbox(NOW, limit=10, reclaim_before=old)
    await store.finish_outbox([first.id], NOW)
    await store.drop_outbox(second.chat_id, "blocked")
    await store.enqueue(
        4, kind="digest", period="digest:new", messages=["y"], link_previews=False, now=NOW
    )
    await store.finish_outbox([m.id for m in await store.claim_outbox(
        NOW, limit=10, reclaim_before=old) if m.chat_id == 4], NOW)  # fmt: skip
    assert await store.prune_outbox(NOW - timedelta(days=30)) == 2
    # the third (still "sending") stays, and so does the new sent one
    assert await store.outbox_depth() == 1
    assert await store.count_outbox(4, kind="digest", since=old) == 1
