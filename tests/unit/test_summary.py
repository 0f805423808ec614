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

    assert summary.startswith(
        "Belarusian expert Alexey Avdonin stated in a video that Belarus, already a member of "
        "the Shanghai Cooperation Organization (SCO), will develop relations with Azerbaijan."
    )
    assert len(summary) <= 350
    for furniture in ("Yandex", "VIDEO", "Similar news", "Archive", "Su Mo"):
        assert furniture not in summary


def test_azernews_summary_takes_the_lead_and_the_trade_figure() -> None:
    summary = summarise(
        "Azerbaijan, Belarus ink defence plan", read("seed-azernews-defence-plan-2019.txt")
    )

    assert summary == (
        "Azerbaijan and Belarus – two former Soviet republics – have inked a bilateral defence "
        "cooperation plan for 2020. Last year, the trade turnover between Azerbaijan and Belarus "
        "was about $204 million, which is approximately $56 million more than the figure of 2017."
    )


def test_at_most_three_sentences_in_article_order() -> None:
    text = " ".join(f"Point {n} of the talks in Minsk was agreed." for n in range(1, 9))

    summary = summarise("Talks", text, limit=1000)

    assert len(split_sentences(summary)) == 3
    assert summary.startswith("Point 1 of the talks")
    numbers = [int(word) for word in summary.split() if word.isdigit()]
    assert numbers == sorted(numbers)


def test_a_dateline_is_not_summary_material() -> None:
    text = "МИНСК, 16 ноября (БЕЛТА) – Товарооборот вырос на 14%. Стороны довольны итогами."

    assert summarise("Товарооборот", text).startswith("Товарооборот вырос на 14%.")


def test_a_sentence_with_figures_beats_a_vague_one() -> None:
    text = (
        "The ministers met in Baku on Monday.\n"
        "They talked about many things in a friendly atmosphere, as usual.\n"
        "Trade turnover reached $412.6 million in January-October, up 17.4%."
    )

    summary = summarise("Ministers meet", text, limit=110)

    assert summary == (
        "The ministers met in Baku on Monday. "
        "Trade turnover reached $412.6 million in January-October, up 17.4%."
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
    # whole sentences of the article, or one cut at a word boundary and ended with "…"
    for sentence in split_sentences(summary):
        body = sentence.removesuffix("…")
        if len(body) > 1:
            at = source.index(body)
            if sentence.endswith("…"):
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


def test_the_default_limit_is_350() -> None:
    text = " ".join(f"Sentence {n} on trade between Azerbaijan and Belarus." for n in range(60))

    assert 0 < len(summarise("Trade", text)) <= 350


@pytest.mark.parametrize(
    "text",
    [
        "Belarus and Azerbaijan signed a deal. " * 5_500,  # 200 KB
        "&lt;p&gt;Azerbaijan &amp; Belarus&lt;/p&gt; <b>signed</b> a deal &#8212; in Minsk.",
        "Азербайджан и Беларусь подписали соглашение. Azərbaycan və Belarus saziş imzalayıb.",
        "\x00\u200b\ufeff",
        "x" * 5000,  # one 5,000-letter "word": only "…" fits
    ],
)
def test_odd_text_gives_a_bounded_summary(text: str) -> None:
    summary = summarise("Title", text)

    assert len(summary) <= 350
