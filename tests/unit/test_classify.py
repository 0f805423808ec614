from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import Classification, Topic
from bot.pipeline.classify import classify

ROOT = Path(__file__).parent.parent.parent
DATA = ROOT / "tests" / "data"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_newsaz_seed(default_topics: tuple[Topic, ...]) -> None:
    result = classify(
        "VIDEO: New opportunities for Belarus and Azerbaijan in the SCO",
        read("seed-newsaz-sco-video-page.txt"),
        default_topics,
    )

    assert (result.relevant, result.language) == (True, "en")
    assert {"trade", "diplomacy"} <= set(result.topics)
    assert result.summary.startswith("Belarusian expert Alexey Avdonin stated")


def test_azernews_seed(default_topics: tuple[Topic, ...]) -> None:
    result = classify(
        "Azerbaijan, Belarus ink defence cooperation plan for 2020",
        read("seed-azernews-defence-plan-2019.txt"),
        default_topics,
        summary_limit=120,
    )

    assert result == Classification(
        relevant=True,
        relevance_score=1.0,
        reason=(
            "az: Azerbaijan×16, Baku×3 (title); by: Belarus×13, Minsk×2 (title); both in title; "
            "8 more sentences; relation: bilateral, cooperation, meeting"
        ),
        topics=("trade", "defence"),
        summary=(
            "Azerbaijan and Belarus – two former Soviet republics – have inked a bilateral "
            "defence cooperation plan for 2020."
        ),
        language="en",
        facts=result.facts,
    )
    turnover = result.facts[0]
    assert (turnover.kind, turnover.value, turnover.unit, turnover.text) == (
        "money",
        204_000_000.0,
        "USD",
        "$204 million",
    )
    assert (turnover.metric, turnover.period) == ("trade_turnover", "Last year")
    assert [(f.text, f.metric, f.direction) for f in result.facts[3:]] == [
        ("$55.9 million", "imports", "by->az"),
        ("$3.3 million", "exports", "az->by"),
    ]


def test_russian_article(default_topics: tuple[Topic, ...]) -> None:
    result = classify(
        "Товарооборот Беларуси и Азербайджана вырос на 30%",
        read("ru-belta-trade-turnover.txt"),
        default_topics,
        language_hint="ru",
    )

    assert (result.relevant, result.topics, result.language) == (True, ("trade", "industry"), "ru")
    assert "Читайте также" not in result.summary
    # the dateline "Минск, 15 февраля." is not summary material
    assert result.summary.startswith("Товарооборот между Беларусью и Азербайджаном")
    assert len(result.summary) <= 350
    assert result.facts[0].text == "$450,5 млн"
    assert result.facts[0].period == "по итогам 2023 г."


def test_single_country_article_is_not_relevant_and_gets_the_cheap_path(
    default_topics: tuple[Topic, ...],
) -> None:
    result = classify(
        "Belarus raises potash exports",
        "Belaruskali exported more potash to China. Exports rose by 12%.",
        default_topics,
    )

    assert (result.relevant, result.relevance_score) == (False, 0.0)
    # never shown as a story: no topics, its lead as summary, no facts
    assert (result.topics, result.facts) == ((), ())
    assert result.summary == "Belaruskali exported more potash to China. Exports rose by 12%."


def test_the_default_summary_limit_is_350(default_topics: tuple[Topic, ...]) -> None:
    text = " ".join(f"Sentence number {i} about Azerbaijan and Belarus trade." for i in range(40))

    result = classify("Azerbaijan and Belarus", text, default_topics)

    assert 0 < len(result.summary) <= 350


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("", ""),
        ("Aliyev and Lukashenko hold phone talks", ""),
        ("Azerbaijan and Belarus", "Belarus harvest. " * 12_000),  # 200 KB
        ("Mixed", "Azerbaijan and Belarus. Азербайджан и Беларусь. Azərbaycan və Belarus."),
        ("&lt;b&gt;Azerbaijan&lt;/b&gt;", "<p>Belarus &amp; Azerbaijan &#8212; talks</p>"),
        ("\u0412elarus", "\u0410zerbaijan"),
        ("Belarus Street in Baku", "Traffic on Belarus Street in Baku."),
        ("\x00\ufeff", "\u200b\n\r\t"),
    ],
)
def test_bad_input_never_crashes(default_topics: tuple[Topic, ...], title: str, text: str) -> None:
    result = classify(title, text, default_topics)

    assert 0.0 <= result.relevance_score <= 1.0
    assert len(result.summary) <= 350
    assert result.language
