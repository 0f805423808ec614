"""A what-if, not a mode of azby: ``azby poll --once`` with its classifying stage swapped out.

    python bench/_azby_unclassified.py      # same environment as ``azby poll --once``

Everything of the poll runs as usual (fetch with conditional GET, limits and SSRF guard,
parsing, item identity, the store) except ``classify_entries``: each item is copied into an
article without language detection, text cleaning, relevance, topics, summary or facts, and
so, none being relevant, without story grouping either. That is the work lemon24/reader's
``update_feeds`` does. The benchmark runs it with ``--what-if`` and prints its figures apart
from issue 3's targets, which are checked on the real poll only: it answers how much of the
gap to the 2× target is azby's ingestion and how much the classification reader never does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import bot.poll
from bot.cli import main
from bot.models import Entry, NewArticle
from bot.pipeline.articles import content_hash


def unclassified(
    entries: Sequence[Entry],
    full_texts: Mapping[str, str],
    *,
    feed_language: str | None,
    at: datetime,
    **_classifying: object,  # topics, threshold
) -> list[NewArticle]:
    """``classify_entries``' arguments and articles, with no classifying done."""
    return [
        NewArticle(
            url=entry.url,
            title=entry.title,
            text=full_texts.get(entry.url) or entry.text,
            teaser=entry.text if entry.url in full_texts else None,
            summary="",
            language=entry.language or feed_language or "",
            published=entry.published or at,
            fetched=at,
            relevant=False,
            relevance_score=0.0,
            reason="not classified (benchmark what-if)",
            guid=entry.guid,
            content_hash=content_hash(entry),
        )
        for entry in entries
    ]


if __name__ == "__main__":
    bot.poll.classify_entries = unclassified  # type: ignore[assignment]
    raise SystemExit(main(["poll", "--once"]))
