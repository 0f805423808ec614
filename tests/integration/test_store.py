"""The Store contract, run against SQLite and PostgreSQL alike (see the ``store`` fixture)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine

from bot.models import Chat, FeedConfig, NewArticle, Subscription
from storage import StorageError, Store, open_store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def article(url: str, *, published: datetime = NOW, **changes: object) -> NewArticle:
    base = NewArticle(
        url=url,
        title=f"Title of {url}",
        text="Azerbaijan and Belarus signed an agreement.",
        summary="Azerbaijan and Belarus signed an agreement.",
        language="en",
        published=published,
        fetched=NOW,
        relevant=True,
        relevance_score=0.9,
        reason="az: Azerbaijan; by: Belarus",
        topics=("trade",),
        cluster="story-1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def one_feed(store: Store) -> int:
    await store.sync_feeds([FeedConfig("Trend (en)", "https://en.trend.az/rss", "en")], NOW)
    (feed,) = await store.list_feeds()
    return feed.id


class TestFeeds:
    async def test_sync_adds_updates_and_disables(self, store: Store) -> None:
        await store.sync_feeds(
            [
                FeedConfig("A", "https://a.example/rss", "en", timedelta(minutes=15)),
                FeedConfig("B", "https://b.example/rss", None, timedelta(hours=1)),
            ],
            NOW,
        )
        await store.sync_feeds(
            [FeedConfig("A renamed", "https://a.example/rss", "ru", timedelta(minutes=5))], NOW
        )
        feeds = await store.list_feeds()
        assert [(f.name, f.url, f.language, f.interval, f.enabled) for f in feeds] == [
            ("A renamed", "https://a.example/rss", "ru", timedelta(minutes=5), True),
            ("B", "https://b.example/rss", None, timedelta(hours=1), False),
        ]
        assert [f.name for f in await store.list_feeds(enabled_only=True)] == ["A renamed"]

    async def test_sync_moves_a_url_to_a_known_name(self, store: Store) -> None:
        await store.sync_feeds([FeedConfig("A", "https://a.example/rss")], NOW)
        await store.sync_feeds([FeedConfig("A", "https://a.example/feed.xml")], NOW)
        assert [(f.name, f.url) for f in await store.list_feeds()] == [
            ("A", "https://a.example/feed.xml")
        ]

    async def test_record_fetch_keeps_history(self, store: Store) -> None:
        feed_id = await one_feed(store)
        await store.record_fetch(feed_id, NOW, caching='{"etag": "x"}')
        later = NOW + timedelta(minutes=15)
        await store.record_fetch(feed_id, later, error="HTTP 500 Internal Server Error")
        await store.record_fetch(feed_id, later, error="timed out (ReadTimeout)")
        (feed,) = await store.list_feeds()
        assert (feed.caching, feed.last_success_at, feed.last_error, feed.last_error_at) == (
            '{"etag": "x"}',
            NOW,
            "timed out (ReadTimeout)",
            later,
        )
        assert feed.error_count == 2
        await store.record_fetch(feed_id, later, not_modified=True)
        (feed,) = await store.list_feeds()
        assert (feed.error_count, feed.caching, feed.last_success_at) == (0, '{"etag": "x"}', later)
        await store.record_fetch(feed_id, later, caching=None)  # a 200 without validators
        (feed,) = await store.list_feeds()
        assert feed.caching is None


class TestArticles:
    async def test_add_is_idempotent(self, store: Store) -> None:
        feed_id = await one_feed(store)
        first = await store.add_articles(feed_id, [article("https://x/1"), article("https://x/2")])
        again = await store.add_articles(
            feed_id, [article("https://x/1"), article("https://x/2"), article("https://x/2")]
        )
        assert (len(first), again) == (2, [])
        assert await store.count_articles() == 2
        known = await store.find_articles(feed_id, ["https://x/1", "https://x/3"], [])
        assert {k.url for k in known} == {"https://x/1"}

    async def test_latest_by_topic_and_relevance(self, store: Store) -> None:
        feed_id = await one_feed(store)
        await store.add_articles(
            feed_id,
            [
                article("https://x/old-trade", published=NOW - timedelta(days=2)),
                article("https://x/new-trade", published=NOW, topics=("trade", "energy")),
                article(
                    "https://x/defence", published=NOW - timedelta(hours=1), topics=("defence",)
                ),
                article("https://x/irrelevant", relevant=False, relevance_score=0.0),
            ],
        )
        trade = await store.latest_articles(topics=["trade"])
        assert [a.url for a in trade] == ["https://x/new-trade", "https://x/old-trade"]
        assert trade[0].topics == ("energy", "trade")
        assert trade[0].feed == "Trend (en)"
        assert trade[0].published == NOW
        recent = await store.latest_articles(since=NOW - timedelta(hours=3))
        assert [a.url for a in recent] == ["https://x/new-trade", "https://x/defence"]
        everything = await store.latest_articles(relevant_only=False, limit=100)
        assert len(everything) == 4
        assert await store.count_articles(relevant_only=True) == 3

    async def test_iter_articles_streams_everything_in_order(self, store: Store) -> None:
        feed_id = await one_feed(store)
        urls = [f"https://x/{i:04d}" for i in range(1203)]
        await store.add_articles(feed_id, [article(u) for u in urls])
        seen = [a.url async for a in store.iter_articles()]
        assert seen == urls

    async def test_recent_story_heads(self, store: Store) -> None:
        feed_id = await one_feed(store)
        await store.add_articles(
            feed_id,
            [
                article("https://x/a", cluster="s1", published=NOW - timedelta(days=5)),
                article("https://x/b", cluster="s2", published=NOW - timedelta(hours=2)),
                article("https://x/c", cluster="s3", relevant=False, relevance_score=0.0),
            ],
        )
        heads = await store.recent_story_heads(NOW - timedelta(hours=72))
        assert [(h.story, h.title, h.published, h.language) for h in heads] == [
            ("s2", "Title of https://x/b", NOW - timedelta(hours=2), "en")
        ]
        assert heads[0].text == "Azerbaijan and Belarus signed an agreement."

    async def test_unicode_survives(self, store: Store) -> None:
        feed_id = await one_feed(store)
        title = "Товарооборот Беларуси и Азербайджана — Azərbaycan ilə ticarət 🇦🇿"
        await store.add_articles(feed_id, [article("https://x/u", title=title)])
        (stored,) = await store.latest_articles()
        assert stored.title == title


class TestChats:
    async def test_subscribe_update_unsubscribe(self, store: Store) -> None:
        await store.upsert_chat(Chat(42, "private", "Ann"), NOW)
        sub = Subscription(
            42, "08:30", "Europe/Minsk", ("trade",), last_digest_at=NOW, created_at=NOW
        )
        assert await store.subscribe(sub, NOW) is True
        assert await store.subscribe(replace(sub, topics=()), NOW) is False
        assert await store.get_subscription(42) == replace(sub, topics=())
        assert await store.active_subscriptions() == [replace(sub, topics=())]
        stored = await store.get_subscription(42)
        assert stored is not None and stored.last_digest_at == NOW
        assert await store.unsubscribe(42) is True
        assert await store.unsubscribe(42) is False
        assert await store.get_subscription(42) is None

    async def test_inactive_chats_get_no_digest(self, store: Store) -> None:
        await store.upsert_chat(Chat(1, "private"), NOW)
        await store.subscribe(Subscription(1), NOW)
        await store.set_chat_active(1, False, NOW)
        assert await store.active_subscriptions() == []
        assert await store.get_chat(1) == Chat(1, "private", None, active=False)
        await store.update_chat_settings(1, language="az", link_previews=True)
        chat = await store.get_chat(1)
        assert chat is not None and (chat.language, chat.link_previews) == ("az", True)
        await store.upsert_chat(Chat(1, "private"), NOW)  # /start again
        assert [s.chat_id for s in await store.active_subscriptions()] == [1]

    async def test_migrate_chat_moves_the_subscription(self, store: Store) -> None:
        await store.upsert_chat(Chat(-100, "group", "Team"), NOW)
        await store.subscribe(Subscription(-100, topics=("defence",)), NOW)
        await store.migrate_chat(-100, -1001234, NOW)
        assert [(s.chat_id, s.topics) for s in await store.active_subscriptions()] == [
            (-1001234, ("defence",))
        ]
        assert await store.get_chat(-1001234) == Chat(-1001234, "supergroup", "Team", True)


async def test_naive_datetimes_are_refused(store: Store) -> None:
    feed_id = await one_feed(store)
    with pytest.raises(StorageError):
        await store.add_articles(feed_id, [article("https://x/n", published=datetime(2026, 1, 1))])


async def test_reopen_keeps_data_and_skips_migrations(database_url: str) -> None:
    first = await open_store(database_url)
    await first.sync_feeds([FeedConfig("A", "https://a.example/rss")], NOW)
    await first.close()
    second = await open_store(database_url)
    try:
        assert [f.name for f in await second.list_feeds()] == ["A"]
    finally:
        await second.close()


async def test_bad_database_url_is_one_clear_error() -> None:
    with pytest.raises(StorageError, match="not a SQLAlchemy URL"):
        await open_store("not a url")
    with pytest.raises(StorageError, match="unsupported database 'mysql'"):
        await open_store("mysql://root@127.0.0.1/test")


async def test_unreachable_postgres_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="opening the database"):
        await open_store("postgresql+asyncpg://nobody@127.0.0.1:1/none")


class TestOutbox:
    async def subscribed(self, store: Store, chat_id: int, due: datetime) -> Subscription:
        await store.upsert_chat(Chat(chat_id, "private"), NOW)
        await store.subscribe(Subscription(chat_id, next_digest_at=due), NOW)
        subscription = await store.get_subscription(chat_id)
        assert subscription is not None
        return subscription

    async def test_due_subscriptions_is_one_ordered_query(self, store: Store) -> None:
        for chat_id, hours in ((1, 2), (2, -1), (3, -3), (4, 0)):
            await self.subscribed(store, chat_id, NOW + timedelta(hours=hours))
        await store.set_chat_active(4, False, NOW)
        due = await store.due_subscriptions(NOW, limit=10)
        assert [(s.chat_id, c.id) for s, c in due] == [(3, 3), (2, 2)]
        assert [s.chat_id for s, _ in await store.due_subscriptions(NOW, limit=1)] == [3]

    async def test_a_digest_is_queued_once(self, store: Store) -> None:
        sub = await self.subscribed(store, 1, NOW)
        nxt = NOW + timedelta(days=1)
        queued = await store.queue_digest(
            sub,
            sent_at=NOW,
            next_at=nxt,
            period="digest:x",
            messages=["a", "b"],
            link_previews=False,
        )
        again = await store.queue_digest(
            sub,
            sent_at=NOW,
            next_at=nxt,
            period="digest:x",
            messages=["a", "b"],
            link_previews=False,
        )
        assert (queued, again) == (True, False)  # the second process lost the race
        assert await store.due_subscriptions(NOW, limit=10) == []
        stored = await store.get_subscription(1)
        assert stored is not None and (stored.last_digest_at, stored.next_digest_at) == (NOW, nxt)
        assert await store.outbox_depth() == 2

    async def test_claim_send_defer_drop(self, store: Store) -> None:
        await store.enqueue(
            1, kind="digest", period="p", messages=["1", "2", "3"], link_previews=False, now=NOW
        )
        await store.enqueue(
            2, kind="alert", period="q", messages=["x"], link_previews=True, now=NOW
        )
        assert (
            await store.enqueue(
                2, kind="alert", period="q", messages=["x"], link_previews=True, now=NOW
            )
            == 0
        )
        claimed = await store.claim_outbox(NOW, limit=10, reclaim_before=NOW - timedelta(minutes=2))
        assert [(m.chat_id, m.part, m.text) for m in claimed] == [
            (1, 0, "1"),
            (1, 1, "2"),
            (1, 2, "3"),
            (2, 0, "x"),
        ]
        assert (
            await store.claim_outbox(NOW, limit=10, reclaim_before=NOW - timedelta(minutes=2)) == []
        )
        first, second, _third, alert = claimed
        await store.finish_outbox([first.id], NOW)
        await store.defer_outbox(second, NOW + timedelta(seconds=5), "429: retry after 5")
        await store.drop_outbox(2, "blocked", message_id=alert.id)
        assert await store.outbox_depth() == 2
        # the deferred part and the part after it wait together, in order
        assert (
            await store.claim_outbox(NOW + timedelta(seconds=1), limit=10, reclaim_before=NOW) == []
        )
        later = await store.claim_outbox(NOW + timedelta(seconds=5), limit=10, reclaim_before=NOW)
        assert [(m.part, m.attempts) for m in later] == [(1, 1), (2, 0)]

    async def test_enqueue_many_queues_each_chat_once_in_one_call(self, store: Store) -> None:
        await store.enqueue(
            3, kind="broadcast", period="b", messages=["hi"], link_previews=False, now=NOW
        )
        queued = await store.enqueue_many(
            [1, 2, 3], kind="broadcast", period="b", messages=["hi"], link_previews=False, now=NOW
        )
        assert queued == 2  # chat 3 already had it
        assert (
            await store.enqueue_many(
                [], kind="broadcast", period="b", messages=["hi"], link_previews=False, now=NOW
            )
            == 0
        )
        claimed = await store.claim_outbox(NOW, limit=10, reclaim_before=NOW - timedelta(minutes=2))
        assert sorted((m.chat_id, m.text) for m in claimed) == [(1, "hi"), (2, "hi"), (3, "hi")]

    async def test_messages_of_a_dead_sender_are_reclaimed(self, store: Store) -> None:
        await store.enqueue(
            1, kind="digest", period="p", messages=["1"], link_previews=False, now=NOW
        )
        (message,) = await store.claim_outbox(
            NOW, limit=10, reclaim_before=NOW - timedelta(minutes=2)
        )
        assert (
            await store.claim_outbox(
                NOW + timedelta(minutes=1), limit=10, reclaim_before=NOW - timedelta(minutes=1)
            )
            == []
        )
        (again,) = await store.claim_outbox(
            NOW + timedelta(minutes=3), limit=10, reclaim_before=NOW + timedelta(minutes=1)
        )
        assert again.id == message.id

    async def test_a_chat_waits_for_its_earlier_message(self, store: Store) -> None:
        await store.enqueue(
            1, kind="digest", period="p", messages=["1", "2"], link_previews=False, now=NOW
        )
        await store.enqueue(
            2, kind="digest", period="p", messages=["x"], link_previews=False, now=NOW
        )
        (first,) = await store.claim_outbox(NOW, limit=1, reclaim_before=NOW)
        rest = await store.claim_outbox(NOW, limit=10, reclaim_before=NOW - timedelta(minutes=2))
        assert (first.text, [m.text for m in rest]) == ("1", ["x"])  # "2" waits behind "1"

    async def test_moving_to_a_chat_that_has_the_same_digest_queued(self, store: Store) -> None:
        await store.enqueue(
            -5, kind="digest", period="p", messages=["old"], link_previews=False, now=NOW
        )
        await store.enqueue(
            -1005, kind="digest", period="p", messages=["new"], link_previews=False, now=NOW
        )
        await store.enqueue(
            -5, kind="alert", period="a", messages=["alert"], link_previews=False, now=NOW
        )
        await store.move_outbox(-5, -1005)
        claimed = await store.claim_outbox(NOW, limit=10, reclaim_before=NOW)
        assert sorted((m.chat_id, m.text) for m in claimed) == [(-1005, "alert"), (-1005, "new")]

    async def test_a_blocked_chat_loses_its_queue_and_a_migrated_one_keeps_it(
        self, store: Store
    ) -> None:
        await store.enqueue(
            1, kind="digest", period="p", messages=["1", "2"], link_previews=False, now=NOW
        )
        await store.enqueue(
            -5, kind="digest", period="p", messages=["g"], link_previews=False, now=NOW
        )
        assert await store.drop_outbox(1, "Forbidden: bot was blocked by the user") == 2
        await store.move_outbox(-5, -1005)
        (moved,) = await store.claim_outbox(NOW, limit=10, reclaim_before=NOW)
        assert (moved.chat_id, moved.text) == (-1005, "g")


def test_migrations_match_the_schema(tmp_path: object) -> None:
    """The Alembic migrations create exactly the tables ``storage.schema`` declares."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage._search import include_name
    from storage._sql import upgrade
    from storage.schema import metadata

    engine = create_engine(f"sqlite:///{tmp_path}/m.sqlite3")
    with engine.begin() as connection:
        upgrade(connection)
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []


def test_the_head_revision_is_alembics_and_an_up_to_date_database_skips_alembic(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``head_revision`` reads what Alembic reads; an up-to-date database is not handed to
    Alembic at all (its import alone costs every azby command 0.6 s)."""
    import sys

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storage import _sql

    config = Config()
    config.set_main_option("script_location", str(_sql._MIGRATIONS))
    assert _sql.head_revision() == ScriptDirectory.from_config(config).get_current_head()
    engine = create_engine(f"sqlite:///{tmp_path}/h.sqlite3")
    with engine.begin() as connection:
        _sql.upgrade(connection)  # a new database: Alembic migrates it
    monkeypatch.setitem(sys.modules, "alembic", None)  # importing it now fails
    with engine.begin() as connection:
        _sql.upgrade(connection)
        assert _sql._stored_revision(connection) == _sql.head_revision()
    engine.dispose()
