from __future__ import annotations

from pathlib import Path

import pytest

from bot.pipeline.text import fix_homoglyphs, html_to_text, remove_boilerplate, split_sentences

DATA = Path(__file__).parent.parent / "data"


# --- html_to_text ----------------------------------------------------------------------


def test_html_to_text_drops_script_and_decodes_entities() -> None:
    markup = "<p>Baku &amp; Minsk<script>alert(1)</script> sign&nbsp;deal</p><style>p {}</style>"
    assert html_to_text(markup) == "Baku & Minsk sign deal"


def test_html_to_text_decodes_named_and_numeric_entities() -> None:
    markup = "&ldquo;Trade&rdquo; &#8212; &#x2018;export&#x2019; &laquo;МАЗ&raquo;"
    assert html_to_text(markup) == "“Trade” — ‘export’ «МАЗ»"


def test_html_to_text_turns_blocks_into_lines_and_paragraphs() -> None:
    markup = """
    <div>
      <h2>Azerbaijan and Belarus</h2>
      <p>First   paragraph,
         wrapped in the source.</p>
      <p>Second<br>line<br/>break</p>
      <ul><li>tractors</li>
          <li>trucks</li></ul>
    </div>
    """
    assert html_to_text(markup) == (
        "Azerbaijan and Belarus\n\n"
        "First paragraph, wrapped in the source.\n\n"
        "Second\nline\nbreak\n\n"
        "tractors\ntrucks"
    )


def test_html_to_text_keeps_at_most_one_blank_line() -> None:
    markup = "<p>One</p><p></p><p> </p><br><br><br><p>Two</p>"
    assert html_to_text(markup) == "One\n\nTwo"


def test_html_to_text_keeps_line_breaks_of_plain_text() -> None:
    assert html_to_text("Line one &amp; two\nLine three\n\n\n\nNext") == (
        "Line one & two\nLine three\n\nNext"
    )


def test_html_to_text_survives_broken_markup() -> None:
    assert html_to_text("<p>Unclosed <b>bold <i>text") == "Unclosed bold text"


# --- remove_boilerplate ----------------------------------------------------------------


def test_remove_boilerplate_cleans_the_newsaz_page() -> None:
    page = (DATA / "seed-newsaz-sco-video-page.txt").read_text(encoding="utf-8")

    cleaned = remove_boilerplate(page)

    assert cleaned.startswith("New opportunities for Belarus and Azerbaijan in the SCO\n\n")
    assert cleaned.endswith("the Middle East, Africa, and Latin America.")
    for furniture in ("Yandex", "VIDEO", "Similar news", "Archive", "Prev", "Su Mo", "News.Az"):
        assert furniture not in cleaned
    assert cleaned.count("\n\n") == 5  # the title line and five paragraphs remain


def test_remove_boilerplate_drops_azernews_byline_and_date() -> None:
    page = (DATA / "seed-azernews-defence-plan-2019.txt").read_text(encoding="utf-8")

    cleaned = remove_boilerplate(page)

    assert cleaned.startswith("Azerbaijan and Belarus – two former Soviet republics")
    assert "Rasana Gasimova" not in cleaned
    assert "2019-10-30" not in cleaned


@pytest.mark.parametrize(
    "furniture",
    [
        "Share",
        "Поделиться",
        "Paylaş",
        "Архив",
        "Arxiv",
        "Read also: Lukashenko meets Aliyev in Minsk",
        "Читайте также: Лукашенко поздравил Алиева",
        "Həmçinin oxuyun: Əliyev Minskdə",
        "Пн Вт Ср Чт Пт Сб Вс",
        "14 15 16 17 18 19 20",
        "By Rasana Gasimova",
        "Автор: Иван Петров",
        "Фото: пресс-служба Президента Беларуси",
        "12.03.2024 14:05",
        "Azernews",
        "Report.az",
        "© 2024 News.Az. All rights reserved",
    ],
)
def test_remove_boilerplate_drops_furniture_lines(furniture: str) -> None:
    text = f"Belarus and Azerbaijan signed a plan.\n{furniture}\nThe plan covers 2020."
    assert (
        remove_boilerplate(text) == "Belarus and Azerbaijan signed a plan.\nThe plan covers 2020."
    )


