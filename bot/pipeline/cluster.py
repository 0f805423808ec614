"""Stories: group articles that tell the same story.

- ``story_key``: a title's significant words (the title-only baseline of bench/classify.py).
- ``assign_stories`` (incremental, across outlets and languages): compares a new article
  with every article already grouped or earlier in the batch within the window, using
  script-independent word keys (``bot.pipeline.translit``: Лукашенко = Lukashenko =
  Lukaşenko), shared figures ("412,6" = "412.6"), shared dates ("12 ноября" =
  "November 12") and the difference between a preview and a report ("will visit" vs
  "held talks": never one story).
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import StoryItem
from bot.pipeline.cues import strip_datelines
from bot.pipeline.translit import word_key

__all__ = [
    "DEFAULT_WINDOW",
    "STORY_THRESHOLD",
    "StoryIndex",
    "assign_stories",
    "story_key",
]

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


def _within(left: datetime | None, right: datetime | None, window: timedelta) -> bool:
    return left is None or right is None or abs(left - right) <= window


# --- stories across outlets and languages ----------------------------------------------

STORY_THRESHOLD = 0.3
_LEAD_CHARS = 600  # the lead tells the event; the rest is background every story shares
_FIGURE_CHARS = 1500
_TITLE_WEIGHT = 2.0
_FIGURE_BONUS = 0.2  # per shared figure …
_FIGURE_CAP = 0.4  # … at most
_DATE_BONUS = 0.1
_MIN_WORD = 4
_MIN_SHARED_NAMES = 2
_PER_STORY = 20  # a new article is compared with at most this many of a story's articles
_NAME_WEIGHT = 0.6

_BEAT_PREFIXES = ("azerb", "azərb", "azeri", "азерб", "belar", "белор", "белар", "bilor")
_FUNCTION_WORDS = frozenset(
    [
        "with",
        "that",
        "this",
        "from",
        "have",
        "will",
        "said",
        "also",
        "which",
        "their",
        "there",
        "these",
        "after",
        "about",
        "into",
        "over",
        "than",
        "more",
        "been",
        "were",
        "would",
        "could",
        "they",
        "them",
        "other",
        "such",
        "said",
        "says",
        "year",
        "years",
        "после",
        "между",
        "также",
        "было",
        "была",
        "были",
        "будет",
        "этого",
        "года",
        "году",
        "которые",
        "который",
        "сообщили",
        "время",
        "является",
        "более",
        "того",
        "чтобы",
        "свой",
        "своей",
        "этом",
        "этой",
        "üçün",
        "olan",
        "olub",
        "arasında",
        "görə",
        "edib",
        "bildirib",
        "həmçinin",
        "daha",
        "ilə",
        "olaraq",
        "ildə",
        "ilin",
    ]
)
_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*")
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[ ,\u00a0]\d{3})+|\d+)(?:[.,](\d+))?(?![\w])")
_THOUSANDS = re.compile(r"\s*(?:thousand|тыс\w*|min\b|minlərlə)", re.IGNORECASE)
_MONTHS = (
    ("jan", "январ", "yanvar"), ("feb", "феврал", "fevral"), ("mar", "март", "mart"),
    ("apr", "апрел", "aprel"), ("may", "ма[йяе]", "may"), ("jun", "июн", "iyun"),
    ("jul", "июл", "iyul"), ("aug", "август", "avqust"), ("sep", "сентябр", "sentyabr"),
    ("oct", "октябр", "oktyabr"), ("nov", "ноябр", "noyabr"), ("dec", "декабр", "dekabr"),
)  # fmt: skip
_MONTH_NAME = "|".join(f"(?P<m{i}>{'|'.join(names)})" for i, names in enumerate(_MONTHS))
_DATE_RE = re.compile(
    rf"(?<!\d)(?P<d1>\d{{1,2}})(?:-?(?:ci|cı|cu|cü|го|е))?\s+(?:{_MONTH_NAME})\w*"
    rf"|(?<![\w])(?:{_MONTH_NAME.replace('?P<m', '?P<n')})\w*\.?\s+(?P<d2>\d{{1,2}})(?!\d)",
    re.IGNORECASE,
)
# A preview announces an event ("will visit", "посетит", "səfər edəcək"); a report tells
# it. They are two stories even when every name and date is shared. Only titles that name
# an event are read: "X to boost exports" announces no event to report on later.
_FUTURE = re.compile(
    r"(?<!\w)(?:will|to (?!the |a |an )\w+|plans? to|is expected|are expected|next week|"
    r"upcoming|ahead of|посетит|пройдет|пройдёт|состоится|проведут|проведет|проведёт|"
    r"встретятся|планиру\w*|намерен\w*|ожида\w*|будет|будут|"
    r"\w+(?:acaq|əcək|acaqdır|əcəkdir)|planlaşdır\w*|gözlənilir)(?!\w)",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"(?<!\w)(?:visit\w*|talks|meet\w*|summit|forum|session|conference|commission|match|"
    r"concert|festival|days|exhibition|визит\w*|посети\w*|посещ\w*|переговор\w*|встре\w*|"
    r"саммит\w*|форум\w*|заседани\w*|комисси\w*|матч\w*|концерт\w*|фестивал\w*|дни|"
    r"выставк\w*|səfər\w*|görüş\w*|danışıq\w*|sammit\w*|forum\w*|iclas\w*|komissiya\w*|"
    r"matç\w*|konsert\w*|festival\w*|günləri\w*|sərgi\w*)(?!\w)",
    re.IGNORECASE,
)


def _is_preview(title: str) -> bool:
    return _FUTURE.search(title) is not None and _EVENT.search(title) is not None


@dataclass(frozen=True, slots=True)
class _Features:
    keys: dict[str, float]
    names: frozenset[str]
    figures: frozenset[str]
    dates: frozenset[tuple[int, int]]
    preview: bool


def _figures(text: str) -> frozenset[str]:
    found = set()
    for match in _NUMBER.finditer(text):
        whole = re.sub(r"[ ,\u00a0]", "", match.group(1))
        fraction = match.group(2) or ""
        value = float(f"{whole}.{fraction}" if fraction else whole)
        if _THOUSANDS.match(text, match.end()):
            value *= 1000
        if (value < 10 and not fraction) or (1990 <= value <= 2040 and not fraction):
            continue  # small counts, scores and years are in every other story
        found.add(f"{value:g}")
    return frozenset(found)


def _dates(text: str) -> frozenset[tuple[int, int]]:
    found = set()
    for match in _DATE_RE.finditer(text):
        day = int(match.group("d1") or match.group("d2"))
        names = match.groupdict()
        month = next(
            int(name[1:]) + 1 for name, value in names.items() if value and name[0] in "mn"
        )
        if 1 <= day <= 31:
            found.add((month, day))
    return frozenset(found)


def _keys(text: str, language: str, weight: float, into: dict[str, float], names: set[str]) -> None:
    for word in _WORD_RE.findall(text):
        folded = word.casefold()
        acronym = word.isupper() and len(word) >= 2
        if not acronym and (len(word) < _MIN_WORD or folded in _FUNCTION_WORDS):
            continue
        if folded.startswith(_BEAT_PREFIXES):
            continue
        key = word_key(word, language)
        if key:
            key = sys.intern(key)  # one string per word across a pool's articles
            into[key] = into.get(key, 0.0) + weight
            if word[0].isupper():
                names.add(key)


# each poll cycle indexes the recent articles again: the features of the latest are kept
# (StoryItem is frozen, so equal items share an entry); few enough that their titles and
# texts, which the cache holds, stay a few MB
@functools.lru_cache(maxsize=512)
def _features(item: StoryItem) -> _Features:
    language = (item.language or "en").split("-")[0].lower()
    title = strip_datelines(item.title)
    text = strip_datelines(item.text)
    keys: dict[str, float] = {}
    names: set[str] = set()
    _keys(title, language, _TITLE_WEIGHT, keys, names)
    _keys(text[:_LEAD_CHARS], language, 1.0, keys, names)
    head = f"{title}\n{text[:_FIGURE_CHARS]}"
    return _Features(keys, frozenset(names), _figures(head), _dates(head), _is_preview(title))


class _Weights:
    """IDF weights of one ``assign`` call's pool and the norms and name weights they give,
    each computed once, when first needed."""

    def __init__(self, features: Sequence[_Features], frequency: Counter[str]) -> None:
        self.features, self.frequency = features, frequency
        self.total = len(features)
        self.idf: dict[str, float] = {}
        self.squared: dict[str, float] = {}  # idf ** 2, of every key of an item normed
        self._norms: dict[int, float] = {}
        self._names: dict[int, float] = {}

    def weight(self, key: str) -> float:
        idf = self.idf.get(key)
        if idf is None:
            idf = math.log((self.total + 1) / (self.frequency[key] + 0.5)) + 0.5
            self.idf[key] = idf
            self.squared[key] = idf**2
        return idf

    def norm(self, index: int) -> float:
        """The item's norm; from then on ``squared`` holds each of its keys."""
        norm = self._norms.get(index)
        if norm is None:
            idf, keys = self.idf, self.features[index].keys
            for key in keys.keys() - idf.keys():
                self.weight(key)
            norm = math.sqrt(sum((v * idf[k]) ** 2 for k, v in keys.items()))
            self._norms[index] = norm
        return norm

    def names(self, index: int) -> float:
        found = self._names.get(index)
        if found is None:
            found = self._names[index] = sum(map(self.weight, self.features[index].names))
        return found


