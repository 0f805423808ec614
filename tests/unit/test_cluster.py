from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import StoryItem
from bot.pipeline.cluster import assign_stories, story_key

MONDAY = datetime(2024, 3, 11, 9, 0, tzinfo=UTC)


def test_story_key_keeps_significant_stems() -> None:
    assert story_key(
        "Azerbaijan and Belarus sign a defence cooperation plan for 2020"
    ) == frozenset({"sign", "defenc", "cooper", "plan", "2020"})


def test_story_key_in_russian_and_azerbaijani() -> None:
    assert story_key("Беларусь и Азербайджан обсудили поставки тракторов МТЗ") == frozenset(
        {"обсуди", "постав", "тракто", "мтз"}
    )
    assert story_key("Azərbaycan və Belarus arasında ticarət artıb") == frozenset(
        {"ticare", "artib"}
    )


def test_story_key_ignores_case_and_punctuation() -> None:
    assert story_key("ALIYEV, LUKASHENKO: TALKS!") == story_key("Aliyev — Lukashenko talks")


# --- assign_stories: across outlets and languages --------------------------------------


CALL_EN = StoryItem(
    "en",
    "Ilham Aliyev and Alexander Lukashenko hold phone talks",
    "BAKU, Azerbaijan, March 12. Trend: President of Azerbaijan Ilham Aliyev has held a "
    "telephone conversation with President of Belarus Alexander Lukashenko. The heads of state "
    "discussed the meeting of the intergovernmental commission in Minsk.",
    MONDAY,
    "en",
)
CALL_RU = StoryItem(
    "ru",
    "Лукашенко провел телефонный разговор с Алиевым",
    "МИНСК, 12 марта (БЕЛТА) – Президент Беларуси Александр Лукашенко провел телефонный "
    "разговор с Президентом Азербайджана Ильхамом Алиевым. Стороны обсудили заседание "
    "межправительственной комиссии в Минске.",
    MONDAY + timedelta(hours=1),
    "ru",
)
CALL_AZ = StoryItem(
    "az",
    "İlham Əliyev Aleksandr Lukaşenko ilə telefonla danışıb",
    "Bakı, 12 mart, AZƏRTAC. Prezident İlham Əliyev Belarus Prezidenti Aleksandr Lukaşenko ilə "
    "telefonla danışıb. Minskdə keçiriləcək hökumətlərarası komissiyanın iclası müzakirə olunub.",
    MONDAY + timedelta(hours=2),
    "az",
)
TRADE_EN = StoryItem(
    "trade-en",
    "Azerbaijan-Belarus trade turnover up 17.4% in January-October",
    "Trade turnover between Azerbaijan and Belarus amounted to $412.6 million in "
    "January-October, the State Customs Committee said.",
    MONDAY,
    "en",
)
TRADE_AZ = StoryItem(
    "trade-az",
    "Azərbaycanla Belarus arasında ticarət dövriyyəsi artıb",
    "Yanvar-oktyabr aylarında ticarət dövriyyəsi 412,6 milyon dollar təşkil edib, 17,4 faiz çox.",
    MONDAY + timedelta(hours=3),
    "az",
)


def test_one_event_in_three_languages_is_one_story() -> None:
    assert assign_stories([], [CALL_EN, CALL_RU, CALL_AZ]) == ["en", "en", "en"]


def test_shared_figures_join_a_story_across_languages() -> None:
    assert assign_stories([], [TRADE_EN, TRADE_AZ]) == ["trade-en", "trade-en"]


def test_new_items_join_existing_stories_by_their_story_id() -> None:
    existing = [replace(CALL_EN, story="story-7")]

    assert assign_stories(existing, [CALL_RU, TRADE_EN]) == ["story-7", "trade-en"]


def test_different_events_are_different_stories() -> None:
    assert assign_stories([], [CALL_EN, TRADE_EN, CALL_RU]) == ["en", "trade-en", "en"]


def test_a_preview_and_the_report_are_two_stories() -> None:
    preview = StoryItem(
        "preview",
        "Lukashenko to pay state visit to Azerbaijan next week",
        "President of Belarus Alexander Lukashenko will pay a state visit to Azerbaijan on May "
        "12-13. The presidents Ilham Aliyev and Lukashenko are expected to sign a declaration.",
        MONDAY,
        "en",
    )
    report = StoryItem(
        "report",
        "Aliyev and Lukashenko hold talks in Baku, sign declaration",
        "President Ilham Aliyev and President Alexander Lukashenko held talks in Baku on May 12 "
        "and signed a declaration on strategic partnership.",
        MONDAY + timedelta(days=1),
        "en",
    )

    assert assign_stories([], [preview, report]) == ["preview", "report"]


