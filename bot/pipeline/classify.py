"""Classification: everything the pipeline says about one article, in one call."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import Classification, Topic
from bot.pipeline.language import detect_language
from bot.pipeline.relevance import assess_relevance
from bot.pipeline.summary import summarise
from bot.pipeline.text import remove_boilerplate
from bot.pipeline.topics import tag_topics

__all__ = ["classify"]


def classify(
    title: str,
    text: str,
    topics: Sequence[Topic],
    language_hint: str | None = None,
    summary_limit: int = 300,
) -> Classification:
    """Classify one article given its title and plain text (not HTML: see ``html_to_text``).

    Boilerplate is removed first, then: relevance (both countries named), topics (tagged
    whether or not the article is relevant: the caller decides what to keep), the language
    of title and text (``language_hint``, e.g. the feed's language, when unsure) and a
    summary of at most ``summary_limit`` characters.
    """
    body = remove_boilerplate(text)
    relevance = assess_relevance(title, body)
    return Classification(
        relevant=relevance.relevant,
        relevance_score=relevance.score,
        reason=relevance.reason,
        topics=tag_topics(title, body, topics),
        summary=summarise(title, body, summary_limit),
        language=detect_language(f"{title}\n{body}", language_hint),
    )
