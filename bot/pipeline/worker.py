"""Imported by the poll's fork server before it forks any worker process (``bot.workers``).

Importing the pipeline and loading the language model here, once, means every worker forked
afterwards starts warm and shares these pages with the others instead of loading its own
copy of the model (its load alone peaks at ~110 MB).
"""

from __future__ import annotations

# the modules the workers run, imported for their side of the fork
import bot.pipeline.articles
import bot.pipeline.parse  # noqa: F401
from bot.pipeline.language import warm_up

__all__: list[str] = []

warm_up()
