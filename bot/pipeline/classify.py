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
    (about a relation between the two countries, see ``assess_relevance``), topics (tagged
    whether or not the article is relevant: the caller decides what to keep), the language
    of title and text (``language_hint``, e.g. the feed's language, when unsure), a summary
    of at most ``summary_limit`` characters in that language and the money amounts and
    percentages the article reports (``extract_facts``; empty when the article does not
    name both countries, i.e. its relevance score is 0).
    """
    body = fix_homoglyphs(remove_boilerplate(text[:MAX_TEXT]))
    title = fix_homoglyphs(title)
    # Every stage reads the same sentences: split once.
    sentences = prepare_sentences(body)
    relevance = assess_sentences(strip_datelines(title), sentences)
    return Classification(
        relevant=relevance.relevant,
        relevance_score=relevance.score,
        reason=relevance.reason,
        topics=tag_topics(title, body, topics),
        summary=summarise_sentences(title, sentences, summary_limit),
        language=detect_language(f"{title}\n{body[:_LANGUAGE_SAMPLE]}", language_hint),
        # /trade reads facts of relevant articles only; skip the one-country majority
        facts=extract_facts_from(title, sentences) if relevance.score > 0 else (),
    )
