from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.models import Fact
from bot.pipeline.facts import extract_facts, latest_trade_turnover

TREND = (
    "BAKU, Azerbaijan, November 12. Trend: Trade turnover between Azerbaijan and Belarus "
    "amounted to $412.6 million in January-October 2026, up from $351.4 million a year earlier, "
    "the State Customs Committee said. Azerbaijan's exports to Belarus reached $96.3 million, "
    "while imports from Belarus totalled $316.3 million."
)


def test_english_trade_figures_with_context() -> None:
    facts = extract_facts("Azerbaijan-Belarus trade turnover up 17.4%", TREND)

    assert [(f.text, f.value, f.metric, f.direction) for f in facts] == [
        ("$412.6 million", 412_600_000.0, "trade_turnover", None),
        ("$351.4 million", 351_400_000.0, "trade_turnover", None),
        ("$96.3 million", 96_300_000.0, "exports", "az->by"),
        ("$316.3 million", 316_300_000.0, "imports", "by->az"),
        ("17.4%", 17.4, "trade_turnover", None),
    ]
    assert facts[0] == Fact(
        kind="money",
        value=412_600_000.0,
        unit="USD",
        text="$412.6 million",
        sentence=facts[0].sentence,
        metric="trade_turnover",
        period="in January-October 2026",
        source="the State Customs Committee",
    )
    assert facts[2].period == "in January-October 2026"  # from the sentence before


def test_russian_figures() -> None:
    facts = extract_facts(
        "",
        "МИНСК, 16 ноября (БЕЛТА) – Товарооборот Беларуси и Азербайджана в январе – сентябре "
        "2026 года составил $368,2 млн, что на 14% больше, чем годом ранее. Импорт из Беларуси "
        "составил 316,3 млн долларов, по данным Государственного таможенного комитета.",
    )

    assert [(f.kind, f.value, f.unit, f.metric) for f in facts] == [
        ("money", 368_200_000.0, "USD", "trade_turnover"),
        ("percent", 14.0, "%", "trade_turnover"),
        ("money", 316_300_000.0, "USD", "imports"),
    ]
    assert facts[0].period == "в январе – сентябре 2026 года"
    assert facts[2].direction == "by->az"
    assert facts[2].source == "Государственного таможенного комитета"


def test_azerbaijani_figures() -> None:
    facts = extract_facts(
        "",
        "Bu ilin yanvar-oktyabr aylarında Azərbaycanla Belarus arasında ticarət dövriyyəsi "
        "412,6 milyon dollar təşkil edib. Dövlət Gömrük Komitəsinin məlumatına görə, Belarusdan "
        "idxal 316,3 milyon dollar olub. Layihənin dəyəri 20 milyon manatdır.",
    )

    assert [(f.value, f.unit, f.metric, f.direction) for f in facts] == [
        (412_600_000.0, "USD", "trade_turnover", None),
        (316_300_000.0, "USD", "imports", "by->az"),
        (20_000_000.0, "AZN", None, None),
    ]
    assert facts[0].period == "yanvar-oktyabr aylarında"
    assert facts[1].source == "Dövlət Gömrük Komitəsi"


def test_a_target_has_no_period() -> None:
    (fact,) = extract_facts("", "They agreed to raise trade turnover to $1 billion by 2030.")

    assert (fact.value, fact.metric, fact.period) == (1e9, "trade_turnover", None)


@pytest.mark.parametrize(
    ("written", "value"),
    [("$1,500", 1500.0), ("1 500 долларов", 1500.0), ("€2.5 million", 2.5e6), ("$3bn", 3e9)],
)
def test_number_formats(written: str, value: float) -> None:
    (fact,) = extract_facts("", f"Exports reached {written}.")

    assert fact.value == value


@pytest.mark.parametrize("text", ["", "No figures here.", "1. 2. 3.", "$ million %", "9" * 5000])
def test_odd_text_does_not_crash(text: str) -> None:
    assert isinstance(extract_facts("", text), tuple)


def test_latest_trade_turnover_takes_the_newest_article() -> None:
    old = extract_facts("", TREND)
    new = extract_facts(
        "", "Trade between Azerbaijan and Belarus reached $497.3 million in 2026, up 11.6%."
    )
    unrelated = extract_facts("", "Exports of tomatoes reached $14.2 million in 2026.")
    early = datetime(2026, 11, 12, tzinfo=UTC)
    late = datetime(2027, 1, 28, tzinfo=UTC)
    latest = datetime(2027, 2, 1, tzinfo=UTC)

    found = latest_trade_turnover([(late, new), (early, old), (latest, unrelated)])

    assert found is not None
    assert (found[0], found[1].text, found[1].period) == (late, "$497.3 million", "in 2026")
    assert latest_trade_turnover([(latest, unrelated)]) is None
    assert latest_trade_turnover([]) is None
