"""Facts: money amounts and percentages an article reports, with their context.

``extract_facts`` reads each sentence of the title and text and returns every money
amount ("$412.6 million", "412,6 млн долларов", "412,6 milyon dollar", "20 milyon manat")
and percentage ("17.4%", "на 14%", "17,4 faiz", "30 процентов") with:

- ``metric``: what the figure measures, from the words before it in its sentence, nearest
  first — "trade_turnover" (trade turnover, товарооборот, ticarət dövriyyəsi, volume of
  trade), "exports" (export, экспорт, ixrac) or "imports" (import, импорт, idxal);
- ``direction``: for exports and imports between the two countries, "az->by" or "by->az"
  ("Azerbaijan's exports to Belarus", "imports from Belarus", "Belarusdan idxal");
- ``period``: "January-October 2026", "в январе – сентябре 2026 года", "yanvar-oktyabr
  aylarında", "in 2023", "по итогам 2023 г.", "last year" … as written;
- ``source``: who reported it, as written: "the State Customs Committee said", "по данным
  …", "… məlumatına görə", "сообщили в …".

``latest_trade_turnover`` picks, from facts of several dated articles, the bilateral trade
turnover figure the newest article reports: what ``/trade`` opens with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.models import Fact
from bot.pipeline.cues import strip_datelines
from bot.pipeline.text import fix_homoglyphs, split_sentences

__all__ = ["extract_facts", "extract_facts_from", "latest_trade_turnover"]

_MAX_SENTENCES = 200
_DIGIT = re.compile(r"\d")

_NUMBER = r"(?P<number>\d{1,3}(?:[ \u00a0,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
_SCALES = {
    "thousand": 1e3, "тыс": 1e3, "min": 1e3,
    "million": 1e6, "mln": 1e6, "млн": 1e6, "milyon": 1e6, "миллион": 1e6, "m": 1e6,
    "billion": 1e9, "bn": 1e9, "mlrd": 1e9, "млрд": 1e9, "milyard": 1e9, "миллиард": 1e9,
    "b": 1e9,
}  # fmt: skip
_SCALE = (
    r"(?P<scale>thousand|million|billion|mln|bn|mlrd|тыс|млн|млрд|миллион\w*|миллиард\w*|"
    r"milyon|milyard|min|m|b)\.?"
)
_CURRENCIES = {
    "$": "USD", "usd": "USD", "dollar": "USD", "доллар": "USD", "долл": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "евро": "EUR", "avro": "EUR",
    "₼": "AZN", "azn": "AZN", "manat": "AZN", "манат": "AZN",
    "byn": "BYN", "belarusian rubles": "BYN", "белорусск": "BYN",
    "rub": "RUB", "rubles": "RUB", "руб": "RUB", "рубл": "RUB", "rubl": "RUB",
}  # fmt: skip
_CURRENCY_AFTER = (
    r"(?P<after>us dollars|dollar\w*|доллар\w*|долл\.?|usd|eur|euro\w*|евро|avro|azn|manat\w*|"
    r"манат\w*|byn|белорусск\w* рубл\w*|belarusian rubles|rub|rubles|руб\.?|рубл\w*|rubl\w*)"
)
# "$412.6 million", "USD 20 mln" and "412,6 млн долларов", "20 milyon manat"
_MONEY = (
    re.compile(
        rf"(?P<before>\$|€|₼|usd|eur|azn|byn)\s?{_NUMBER}(?:\s*{_SCALE})?(?!\w)", re.IGNORECASE
    ),
    re.compile(rf"(?<![\w.,]){_NUMBER}\s*(?:{_SCALE}\s*)?{_CURRENCY_AFTER}(?!\w)", re.IGNORECASE),
)
_PERCENT = re.compile(
    rf"(?<![\w.,]){_NUMBER}\s*(?:%|percent|per cent|процент\w*|faiz)(?!\w)", re.IGNORECASE
)
_METRICS = (
    (
        "trade_turnover",
        r"trade turnover|turnover|volume of trade|trade between|bilateral trade|товарооборот\w*|"
        r"объем торговли|ticarət dövriyyəsi\w*|ticarət dövriyyə\w*|dövriyyə\w*",
    ),
    ("exports", r"export\w*|экспорт\w*|ixrac\w*"),
    ("imports", r"import\w*|импорт\w*|idxal\w*"),
)
_METRIC = re.compile(
    "|".join(f"(?P<{name}>(?<!\\w)(?:{pattern}))" for name, pattern in _METRICS), re.IGNORECASE
)
_MONTH = (
    r"(?:jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|jul\w*|aug\w*|sep\w*|oct\w*|nov\w*|dec\w*|"
    r"январ\w*|феврал\w*|март\w*|апрел\w*|ма[йяе]|июн\w*|июл\w*|август\w*|сентябр\w*|"
    r"октябр\w*|ноябр\w*|декабр\w*|yanvar\w*|fevral\w*|mart\w*|aprel\w*|iyun\w*|iyul\w*|"
    r"avqust\w*|sentyabr\w*|oktyabr\w*|noyabr\w*|dekabr\w*)"
)
# Most specific first: a month range beats "this year" in the same sentence.
_PERIODS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"(?<!\w)(?:in |в |за )?{_MONTH}\s*[-–—]\s*{_MONTH}"
        r"(?:\s+(?:of\s+)?\d{4}(?:\s*(?:года|г\.))?|\s+aylarında)?",
        r"(?<!\w)(?:the )?first (?:half|quarter|\w+ months)(?: of (?:this year|\d{4}))?"
        r"|(?<!\w)(?:за )?(?:девять|десять|шесть|три|\d+) месяц\w*(?: \d{4} года)?"
        r"|(?<!\w)(?:first )?(?:nine|ten|six|three) months",
        r"(?<!\w)(?:in|for|по итогам|за|в)\s+\d{4}(?:\s*(?:года|году|год|г\.))?(?!\d)"
        r"|(?<!\w)\d{4}(?:-ci|-cı|-cu|-cü)?\s+il(?:in|də|i)?(?!\w)",
        r"(?<!\w)(?:last year|this year|a year earlier|за год|в прошлом году|за полугодие|"
        r"ötən il\w*|bu il\w*)",
    )
)
_SOURCE = re.compile(
    r"(?:according to|по данным|по информации|сообщили в|сообщил[аи]?|сообщает)\s+"
    r"(?P<a>[^,.;]{3,80})"
    r"|(?P<b>(?:the )?[A-ZА-ЯƏÜÖĞİŞÇ][^,.;]{2,80}?)\s+(?:has |have |had )?"
    r"(?:said|reported|says)(?!\w)"
    r"|(?P<c>[A-ZƏÜÖĞİŞÇ][^,.;]{2,80}?)(?:nin|nın|nun|nün|in|ın|un|ün) məlumatına görə",
)
_AZ = r"(?:azerbaijan\w*|azərbaycan\w*|азербайджан\w*|baku|баку|bakı\w*)"
_BY = r"(?:belarus\w*|беларус\w*|белорус\w*|minsk|минск\w*)"
# Read in the stretch of the sentence that leads to the figure ("…, while imports from
# Belarus totalled $316.3 million"): the first pattern that matches wins.
_DIRECTIONS = tuple(
    (direction, re.compile(pattern.replace("A", _AZ).replace("B", _BY), re.IGNORECASE))
    for direction, pattern in (
        ("az->by", r"A[^.]{0,30}(?:export\w*|экспорт\w*)\s+(?:to|в)\s+B"),
        ("by->az", r"B[^.]{0,30}(?:export\w*|экспорт\w*)\s+(?:to|в)\s+A"),
        ("az->by", r"(?:export\w*|экспорт\w*)\s+(?:from\s+|из\s+)?A\w*\s+(?:to|в)\s+B"),
        ("by->az", r"(?:export\w*|экспорт\w*)\s+(?:from\s+|из\s+)?B\w*\s+(?:to|в)\s+A"),
        ("by->az", r"(?:import\w*|импорт\w*)\s+(?:from|из)\s+B|B\w*\s+idxal"),
        ("az->by", r"(?:import\w*|импорт\w*)\s+(?:from|из)\s+A|A\w*\s+idxal"),
        ("az->by", r"(?:export\w*|экспорт\w*)\s+(?:to|в)\s+B|B\w*\s+ixrac"),
        ("by->az", r"(?:export\w*|экспорт\w*)\s+(?:to|в)\s+A|A\w*\s+ixrac"),
        ("by->az", r"белорусск\w+ экспорт\w*|belarusian exports"),
        ("az->by", r"азербайджанск\w+ экспорт\w*|azerbaijani exports"),
    )
)
_LIMIT_WORDS = re.compile(
    r"(?<!\w)(?:to raise|to increase|to reach|to bring|target|goal|до\s*\$?[\d,.]+\s*(?:млрд|млн)"
    r"|наращиванию|довести|çatdırılması|çatdırmaq|hədəf)",
    re.IGNORECASE,
)


def _value(number: str) -> float:
    digits = number.replace("\u00a0", " ")
    if re.fullmatch(r"\d{1,3}(?:[ ,]\d{3})+(?:[.,]\d+)?", digits):
        head, _, fraction = re.sub(r"[ ,](?=\d{3}(?!\d))", "", digits).partition(".")
        head = head.replace(",", ".")
        return float(f"{head}.{fraction}" if fraction else head)
    return float(digits.replace(",", "."))


def _scale(word: str | None) -> float:
    if not word:
        return 1.0
    folded = word.casefold().rstrip(".")
    for stem, factor in _SCALES.items():
        if folded == stem or (len(stem) > 3 and folded.startswith(stem)):
            return factor
    return 1.0


def _currency(symbol: str) -> str:
    folded = symbol.casefold()
    for stem, code in _CURRENCIES.items():
        if folded.startswith(stem):
            return code
    return "USD"


def _metric(sentence: str, at: int) -> str | None:
    """The metric named nearest before the figure (or right after it), in its clause."""
    best: tuple[int, str] | None = None
    for match in _METRIC.finditer(sentence):
        name = str(match.lastgroup)
        distance = at - match.end() if match.end() <= at else 3 * (match.start() - at)
        if best is None or distance < best[0]:
            best = (distance, name)
    return best[1] if best is not None and best[0] <= 120 else None


def _direction(stretch: str, metric: str | None) -> str | None:
    if metric not in ("exports", "imports"):
        return None
    for direction, pattern in _DIRECTIONS:
        if pattern.search(stretch):
            return direction
    return None


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    if match is None:
        return None
    groups = [group for group in match.groups() if group]
    return (groups[0] if groups else match.group()).strip()


def _period(sentence: str) -> str | None:
    for pattern in _PERIODS:
        match = pattern.search(sentence)
        if match:
            return match.group().strip()
    return None


def extract_facts(title: str, text: str) -> tuple[Fact, ...]:
    """Return the money amounts and percentages of an article, in reading order.

    See the module docstring for the context each ``Fact`` carries. A figure in the title
    that the text repeats is returned once (from the text). Targets ("to raise trade to
    $1 billion") keep their metric but no period. Never raises on odd input.
    """
    if not (_DIGIT.search(text) or _DIGIT.search(title)):
        return ()
    return extract_facts_from(title, split_sentences(strip_datelines(fix_homoglyphs(text))))


def extract_facts_from(title: str, sentences: Sequence[str]) -> tuple[Fact, ...]:
    """``extract_facts`` on sentences already split, datelines removed (the first 200)."""
    sentences = [*sentences[:_MAX_SENTENCES], *split_sentences(fix_homoglyphs(title))]
    facts: list[Fact] = []
    seen: set[tuple[str, float]] = set()
    article_source: list[str | None] = []  # found once, when a sentence names no source
    for position, sentence in enumerate(sentences):
        if not _DIGIT.search(sentence):
            continue
        found: list[tuple[int, str, float, str, str]] = []
        for pattern in _MONEY:
            for match in pattern.finditer(sentence):
                value = _value(match.group("number")) * _scale(match.group("scale"))
                symbol = match.groupdict().get("before") or match.groupdict().get("after")
                unit = _currency(symbol or "$")
                found.append((match.start(), "money", value, unit, match.group().strip()))
        for match in _PERCENT.finditer(sentence):
            value = _value(match.group("number"))
            found.append((match.start(), "percent", value, "%", match.group().strip()))
        if not found:
            continue
        period = _period_near(sentences, position)
        source = _first(_SOURCE, sentence)
        if source is None:
            if not article_source:
                article_source.append(_first(_SOURCE, " ".join(sentences)))
            source = article_source[0]
        previous_end = 0
        for start, kind, value, unit, written in sorted(found):
            stretch = sentence[previous_end : start + len(written)]
            previous_end = start + len(written)
            if (kind, value) in seen:
                continue
            seen.add((kind, value))
            metric = _metric(sentence, start)
            target = _LIMIT_WORDS.search(sentence[max(0, start - 40) : start]) is not None
            facts.append(
                Fact(
                    kind=kind,
                    value=value,
                    unit=unit,
                    text=written.rstrip("."),
                    sentence=sentence,
                    metric=metric,
                    direction=_direction(stretch, metric),
                    period=None if target else period,
                    source=source,
                )
            )
    return tuple(facts)


def _period_near(sentences: Sequence[str], position: int) -> str | None:
    """The period named in the sentence, else in one of the two before it."""
    for back in range(position, max(-1, position - 3), -1):
        period = _period(sentences[back])
        if period:
            return period
    return None


def latest_trade_turnover(
    articles: Iterable[tuple[datetime, Sequence[Fact]]],
) -> tuple[datetime, Fact] | None:
    """Return the newest article's bilateral trade turnover figure, with its date.

    ``articles`` are (published, facts) pairs of relevant articles, in any order (facts as
    ``extract_facts`` gives them). A candidate is a money fact whose metric is
    "trade_turnover" and that has a period (a target such as "to $1 billion" has none).
    Among the newest article's candidates the first in reading order wins. None when no
    article reports one.
    """
    best: tuple[datetime, Fact] | None = None
    for published, facts in articles:
        for fact in facts:
            if fact.kind == "money" and fact.metric == "trade_turnover" and fact.period:
                if best is None or published > best[0]:
                    best = (published, fact)
                break
    return best
