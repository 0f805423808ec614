"""Topics: build the taxonomy from parsed configuration and tag articles with it.

Keyword syntax (also documented at the top of ``bot/default_topics.yaml``):

- a keyword is a stem matched at the start of a word, case-insensitively: ``trade``
  matches "trade", "trades", "trader" (not "trading": list ``trading`` too);
  ``товарооборот`` matches "товарооборота"; ``ticarət`` matches "ticarətin";
- a phrase matches word by word with any whitespace between: ``trade turnover``; its last
  word is a stem, earlier words are whole words unless they end in ``*``
  (``стратегическ* партнерств``);
- a trailing ``$`` makes the last word whole-word only: ``gas$`` matches "gas" but not
  "gasoline"; ``import$`` does not match "important".

A topic is tagged when its keywords hit at least twice in the text, or at least once in
the title. Hits are counted without overlaps, longest keyword first, so "trade turnover"
is one hit, not two. A word in an enumeration of topics ("cooperation in trade, culture
and sport") does not count: a topic needs a sentence about it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.models import Topic

__all__ = ["MIN_TEXT_HITS", "MIN_TITLE_HITS", "load_topics", "tag_topics"]

MIN_TEXT_HITS = 2
MIN_TITLE_HITS = 1

_KEY = re.compile(r"[a-z0-9_]{1,32}")


def _field_error(key: object, field: str, problem: str) -> ValueError:
    return ValueError(f"topic {key!r}: `{field}` {problem}")


def _text_field(key: str, spec: Mapping[object, object], field: str, required: bool) -> str:
    value = spec.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _field_error(key, field, "must be a non-empty string")
    return value.strip()


def _keywords(key: str, spec: Mapping[object, object]) -> tuple[str, ...]:
    value = spec.get("keywords")
    if not isinstance(value, list) or not value:
        raise _field_error(key, "keywords", "must be a non-empty list of strings")
    keywords: list[str] = []
    for index, keyword in enumerate(value):
        if not isinstance(keyword, str) or not keyword.strip().rstrip("$*").strip():
            raise _field_error(
                key, f"keywords[{index}]", f"must be a word or phrase, not {keyword!r}"
            )
        keywords.append(keyword.strip())
    return tuple(keywords)


def load_topics(data: object) -> tuple[Topic, ...]:
    """Build the topic taxonomy from parsed YAML: a mapping key → {title, description, keywords}.

    Keys must match ``^[a-z0-9_]{1,32}$`` (each is also a bot command); ``title`` is a
    non-empty string, ``description`` an optional string and ``keywords`` a non-empty list
    of non-empty strings. Topics keep the mapping's order. Raises ``ValueError`` naming the
    topic and the field at fault. The caller reads the file.
    """
    if not isinstance(data, Mapping) or not data:
        raise ValueError("topics must be a non-empty mapping of topic key to its settings")
    topics: list[Topic] = []
    for key, spec in data.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(
                f"topic {key!r}: the key must be 1–32 characters of a-z, 0-9 and _ "
                "(it is also a bot command)"
            )
        if not isinstance(spec, Mapping):
            raise ValueError(f"topic {key!r}: expected a mapping with title, description, keywords")
        topics.append(
            Topic(
                key=key,
                title=_text_field(key, spec, "title", required=True),
                description=_text_field(key, spec, "description", required=False),
                keywords=_keywords(key, spec),
            )
        )
    return tuple(topics)


def _keyword_pattern(keyword: str) -> str:
    whole_word = keyword.endswith("$")
    words = keyword.rstrip("$").split()
    parts: list[str] = []
    for index, word in enumerate(words):
        last = index == len(words) - 1
        if word.endswith("*"):
            parts.append(re.escape(word.rstrip("*")) + r"\w*")
        elif last and not whole_word:
            parts.append(re.escape(word) + r"\w*")
        else:
            parts.append(re.escape(word) + r"(?!\w)")
    return r"\s+".join(parts)


@functools.lru_cache(maxsize=256)
def _topic_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """The keywords of one topic as one regex (longest first): for callers that search."""
    ordered = sorted(keywords, key=len, reverse=True)
    alternatives = "|".join(_keyword_pattern(keyword) for keyword in ordered)
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


# --- matching by tokens ----------------------------------------------------------------
#
# One regex alternation per topic costs a scan of the text per topic, with hundreds of
# alternatives tried at every word start. Matching word tokens against an index of the
# keywords' words is an order of magnitude faster and gives the same hits: a keyword is a
# sequence of parts, each a whole word or a stem, joined by whitespace or by the literal
# punctuation written in the keyword ("military-technical", "бизнес-форум").

_TOKEN = re.compile(r"\w+")
_PART = re.compile(r"(\w+)(\*?)")


def _fold(word: str) -> str:
    # What re's IGNORECASE treats as one letter: "İ"/"I"/"ı"/"i" (Azerbaijani), case.
    return word.casefold().replace("ı", "i").replace("\u0307", "")


@dataclass(frozen=True, slots=True)
class _Keyword:
    topic: int
    length: int  # of the keyword as written: the longest keyword wins at a position
    parts: tuple[tuple[str, bool], ...]  # (folded word, is a stem)
    joins: tuple[str | None, ...]  # before parts[1:]: None = whitespace, else the literal


def _parse_keyword(keyword: str, topic: int) -> _Keyword:
    whole_word = keyword.endswith("$")
    body = keyword.rstrip("$").strip()
    parts: list[tuple[str, bool]] = []
    joins: list[str | None] = []
    position = 0
    for match in _PART.finditer(body):
        if parts:
            gap = body[position : match.start()]
            joins.append(None if gap.isspace() else gap)
        parts.append((_fold(match.group(1)), match.group(2) == "*"))
        position = match.end()
    last_word, _ = parts[-1]
    # The last part is a stem unless "$"; a non-space join before it makes it literal in
    # the regex too ("military-technical" then \w*), so it stays a stem.
    parts[-1] = (last_word, not whole_word)
    return _Keyword(topic, len(keyword), tuple(parts), tuple(joins))


@dataclass(frozen=True, slots=True)
class _Index:
    exact: dict[str, tuple[_Keyword, ...]]
    stems: dict[int, dict[str, tuple[_Keyword, ...]]]  # by stem length
    # token -> keywords that may start at it; news reuses its words, so most are hits
    seen: dict[str, tuple[_Keyword, ...]] = field(default_factory=dict)


_SEEN_MAX = 200_000


@functools.lru_cache(maxsize=64)
def _index(keywords: tuple[tuple[str, ...], ...]) -> _Index:
    exact: dict[str, list[_Keyword]] = {}
    stems: dict[int, dict[str, list[_Keyword]]] = {}
    for topic, topic_keywords in enumerate(keywords):
        for keyword in topic_keywords:
            if not _PART.search(keyword):
                continue
            parsed = _parse_keyword(keyword, topic)
            word, is_stem = parsed.parts[0]
            if is_stem:
                stems.setdefault(len(word), {}).setdefault(word, []).append(parsed)
            else:
                exact.setdefault(word, []).append(parsed)
    return _Index(
        {word: tuple(found) for word, found in exact.items()},
        {
            length: {word: tuple(found) for word, found in by_word.items()}
            for length, by_word in stems.items()
        },
    )


def _starting_with(index: _Index, token: str) -> tuple[_Keyword, ...]:
    cached = index.seen.get(token)
    if cached is not None:
        return cached
    found = list(index.exact.get(token, ()))
    for length, by_word in index.stems.items():
        if length <= len(token):
            found.extend(by_word.get(token[:length], ()))
    if len(index.seen) >= _SEEN_MAX:
        index.seen.clear()
    index.seen[token] = tuple(found)
    return index.seen[token]


def _part_matches(part: tuple[str, bool], token: str) -> bool:
    word, is_stem = part
    return token.startswith(word) if is_stem else token == word


def _keyword_end(
    keyword: _Keyword, tokens: list[tuple[str, int, int]], at: int, text: str
) -> int | None:
    """Index of the keyword's last token when it matches from token ``at``, else None."""
    if not _part_matches(keyword.parts[0], tokens[at][0]):
        return None
    current = at
    for part, join in zip(keyword.parts[1:], keyword.joins, strict=True):
        following = current + 1
        if following >= len(tokens):
            return None
        gap = text[tokens[current][2] : tokens[following][1]]
        if (join is None and not (gap and gap.isspace())) or (join is not None and gap != join):
            return None
        if not _part_matches(part, tokens[following][0]):
            return None
        current = following
    return current


