"""Feed management in the store (admin commands, import), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from bot.models import Chat, FeedConfig, FeedError, FeedImport, NewArticle, Subscription
from storage import FEED_ERRORS_KEPT, Store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def article(url: str, *, relevant: bool = True, **changes: Any) -> NewArticle:
    base = NewArticle(
        url=url,
        title=f"Title of {url}",
        text="Azerbaijan and Belarus signed an agreement.",
        summary="Azerbaijan and Belarus signed an agreement.",
        language="en",
        published=NOW,
        fetched=NOW,
        relevant=relevant,
        relevance_score=0.9 if relevant else 0.1,
        cluster=url,
    )
    return replace(base, **changes)


def feeds_by_name(feeds: list[Any]) -> dict[str, Any]:
    return {f.name: f for f in feeds}


class TestAddAndRemove:
    async def test_an_added_feed_is_an_admin_feed_due_at_once(self, store: Store) -> None:
        added = await store.add_feed(FeedConfig("Мінск Today", "https://m.example/rss"), NOW)
        assert added is not None
        assert (added.name, added.source, added.enabled, added.next_fetch_at) == (
            "Мінск Today",
            "admin",
            True,
            None,
        )
        assert [f.name for f in await store.list_feeds(enabled_only=True)] == ["Мінск Today"]

    async def test_duplicates_by_url_name_or_redirect_are_refused(self, store: Store) -> None:
        await store.sync_feeds([FeedConfig("Trend", "https://trend.example/rss")], NOW)
        (trend,) = await store.list_feeds()
        assert await store.move_feed(trend.id, "https://trend.example/feed.xml")
        for duplicate in (
            FeedConfig("Other", "https://trend.example/feed.xml"),  # the URL it has now
            FeedConfig("Other", "https://trend.example/rss"),  # the URL it moved from
            FeedConfig("TREND", "https://new.example/rss"),  # the name, in another case
        ):
            assert await store.add_feed(duplicate, NOW) is None
        assert len(await store.list_feeds()) == 1

    async def test_sync_leaves_admin_feeds_alone_until_the_file_lists_them(
        self, store: Store
    ) -> None:
        await store.add_feed(FeedConfig("Admin", "https://admin.example/rss"), NOW)
        await store.sync_feeds([FeedConfig("Config", "https://config.example/rss")], NOW)
        await store.sync_feeds([], NOW)
        by_name = feeds_by_name(await store.list_feeds())
        assert (by_name["Admin"].enabled, by_name["Admin"].source) == (True, "admin")
        assert (by_name["Config"].enabled, by_name["Config"].source) == (False, "config")
        # feeds.yaml now lists the admin feed's URL: the file adopts it, keeping its history
        feed_id = by_name["Admin"].id
        await store.record_fetch(feed_id, NOW, error="HTTP 500")
        await store.sync_feeds([FeedConfig("Admin (file)", "https://admin.example/rss", "ru")], NOW)
        adopted = feeds_by_name(await store.list_feeds())["Admin (file)"]
        assert (adopted.id, adopted.source, adopted.language, adopted.error_count) == (
            feed_id,
            "config",
            "ru",
            1,
        )

    async def test_removing_keeps_the_articles(self, store: Store) -> None:
        added = await store.add_feed(FeedConfig("Gone", "https://gone.example/rss"), NOW)
        assert added is not None
        await store.add_articles(added.id, [article("https://gone.example/1")])
        await store.record_fetch(added.id, NOW, error="HTTP 404 Not Found")
        assert await store.remove_feed(added.id) is True
        assert await store.remove_feed(added.id) is False
        assert await store.list_feeds() == []
        assert await store.feed_errors(added.id) == []
        # a poll that was under way records its result for a feed that is gone: no error
        await store.record_fetch(added.id, NOW, error="HTTP 500")
        assert await store.feed_errors(added.id) == []
        (kept,) = [a async for a in store.iter_articles()]
        assert (kept.url, kept.feed) == ("https://gone.example/1", "")
        # the URL is free again
        assert await store.add_feed(FeedConfig("Gone", "https://gone.example/rss"), NOW)

    async def test_enable_and_disable(self, store: Store) -> None:
        added = await store.add_feed(FeedConfig("A", "https://a.example/rss"), NOW)
        assert added is not None
        await store.set_feed_enabled(added.id, False)
        assert await store.list_feeds(enabled_only=True) == []
        await store.set_feed_enabled(added.id, True)
        assert [f.name for f in await store.list_feeds(enabled_only=True)] == ["A"]


class TestErrorHistory:
    async def test_errors_newest_first_and_pruned(self, store: Store) -> None:
        added = await store.add_feed(FeedConfig("A", "https://a.example/rss"), NOW)
        assert added is not None
        for minute in range(FEED_ERRORS_KEPT + 5):
            await store.record_fetch(added.id, NOW + timedelta(minutes=minute), error=f"e{minute}")
        await store.record_fetch(added.id, NOW + timedelta(hours=2))  # a success adds nothing
        errors = await store.feed_errors(added.id, limit=100)
        assert len(errors) == FEED_ERRORS_KEPT
        last = FEED_ERRORS_KEPT + 4
        assert errors[0] == FeedError(NOW + timedelta(minutes=last), f"e{last}")
        assert errors[-1].error == "e5"
        assert [e.error for e in await store.feed_errors(added.id, limit=2)] == [
            f"e{last}",
            f"e{last - 1}",
        ]


class TestReport:
    async def test_counts_per_feed_in_one_query(self, store: Store) -> None:
        await store.sync_feeds(
            [
                FeedConfig("A", "https://a.example/rss"),
                FeedConfig("B", "https://b.example/rss"),
                FeedConfig("C", "https://c.example/rss"),
            ],
            NOW,
        )
        by_name = feeds_by_name(await store.list_feeds())
        old = NOW - timedelta(days=8)
        await store.add_articles(
            by_name["A"].id,
            [
                article("https://a.example/1"),
                article("https://a.example/2", relevant=False),
                article("https://a.example/3", fetched=old),
            ],
        )
        await store.add_articles(by_name["B"].id, [article("https://b.example/1")])
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(str(args[2]))

        engine = store._engine.sync_engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", count)
        try:
            report = await store.feed_report(NOW - timedelta(days=7))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert [(r.feed.name, r.items, r.relevant) for r in report] == [
            ("A", 2, 1),
            ("B", 1, 1),
            ("C", 0, 0),
        ]
        assert len(statements) == 1


class TestImport:
    async def test_added_updated_and_skipped(self, store: Store) -> None:
        await store.sync_feeds([FeedConfig("Config", "https://config.example/rss")], NOW)
        await store.add_feed(FeedConfig("Admin", "https://admin.example/rss"), NOW)
        await store.add_feed(FeedConfig("Same", "https://same.example/rss"), NOW)
        results = await store.import_feeds(
            [
                FeedConfig("New", "https://new.example/rss", "az", timedelta(hours=1), False),
                FeedConfig("Admin", "https://admin.example/rss", "ru", timedelta(hours=2)),
                FeedConfig("Same", "https://same.example/rss"),
                FeedConfig("Config", "https://config.example/rss", "en"),
                FeedConfig("Config", "https://config.example/rss"),
            ],
            NOW,
        )
        assert results == [
            FeedImport("New", "https://new.example/rss", "added"),
            FeedImport("Admin", "https://admin.example/rss", "updated", "language, interval"),
            FeedImport("Same", "https://same.example/rss", "skipped", "unchanged"),
            FeedImport(
                "Config",
                "https://config.example/rss",
                "skipped",
                "listed in feeds.yaml: change it there",
            ),
            FeedImport("Config", "https://config.example/rss", "skipped", "unchanged"),
        ]
        by_name = feeds_by_name(await store.list_feeds())
        new = by_name["New"]
        assert (new.source, new.language, new.interval, new.enabled) == (
            "admin",
            "az",
            timedelta(hours=1),
            False,
        )
        assert (by_name["Admin"].language, by_name["Admin"].interval) == ("ru", timedelta(hours=2))
        assert by_name["Config"].language is None

    async def test_a_rename_and_a_new_url_by_name(self, store: Store) -> None:
        await store.add_feed(FeedConfig("A", "https://a.example/rss"), NOW)
        await store.add_feed(FeedConfig("B", "https://b.example/rss"), NOW)
        results = await store.import_feeds(
            [
                FeedConfig("A renamed", "https://a.example/rss"),
                FeedConfig("B", "https://b.example/feed.xml"),
                FeedConfig("A renamed", "https://b.example/feed.xml"),
            ],
            NOW,
        )
        assert [(r.action, r.detail) for r in results] == [
            ("updated", "name"),
            ("updated", "url"),
            ("skipped", "the name belongs to another feed (https://a.example/rss)"),
        ]
        assert sorted((f.name, f.url) for f in await store.list_feeds()) == [
            ("A renamed", "https://a.example/rss"),
            ("B", "https://b.example/feed.xml"),
        ]


async def test_stats(store: Store) -> None:
    await store.sync_feeds(
        [FeedConfig("A", "https://a.example/rss"), FeedConfig("B", "https://b.example/rss")],
        NOW,
    )
    by_name = feeds_by_name(await store.list_feeds())
    await store.record_fetch(by_name["A"].id, NOW, error="HTTP 500")
    await store.pause_feed(by_name["B"].id, NOW, "paused by an admin")
    yesterday = NOW - timedelta(days=1)
    await store.add_articles(
        by_name["A"].id,
        [
            article("https://a.example/1", cluster="s1"),
            article("https://a.example/2", cluster="s1"),  # the same story
            article("https://a.example/3", cluster="s2", fetched=yesterday),
            article("https://a.example/4", cluster="s3", relevant=False),
            article("https://a.example/5", cluster="s4", backlog=True),
            article("https://a.example/6", cluster="s5", fetched=NOW - timedelta(days=30)),
        ],
    )
    for chat_id, active in ((1, True), (2, True), (3, False)):
        await store.upsert_chat(Chat(chat_id, "private"), NOW)
        await store.subscribe(Subscription(chat_id), NOW)
        if not active:
            await store.set_chat_active(chat_id, False, NOW)
    await store.enqueue(
        1, kind="broadcast", period="b:1", messages=["x", "y"], link_previews=False, now=NOW
    )
    claimed = await store.claim_outbox(NOW, limit=10, reclaim_before=NOW)
    await store.finish_outbox([claimed[0].id], NOW)
    await store.drop_outbox(1, "Forbidden", message_id=claimed[1].id)
    await store.enqueue(
        2, kind="broadcast", period="b:1", messages=["x"], link_previews=False, now=NOW
    )

    stats = await store.stats(NOW, days=3)
    assert stats.stories_per_day == (("2026-11-18", 0), ("2026-11-19", 1), ("2026-11-20", 1))
    assert stats.since == datetime(2026, 11, 18, tzinfo=UTC)
    assert (stats.chats, stats.active_chats, stats.subscribers) == (3, 2, 2)
    assert (stats.feeds, stats.feeds_failing, stats.feeds_paused) == (2, 1, 1)
    assert (stats.delivered, stats.failed, stats.queued) == (1, 1, 1)
