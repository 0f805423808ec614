"""Stories: group articles that tell the same story, by the words of their titles.

A first, honest version: two titles are the same story when their sets of significant
words (``story_key``) overlap with Jaccard similarity of at least 0.5 and the articles
were published within a window of each other. It does not match a story across
languages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

__all__ = ["DEFAULT_WINDOW", "SIMILARITY_THRESHOLD", "assign_clusters", "story_key"]

SIMILARITY_THRESHOLD = 0.5
DEFAULT_WINDOW = timedelta(hours=72)
# Words are cut to this many characters: a crude stem that joins "Belarusian" and
# "Belarus", "товарооборота" and "товарооборот".
_STEM_LENGTH = 6

_STOPWORDS_TEXT = """
    a an and are as at be been by for from has have had in into is it its new of on or over
    says said that the this to was were will with after about amid than more up out
    и в во на с со по к ко о об от до из за для не что как это а но у же при между ли
    его ее её их также года году год более
    və ilə üçün bu da də bir olan olub edib arasında görə ki il ildə daha
"""
# Every article of this beat names both countries, so their names say nothing about which
# story it is.
# Listed by stem: "azerbaijan" also removes "Azerbaijani", "белоруссия" "белорусский".
_BEAT_WORDS_TEXT = "azerbaijan azərbaycan belarus азербайджан беларусь белоруссия"

_TOKEN = re.compile(r"[^\W_]+")
_FOLD = str.maketrans({"ə": "e", "ı": "i", "ё": "е", "\u0307": None})


def _fold(word: str) -> str:
    return word.casefold().translate(_FOLD)


def _stem(word: str) -> str:
    return word[:_STEM_LENGTH]


_STOPWORDS = frozenset(_fold(word) for word in _STOPWORDS_TEXT.split())
_BEAT_STEMS = frozenset(_stem(_fold(word)) for word in _BEAT_WORDS_TEXT.split())


def story_key(title: str) -> frozenset[str]:
    """Return the significant words of a title: folded to lower case, stopwords (en, ru, az)
    and the two countries' names removed, one-letter words dropped, each cut to a short stem.
    """
    tokens = (_fold(token) for token in _TOKEN.findall(title))
    return frozenset(
        _stem(token)
        for token in tokens
        if len(token) > 1 and token not in _STOPWORDS and _stem(token) not in _BEAT_STEMS
    )


def _similar(left: frozenset[str], right: frozenset[str]) -> bool:
    union = left | right
    return bool(union) and len(left & right) / len(union) >= SIMILARITY_THRESHOLD


def _within(left: datetime | None, right: datetime | None, window: timedelta) -> bool:
    return left is None or right is None or abs(left - right) <= window


def assign_clusters(
    items: Sequence[tuple[str, str, datetime | None]],
    window: timedelta = DEFAULT_WINDOW,
) -> list[str]:
    """Group articles into stories; return, for each item, the id of its story's first item.

    ``items`` are ``(id, title, published)`` in arrival order. An item joins the story of
    the earliest previous item whose ``story_key`` has Jaccard similarity of at least
    ``SIMILARITY_THRESHOLD`` with its own and whose publication is within ``window`` of its
    own (a missing date counts as within). Otherwise it starts a story of its own. Titles
    without significant words only join identical titles. Deterministic; O(n²).
    """
    stories: list[str] = []
    seen: list[tuple[frozenset[str], str, datetime | None]] = []
    for item_id, title, published in items:
        key = story_key(title)
        story = item_id
        for index, (other_key, other_title, other_published) in enumerate(seen):
            same_words = (
                _similar(key, other_key)
                if key or other_key
                else _fold(title.strip()) == _fold(other_title.strip())
            )
            if same_words and _within(published, other_published, window):
                story = stories[index]
                break
        stories.append(story)
        seen.append((key, title, published))
    return stories
