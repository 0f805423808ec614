from __future__ import annotations

import pytest

from bot.pipeline.translit import word_key


@pytest.mark.parametrize(
    "spellings",
    [
        [("Лукашенко", "ru"), ("Lukashenko", "en"), ("Lukaşenko", "az"), ("Lukashenka", "en")],
        [("Минск", "ru"), ("Minsk", "en"), ("Минске", "ru"), ("Minskdə", "az")],
        [("Баку", "ru"), ("Baku", "en"), ("Bakı", "az"), ("Bakıda", "az"), ("Bakıya", "az")],
        [("Алиев", "ru"), ("Aliyev", "en"), ("Əliyev", "az"), ("Алиева", "ru")],
        [("Гянджа", "ru"), ("Ganja", "en"), ("Gəncə", "az")],
        [("Гасанов", "ru"), ("Hasanov", "en"), ("Həsənov", "az")],
        [("Рыженков", "ru"), ("Ryzhenkov", "en"), ("Rıjenkov", "az")],
        [("трактор", "ru"), ("tractor", "en"), ("traktor", "az")],
        [("МАЗ", "ru"), ("MAZ", "en")],
    ],
)
def test_one_name_one_key_across_scripts(spellings: list[tuple[str, str]]) -> None:
    keys = {word_key(word, language) for word, language in spellings}

    assert len(keys) == 1, keys


def test_different_names_differ() -> None:
    assert word_key("Lukashenko") != word_key("Aliyev")
    assert word_key("Bayramov") != word_key("Ryzhenkov")


@pytest.mark.parametrize("word", ["", "2024", "—", "İ", "ß"])
def test_odd_words_give_a_short_key(word: str) -> None:
    assert len(word_key(word, "az")) <= 4
