from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.pipeline.summary import summarise
from bot.pipeline.text import remove_boilerplate, split_sentences

DATA = Path(__file__).parent.parent / "data"
NEWSAZ_TITLE = "VIDEO: New opportunities for Belarus and Azerbaijan in the SCO"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_newsaz_summary_has_no_page_furniture() -> None:
    summary = summarise(NEWSAZ_TITLE, read("seed-newsaz-sco-video-page.txt"))

    assert summary == (
        "Belarusian expert Alexey Avdonin stated in a video that Belarus, already a member of "
        "the Shanghai Cooperation Organization (SCO), will develop relations with Azerbaijan."
    )
    for furniture in ("Yandex", "VIDEO", "Similar news", "Archive", "Su Mo"):
        assert furniture not in summary


def test_azernews_summary_takes_leading_sentences_within_the_limit() -> None:
    summary = summarise(
        "Azerbaijan, Belarus ink defence plan", read("seed-azernews-defence-plan-2019.txt")
    )

    assert summary == (
        "Azerbaijan and Belarus – two former Soviet republics – have inked a bilateral defence "
        "cooperation plan for 2020."
    )


def test_several_sentences_fit() -> None:
    text = "Exports grew. Imports fell. Trade turnover reached $1 billion in 2023."
    assert summarise("Trade", text, limit=30) == "Exports grew. Imports fell."


@pytest.mark.parametrize(
    "name",
    [
        "seed-newsaz-sco-video-page.txt",
        "seed-azernews-defence-plan-2019.txt",
        "ru-belta-trade-turnover.txt",
    ],
)
@pytest.mark.parametrize("limit", [1, 2, 5, 17, 40, 99, 150, 300, 600])
def test_summary_stays_within_limit_and_never_cuts_a_word(name: str, limit: int) -> None:
    source = " ".join(split_sentences(remove_boilerplate(read(name))))

    summary = summarise("Title", read(name), limit=limit)

    assert len(summary) <= limit
    body = summary.removesuffix("…")
    if len(body) > 1:
        at = source.index(body)
        assert re.fullmatch(r"\W?", source[at + len(body) : at + len(body) + 1])


def test_a_long_first_sentence_is_cut_at_a_word_and_ellipsised() -> None:
    text = (
        "Azerbaijan and Belarus signed a plan of bilateral defence cooperation for 2020 in Minsk."
    )
    assert summarise("Plan", text, limit=40) == "Azerbaijan and Belarus signed a plan of…"


def test_a_first_sentence_repeating_the_title_is_skipped() -> None:
    text = "Azerbaijan, Belarus sign defence plan\n\nThe ministers signed it in Minsk."
    assert (
        summarise("Azerbaijan, Belarus sign defence plan", text)
        == "The ministers signed it in Minsk."
    )


def test_a_text_that_only_repeats_the_title_gives_the_title() -> None:
    assert summarise("Aliyev visits Minsk", "Aliyev visits Minsk.") == "Aliyev visits Minsk"


@pytest.mark.parametrize("text", ["", "   \n\n ", "Yandex metrika counter\nShare\nArchive"])
def test_summary_of_empty_text_is_the_title(text: str) -> None:
    assert summarise("Lukashenko meets Aliyev", text) == "Lukashenko meets Aliyev"


def test_summary_of_empty_text_is_the_title_shortened() -> None:
    title = "Lukashenko and Aliyev discuss trade, defence and energy cooperation in Minsk"
    assert summarise(title, "", limit=30) == "Lukashenko and Aliyev discuss…"


def test_a_limit_shorter_than_the_first_word_gives_an_ellipsis() -> None:
    assert summarise("Title", "Azerbaijan and Belarus signed a plan.", limit=6) == "…"
