"""``few_malloc_arenas``: glibc's per-thread malloc arenas limited at start (bot.cli)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

_CALL = "from bot.cli import few_malloc_arenas; print(few_malloc_arenas())"


def _run(environ: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _CALL], env=environ, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_arenas_are_limited_on_glibc() -> None:
    environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    expected = "True" if platform.libc_ver()[0] == "glibc" else "False"
    assert _run(environ) == expected


def test_an_operators_malloc_arena_max_is_left_alone() -> None:
    assert _run({**os.environ, "MALLOC_ARENA_MAX": "4"}) == "False"


_THREADS = """
import ctypes, sys, threading
if sys.argv[1] == "limit":
    from bot.cli import few_malloc_arenas

    few_malloc_arenas()
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p


def work():  # ctypes calls release the GIL: the threads really allocate at once
    for _ in range(20000):
        libc.malloc(1000)


threads = [threading.Thread(target=work) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
libc.malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's arenas only")
@pytest.mark.parametrize(("mode", "most"), [("limit", 2), ("default", 99)])
def test_threads_allocating_at_once_share_the_limited_arenas(mode: str, most: int) -> None:
    """Eight threads that allocate at once get arenas of their own by default, and share
    two once limited (the default case shows the test can tell)."""
    environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", _THREADS, mode],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    arenas = sum(1 for line in done.stderr.splitlines() if line.startswith("Arena "))
    assert 1 <= arenas <= most
    if mode == "default":
        assert arenas > 2, "threads no longer get arenas of their own: nothing to limit"
