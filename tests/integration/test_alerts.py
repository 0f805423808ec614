"""Instant alerts: the chosen topics only, each story once, at most alerts_per_hour an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import load_settings, parse_feeds_yaml
from bot.jobs import queue_alerts
from bot.models import Chat, FeedConfig, NewArticle, Subscription
from bot.telegram.handlers import Services
from storage import Store

NOW = datetime.now(UTC)


def article(n: int, topics: tuple[str, ...], story: str) -> NewArticle:
    return NewArticle(
        url=f"https://a.az/{n}", title=f"Azerbaijan and Belarus story {n}", text="Baku, Minsk.",
        summary="Baku and Minsk.", language="en", published=NOW, fetched=NOW, relevant=True,
        relevance_score=0.9, topics=topics, cluster=story,
    )  # fmt: skip


async def test_alerts(sqlite_store: Store) -> None:
    config = parse_feeds_yaml("feeds: []\n", Path("feeds.yaml"))
    services = Services(load_settings({}), config, sqlite_store)
    await sqlite_store.sync_feeds([FeedConfig("Trend", "https://en.trend.az/rss")], NOW)
    (feed,) = await sqlite_store.list_feeds()
    await sqlite_store.add_articles(
        feed.id,
        [
            article(1, ("trade",), "s1"),
            article(2, ("trade",), "s1"),  # the same story from another article
            article(3, ("defence",), "s3"),
            article(4, ("trade", "energy"), "s4"),
            article(5, ("trade",), "s5"),
        ],
    )
    for chat_id, alerts, per_hour in ((1, ("trade",), 2), (2, ("defence",), 3), (3, (), 3)):
        await sqlite_store.upsert_chat(Chat(chat_id, "private"), NOW)
        await sqlite_store.subscribe(
            Subscription(chat_id, alert_topics=alerts, alerts_per_hour=per_hour), NOW
        )
    await sqlite_store.update_chat_settings(2, language="az")

    queued = await queue_alerts(services, since=NOW - timedelta(minutes=1), now=NOW)
    again = await queue_alerts(services, since=NOW - timedelta(minutes=1), now=NOW)
    messages = await sqlite_store.claim_outbox(NOW, limit=50, reclaim_before=NOW)
    by_chat: dict[int, list[str]] = {}
    for message in messages:
        by_chat.setdefault(message.chat_id, []).append(message.text)
    assert (queued, again) == (3, 0)  # chat 1 capped at 2 an hour; nothing twice
    assert sorted(by_chat) == [1, 2]
    assert len(by_chat[1]) == 2 and all("⚡" in text for text in by_chat[1])
    assert by_chat[2][0].startswith("<b>⚡ Azərbaycan–Belarus: yeni xəbər</b>")
    assert "story 3" in by_chat[2][0]

    # stories a chat was already alerted about do not use up its hourly room
    await sqlite_store.subscribe(Subscription(2, alert_topics=("defence",), alerts_per_hour=3), NOW)
    await sqlite_store.add_articles(feed.id, [article(6, ("defence",), "s6")])
    assert await queue_alerts(services, since=NOW - timedelta(minutes=1), now=NOW) == 1
