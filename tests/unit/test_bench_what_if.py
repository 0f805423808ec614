"""The benchmark's what-if (bench/_azby_unclassified.py) stands in for ``classify`` inside
``classify_entries``: it must take its arguments, reach the poll's classifying stage and keep
the articles' identity, or ``scripts/bench --what-if`` would time something else than azby's
poll without classifying."""

from __future__ import annotations

import importlib.util
import inspect
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from bot.models import Entry, Topic
from bot.pipeline.articles import classify_entries
from bot.pipeline.classify import classify

WHAT_IF = Path(__file__).resolve().parents[2] / "bench" / "_azby_unclassified.py"


def _what_if() -> ModuleType:
    spec = importlib.util.spec_from_file_location("azby_unclassified", WHAT_IF)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_takes_the_arguments_of_classify() -> None:
    assert inspect.signature(_what_if().unclassified) == inspect.signature(classify)


def test_same_articles_but_for_the_classification(
    default_topics: tuple[Topic, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = datetime(2026, 11, 24, 12, tzinfo=UTC)
    entries = [
        Entry(
            url="https://example.az/a",
            title="Azerbaijan and Belarus sign a trade roadmap",
            text="Baku and Minsk agreed on a roadmap for trade and industry.",
            published=datetime(2026, 11, 23, tzinfo=UTC),
            guid="a-1",
        ),
        Entry(url="https://example.by/b", title="Weather", text="Rain in Minsk.", language="ru"),
    ]
    full_texts = {"https://example.by/b": "Rain in Minsk all week, says the weather service."}
    arguments = dict(topics=default_topics, feed_language="en", threshold=0.5, at=at)
    real = classify_entries(entries, full_texts, **arguments)
    what_if = _what_if()
    with monkeypatch.context() as patch:
        # as the script does it, undone after (swap_classify sets the module's name)
        patch.setattr("bot.pipeline.articles.classify", classify)
        what_if.swap_classify()
        copied = classify_entries(entries, full_texts, **arguments)
    identity = ("url", "title", "text", "teaser", "published", "fetched", "guid", "content_hash")
    assert [[getattr(a, f) for f in identity] for a in copied] == [
        [getattr(a, f) for f in identity] for a in real
    ]
    assert [a.language for a in copied] == ["en", "ru"]  # the item's, else the feed's
    assert not any(a.relevant or a.topics or a.summary for a in copied)
