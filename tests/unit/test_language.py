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


def test_the_cached_model_classifies_as_the_package_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.pipeline import language

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    packaged = language._package_identifier()
    language._write_cache(language._cache_dir(), packaged)
    arguments, tk_row = language._mapped(language._cache_dir())
    assert isinstance(arguments[3], memoryview)  # mapped, not loaded
    from py3langid.langid import LanguageIdentifier

    cached = LanguageIdentifier(*arguments, norm_probs=True, tk_row=tk_row)
    texts = [path.read_text(encoding="utf-8")[:400] for path in DATA.glob("*.txt")]
    texts += ["Azərbaycan ilə Belarus", "Товарооборот вырос", "Trade grew", "2024", ""]
    for text in texts:
        assert cached.classify(text) == packaged.classify(text)


def test_a_broken_cache_falls_back_to_the_package_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.pipeline import language

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    directory = language._cache_dir()
    directory.mkdir(parents=True)
    (directory / "ptc.npy").write_bytes(b"not an array")
    identifier = language._load_identifier()
    assert identifier.classify("Товарооборот между Беларусью и Азербайджаном вырос.")[0] == "ru"


def test_the_cache_is_written_once_and_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.pipeline import language

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    language._load_identifier()  # builds the cache
    assert sorted(p.name for p in language._cache_dir().iterdir()) == [
        "classes.json", "nextmove.npy", "output.npy", "pc.npy", "ptc.npy", "row.npy",
    ]  # fmt: skip
    assert isinstance(language._load_identifier().tk_nextmove, memoryview)
