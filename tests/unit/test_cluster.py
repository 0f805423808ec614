from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.pipeline.cluster import assign_clusters, story_key

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


def test_near_identical_titles_are_one_story() -> None:
    items = [
        ("a", "Azerbaijan, Belarus sign defence cooperation plan for 2020", MONDAY),
        (
            "b",
            "Belarus and Azerbaijan signed a defence cooperation plan for 2020",
            MONDAY + timedelta(hours=5),
        ),
        ("c", "Lukashenko congratulates Aliyev on his birthday", MONDAY + timedelta(hours=6)),
    ]
    assert assign_clusters(items) == ["a", "a", "c"]


def test_same_title_outside_the_window_is_a_new_story() -> None:
    items = [
        ("a", "Aliyev and Lukashenko hold phone talks", MONDAY),
        ("b", "Aliyev and Lukashenko hold phone talks", MONDAY + timedelta(days=4)),
        ("c", "Aliyev and Lukashenko hold phone talks", MONDAY + timedelta(days=5)),
    ]
    assert assign_clusters(items) == ["a", "b", "b"]
    assert assign_clusters(items, window=timedelta(days=6)) == ["a", "a", "a"]


def test_missing_dates_count_as_within_the_window() -> None:
    items = [
        ("a", "Aliyev and Lukashenko hold phone talks", MONDAY),
        ("b", "Aliyev, Lukashenko hold phone talks", None),
    ]
    assert assign_clusters(items) == ["a", "a"]


def test_an_item_joins_the_story_of_the_first_similar_item() -> None:
    items = [
        ("a", "Belarusian MAZ trucks to be assembled in Ganja", MONDAY),
        ("b", "Belarus tractors to be assembled in Ganja", MONDAY),
        ("c", "MAZ trucks and tractors to be assembled in Ganja", MONDAY),
    ]
    assert assign_clusters(items) == ["a", "b", "a"]


def test_titles_without_significant_words_only_join_identical_ones() -> None:
    items = [
        ("a", "Azerbaijan — Belarus", None),
        ("b", "azerbaijan — belarus", None),
        ("c", "Belarus", None),
    ]
    assert assign_clusters(items) == ["a", "a", "c"]


def test_no_items() -> None:
    assert assign_clusters([]) == []
