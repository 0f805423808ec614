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
is one hit, not two.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

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
    # Longest first, so a phrase wins over its first word and counts once.
    ordered = sorted(keywords, key=len, reverse=True)
    alternatives = "|".join(_keyword_pattern(keyword) for keyword in ordered)
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


def _hits(pattern: re.Pattern[str], text: str) -> int:
    return sum(1 for _ in pattern.finditer(text))


def tag_topics(title: str, text: str, topics: Sequence[Topic]) -> tuple[str, ...]:
    """Return the keys of the topics an article is about, in taxonomy order.

    A topic matches when its keywords hit at least ``MIN_TEXT_HITS`` (2) times in the
    text or ``MIN_TITLE_HITS`` (1) time in the title. See the module docstring for the
    keyword syntax.
    """
    tagged: list[str] = []
    for topic in topics:
        pattern = _topic_pattern(topic.keywords)
        if _hits(pattern, title) >= MIN_TITLE_HITS or _hits(pattern, text) >= MIN_TEXT_HITS:
            tagged.append(topic.key)
    return tuple(tagged)
