from __future__ import annotations

from pathlib import Path

import pytest

from bot.pipeline.language import detect_language

DATA = Path(__file__).parent.parent / "data"


def test_azerbaijani_is_not_turkish() -> None:
    text = (DATA / "az-azertac-lukashenko-phone-call.txt").read_text(encoding="utf-8")
    assert detect_language(text) == "az"


def test_russian() -> None:
    text = (DATA / "ru-belta-trade-turnover.txt").read_text(encoding="utf-8")
    assert detect_language(text) == "ru"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Azerbaijan and Belarus have inked a bilateral defence cooperation plan.", "en"),
        ("Azərbaycan ilə Belarus arasında ticarət dövriyyəsi artıb.", "az"),
        ("Prezident İlham Əliyev Minskdə görüşüb.", "az"),
        ("Товарооборот между Беларусью и Азербайджаном вырос.", "ru"),
        ("Тавараабарот паміж Беларуссю і Азербайджанам павялічыўся.", "be"),
        ("Товарообіг між Білоруссю та Азербайджаном зріс.", "uk"),
        ("Türkiye ile Azerbaycan arasındaki ticaret hacmi arttı.", "tr"),
    ],
)
def test_languages_we_meet(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [("", None, "und"), ("  ", "ru", "ru"), ("2024 — 15%", "az-AZ", "az")],
)
def test_text_without_letters_gives_the_hint(text: str, hint: str | None, language: str) -> None:
    assert detect_language(text, hint) == language


def test_confident_text_wins_over_the_hint() -> None:
    text = "Товарооборот между Беларусью и Азербайджаном вырос на 30 процентов за год."
    assert detect_language(text, hint="en") == "ru"
