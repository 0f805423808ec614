"""Relevance: is a text about both Azerbaijan and Belarus?

A text is relevant when it names both countries, each through any of its cues: the
country, its people, capital or president, in English, Russian (also Belarusian and
Ukrainian spellings) and Azerbaijani, with inflections and compounds
("белорусско-азербайджанский", "Azerbaijani-Belarusian", "Azərbaycan-Belarus").

Cues are regexes on stems, anchored at a word start (``(?<!\\w)``); case-insensitive and
Unicode-aware (``re`` matches "BAKI" to "bakı" and "ƏLİYEV" to "əliyev"). Decisions on
false friends:

- "Baku"/"Баку" must be a whole word: not "Bakunin", "Bakuriani".
- Latin "Minsk" takes only Azerbaijani case endings ("Minskdə", "Minskin"): not
  "Minsky" (the economist, "Minsky moment").
- "Belarusbank", "Belaruskali", "Беларуськалий" count for Belarus: they are Belarusian
  state companies, so naming them does point at Belarus.
- English "Ganja" counts only capitalised (the city; "ganja" is also cannabis).
- ASCII "Baki" does not count (Turkish "baki" means "remaining").
- "Aliyev"/"Алиев" is a common surname; it counts anyway, as in this beat it almost
  always means the president. Known weakness.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bot.models import Relevance

__all__ = ["COUNTRY_CUES", "RELEVANCE_THRESHOLD", "assess_relevance"]

RELEVANCE_THRESHOLD = 0.5

_BASE_SCORE = 0.5
_BOTH_IN_TITLE_BONUS = 0.2
_ONE_IN_TITLE_BONUS = 0.1
_PER_EXTRA_MENTION = 0.03  # per mention beyond one per country
_FREQUENCY_BONUS_CAP = 0.3


@dataclass(frozen=True, slots=True)
class Cue:
    """One way of naming a country: a label for the reason string and its regex."""

    label: str
    pattern: str
    case_sensitive: bool = False


_W = r"(?<!\w)"  # a cue starts a word
_END = r"(?!\w)"  # a cue ends a word

COUNTRY_CUES: dict[str, tuple[Cue, ...]] = {
    "az": (
        Cue("Azerbaijan", _W + r"azerbaijan\w*"),  # Azerbaijan, Azerbaijani(s), Azerbaijan's
        Cue("Azeri", _W + r"azeri\w*"),
        Cue("Baku", _W + r"baku" + _END),
        Cue("Aliyev", _W + r"aliyev\w*"),
        Cue("Ganja", _W + r"Ganja" + _END, case_sensitive=True),
        Cue("Азербайджан", _W + r"азербайджан\w*"),  # -а, -у, -ский, -о-белорусский
        Cue("Баку", _W + r"баку" + _END),
        Cue("Алиев", _W + r"алиев\w*"),
        Cue("Гянджа", _W + r"гяндж\w*"),
        Cue("Azərbaycan", _W + r"az[əeä]rbaycan\w*"),  # -ın, -a, -lı; also Turkish spelling
        # Bakıda, Bakıya, BAKI; not "Baki": re folds "ı" and "i" together under IGNORECASE.
        Cue("Bakı", _W + r"bak(?-i:ı|I)\w*"),
        Cue("Əliyev", _W + r"əliyev\w*"),
        Cue("Gəncə", _W + r"gəncə\w*"),
    ),
    "by": (
        Cue("Belarus", _W + r"belarus\w*"),  # Belarus, Belarusian, Belarus', Belarusun
        Cue("Belorussia", _W + r"b(?:y)?elorus\w*"),  # Byelorussia, Belorussian, Belorusiya
        Cue("Minsk", _W + r"minsk(?:də|dən|ə|in|i)?" + _END),
        Cue("Lukashenko", _W + r"lukashenk\w*"),  # -o, -a (Belarusian transliteration)
        Cue("Беларусь", _W + r"беларус\w*"),  # -и, -ью, белорусский in Belarusian: беларускі
        Cue("Белоруссия", _W + r"белорус\w*"),  # белорусский, белорусско-, белорусы
        Cue("Білорусь", _W + r"білорус\w*"),  # Ukrainian
        Cue("Минск", _W + r"минск(?:а|е|у|ом|ий|ая|ое|ого|ой|ому|им|ие|их|ими|ую)?" + _END),
        Cue("Мінск", _W + r"мін(?:с|сь)к\w*"),  # Belarusian Мінск, Ukrainian Мінськ
        Cue("минчане", _W + r"минчан\w*"),
        Cue("Лукашенко", _W + r"лукашенк\w*"),
        Cue("Lukaşenko", _W + r"lukaşenk\w*"),
    ),
}


def _compile(cue: Cue) -> re.Pattern[str]:
    return re.compile(cue.pattern, 0 if cue.case_sensitive else re.IGNORECASE)


_COMPILED: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    country: tuple((cue.label, _compile(cue)) for cue in cues)
    for country, cues in COUNTRY_CUES.items()
}


def _count_cues(text: str, country: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for label, pattern in _COMPILED[country]:
        hits = len(pattern.findall(text))
        if hits:
            counts[label] += hits
    return counts


def _describe(country: str, counts: Counter[str], in_title: bool) -> str:
    cues = ", ".join(
        label if hits == 1 else f"{label}×{hits}" for label, hits in counts.most_common()
    )
    return f"{country}: {cues}{' (title)' if in_title else ''}"


def assess_relevance(title: str, text: str) -> Relevance:
    """Decide whether an article is about both Azerbaijan and Belarus.

    The score is 0 when either country is missing from title and text. Otherwise it is
    0.5, plus 0.2 when both countries are named in the title (0.1 when one is), plus 0.03
    for each mention beyond the first per country (at most 0.3), capped at 1. ``relevant``
    is ``score >= RELEVANCE_THRESHOLD``. ``reason`` lists the cues that fired, e.g.
    ``"az: Azerbaijan×3, Baku; by: Belarus×2 (title)"``.
    """
    combined = f"{title}\n{text}"
    counts = {country: _count_cues(combined, country) for country in COUNTRY_CUES}
    in_title = {country: bool(_count_cues(title, country)) for country in COUNTRY_CUES}
    reason = "; ".join(
        _describe(country, counts[country], in_title[country])
        for country in COUNTRY_CUES
        if counts[country]
    )
    missing = [country for country in COUNTRY_CUES if not counts[country]]
    if missing:
        absent = ", ".join(missing)
        return Relevance(False, 0.0, f"{reason}; no {absent}" if reason else f"no {absent}")

    titled = sum(in_title.values())
    title_bonus = (
        _BOTH_IN_TITLE_BONUS if titled == len(COUNTRY_CUES) else _ONE_IN_TITLE_BONUS * titled
    )
    extra_mentions = sum(sum(c.values()) - 1 for c in counts.values())
    frequency_bonus = min(_FREQUENCY_BONUS_CAP, _PER_EXTRA_MENTION * extra_mentions)
    score = round(min(1.0, _BASE_SCORE + title_bonus + frequency_bonus), 3)
    return Relevance(score >= RELEVANCE_THRESHOLD, score, reason)