def _topic_hits(text: str, keywords: tuple[tuple[str, ...], ...]) -> list[tuple[int, int, int]]:
    """(start, end, topic) of every keyword hit, no two hits of one topic overlapping."""
    index = _index(keywords)
    folded = _fold(text)
    if len(folded) == len(text):  # folding kept every position: fold once, not per word
        tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)]
    else:
        tokens = [(_fold(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    free_from = [0] * len(keywords)  # per topic: the first token not inside a hit
    hits: list[tuple[int, int, int]] = []
    for at, (token, start, _end) in enumerate(tokens):
        best: dict[int, tuple[int, int]] = {}  # topic -> (keyword length, last token)
        for keyword in _starting_with(index, token):
            if at < free_from[keyword.topic]:
                continue
            last = _keyword_end(keyword, tokens, at, text)
            if last is not None and keyword.length > best.get(keyword.topic, (-1, 0))[0]:
                best[keyword.topic] = (keyword.length, last)
        for topic, (_length, last) in best.items():
            hits.append((start, tokens[last][2], topic))
            free_from[topic] = last + 1
    return hits


# Hits of different topics chained by commas or "and" within a short span are an
# enumeration ("cooperation in trade, energy and culture"): they say what the parties
# might talk about, not what the article is about. So is any chain after "areas of".
_CHAIN_GAP = 30
_SEPARATOR = re.compile(r"[,;/]|(?<!\w)(?:and|or|и|или|а также|və|ya|həm|habelə)(?!\w)", re.I)
_SENTENCE_END = re.compile(r"[.!?\n]")
_AREAS = re.compile(
    r"(?<!\w)(?:areas?|fields?|spheres?|sectors?|including|such as|sahə\w*|sahəsində|"
    r"сфер\w*|област\w*|отрасл\w*|направлени\w*|включая)(?!\w)",
    re.IGNORECASE,
)
_AREAS_LOOKBACK = 40


def _hits(pattern: re.Pattern[str], text: str) -> int:
    return sum(1 for _ in pattern.finditer(text))


def _enumerated(text: str, hits: list[tuple[int, int, int]]) -> set[int]:
    """Indexes of the hits that are members of an enumeration of topics."""
    listed: set[int] = set()
    chain: list[int] = []

    def close() -> None:
        topics = {hits[i][2] for i in chain}
        if len(topics) >= 3:
            listed.update(chain)
        elif len(chain) >= 2:
            before = text[max(0, hits[chain[0]][0] - _AREAS_LOOKBACK) : hits[chain[0]][0]]
            if _AREAS.search(before) and not _SENTENCE_END.search(before):
                listed.update(chain)

    for index, (start, _end, _topic) in enumerate(hits):
        if chain:
            gap = text[hits[chain[-1]][1] : start]
            if len(gap) <= _CHAIN_GAP and _SEPARATOR.search(gap) and not _SENTENCE_END.search(gap):
                chain.append(index)
                continue
            close()
        chain = [index]
    if chain:
        close()
    return listed


def _weights(text: str, keywords: tuple[tuple[str, ...], ...], per_hit: int) -> list[int]:
    """Per topic: ``per_hit`` for each hit outside an enumeration of topics."""
    hits = sorted(_topic_hits(text, keywords))
    listed = _enumerated(text, hits)
    weights = [0] * len(keywords)
    for position, (_start, _end, topic) in enumerate(hits):
        if position not in listed:
            weights[topic] += per_hit
    return weights


def tag_topics(title: str, text: str, topics: Sequence[Topic]) -> tuple[str, ...]:
    """Return the keys of the topics an article is about, in taxonomy order.

    A topic matches when its keywords hit at least ``MIN_TEXT_HITS`` (2) times in the
    text or ``MIN_TITLE_HITS`` (1) time in the title, not counting hits that are members
    of an enumeration of topics: three or more topics' keywords chained by commas or
    "and" ("trade, energy and culture"), or two or more after "areas/fields/сферах/sahələrdə"
    ("cooperation in the areas of culture and tourism").
    See the module docstring for the keyword syntax.
    """
    keywords = tuple(topic.keywords for topic in topics)
    in_title = _weights(title, keywords, 1)
    in_text = _weights(text, keywords, 1)
    return tuple(
        topic.key
        for topic, title_hits, text_hits in zip(topics, in_title, in_text, strict=True)
        if title_hits >= MIN_TITLE_HITS or text_hits >= MIN_TEXT_HITS
    )
