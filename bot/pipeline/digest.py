"""Stories and digests from stored articles: pure composition, no rendering.

A story is the articles sharing a ``cluster``; it shows its best article (highest relevance,
then earliest) and lists the other outlets. A digest ranks stories and groups them by their
first topic in taxonomy order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import Article, Subscription, Topic

__all__ = [
    "Digest",
    "DigestPool",
    "Section",
    "Story",
    "compose_digest",
    "group_stories",
    "next_digest_at",
    "time_of_day",
    "time_zone",
]


@dataclass(frozen=True, slots=True)
class Story:
    """One event, possibly told by several outlets."""

    article: Article
    others: tuple[Article, ...] = ()

    @property
    def topics(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for article in (self.article, *self.others):
            seen.update(dict.fromkeys(article.topics))
        return tuple(seen)

    @property
    def latest(self) -> datetime:
        return max(a.published for a in (self.article, *self.others))

    @property
    def other_outlets(self) -> tuple[str, ...]:
        """Feeds other than the best article's that carried the story, without repeats."""
        names = dict.fromkeys(a.feed for a in self.others if a.feed and a.feed != self.article.feed)
        return tuple(names)


@dataclass(frozen=True, slots=True)
class Section:
    """Stories under one topic header (``topic`` None: stories with no topic)."""

    topic: Topic | None
    stories: tuple[Story, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    """What a chat gets for a period."""

    since: datetime
    until: datetime
    sections: tuple[Section, ...]

    @property
    def count(self) -> int:
        return sum(len(s.stories) for s in self.sections)


def group_stories(articles: Sequence[Article]) -> list[Story]:
    """Group articles into stories (by ``cluster``; an article without one is its own story),
    newest story first."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(article.cluster or f"article:{article.id}", []).append(article)
    stories = []
    for members in groups.values():
        ranked = sorted(members, key=lambda a: (-a.relevance_score, a.published, a.id))
        stories.append(Story(article=ranked[0], others=tuple(ranked[1:])))
    stories.sort(key=lambda s: (s.latest, s.article.id), reverse=True)
    return stories


class DigestPool:
    """The stories of a set of articles, grouped and ranked once, from which any number of
    personalised digests are composed cheaply (a digest tick builds one per batch of chats).
    """

    def __init__(self, articles: Sequence[Article]) -> None:
        stories = group_stories([a for a in articles if a.relevant])
        stories.sort(key=lambda s: (s.article.relevance_score, s.latest), reverse=True)
        self._ranked = [
            (story, frozenset(story.topics), (story.article, *story.others)) for story in stories
        ]

    def compose(
        self,
        topics: Sequence[Topic],
        *,
        since: datetime,
        until: datetime,
        max_stories: int = 10,
        only_topics: Sequence[str] = (),
        oldest: datetime | None = None,
    ) -> Digest:
        """See :func:`compose_digest`."""
        wanted = frozenset(only_topics)
        stories: list[Story] = []
        for story, story_topics, told_by in self._ranked:
            if wanted and not wanted & story_topics:
                continue
            if any(
                since <= a.fetched < until and (oldest is None or a.published >= oldest)
                for a in told_by
            ):
                stories.append(story)
                if len(stories) == max_stories:
                    break
        order = [t for t in topics if not wanted or t.key in wanted]
        sections: list[Section] = []
        placed: set[int] = set()
        for topic in order:
            members = tuple(s for s in stories if id(s) not in placed and topic.key in s.topics)
            placed.update(id(s) for s in members)
            if members:
                sections.append(
                    Section(topic, tuple(sorted(members, key=lambda s: s.latest, reverse=True)))
                )
        rest = tuple(s for s in stories if id(s) not in placed)
        if rest:
            sections.append(Section(None, rest))
        return Digest(since=since, until=until, sections=tuple(sections))


def compose_digest(
    articles: Sequence[Article],
    topics: Sequence[Topic],
    *,
    since: datetime,
    until: datetime,
    max_stories: int = 10,
    only_topics: Sequence[str] = (),
    oldest: datetime | None = None,
) -> Digest:
    """The digest of the stories with a relevant article first seen in ``[since, until)``.

    The period is about when azby stored an article, not its publication date: an article
    published before the last digest but polled after it still gets its turn. ``oldest``
    drops articles published before it (a feed's old backlog). Stories are ranked by
    relevance then recency and capped at ``max_stories``; each lands in the section of its
    first topic (in taxonomy order, or among ``only_topics`` when given). For many digests
    from the same articles, build one :class:`DigestPool` and call its ``compose``.
    """
    return DigestPool(articles).compose(
        topics,
        since=since,
        until=until,
        max_stories=max_stories,
        only_topics=only_topics,
        oldest=oldest,
    )


def time_of_day(value: str) -> str | None:
    """``9:05`` or ``09:05`` as ``09:05``; None when it is no time of day."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return f"{int(match[1]):02d}:{match[2]}"


def time_zone(name: str) -> ZoneInfo | None:
    """The IANA time zone ``name`` (``Asia/Baku``), or None when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # UnicodeError is a ValueError
        return None


def next_digest_at(subscription: Subscription, after: datetime) -> datetime | None:
    """The first digest time strictly after ``after``, in UTC, computed in the chat's own time
    zone so that 09:00 stays 09:00 across DST changes. None when digests are off.

    A local time that does not exist on a spring-forward day (02:30 in a skipped hour) is sent
    at the same wall-clock offset after the gap, as zoneinfo reads it (fold=0).
    """
    if subscription.frequency == "off":
        return None
    zone = ZoneInfo(subscription.timezone)
    hour, minute = (int(part) for part in subscription.time_of_day.split(":"))
    local = after.astimezone(zone)
    day = local.date()
    for _ in range(15):
        candidate = datetime.combine(day, time(hour, minute), zone)
        # normalise through UTC: a time in a DST gap becomes a real instant
        candidate = candidate.astimezone(UTC)
        weekly_ok = subscription.frequency != "weekly" or day.weekday() == (
            subscription.weekday or 0
        )
        if candidate > after and weekly_ok:
            return candidate
        day += timedelta(days=1)
    raise AssertionError("a digest time exists within 15 days")
