from __future__ import annotations

from pathlib import Path

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
        reason="az: Azerbaijan×16, Baku×3 (title); by: Belarus×13, Minsk×2 (title)",
        topics=("trade", "defence"),
        summary=(
            "Azerbaijan and Belarus – two former Soviet republics – have inked a bilateral "
            "defence cooperation plan for 2020."
        ),
        language="en",
    )


def test_russian_article(default_topics: tuple[Topic, ...]) -> None:
    result = classify(
        "Товарооборот Беларуси и Азербайджана вырос на 30%",
        read("ru-belta-trade-turnover.txt"),
        default_topics,
        language_hint="ru",
    )

    assert (result.relevant, result.topics, result.language) == (True, ("trade", "industry"), "ru")
    assert "Читайте также" not in result.summary
    assert result.summary.startswith("Минск, 15 февраля.")


def test_single_country_article_is_tagged_but_not_relevant(
    default_topics: tuple[Topic, ...],
) -> None:
    result = classify(
        "Belarus raises potash exports",
        "Belaruskali exported more potash to China.",
        default_topics,
    )

    assert (result.relevant, result.relevance_score) == (False, 0.0)
    assert result.topics == ("trade", "agriculture")
