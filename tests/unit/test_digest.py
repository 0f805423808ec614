"""Stories and digests: grouping, ranking, sections, and when a chat's digest is due."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import Article, Subscription, Topic
from bot.pipeline.digest import compose_digest, group_stories, next_digest_at

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TOPICS = (
    Topic("trade", "Trade", "trade", ("trade",)),
    Topic("defence", "Defence", "defence", ("army",)),
)


def article(id_: int, **changes: object) -> Article:
    base = Article(
        id=id_,
        feed=f"Outlet {id_}",
        url=f"https://x.az/{id_}",
        title=f"Story {id_}",
        text="",
        summary="",
        language="en",
        published=NOW - timedelta(hours=id_),
        fetched=NOW - timedelta(hours=id_),
        relevant=True,
        relevance_score=0.8,
        topics=("trade",),
        cluster=f"s{id_}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_articles_of_one_cluster_are_one_story_led_by_the_most_relevant() -> None:
    a = article(1, cluster="s", relevance_score=0.7, feed="Trend")
    b = article(2, cluster="s", relevance_score=0.9, feed="BelTA")
    c = article(3, cluster="s", relevance_score=0.7, feed="Trend")
    d = article(4)
    stories = group_stories([a, b, c, d])
    assert [(s.article.id, [o.id for o in s.others]) for s in stories] == [(2, [3, 1]), (4, [])]
    assert stories[0].other_outlets == ("Trend",)


def test_an_article_without_cluster_is_its_own_story() -> None:
    stories = group_stories([article(1, cluster=None), article(2, cluster=None)])
    assert len(stories) == 2


def test_digest_sections_follow_the_taxonomy_and_each_story_appears_once() -> None:
    articles = [
        article(1, topics=("defence", "trade")),
        article(2, topics=("defence",)),
        article(3, topics=()),
        article(4, relevant=False),
        article(30, topics=("trade",)),  # first seen 30 h ago: before `since`
    ]
    digest = compose_digest(articles, TOPICS, since=NOW - timedelta(days=1), until=NOW)
    assert [
        (s.topic.key if s.topic else None, [x.article.id for x in s.stories])
        for s in digest.sections
    ] == [
        ("trade", [1]),
        ("defence", [2]),
        (None, [3]),
    ]
    assert digest.count == 3


def test_the_period_is_when_articles_were_first_seen() -> None:
    late = replace(
        article(1), published=NOW - timedelta(hours=25), fetched=NOW - timedelta(hours=2)
    )
    backlog = replace(
        article(2), published=NOW - timedelta(days=30), fetched=NOW - timedelta(hours=1)
    )
    digest = compose_digest(
        [late, backlog],
        TOPICS,
        since=NOW - timedelta(days=1),
        until=NOW,
        oldest=NOW - timedelta(days=7),
    )
    assert [x.article.id for s in digest.sections for x in s.stories] == [1]


def test_digest_caps_stories_by_rank() -> None:
    articles = [article(i, relevance_score=i / 10) for i in range(1, 6)]
    digest = compose_digest(
        articles, TOPICS, since=NOW - timedelta(days=1), until=NOW, max_stories=2
    )
    assert sorted(s.article.id for s in digest.sections[0].stories) == [4, 5]


def test_digest_for_chosen_topics_only() -> None:
    articles = [article(1, topics=("defence",)), article(2, topics=("trade",))]
    digest = compose_digest(
        articles, TOPICS, since=NOW - timedelta(days=1), until=NOW, only_topics=("defence",)
    )
    assert [[x.article.id for x in s.stories] for s in digest.sections] == [[1]]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # 09:00 in Baku is 05:00 UTC
        (datetime(2026, 11, 23, 4, 59, tzinfo=UTC), datetime(2026, 11, 23, 5, 0, tzinfo=UTC)),
        (datetime(2026, 11, 23, 5, 0, tzinfo=UTC), datetime(2026, 11, 24, 5, 0, tzinfo=UTC)),
    ],
)
def test_next_digest_in_the_chat_time_zone(after: datetime, expected: datetime) -> None:
    assert next_digest_at(Subscription(1, "09:00", "Asia/Baku"), after) == expected


def test_next_digest_across_a_dst_change() -> None:
    # Europe/Berlin leaves summer time on 25 Oct 2026: 08:00 local is 06:00 UTC before, 07:00 after
    subscription = Subscription(1, "08:00", "Europe/Berlin")
    assert next_digest_at(subscription, datetime(2026, 10, 24, 5, 0, tzinfo=UTC)) == datetime(
        2026, 10, 24, 6, 0, tzinfo=UTC
    )
    assert next_digest_at(subscription, datetime(2026, 10, 24, 6, 0, tzinfo=UTC)) == datetime(
        2026, 10, 25, 7, 0, tzinfo=UTC
    )


def test_a_time_in_the_spring_forward_gap_still_comes() -> None:
    subscription = Subscription(1, "02:30", "Europe/Berlin")  # 29 Mar 2026 skips 02:00–03:00
    assert next_digest_at(subscription, datetime(2026, 3, 28, 12, 0, tzinfo=UTC)) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


def test_a_far_time_zone_and_weekly_digests() -> None:
    subscription = Subscription(1, "09:00", "Pacific/Kiritimati", frequency="weekly", weekday=0)
    # Monday 09:00 at UTC+14 is Sunday 19:00 UTC
    assert next_digest_at(subscription, datetime(2026, 11, 23, 12, 0, tzinfo=UTC)) == datetime(
        2026, 11, 29, 19, 0, tzinfo=UTC
    )


def test_no_digest_when_off() -> None:
    assert (
        next_digest_at(Subscription(1, frequency="off"), datetime(2026, 11, 23, tzinfo=UTC)) is None
    )


def test_time_of_day_and_time_zone_as_settings_and_feeds_yaml_read_them() -> None:
    from bot.pipeline.digest import time_of_day, time_zone

    assert [time_of_day(v) for v in ("9:05", "09:05", " 23:59 ", "0:00")] == [
        "09:05", "09:05", "23:59", "00:00",
    ]  # fmt: skip
    assert [time_of_day(v) for v in ("24:00", "9:60", "9:5", "09", "", "nine")] == [None] * 6
    assert time_zone("Europe/Minsk") is not None
    assert [time_zone(v) for v in ("Mars/Olympus", "Europe", "", "../etc", "\x00")] == [None] * 5
