"""Several processes on one database: one leader at a time, feeds and outbox rows claimed once."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bot.leader import Leader
from bot.models import Chat, FeedConfig
from storage import Store, open_store
from storage._leader import LEADER_LOCK
from tests.conftest import _reset_postgres

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
async def postgres_url(postgres_database: str) -> AsyncIterator[str]:
    await _reset_postgres(postgres_database)
    yield postgres_database


async def two_stores(url: str) -> tuple[Store, Store]:
    """Two stores on one database, as two processes would have."""
    return await open_store(url), await open_store(url)


async def kill_leader_session(url: str) -> None:
    """End the server session that holds the leader lock, as a lost connection would."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        ended = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
            " WHERE locktype = 'advisory' AND objid = $1",
            LEADER_LOCK & 0xFFFFFFFF,
        )
    finally:
        await connection.close()
    assert ended == 1


async def test_one_leader_at_a_time_and_the_next_after_a_release(database_url: str) -> None:
    first, second = await two_stores(database_url)
    try:
        lock = await first.take_leader_lock()
        assert lock is not None and await lock.alive()
        assert await second.take_leader_lock() is None
        assert await first.take_leader_lock() is None  # not re-entrant: one holder
        await lock.release()
        await lock.release()  # twice is harmless
        assert not await lock.alive()
        taken = await second.take_leader_lock()
        assert taken is not None and await taken.alive()
        await taken.release()
    finally:
        await first.close()
        await second.close()


async def test_in_memory_sqlite_always_leads() -> None:
    store = await open_store("sqlite+aiosqlite://")
    try:
        lock = await store.take_leader_lock()
        assert lock is not None and await lock.alive()
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_lost_connection_is_a_lost_leadership_and_another_takes_over(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.leader")
    first, second = await two_stores(postgres_url)
    a, b = Leader(first), Leader(second)
    try:
        assert await a.check() and await a.check()  # taken, then confirmed
        assert not await b.check()
        await kill_leader_session(postgres_url)
        assert await b.check()  # the server released the lock with the session
        assert not await a.check() and not a.leading
        messages = [r.getMessage() for r in caplog.records]
        assert [m.split(":")[0] for m in messages] == [
            "leadership taken",
            "standing by",
            "leadership taken",
            "leadership lost",
            "standing by",
        ]
        await b.release()
        assert await a.check()
    finally:
        await a.release()
        await first.close()
        await second.close()


async def test_claimed_feeds_are_not_due_again_before_their_interval(store: Store) -> None:
    feeds = [
        FeedConfig("A", "https://a.example/rss", interval=timedelta(minutes=10)),
        FeedConfig("B", "https://b.example/rss", interval=timedelta(minutes=30)),
    ]
    await store.sync_feeds(feeds, NOW)
    assert [f.name for f in await store.claim_feeds(NOW, due_only=True)] == ["A", "B"]
    assert await store.claim_feeds(NOW, due_only=True) == []  # a fetch that never recorded
    later = NOW + timedelta(minutes=10)
    assert [f.name for f in await store.claim_feeds(later, due_only=True)] == ["A"]
    assert [f.name for f in await store.claim_feeds(later, due_only=False)] == ["A", "B"]


@pytest.mark.postgres
async def test_concurrent_feed_claims_never_share_a_feed(postgres_url: str) -> None:
    first, second = await two_stores(postgres_url)
    try:
        names = [f"feed {n:03d}" for n in range(60)]
        await first.sync_feeds([FeedConfig(n, f"https://{n[5:]}.example/rss") for n in names], NOW)
        for round_ in range(5):
            at = NOW + timedelta(hours=round_)
            a, b = await asyncio.gather(
                first.claim_feeds(at, due_only=True), second.claim_feeds(at, due_only=True)
            )
            assert not {f.id for f in a} & {f.id for f in b}
            assert sorted(f.name for f in [*a, *b]) == names
    finally:
        await first.close()
        await second.close()


@pytest.mark.postgres
async def test_concurrent_outbox_claims_never_share_a_row_nor_a_chat(postgres_url: str) -> None:
    """Two claimers (two processes) claim, hold a while, finish, again; each chat's parts are
    sent in order, each once, and no chat is ever held by both at the same moment."""
    first, second = await two_stores(postgres_url)
    chats, parts = range(1, 41), 5
    try:
        for chat in chats:
            await first.upsert_chat(Chat(chat, "private"), NOW)
            await first.enqueue(
                chat,
                kind="digest",
                period="digest:p",
                messages=[f"{chat}/{n}" for n in range(parts)],
                link_previews=False,
                now=NOW,
            )
        holder: dict[int, str] = {}  # chat → which claimer holds it now
        sent: dict[int, list[str]] = {chat: [] for chat in chats}
        rows: list[int] = []
        rng = random.Random(6)

        async def claimer(name: str, store: Store) -> None:
            idle = 0
            while idle < 20:
                now = datetime.now(UTC)
                batch = await store.claim_outbox(
                    now, limit=rng.randint(1, 7), reclaim_before=now - timedelta(hours=1)
                )
                if not batch:
                    idle += 1
                    await asyncio.sleep(0.01)
                    continue
                idle = 0
                mine = {m.chat_id for m in batch}
                assert not mine & holder.keys(), f"{name} got chats another claimer holds"
                holder.update(dict.fromkeys(mine, name))
                rows.extend(m.id for m in batch)
                await asyncio.sleep(rng.uniform(0, 0.02))  # sending
                for message in batch:
                    sent[message.chat_id].append(message.text)
                for chat in mine:
                    del holder[chat]
                await store.finish_outbox([m.id for m in batch], datetime.now(UTC))

        await asyncio.gather(claimer("first", first), claimer("second", second))
        assert len(rows) == len(set(rows)) == len(chats) * parts
        assert sent == {chat: [f"{chat}/{n}" for n in range(parts)] for chat in chats}
    finally:
        await first.close()
        await second.close()
