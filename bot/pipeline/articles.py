"""A feed's new items → articles ready to store: the CPU half of a poll, pure and picklable.

``classify_entries`` is what the poll cycle runs in its worker processes (``bot.poll``): it takes
and returns plain dataclasses, so it can cross a process boundary, and reads nothing but its
arguments.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.models import Entry, NewArticle, Topic
from bot.pipeline.classify import classify

__all__ = ["classify_entries", "content_hash"]


def content_hash(entry: Entry) -> str:
    """What a feed says of an item; a change means the article was edited."""
    return hashlib.sha256(f"{entry.title}\n{entry.text}".encode()).hexdigest()


def classify_entries(
    entries: Sequence[Entry],
    full_texts: Mapping[str, str],
    *,
    topics: Sequence[Topic],
    feed_language: str | None,
    threshold: float,
    at: datetime,
) -> list[NewArticle]:
    """Classify ``entries`` (one feed's): ``full_texts`` maps an entry's URL to its page's
    main text when the item is only a teaser; ``at`` stands in for a missing date.
    An article is relevant when its relevance score reaches ``threshold``."""
    articles = []
    for entry in entries:
        full = full_texts.get(entry.url)
        text = full or entry.text
        verdict = classify(entry.title, text, topics, language_hint=entry.language or feed_language)
        articles.append(
            NewArticle(
                url=entry.url,
                title=entry.title,
                text=text,
                teaser=entry.text if full else None,
                summary=verdict.summary,
                language=verdict.language,
                published=entry.published or at,
                fetched=at,
                relevant=verdict.relevance_score >= threshold,
                relevance_score=verdict.relevance_score,
                reason=verdict.reason,
                topics=verdict.topics,
                cluster=None,
                guid=entry.guid,
                content_hash=content_hash(entry),
            )
        )
    return articles
