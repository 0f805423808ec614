"""A what-if, not a mode of azby: ``azby poll --once`` with its classifying swapped out.

    python bench/_azby_unclassified.py      # same environment as ``azby poll --once``

Everything of the poll runs as usual (fetch with conditional GET, limits and SSRF guard,
parsing, item identity, making the articles, the store) except ``classify``: each article
gets no language detection (the item's or feed's language stands), no text cleaning,
relevance, topics, summary or facts, and so, none being relevant, no story grouping either.
That is the work lemon24/reader's ``update_feeds`` does. The benchmark runs it with
``--what-if`` and prints its figures apart from issue 3's targets, which are checked on the
real poll only: it answers how much of the gap to the 2× target is azby's ingestion and how
much the classification reader never does. In-process classifying only (``poll.workers``
0): a worker process would import the real ``classify``.
"""

from __future__ import annotations

from collections.abc import Sequence

import bot.pipeline.articles
from bot.cli import main
from bot.models import Classification, Topic

REASON = "not classified (benchmark what-if)"


def unclassified(
    title: str,
    text: str,
    topics: Sequence[Topic],
    language_hint: str | None = None,
    summary_limit: int = 350,
) -> Classification:
    """``classify``'s arguments, with no classifying done."""
    return Classification(
        relevant=False,
        relevance_score=0.0,
        reason=REASON,
        topics=(),
        summary="",
        language=language_hint or "",
    )


def swap_classify() -> None:
    """Make ``classify_entries`` (the poll's classifying stage) call ``unclassified``."""
    bot.pipeline.articles.classify = unclassified  # type: ignore[assignment]


if __name__ == "__main__":
    swap_classify()
    raise SystemExit(main(["poll", "--once"]))
