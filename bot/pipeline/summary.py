"""Summary: the leading sentences of an article, within a length limit (extractive)."""

from __future__ import annotations

import re

from bot.pipeline.text import remove_boilerplate, split_sentences

__all__ = ["ELLIPSIS", "summarise"]

ELLIPSIS = "…"

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
_LEADING_MARKER = re.compile(r"^\s*[^\W\d_]{2,12}\s*:\s*(?=\S)")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def _repeats_title(sentence: str, title: str) -> bool:
    """True when the sentence adds no word beyond the title (a repeated headline)."""
    title_words = _words(title)
    sentence_words = _words(sentence)
    if not title_words or not sentence_words:
        return False
    if sentence_words <= title_words:
        return True
    # "VIDEO: New opportunities …" as a title, "New opportunities …" as the first line.
    return _words(_LEADING_MARKER.sub("", title)) == _words(_LEADING_MARKER.sub("", sentence))


def _shorten(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary, ending with "…"."""
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    room = text[: limit - len(ELLIPSIS) + 1]  # one extra character: is the cut at a space?
    cut = room.rfind(" ")
    # Not even the first word fits: "…" alone rather than half a word.
    return text[: max(cut, 0)].rstrip(" ,;:–—-") + ELLIPSIS


def summarise(title: str, text: str, limit: int = 300) -> str:
    """Summarise an article as its leading sentences, at most ``limit`` characters long.

    Page boilerplate is removed first (``remove_boilerplate``) and a first sentence that
    merely repeats the title is skipped. Whole sentences are taken while they fit; when
    even the first does not, it is cut at a word boundary and ends with "…" (just "…" when
    not even its first word fits). An article
    without text is summarised by its title, shortened the same way.
    """
    sentences = split_sentences(remove_boilerplate(text))
    if sentences and _repeats_title(sentences[0], title):
        sentences = sentences[1:]
    if not sentences:
        return _shorten(title, limit)
    summary = ""
    for sentence in sentences:
        candidate = f"{summary} {sentence}" if summary else sentence
        if len(candidate) > limit:
            break
        summary = candidate
    return summary or _shorten(sentences[0], limit)
