"""Quality of relevance, topics and stories on labelled articles.

    .venv/bin/python bench/quality.py [path.jsonl …] [--errors]

With no path, every ``tests/data/labelled/*.jsonl`` is measured on its own and then all
together. Each line is one article: id, title, text, language, published, relevant,
topics, story (see ``tests/data/labelled/README.md``). Prints:

- relevance precision / recall / F1 (``classify``'s verdict against ``relevant``);
- topic micro- and macro-F1 over the articles labelled relevant (the ones a subscriber
  sees), per-topic F1 beside;
- pairwise precision / recall / F1 of the stories: ``assign_stories`` over the articles
  labelled relevant, in publication order, against ``story``.

``--errors`` also lists every article and pair the pipeline gets wrong. Targets: relevance
F1 ≥ 0.95, topic micro-F1 ≥ 0.85, story pairwise F1 ≥ 0.80.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.models import StoryItem, Topic  # noqa: E402
from bot.pipeline.classify import classify  # noqa: E402
from bot.pipeline.cluster import assign_stories  # noqa: E402
from bot.pipeline.topics import load_topics  # noqa: E402


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _measure(rows: list[dict[str, Any]], topics: tuple[Topic, ...], errors: bool) -> None:
    verdicts = {
        row["id"]: classify(row["title"], row["text"], topics, language_hint=row.get("language"))
        for row in rows
    }
    counts = Counter[str]()
    for row in rows:
        got, want = verdicts[row["id"]].relevant, bool(row["relevant"])
        counts["tp" if got and want else "fp" if got else "fn" if want else "tn"] += 1
        if errors and got != want:
            reason = verdicts[row["id"]].reason
            print(f"  relevance {row['id']}: want {want}, got {got} ({reason}) | {row['title']}")
    p, r, f = _f1(counts["tp"], counts["fp"], counts["fn"])
    print(f"  relevance   P {p:.3f}  R {r:.3f}  F1 {f:.3f}   ({len(rows)} articles)")

    relevant = [row for row in rows if row["relevant"]]
    per_topic = {topic.key: Counter[str]() for topic in topics}
    for row in relevant:
        got_topics, want_topics = set(verdicts[row["id"]].topics), set(row["topics"])
        for key, tally in per_topic.items():
            tally["tp"] += key in got_topics and key in want_topics
            tally["fp"] += key in got_topics and key not in want_topics
            tally["fn"] += key not in got_topics and key in want_topics
        if errors and got_topics != want_topics:
            print(
                f"  topics {row['id']}: missing {sorted(want_topics - got_topics)}, "
                f"extra {sorted(got_topics - want_topics)} | {row['title']}"
            )
    micro = _f1(*(sum(t[k] for t in per_topic.values()) for k in ("tp", "fp", "fn")))[2]
    scores = {key: _f1(t["tp"], t["fp"], t["fn"])[2] for key, t in per_topic.items()}
    macro = sum(scores.values()) / len(scores)
    detail = " ".join(f"{key} {score:.2f}" for key, score in scores.items())
    print(f"  topics      micro-F1 {micro:.3f}  macro-F1 {macro:.3f}   ({detail})")

    ordered = sorted(relevant, key=lambda row: row["published"])
    items = [
        StoryItem(
            row["id"],
            row["title"],
            row["text"],
            datetime.fromisoformat(row["published"]),
            row.get("language"),
        )
        for row in ordered
    ]
    got_story = dict(zip((row["id"] for row in ordered), assign_stories([], items), strict=True))
    want_story = {row["id"]: row["story"] for row in ordered}
    pairs = Counter[str]()
    for left, right in combinations(want_story, 2):
        got = got_story[left] == got_story[right]
        want = want_story[left] == want_story[right]
        pairs["tp" if got and want else "fp" if got else "fn" if want else "tn"] += 1
        if errors and got != want:
            print(f"  stories {'split' if want else 'joined'}: {left} {right}")
    p, r, f = _f1(pairs["tp"], pairs["fp"], pairs["fn"])
    print(f"  stories     P {p:.3f}  R {r:.3f}  F1 {f:.3f}   (pairwise, {len(ordered)} articles)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--errors", action="store_true", help="list what the pipeline gets wrong")
    args = parser.parse_args()
    paths = args.paths or sorted((ROOT / "tests" / "data" / "labelled").glob("*.jsonl"))
    topics = load_topics(yaml.safe_load((ROOT / "bot" / "default_topics.yaml").read_text()))
    everything: list[dict[str, Any]] = []
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            rows = [json.loads(line) for line in lines if line.strip()]
        everything.extend(rows)
        print(path.name)
        _measure(rows, topics, args.errors)
    if len(paths) > 1:
        print("all")
        _measure(everything, topics, errors=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
