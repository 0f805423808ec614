"""Summary: the 1–3 sentences of an article that say most, within a length limit.

Extractive and offline: sentences are taken from the article as written (so in its
language) and kept in their order. Each candidate sentence is scored by

- its lead position (news puts the event first): +0.6 for the first, +0.25 the second;
- its centrality: mean TF-IDF cosine similarity to the other sentences (numpy);
- its similarity to the title;
- the figures it holds (sums, percentages, quantities): +0.3;

less a penalty for very short sentences (headings, captions). Page boilerplate is removed
first (``remove_boilerplate``), datelines ("МИНСК, 16 ноября (БЕЛТА) –") and publisher
signatures are dropped, a sentence that merely repeats the title is skipped, and so are
lines without final punctuation (headings, captions) while the article has real sentences. Only the
first ``_MAX_CANDIDATES`` sentences are candidates: a 200 KB page costs no more than a
short article.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.pipeline.cues import strip_datelines
from bot.pipeline.text import remove_boilerplate, split_sentences

__all__ = ["ELLIPSIS", "MAX_SENTENCES", "summarise", "summarise_sentences"]

ELLIPSIS = "…"
MAX_SENTENCES = 3

_MAX_CANDIDATES = 40
_LEAD_BONUS = (0.6, 0.25)
_FIGURE_BONUS = 0.3
_CENTRALITY_WEIGHT = 1.0
_TITLE_WEIGHT = 0.5
_SHORT_WORDS = 5
_SHORT_PENALTY = 0.4
_STEM_LENGTH = 6

_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"[^\W\d_]{3,}")
_SPACE = re.compile(r"\s+")
_FINISHED = re.compile(r"[.!?…][\"'»”’)\]]*$")
_LEADING_MARKER = re.compile(r"^\s*[^\W\d_]{2,12}\s*:\s*(?=\S)")
_FIGURE = re.compile(
    r"\d[\d.,]*\s*(?:%|percent|процент\w*|faiz|млн|млрд|тыс|million|billion|milyon|milyard|"
    r"manat|dollar\w*|доллар\w*|евро|euro|рубл\w*|тонн\w*|ton\w*)"
    r"|[$€£₼]\s?\d",
    re.IGNORECASE,
)


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


def _stems(sentence: str) -> list[str]:
    return [token[:_STEM_LENGTH] for token in _TOKEN.findall(sentence.casefold())]


def _scores(title: str, sentences: list[str]) -> list[float]:
    """Score each sentence for content (see the module docstring)."""
    # imported here: a process that never summarises (the poll's main process when workers
    # classify) never loads numpy (~15 MB)
    import numpy as np

    stems = [_stems(sentence) for sentence in sentences]
    vocabulary: dict[str, int] = {}
    for words in stems:
        for word in words:
            vocabulary.setdefault(word, len(vocabulary))
    count = len(sentences)
    centrality = np.zeros(count)
    title_similarity = np.zeros(count)
    if vocabulary and count > 1:
        matrix = np.zeros((count, len(vocabulary)))
        for row, words in enumerate(stems):
            for word in words:
                matrix[row, vocabulary[word]] += 1.0
        document_frequency = np.count_nonzero(matrix, axis=0)
        matrix *= np.log((count + 1) / (document_frequency + 0.5))
        norms = np.linalg.norm(matrix, axis=1)
        norms[norms == 0] = 1.0
        matrix /= norms[:, None]
        similarity = matrix @ matrix.T
        centrality = (similarity.sum(axis=1) - np.diag(similarity)) / (count - 1)
        peak = centrality.max()
        if peak > 0:
            centrality = centrality / peak
        title_vector = np.zeros(len(vocabulary))
        for word in _stems(title):
            if word in vocabulary:
                title_vector[vocabulary[word]] = 1.0
        if title_vector.any():
            title_similarity = matrix @ (title_vector / np.linalg.norm(title_vector))
    scores = []
    for index, sentence in enumerate(sentences):
        score = _CENTRALITY_WEIGHT * float(centrality[index])
        score += _TITLE_WEIGHT * float(title_similarity[index])
        if index < len(_LEAD_BONUS):
            score += _LEAD_BONUS[index]
        if _FIGURE.search(sentence):
            score += _FIGURE_BONUS
        if len(stems[index]) < _SHORT_WORDS:
            score -= _SHORT_PENALTY
        scores.append(score)
    return scores


def summarise(title: str, text: str, limit: int = 350) -> str:
    """Summarise an article in 1–3 of its own sentences, at most ``limit`` characters long.

    The best-scoring sentence that fits comes first in the choice, then the next best that
    still fit, up to ``MAX_SENTENCES``; the chosen sentences keep the article's order. When
    not even one sentence fits, the best one is cut at a word boundary and ends with "…"
    (just "…" when not even its first word fits). An article without text is summarised
    by its title, shortened the same way. Never raises.
    """
    return summarise_sentences(
        title, split_sentences(strip_datelines(remove_boilerplate(text))), limit
    )


def summarise_sentences(title: str, sentences: Sequence[str], limit: int = 350) -> str:
    """``summarise`` on sentences already split, boilerplate and datelines removed."""
    sentences = list(sentences[:_MAX_CANDIDATES])
    if sentences and _repeats_title(sentences[0], title):
        sentences = sentences[1:]
    if not sentences:
        return _shorten(title, limit)
    # A line without final punctuation is a heading, caption or link: not summary material
    # while the article has real sentences.
    finished = [sentence for sentence in sentences if _FINISHED.search(sentence)]
    sentences = finished or sentences
    if len(sentences) == 1:
        return _shorten(sentences[0], limit)
    scores = _scores(title, sentences)
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    chosen: list[int] = []
    length = 0
    for index in ranked:
        extra = len(sentences[index]) + (1 if chosen else 0)
        if length + extra <= limit:
            chosen.append(index)
            length += extra
            if len(chosen) == MAX_SENTENCES:
                break
    if not chosen:
        return _shorten(sentences[ranked[0]], limit)
    return " ".join(sentences[index] for index in sorted(chosen))