def _similarity(left: int, right: int, weights: _Weights) -> float:
    first, second = weights.features[left], weights.features[right]
    if first.preview != second.preview:
        return 0.0
    weight = weights.weight
    norm = weights.norm(left) * weights.norm(right)  # first: it fills weights.squared
    squared, left_keys, right_keys = weights.squared, first.keys, second.keys
    dot = sum(
        left_keys[k] * right_keys[k] * squared[k] for k in left_keys.keys() & right_keys.keys()
    )
    score = dot / norm if norm else 0.0
    shared_names = first.names & second.names
    if len(shared_names) >= _MIN_SHARED_NAMES:
        # Names and loanwords survive translation when the other words do not: the share
        # of the shorter list of names that the other article also has.
        smaller = min(weights.names(left), weights.names(right))
        score = max(score, _NAME_WEIGHT * sum(map(weight, shared_names)) / smaller)
    score += min(_FIGURE_CAP, _FIGURE_BONUS * len(first.figures & second.figures))
    if first.dates & second.dates:
        score += _DATE_BONUS
    return score


def assign_stories(
    existing: Sequence[StoryItem],
    new: Sequence[StoryItem],
    window: timedelta = DEFAULT_WINDOW,
    threshold: float = STORY_THRESHOLD,
) -> list[str]:
    """Group new articles into stories; return the story id of each item of ``new``.

    What the caller passes:

    - ``existing``: the articles already grouped whose publication is within ``window`` of
      the new ones (e.g. the last 72 h of stored articles, at least their title, the first
      ~1,500 characters of text and the language), each with ``story`` set to its story
      id (an item without one is its own story, ``id``);
    - ``new``: the new articles in arrival order, ``story`` ignored. Their ids must be
      unique among both sequences; the id of a new item that starts a story becomes the
      story id.

    A new item joins the story of the most similar item (existing or earlier in ``new``)
    published within ``window`` of it (a missing date counts as within; of a story, only its
    latest 20 such items are compared) whose similarity reaches ``threshold``: the
    IDF-weighted cosine of their word keys (title counted twice, lead of the text once),
    plus 0.2 per shared figure (at most 0.4) and 0.1 for a shared day of a month; a preview
    and a report never match. Otherwise it starts a story of its own. Deterministic.
    ``StoryIndex`` does the same for a stream of batches (a poll cycle's feeds) without going
    over the existing items again for each batch.
    """
    return StoryIndex(existing, window, threshold).assign(new)