def test_two_meetings_on_the_same_day_are_two_stories() -> None:
    prime_minister = StoryItem(
        "pm",
        "President Ilham Aliyev receives Belarusian Prime Minister",
        "BAKU, Azerbaijan, September 23. President Ilham Aliyev has received a delegation led by "
        "Prime Minister of Belarus Roman Golovchenko. They discussed joint production of MAZ buses.",
        MONDAY,
        "en",
    )
    ministers = StoryItem(
        "fm",
        "Jeyhun Bayramov meets Belarusian Foreign Minister Maxim Ryzhenkov",
        "BAKU, Azerbaijan, September 23. Foreign Minister Jeyhun Bayramov met with Foreign "
        "Minister of Belarus Maxim Ryzhenkov in Baku and signed a plan of consultations.",
        MONDAY + timedelta(hours=2),
        "en",
    )

    assert assign_stories([], [prime_minister, ministers]) == ["pm", "fm"]


def test_stories_stay_within_the_window() -> None:
    late = replace(CALL_RU, published=MONDAY + timedelta(days=5))

    assert assign_stories([], [CALL_EN, late]) == ["en", "ru"]
    assert assign_stories([], [CALL_EN, late], window=timedelta(days=6)) == ["en", "en"]


@pytest.mark.parametrize(
    "item",
    [
        StoryItem("empty", "", "", None, None),
        StoryItem("digits", "2024", "15% 2,5", None, "ru"),
        StoryItem("huge", "Azerbaijan and Belarus", "Belarus trade. " * 15_000, MONDAY, "en"),
    ],
)
def test_odd_items_do_not_crash(item: StoryItem) -> None:
    assert assign_stories([CALL_EN], [item]) == [item.id]


def test_no_new_items() -> None:
    assert assign_stories([CALL_EN], []) == []


# --- StoryIndex: a cycle's feeds grouped one batch after another -------------------------


def _labelled_items() -> list[StoryItem]:
    import json
    from pathlib import Path

    rows = []
    for name in ("dev.jsonl", "heldout.jsonl"):
        path = Path(__file__).parents[1] / "data" / "labelled" / name
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        StoryItem(
            row["id"],
            row["title"],
            row["text"],
            datetime.fromisoformat(row["published"]),
            row["language"],
        )
        for row in rows
    ]


@pytest.mark.parametrize("batch", [1, 3, 7, 40])
def test_story_index_in_batches_equals_assign_stories_on_everything_before(batch: int) -> None:
    from bot.pipeline.cluster import StoryIndex

    items = _labelled_items()
    existing = [replace(item, story=item.id) for item in items[:20]]
    index = StoryIndex(existing, timedelta(days=3650))
    grouped = list(existing)
    for start in range(20, len(items), batch):
        new = items[start : start + batch]
        expected = assign_stories(grouped, new, timedelta(days=3650))
        assert index.assign(new) == expected
        grouped += [replace(item, story=story) for item, story in zip(new, expected, strict=True)]
    # the labelled corpus has stories told by several outlets: some items joined others
    assert len({item.story for item in grouped}) < len(grouped)


def test_a_big_story_is_compared_through_its_latest_twenty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A story of 60 articles: a new one is compared with its latest 20 only (not 60, which
    makes grouping quadratic as a story grows), and still joins it."""
    import bot.pipeline.cluster as cluster

    members = [
        replace(TRADE_EN, id=f"m{n}", story="big", published=MONDAY + timedelta(minutes=n))
        for n in range(60)
    ]
    compared: list[int] = []
    similarity = cluster._similarity

    def counted(left: int, right: int, weights: object) -> float:
        compared.append(right)
        return similarity(left, right, weights)  # type: ignore[arg-type]

    monkeypatch.setattr(cluster, "_similarity", counted)
    new = replace(TRADE_AZ, id="new", published=MONDAY + timedelta(hours=2))
    assert cluster.assign_stories(members, [new]) == ["big"]
    assert sorted(compared) == list(range(40, 60))  # the latest twenty, by arrival


def test_an_exact_tie_goes_to_the_later_story_whatever_the_hash_seed() -> None:
    """Two candidates holding the same words in another order score exactly alike, in every
    process: the later one wins (``>=``). Summing the shared words in an order that follows
    one candidate's own made the last bit, and so the story, depend on PYTHONHASHSEED."""
    import os
    import subprocess
    import sys

    code = (
        "from bot.models import StoryItem\n"
        "from bot.pipeline.cluster import assign_stories\n"
        "existing = [\n"
        "    StoryItem(id='A', title='cinema export pipeline harvest bridge grain', story='SA'),\n"
        "    StoryItem(id='B', title='export harvest grain cinema bridge pipeline', story='SB'),\n"
        "]\n"
        "new = [StoryItem(id='N', title='pipeline grain grain grain bridge pipeline harvest')]\n"
        "print(assign_stories(existing, new)[0])\n"
    )
    for seed in range(8):
        environ = {**os.environ, "PYTHONHASHSEED": str(seed)}
        done = subprocess.run(
            [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == "SB", f"PYTHONHASHSEED={seed}"
