"""Throughput of ``classify`` (with summaries and facts) on one core, against baselines.

    .venv/bin/python bench/classify.py [path.jsonl …] [--repeat N]

Reads the labelled articles (default: every ``tests/data/labelled/*.jsonl``), repeats
them to get a few thousand calls, and prints articles per second of:

- ``len()``: the raw cost of touching each article (a floor, not a pipeline);
- ``title-only``: the first pipeline's title work (``story_key`` + old-style keyword
  counting in title and text), the cheapest thing that still looks at words;
- ``classify``: the full pipeline per article (boilerplate, relevance, topics, summary,
  language, facts); then again on a quarter of them with the text repeated as paragraphs
  to ``--long`` characters (a 600-word article is ~4,000; every sentence then names both
  countries: a worst case), and on the article pages of ``tests/data/*.txt`` (0.6–2.7 KB
  of real page text with its furniture);
- ``assign_stories``: story grouping of the same articles, in batches of 50 against a
  window of 200 earlier ones.

Ratios are within one run on the same machine; the target is ``classify`` ≥ 300/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.models import StoryItem  # noqa: E402
from bot.pipeline.classify import classify  # noqa: E402
from bot.pipeline.cluster import assign_stories, story_key  # noqa: E402
from bot.pipeline.language import detect_language  # noqa: E402
from bot.pipeline.topics import _topic_pattern, load_topics  # noqa: E402


def _load(paths: list[Path]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            rows.extend(json.loads(line) for line in lines if line.strip())
    return rows


def _rate(work: Callable[[], int], runs: int) -> float:
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        count = work()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=20, help="copies of the data per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--long",
        type=int,
        default=4000,
        help="also time articles whose text is repeated (as paragraphs) to this many characters",
    )
    args = parser.parse_args()
    paths = args.paths or sorted((ROOT / "tests" / "data" / "labelled").glob("*.jsonl"))
    rows = _load(paths) * args.repeat
    topics = load_topics(yaml.safe_load((ROOT / "bot" / "default_topics.yaml").read_text()))
    detect_language("warm up the language model")  # loaded once per process, not per call

    def raw() -> int:
        return sum(1 for row in rows if len(row["title"]) + len(row["text"]) >= 0)

    patterns = [_topic_pattern(topic.keywords) for topic in topics]

    def title_only() -> int:
        for row in rows:
            story_key(row["title"])
            for pattern in patterns:
                pattern.search(row["title"])
        return len(rows)

    def full() -> int:
        for row in rows:
            classify(row["title"], row["text"], topics, language_hint=row.get("language"))
        return len(rows)

    long_rows = [
        (row["title"], "\n\n".join([row["text"]] * (args.long // max(1, len(row["text"])) + 1)))
        for row in rows[: len(rows) // 4 or 1]
    ]

    pages = [
        (path.stem, path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "tests" / "data").glob("*.txt"))
    ] * args.repeat

    def full_pages() -> int:
        for title, text in pages:
            classify(title, text, topics)
        return len(pages)

    def full_long() -> int:
        for title, text in long_rows:
            classify(title, text, topics)
        return len(long_rows)

    items = [
        StoryItem(
            str(index),
            row["title"],
            row["text"],
            datetime.fromisoformat(row["published"]),
            row.get("language"),
            str(index),
        )
        for index, row in enumerate(rows)
    ]

    def stories() -> int:
        done = 0
        for start in range(200, len(items) - 50, 50):
            assign_stories(items[start - 200 : start], items[start : start + 50])
            done += 50
        return done

    figures = {
        "len()": _rate(raw, args.runs),
        "title-only": _rate(title_only, args.runs),
        "classify": _rate(full, args.runs),
        "classify pages": _rate(full_pages, args.runs),
        f"classify ~{args.long // 1000}KB": _rate(full_long, args.runs),
        "assign_stories": _rate(stories, args.runs),
    }
    size = sum(len(row["text"]) for row in rows) // len(rows)
    print(
        f"{len(rows)} articles ({len(rows) // args.repeat} distinct, {size} characters of text "
        f"on average), one core, median of {args.runs}"
    )
    base = figures["classify"]
    for name, rate in figures.items():
        print(f"{name:>15}: {rate:12,.0f} articles/s  ({rate / base:8.2f}× classify)")
    pages_rate = figures["classify pages"]
    long_rate = figures[f"classify ~{args.long // 1000}KB"]
    print(
        f"{'per article':>15}: {1000 / base:.2f} ms labelled, {1000 / pages_rate:.2f} ms pages, "
        f"{1000 / long_rate:.2f} ms long; target ≥ 300/s: labelled "
        f"{'met' if base >= 300 else 'NOT met'}, pages {'met' if pages_rate >= 300 else 'NOT met'}"
        f", long {'met' if long_rate >= 300 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
