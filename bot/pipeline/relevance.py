"""Relevance: is an article about a relation between Azerbaijan and Belarus?

Naming both countries is not enough. The rules, in the order they apply:

1. Publisher noise is removed: datelines ("BAKU, Azerbaijan, Nov. 19. Trend:",
   "МИНСК, 16 ноября (БЕЛТА) –"), signatures ("Source: Sputnik Azerbaijan") and false
   friends ("Belarus Street", «гостиница "Беларусь"», see ``bot.pipeline.cues``). Words that
   mix Latin and Cyrillic look-alikes are rewritten in one script first.
2. The title and each sentence of the text are read separately. A sentence that names both
   countries is a *pair*; it is a *list* instead when it also names two or more other
   countries or capitals, or one and a multilateral word (CIS, SCO, medals, ranking,
   participants …), or it is a table (medal table, ranking), unless the two countries are
   joined as a pair ("Azerbaijan and
   Belarus", "белорусско-азербайджанский", "Baku-Minsk") and at most two others are named.
3. The score comes from the best evidence: both countries in the title (0.7), in one of
   the first two sentences (0.6) or later (0.45); +0.1 when a relation word (visit, talks,
   exports, flights, match …) is in a pair sentence; +0.05 for each further pair sentence
   (at most +0.2); +0.1 when the title names one of the countries. Without a pair, one
   country in the title and the other in the lead sentence scores 0.55; both countries
   elsewhere, never together, 0.3; both only in lists 0.2; one country or none 0.

Country cues are regexes on stems in English, Russian (also Belarusian and Ukrainian
spellings) and Azerbaijani, with inflections and compounds. Decisions on false friends:

- "Baku" is a capitalised whole word (not "Bakunin", not the mythical baku).
- Latin "Minsk" takes only Azerbaijani case endings ("Minskdə"): not "Minsky".
- Belarusian state companies ("Belaruskali", "MAZ", "Belavia") and Azerbaijan's ("SOCAR",
  "AZAL") count for their country.
- English "Ganja" counts only capitalised (the city; "ganja" is also cannabis).
- ASCII "Baki" does not count (Turkish "baki" means "remaining").
- "Aliyev"/"Алиев" is a common surname; it counts anyway. Known weakness.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Relevance
from bot.pipeline.cues import (
    MULTILATERAL,
    OTHER_PLACES,
    RELATION,
    count_other_places,
    mask_false_friends,
    strip_datelines,
)
from bot.pipeline.text import contains_any, fix_homoglyphs, split_sentences

__all__ = [
    "COUNTRY_CUES",
    "RELEVANCE_THRESHOLD",
    "assess_relevance",
    "assess_sentences",
    "prepare_sentences",
]

RELEVANCE_THRESHOLD = 0.5

_TITLE_PAIR = 0.7
_LEAD_PAIR = 0.6
_LATER_PAIR = 0.45
_RELATION_BONUS = 0.1
_PER_EXTRA_PAIR = 0.05
_EXTRA_PAIR_CAP = 0.2
_TITLE_FOCUS_BONUS = 0.1
_SPLIT_TITLE_LEAD = 0.55
_APART = 0.3
_ONLY_LISTS = 0.2
_LEAD_SENTENCES = 2
_SATURATED = 8  # sentences with both countries read in detail; later ones only counted
_MAX_SENTENCES = 80  # a 200 KB page: the story is told long before this


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
        Cue("Baku", _W + r"(?:Baku|BAKU)" + _END, case_sensitive=True),
        Cue("Aliyev", _W + r"aliyev\w*"),
        Cue("Ganja", _W + r"(?:Ganja|GANJA)" + _END, case_sensitive=True),
        Cue("Азербайджан", _W + r"азербайджан\w*"),  # -а, -у, -ский, -о-белорусский
        Cue("Баку", _W + r"баку" + _END),
        Cue("бакинский", _W + r"бакинск\w*"),
        Cue("Алиев", _W + r"алиев\w*"),
        Cue("Гянджа", _W + r"гяндж\w*"),
        Cue("Azərbaycan", _W + r"az[əeä]rbaycan\w*"),  # -ın, -a, -lı; also Turkish spelling
        # Bakıda, Bakıya, BAKI; not "Baki": re folds "ı" and "i" together under IGNORECASE.
        Cue("Bakı", _W + r"bak(?-i:ı|I)\w*"),
        Cue("Əliyev", _W + r"əliyev\w*"),
        Cue("Gəncə", _W + r"gəncə\w*"),
        Cue("SOCAR", _W + r"(?:SOCAR|ГНКАР|AZAL|Azercell)" + _END, case_sensitive=True),
        # the parliament: "Milli Məclisin Sədri" names no country but means Azerbaijan's
        Cue("Milli Məclis", _W + r"(?:milli\s+m[əa]clis\w*|milli\s+majlis\w*|милли\s+меджлис\w*)"),
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
        Cue(
            "MAZ",
            _W + r"(?:MAZ|МАЗ|MTZ|МТЗ|BelAZ|БелАЗ|Belavia|Белавиа|Belneftekhim|Белнефтехим)" + _END,
            case_sensitive=True,
        ),
    ),
}


def _country_pattern(cues: tuple[Cue, ...]) -> re.Pattern[str]:
    groups = []
    for index, cue in enumerate(cues):
        body = cue.pattern if not cue.case_sensitive else f"(?-i:{cue.pattern})"
        groups.append(f"(?P<c{index}>{body})")
    return re.compile("|".join(groups), re.IGNORECASE)


_PATTERNS: dict[str, re.Pattern[str]] = {
    country: _country_pattern(cues) for country, cues in COUNTRY_CUES.items()
}
_LABELS: dict[str, dict[str, str]] = {
    country: {f"c{index}": cue.label for index, cue in enumerate(cues)}
    for country, cues in COUNTRY_CUES.items()
}
# The two countries joined as a pair: "Azerbaijan and Belarus", "Baku-Minsk", "Azərbaycan
# ilə Belarus", "азербайджано-белорусский" (each half of a compound is a cue of its own).
_JOINER = re.compile(r"\s*(?:[-–—/]|and|&|и|с|со|və|ilə|ile|with)?\s*", re.IGNORECASE)

# "his Belarusian counterpart" names the other country's official without the country
_COUNTERPART = {
    "by": re.compile(
        _W + r"(?:belarusian|belaruslu|belarus|белорусск\w*)\s+(?:counterpart|həmkar\w*|коллег\w*)",
        re.IGNORECASE,
    ),
    "az": re.compile(
        _W + r"(?:azerbaijani|azərbaycanlı|azərbaycan|азербайджанск\w*)\s+"
        r"(?:counterpart|həmkar\w*|коллег\w*)",
        re.IGNORECASE,
    ),
}


@dataclass(slots=True)
class _Sentence:
    spans: dict[str, list[tuple[int, int]]]
    labels: dict[str, Counter[str]]
    others: int
    multilateral: bool
    relation: str | None
    detailed: bool = True

    @property
    def pair(self) -> bool:
        return bool(self.spans["az"] and self.spans["by"])


# Substrings (casefolded) that every cue of a country contains one of: a sentence without
# any is not scanned with the cue regexes, which cost far more than ``in``.
_HINTS: dict[str, tuple[str, ...]] = {
    "az": (
        "azerb", "azər", "azär", "azeri", "baku", "baki", "bakı", "aliyev", "əliyev", "ganja",
        "gəncə", "азерб", "баку", "бакин", "алиев", "гяндж", "socar", "гнкар", "azal", "azercell",
        "milli", "милли",
    ),
    "by": (
        "belar", "belor", "byelor", "belaz", "belavia", "belneft", "minsk", "lukash", "lukaş",
        "беларус", "белорус", "білорус", "минск", "мінск", "мінськ", "минчан", "лукашенк",
        "белаз", "белавиа", "белнефт", "maz", "маз", "mtz", "мтз",
    ),
}  # fmt: skip
_HINT = {country: contains_any(hints) for country, hints in _HINTS.items()}
_COUNTERPART_HINTS = ("counterpart", "həmkar", "коллег")


def _hinted(sentence: str, countries: Sequence[str] = tuple(_HINT)) -> dict[str, bool]:
    """Which countries ``sentence`` holds a hint of (only ``countries`` are looked for)."""
    folded = sentence.casefold()
    return {
        country: country in countries and _HINT[country].search(folded) is not None
        for country in _HINT
    }


def _matches(
    pattern: re.Pattern[str], sentence: str, hints: tuple[str, ...]
) -> list[re.Match[str]]:
    """The cue matches of ``pattern``, tried only at the starts of words holding a hint."""
    folded = sentence.casefold()
    if len(folded) != len(sentence):  # "İ" folds to two characters: positions shift
        return list(pattern.finditer(sentence))
    starts = set()
    for hint in hints:
        at = folded.find(hint)
        while at != -1:
            start = at
            while start > 0 and (folded[start - 1].isalnum() or folded[start - 1] == "_"):
                start -= 1
            starts.add(start)
            at = folded.find(hint, at + 1)
    found = (pattern.match(sentence, start) for start in sorted(starts))
    return [match for match in found if match is not None]


def _read(sentence: str, hinted: dict[str, bool] | None = None, detail: bool = True) -> _Sentence:
    spans: dict[str, list[tuple[int, int]]] = {"az": [], "by": []}
    labels: dict[str, Counter[str]] = {"az": Counter(), "by": Counter()}
    hinted = _hinted(sentence) if hinted is None else hinted
    for country, pattern in _PATTERNS.items():
        if not hinted[country]:
            continue
        for match in _matches(pattern, sentence, _HINTS[country]):
            spans[country].append(match.span())
            labels[country][_LABELS[country][str(match.lastgroup)]] += 1
    if bool(spans["az"]) != bool(spans["by"]) and any(
        hint in sentence.casefold() for hint in _COUNTERPART_HINTS
    ):
        # "met his Belarusian counterpart": the other side is implied
        country, other = ("by", "az") if spans["az"] else ("az", "by")
        counterpart = _COUNTERPART[other].search(sentence)
        if counterpart and not OTHER_PLACES.search(sentence):
            spans[country] = [counterpart.span()]
            labels[country]["counterpart"] += 1
    relation = None
    others = 0
    multilateral = False
    if spans["az"] and spans["by"] and detail:
        others = count_other_places(sentence)
        multilateral = others > 0 and MULTILATERAL.search(sentence) is not None
        found_relation = RELATION.search(sentence)
        relation = found_relation.group().casefold() if found_relation else None
    return _Sentence(spans, labels, others, multilateral, relation)


_NOTHING = _Sentence({"az": [], "by": []}, {"az": Counter(), "by": Counter()}, 0, False, None)


def _joined(sentence: str, read: _Sentence) -> bool:
    for a_start, a_end in read.spans["az"]:
        for b_start, b_end in read.spans["by"]:
            gap = sentence[a_end:b_start] if a_end <= b_start else sentence[b_end:a_start]
            if len(gap) <= 8 and _JOINER.fullmatch(gap):
                return True
    return False


# Tables that rank many countries: both countries in one is a list even when no other
# country is named in that sentence ("Medal table: Azerbaijan 14th, Belarus 9th").
_TABLE = re.compile(
    r"(?<!\w)(?:medal (?:table|standings|count)|standings|ranking\w*|rankings|rated|"
    r"медальн\w* зач[её]т\w*|рейтинг\w*|турнирн\w* таблиц\w*|medal sıralama\w*|"
    r"reytinq\w*|sıralama\w*)(?!\w)",
    re.IGNORECASE,
)


def _is_list(sentence: str, read: _Sentence) -> bool:
    if _TABLE.search(sentence):
        return True
    if read.others >= 3 or (read.others >= 1 and read.multilateral):
        return True
    return read.others >= 2 and not _joined(sentence, read)


def _describe(country: str, counts: Counter[str], in_title: bool) -> str:
    cues = ", ".join(
        label if hits == 1 else f"{label}×{hits}" for label, hits in counts.most_common()
    )
    return f"{country}: {cues}{' (title)' if in_title else ''}"


def prepare_sentences(text: str) -> list[str]:
    """The sentences ``assess_sentences`` (and ``extract_facts_from``) expect: look-alike
    letters fixed, datelines and signatures removed, split (the first 80)."""
    return split_sentences(strip_datelines(fix_homoglyphs(text)))[:_MAX_SENTENCES]


def assess_relevance(title: str, text: str) -> Relevance:
    """Decide whether an article is about a relation between Azerbaijan and Belarus.

    See the module docstring for the rules and the score; ``assess_sentences`` does the
    work on ``prepare_sentences(text)``.
    """
    return assess_sentences(strip_datelines(fix_homoglyphs(title)), prepare_sentences(text))


def assess_sentences(title: str, sentences: Sequence[str]) -> Relevance:
    """Decide relevance from a prepared title and sentences (see ``prepare_sentences``).

    ``relevant`` is
    ``score >= RELEVANCE_THRESHOLD``. ``reason`` lists the country cues that fired (with
    counts, "(title)" when the title has them), then the evidence, e.g.
    ``"az: Azerbaijan×3, Baku; by: Belarus×2 (title); both in title; 2 more sentences;
    relation: talks"`` or ``"…; both only in lists (2)"``.
    """
    title = mask_false_friends(title)
    title_read = _read(title)
    masked: list[str] = []
    reads = []
    pairs_seen = 0
    # a sentence can hint only at a country the whole text hints at: most articles name at
    # most one of the two, and their sentences need not be looked at one by one for the other
    hinted_anywhere = _hinted("\n".join(sentences))
    countries = [country for country, found in hinted_anywhere.items() if found]
    for sentence in sentences:
        hinted = _hinted(sentence, countries) if countries else {}
        if any(hinted.values()):
            masked_sentence = mask_false_friends(sentence)
            if masked_sentence is not sentence:  # a false friend was blanked: look again
                sentence = masked_sentence
                hinted = _hinted(sentence, countries)
            # Past _SATURATED pairs the score cannot grow: only count cues for the reason.
            detail = pairs_seen < _SATURATED
            read = _read(sentence, hinted, detail) if any(hinted.values()) else _NOTHING
            pairs_seen += read.pair
            if read is not _NOTHING:
                read.detailed = detail
            reads.append(read)
        else:
            reads.append(_NOTHING)
        masked.append(sentence)
    sentences = masked

    counts = {country: Counter[str]() for country in _PATTERNS}
    for read in (title_read, *reads):
        if read is _NOTHING:
            continue  # no labels: most sentences of most articles
        for country in _PATTERNS:
            counts[country].update(read.labels[country])
    in_title = {country: bool(title_read.spans[country]) for country in _PATTERNS}
    cue_reason = "; ".join(
        _describe(country, counts[country], in_title[country])
        for country in _PATTERNS
        if counts[country]
    )
    missing = [country for country in _PATTERNS if not counts[country]]
    if missing:
        absent = ", ".join(missing)
        reason = f"{cue_reason}; no {absent}" if cue_reason else f"no {absent}"
        return Relevance(False, 0.0, reason)

    evidence: list[str] = []
    pairs: list[tuple[int, _Sentence]] = []  # position 0 is the title
    lists = 0
    for position, (sentence, read) in enumerate(
        [(title, title_read), *zip(sentences, reads, strict=True)]
    ):
        if not read.pair or not read.detailed:
            continue
        if _is_list(sentence, read):
            lists += 1
        else:
            pairs.append((position, read))

    if pairs:
        first = pairs[0][0]
        if first == 0:
            score, where = _TITLE_PAIR, "both in title"
        elif first <= _LEAD_SENTENCES:
            score, where = _LEAD_PAIR, "both in lead"
        else:
            score, where = _LATER_PAIR, f"both in sentence {first}"
        evidence.append(where)
        if len(pairs) > 1:
            score += min(_EXTRA_PAIR_CAP, _PER_EXTRA_PAIR * (len(pairs) - 1))
            evidence.append(f"{len(pairs) - 1} more sentence{'s' if len(pairs) > 2 else ''}")
        relations = sorted({read.relation for _, read in pairs if read.relation})
        if relations:
            score += _RELATION_BONUS
            evidence.append("relation: " + ", ".join(relations[:3]))
        if any(in_title.values()):
            score += _TITLE_FOCUS_BONUS
    elif any(in_title.values()) and reads and _lead_names_the_other(title_read, reads[0]):
        score = _SPLIT_TITLE_LEAD
        evidence.append("one in title, the other in lead")
    elif lists:
        score = _ONLY_LISTS
        evidence.append(f"both only in lists ({lists})")
    else:
        score = _APART
        evidence.append("never in one sentence")
    if lists and pairs:
        evidence.append(f"lists: {lists}")
    score = round(min(1.0, score), 3)
    return Relevance(score >= RELEVANCE_THRESHOLD, score, "; ".join([cue_reason, *evidence]))


def _lead_names_the_other(title: _Sentence, lead: _Sentence) -> bool:
    if lead.others >= 2:
        return False
    return bool(
        (title.spans["az"] and lead.spans["by"]) or (title.spans["by"] and lead.spans["az"])
    )
