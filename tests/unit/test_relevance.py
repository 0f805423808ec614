from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import Relevance
from bot.pipeline.relevance import RELEVANCE_THRESHOLD, assess_relevance
from bot.pipeline.text import remove_boilerplate

DATA = Path(__file__).parent.parent / "data"


def read(name: str) -> str:
    return remove_boilerplate((DATA / name).read_text(encoding="utf-8"))


def test_newsaz_seed_is_relevant() -> None:
    text = read("seed-newsaz-sco-video-page.txt")

    relevance = assess_relevance("New opportunities for Belarus and Azerbaijan in the SCO", text)

    assert relevance == Relevance(True, 1.0, "az: Azerbaijan×8 (title); by: Belarus×9 (title)")


def test_azernews_seed_is_relevant_from_its_text_alone() -> None:
    relevance = assess_relevance("", read("seed-azernews-defence-plan-2019.txt"))

    assert relevance.relevant is True
    assert relevance.reason == "az: Azerbaijan×15, Baku×3; by: Belarus×12, Minsk×2"


def test_russian_news_is_relevant() -> None:
    relevance = assess_relevance(
        "Товарооборот Беларуси и Азербайджана вырос на 30%", read("ru-belta-trade-turnover.txt")
    )

    assert relevance.relevant is True
    assert relevance.reason == (
        "az: Азербайджан×3, Баку, Гянджа (title); by: Беларусь×3, Белоруссия×2, Минск (title)"
    )


def test_azerbaijani_news_is_relevant() -> None:
    relevance = assess_relevance(
        "Əliyev və Lukaşenko telefonla danışıb", read("az-azertac-lukashenko-phone-call.txt")
    )

    assert relevance.relevant is True
    assert relevance.reason == (
        "az: Əliyev×2, Azərbaycan, Bakı, Gəncə (title); by: Belarus×3, Lukaşenko×2, Minsk (title)"
    )


@pytest.mark.parametrize(
    ("title", "text", "missing"),
    [
        ("Belarus and Russia discuss gas prices", "Lukashenko met Putin in Minsk.", "az"),
        ("Азербайджан и Турция провели учения", "Учения прошли под Баку.", "by"),
        ("Azərbaycan və Gürcüstan", "Bakıda yeni dəmir yolu xətti açılıb.", "by"),
        ("Weather", "Sunny and warm.", "az, by"),
    ],
)
def test_a_single_country_is_not_relevant(title: str, text: str, missing: str) -> None:
    relevance = assess_relevance(title, text)

    assert (relevance.relevant, relevance.score) == (False, 0.0)
    assert relevance.reason.endswith(f"no {missing}")


@pytest.mark.parametrize(
    ("az_form", "by_form"),
    [
        ("Azerbaijan's", "Belarus'"),
        ("Azerbaijani", "Belarusian"),
        ("Azeri", "Byelorussia"),
        ("Baku's", "Minsk's"),
        ("Aliyev", "Lukashenka"),
        ("Ganja", "Minsk-based"),
        ("Азербайджану", "Беларусью"),
        ("азербайджанский", "Белоруссии"),
        ("Алиеву", "белорусы"),
        ("Баку", "Минске"),
        ("Гяндже", "минского"),
        ("Азербайджаном", "Лукашенко"),
        ("Azərbaycanın", "Belarusun"),
        ("Azərbaycanlı", "Belarusa"),
        ("Bakıda", "Minskdə"),
        ("BAKI", "BELARUSDA"),
        ("Əliyevin", "Lukaşenko"),
        ("Gəncədə", "Minskin"),
        ("Azerbaycan", "Belarusbank"),
    ],
)
def test_inflected_forms_count(az_form: str, by_form: str) -> None:
    assert assess_relevance("", f"Talks: {az_form}, then {by_form}.").relevant is True


@pytest.mark.parametrize(
    "compound",
    [
        "белорусско-азербайджанский",
        "азербайджано-белорусских",
        "Azerbaijani-Belarusian",
        "Azərbaycan-Belarus",
    ],
)
def test_compounds_name_both_countries(compound: str) -> None:
    assert assess_relevance("", f"{compound} forum").relevant is True


@pytest.mark.parametrize(
    "text",
    [
        "Azerbaijan fears a Minsky moment in its banks.",
        "Bakunin's anarchism was discussed in Belarus.",
        "Tourists smoked ganja in Belarus.",
        "Baki kalan borç ödendi, Belarus açıkladı.",
    ],
)
def test_false_friends_do_not_count(text: str) -> None:
    assert assess_relevance("", text).relevant is False


def test_reason_lists_cues_with_counts_and_title() -> None:
    relevance = assess_relevance("Azerbaijan and Belarus", "Baku and Minsk. Azerbaijan.")

    assert relevance == Relevance(
        True, 0.79, "az: Azerbaijan×2, Baku (title); by: Belarus, Minsk (title)"
    )


def test_score_grows_with_title_and_mentions() -> None:
    in_text = assess_relevance("Trade news", "Azerbaijan and Belarus.").score
    one_in_title = assess_relevance("Azerbaijan trade", "Azerbaijan and Belarus.").score
    both_in_title = assess_relevance("Azerbaijan and Belarus", "Azerbaijan and Belarus.").score
    many = assess_relevance("Azerbaijan and Belarus", "Azerbaijan and Belarus. " * 20).score

    assert (in_text, one_in_title, both_in_title, many) == (0.5, 0.63, 0.76, 1.0)
    assert RELEVANCE_THRESHOLD == 0.5
