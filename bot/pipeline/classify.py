"""Classification: everything the pipeline says about one article, in one call."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import Classification, Topic
from bot.pipeline.cues import strip_datelines
from bot.pipeline.facts import extract_facts_from
from bot.pipeline.language import detect_language
from bot.pipeline.relevance import assess_sentences, prepare_sentences
from bot.pipeline.summary import summarise_sentences
from bot.pipeline.text import fix_homoglyphs, remove_boilerplate
from bot.pipeline.topics import tag_topics

__all__ = ["MAX_TEXT", "classify"]

# Beyond this many characters a "text" is a whole page or a dump, not an article: the
# story is told long before, and every stage stays fast on what remains.
MAX_TEXT = 50_000
# py3langid is as sure of the language after a paragraph as after a page, and costs per
# character.
_LANGUAGE_SAMPLE = 300


def classify(
    title: str,
    text: str,
    topics: Sequence[Topic],
    language_hint: str | None = None,
    summary_limit: int = 350,
) -> Classification:
    """Classify one article given its title and plain text (not HTML: see ``html_to_text``).

    Boilerplate is removed first (from the first ``MAX_TEXT`` characters), words mixing
    Latin and Cyrillic look-alikes are written in one script, then: relevance
    (about a relation between the two countries, see ``assess_relevance``), the language
    of title and text (``language_hint``, e.g. the feed's language, when unsure), and when
    the article names both countries (score above 0): topics, a content-chosen summary of at
    most ``summary_limit`` characters in that language and the money amounts and percentages
    it reports (``extract_facts``). An article that does not name both countries (most of any
    feed) gets no topics, no facts and its lead as summary: it never becomes a story.
    """
    body = fix_homoglyphs(remove_boilerplate(text[:MAX_TEXT]))
    title = fix_homoglyphs(title)
    # Every stage reads the same sentences: split once.
    sentences = prepare_sentences(body)
    relevance = assess_sentences(strip_datelines(title), sentences)
    language = detect_language(f"{title}\n{body[:_LANGUAGE_SAMPLE]}", language_hint)
    if relevance.score == 0:
        # most of a feed names at most one of the two countries: it is stored, never shown
        # as a story, so it gets no topics and its lead as summary (a third of the work)
        return Classification(
            relevant=False,
            relevance_score=0.0,
            reason=relevance.reason,
            topics=(),
            summary=_lead(title, sentences, summary_limit),
            language=language,
        )
    return Classification(
        relevant=relevance.relevant,
        relevance_score=relevance.score,
        reason=relevance.reason,
        topics=tag_topics(title, body, topics),
        summary=summarise_sentences(title, sentences, summary_limit),
        language=language,
        facts=extract_facts_from(title, sentences),
    )


def _lead(title: str, sentences: Sequence[str], limit: int) -> str:
    """The leading sentences within ``limit`` (never cut mid-word); the title without text."""
    lead = ""
    for sentence in sentences:
        candidate = f"{lead} {sentence}".strip()
        if len(candidate) > limit:
            break
        lead = candidate
    if lead:
        return lead
    text = sentences[0] if sentences else title
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