class StoryIndex:
    """The recent articles, indexed for grouping new ones into stories.

    ``StoryIndex(existing).assign(new)`` is ``assign_stories(existing, new)``, and the
    assigned items join the index: a second ``assign(more)`` gives what
    ``assign_stories(existing + new with their stories, more)`` would, at the cost of
    ``more`` alone (plus its candidates), not of the whole pool again.
    """

    def __init__(
        self,
        existing: Sequence[StoryItem],
        window: timedelta = DEFAULT_WINDOW,
        threshold: float = STORY_THRESHOLD,
    ) -> None:
        self.window, self.threshold = window, threshold
        self.published: list[datetime | None] = []  # of each item, in pool order
        self.features: list[_Features] = []
        self.stories: list[str] = []
        self.members: defaultdict[str, list[int]] = defaultdict(list)  # in pool order
        self.frequency: Counter[str] = Counter()  # items holding each word key
        # every item under each of its tokens (word keys, names, figures); which tokens are
        # too common to look up is decided per call, as the pool grows
        self.postings: defaultdict[str, list[int]] = defaultdict(list)
        self._tokens: list[tuple[str, ...]] = []
        for item in existing:
            self._add(item, _features(item))
            self._index(len(self.published) - 1, item.story or item.id)

    def _add(self, item: StoryItem, features: _Features) -> None:
        self.published.append(item.published)
        self.features.append(features)
        self.frequency.update(features.keys.keys())
        self._tokens.append(
            (
                *features.keys,
                *(f"name:{n}" for n in features.names),
                *(f"figure:{f}" for f in features.figures),
            )
        )

    def _index(self, index: int, story: str) -> None:
        self.stories.append(story)
        self.members[story].append(index)
        for token in self._tokens[index]:
            self.postings[token].append(index)
        self._tokens[index] = ()  # the postings hold them now: not needed again

    def assign(self, new: Sequence[StoryItem]) -> list[str]:
        """The story id of each item of ``new`` (see ``assign_stories``); they join the index."""
        first = len(self.published)
        for item in new:
            self._add(item, _features(item))
        total = len(self.published)
        weights = _Weights(self.features, self.frequency)
        # Only an item sharing a word key, a name or a figure can reach the threshold (a
        # shared date alone adds _DATE_BONUS): the postings find those, so a new article is
        # not compared with every recent one. Tokens in more than a fifth of the pool (the
        # two countries' names) find nothing: sharing only them never makes one story.
        common = max(8, total // 5)
        frequency = self.frequency

        def rare(token: str) -> bool:
            if token.startswith("figure:"):
                return True
            key = token[5:] if token.startswith("name:") else token
            return frequency.get(key, 0) <= common

        full_scan = self.threshold <= _DATE_BONUS
        assigned: list[str] = []
        for index in range(first, total):
            item = new[index - first]
            candidates: set[int] | None = None  # None: every item in the pool
            if not full_scan:
                candidates = set()
                for token in self._tokens[index]:
                    if rare(token):
                        candidates.update(self.postings.get(token, ()))
            best, best_score = item.id, self.threshold
            for other in self._latest_per_story(item, candidates):
                score = _similarity(index, other, weights)
                if score >= best_score:
                    best, best_score = self.stories[other], score
            assigned.append(best)
            self._index(index, best)
        return assigned

    def _latest_per_story(self, item: StoryItem, candidates: set[int] | None) -> list[int]:
        """The candidates (``None``: all indexed items) within the window of ``item``, at
        most ``_PER_STORY`` of each story (its latest), in pool order. A story told by a
        hundred articles is represented by its latest: comparing a new article with all of
        them costs quadratic time as the story grows (a day of one big story is thousands of
        comparisons per article) and decides nothing the latest ones do not. Each story's
        members are walked from its latest, until it has given its share."""
        stories = self.stories
        involved = set(stories) if candidates is None else set(map(stories.__getitem__, candidates))
        kept: list[int] = []
        for story in involved:
            taken = 0
            for other in reversed(self.members[story]):
                if candidates is not None and other not in candidates:
                    continue
                if _within(item.published, self.published[other], self.window):
                    kept.append(other)
                    taken += 1
                    if taken == _PER_STORY:
                        break
        return sorted(kept)