@pytest.mark.parametrize(
    "heading",
    ["Similar news", "Похожие новости", "Другие новости", "Oxşar xəbərlər", "Digər xəbərlər"],
)
def test_remove_boilerplate_cuts_lists_of_other_headlines(heading: str) -> None:
    text = f"Trade grew by 30%.\n\n{heading}\n\nBelarus and China sign an education deal"
    assert remove_boilerplate(text) == "Trade grew by 30%."


def test_remove_boilerplate_drops_headline_after_a_bare_read_also() -> None:
    text = "Trade grew.\nRead also\nLukashenko meets Aliyev in Minsk\nExports doubled."
    assert remove_boilerplate(text) == "Trade grew.\nExports doubled."


@pytest.mark.parametrize("marker", ["VIDEO:", "PHOTO:", "ВИДЕО:", "VİDEO:", "FOTO:"])
def test_remove_boilerplate_strips_leading_markers(marker: str) -> None:
    assert remove_boilerplate(f"{marker} Aliyev visits Minsk") == "Aliyev visits Minsk"


@pytest.mark.parametrize(
    "paragraph",
    [
        "Share of Belarusian exports grew by 5%.",
        "By 2025, trade turnover is expected to reach $1 billion.",
        "Archive documents of the Soviet period were handed over to Baku.",
        "Video conference between Minsk and Baku held on Monday.",
        "1 2 3 4 — the numbers of the new trade agreement articles were agreed.",
    ],
)
def test_remove_boilerplate_keeps_real_paragraphs(paragraph: str) -> None:
    assert remove_boilerplate(paragraph) == paragraph


# --- split_sentences -------------------------------------------------------------------


def test_split_sentences_english_abbreviations_and_decimals() -> None:
    text = (
        "Mr. Hasanov met Gen. Ravkov in the U.S. capital on Monday. "
        "Trade was about $204.5 million in 2018. Exports rose!"
    )
    assert split_sentences(text) == [
        "Mr. Hasanov met Gen. Ravkov in the U.S. capital on Monday.",
        "Trade was about $204.5 million in 2018.",
        "Exports rose!",
    ]


def test_split_sentences_russian() -> None:
    text = (
        "В 2023 г. товарооборот составил 1,5 млрд. долларов. "
        "«Мы подписали план», — сказал А. Лукашенко. Встреча прошла в г. Минске? Да."
    )
    assert split_sentences(text) == [
        "В 2023 г. товарооборот составил 1,5 млрд. долларов.",
        "«Мы подписали план», — сказал А. Лукашенко.",
        "Встреча прошла в г. Минске?",
        "Да.",
    ]


def test_split_sentences_azerbaijani() -> None:
    text = "Ticarət dövriyyəsi 30 faiz artıb. İ. Əliyev Minskdə olub. Əməkdaşlıq 5 mln. manat."
    assert split_sentences(text) == [
        "Ticarət dövriyyəsi 30 faiz artıb.",
        "İ. Əliyev Minskdə olub.",
        "Əməkdaşlıq 5 mln. manat.",
    ]


def test_split_sentences_keeps_closing_quotes_with_their_sentence() -> None:
    text = 'He said: "We signed the plan." Then he left. "Why?" she asked.'
    assert split_sentences(text) == [
        'He said: "We signed the plan."',
        "Then he left.",
        '"Why?" she asked.',
    ]


def test_split_sentences_line_breaks_end_sentences() -> None:
    assert split_sentences("Headline without a period\n\nFirst. Second.\n") == [
        "Headline without a period",
        "First.",
        "Second.",
    ]


def test_split_sentences_of_empty_text() -> None:
    assert split_sentences("  \n\n ") == []


# --- fix_homoglyphs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("\u0412elarus", "Belarus"),  # Cyrillic В in a Latin word
        ("A\u0437\u0435\u0440\u0431a\u0439\u0434\u0436a\u043d", "Азербайджан"),  # Latin A, a
        ("Aзepбaйджaн и Беларусь", "Азербайджан и Беларусь"),
        ("plain text, простой текст", "plain text, простой текст"),
        ("iPhone-ы", "iPhone-ы"),  # a hyphen separates the words
        ("", ""),
    ],
)
def test_fix_homoglyphs_writes_a_word_in_its_main_script(text: str, fixed: str) -> None:
    assert fix_homoglyphs(text) == fixed


