"""bot.pipeline stays pure: importing any of its modules loads no I/O library."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import bot.pipeline

FORBIDDEN = ("telegram", "httpx", "sqlalchemy", "feedparser", "aiohttp")
# parse turns feed bytes into entries: feedparser is its whole job (on bytes, no network);
# rss reads plain RSS with feedparser's own value rules; worker is what the poll's worker
# processes import, parse among it.
ALLOWED = {
    "bot.pipeline.parse": {"feedparser"},
    "bot.pipeline.rss": {"feedparser"},
    "bot.pipeline.worker": {"feedparser"},
}

MODULES = sorted(
    info.name for info in pkgutil.iter_modules(bot.pipeline.__path__, prefix="bot.pipeline.")
)

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in sys.argv[2:])))
"""


def test_every_stage_is_checked() -> None:
    assert {"bot.pipeline.classify", "bot.pipeline.text", "bot.pipeline.topics"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_importing_a_stage_loads_no_io_library(module: str) -> None:
    forbidden = [name for name in FORBIDDEN if name not in ALLOWED.get(module, set())]
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, module, *forbidden],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == []
