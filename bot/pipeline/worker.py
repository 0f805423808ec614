"""Imported by the poll's fork server before it forks any worker process (``bot.workers``).

Importing the pipeline and loading the language model here, once, means every worker forked
afterwards starts warm and shares these pages with the others. (The model's files are
memory-mapped from ~/.cache/azby; only a machine's very first load unpacks it, with a peak of
~110 MB.)
"""

from __future__ import annotations

# the modules the workers run, imported for their side of the fork
import bot.pipeline.articles
import bot.pipeline.parse  # noqa: F401
from bot.pipeline.language import warm_up

__all__: list[str] = []

warm_up()