# Lines of every kind the line rules know, and prose: texts made of them must come out of the
# whole-text shortcuts exactly as out of the line-by-line rules.
_LINES = [
    "", " ", "Officials said the talks covered trade and energy.", "Similar news", "Read also:",
    "Azerbaijan and Belarus sign a deal", "VIDEO: Aliyev meets Lukashenko", "Archive",
    "Mo Tu We Th Fr Sa Su", "1 2 3 4 5 6 7", "2026-11-23 10:00", "By Rasana Gasimova",
    "By contrast, exports grew by 5 percent.", "News.Az", "Автор: Иван Петров", "Архив новостей",
    "BAKU, Azerbaijan, Nov. 19. Trend:", "МИНСК, 16 ноября (БЕЛТА) – Товарооборот вырос.",
    "Source: Sputnik Azerbaijan", "© BelTA", "Azernews, Baku.", "Sputnik Belarus reported it.",
    "The figures for the first 10 months were published.", "Baku, 5 May – talks began.",
    "Yandex.Metrika", "\tTabbed\u00a0line\u200b here ", "Prev Next", "Share", "фото: БЕЛТА",
    "VİDEO", "Vıdeo: Bakı", "MÖVZU İLƏ BAĞLI XƏBƏRLƏR", "Mövzu ilə bağlı xəbərlər", "ARXİV",
    "Bizi izləyin: Facebook", "Şərhlər (3)", "ÇAP ET", "Oxşar xəbərlər:", "Müəllif: Aynur Əliyeva",
    "By İlham Əliyev", "Read also\u200b:", "© 2026 Report.az.",
]  # fmt: skip


def _generated_texts(count: int) -> list[str]:
    import random

    rng = random.Random(7)
    return ["\n".join(rng.choice(_LINES) for _ in range(rng.randint(0, 9))) for _ in range(count)]


def test_remove_boilerplate_shortcut_matches_the_line_rules() -> None:
    from bot.pipeline.text import _boilerplate_by_line, _tidy

    short = 0
    for text in _generated_texts(5_000):
        assert remove_boilerplate(text) == _boilerplate_by_line(_tidy(text)), text
        short += remove_boilerplate(text) == _tidy(text)
    assert short > 100  # many texts take the shortcut: the comparison covers it


def test_strip_datelines_shortcut_matches_the_line_rules() -> None:
    from bot.pipeline.cues import _datelines_by_line, strip_datelines

    unchanged = 0
    for text in _generated_texts(5_000):
        assert strip_datelines(text) == _datelines_by_line(text), text
        unchanged += strip_datelines(text) is text
    assert unchanged > 100


def test_tidy_collapses_every_run_of_space_strips_lines_and_keeps_one_blank_line() -> None:
    """``_tidy`` returns tidy text as it is and rewrites the rest line by line: it must
    give what the plain definition gives, on text tidy or not."""
    import random
    import re

    from bot.pipeline.text import _is_tidy, _tidy

    # a run of whitespace and zero-width characters, in any mix, becomes one space
    every_run = re.compile(r"(?:[^\S\n]|[\u200b\u200c\u200d\u2060\ufeff])+")

    def reference(text: str) -> str:
        lines = [line.strip(" ") for line in every_run.sub(" ", text).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")

    pieces = [" ", "  ", "\t", "\n", "\n\n", "a", "Б", "\u200b", "\ufeff", "\xa0", "\u3000"]
    pieces += ["\x0b", "\r", "\x1c", "\x85", "\u2028", "\u2009", "\u202f", "b c"]
    rng = random.Random(3)
    tidy = 0
    for _ in range(50_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert _tidy(text) == reference(text), repr(text)
        assert _is_tidy(_tidy(text)), repr(text)
        tidy += _is_tidy(text)
    assert tidy > 1_000  # the shortcut is taken, and checked


def test_untidy_characters_are_pythons_whitespace_and_the_zero_width_ones() -> None:
    import sys

    from bot.pipeline.text import _UNTIDY_CHARACTER

    found = {chr(c) for c in range(sys.maxunicode + 1) if _UNTIDY_CHARACTER.match(chr(c))}
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()} - {" ", "\n"}
    assert found == spaces | set("\u200b\u200c\u200d\u2060\ufeff")
