"""The poll's worker processes (bot.workers): results, errors, a dead worker, the fallback."""

from __future__ import annotations

import os
import signal
import textwrap
from pathlib import Path

import pytest

from bot.config import parse_feeds_yaml
from bot.pipeline.language import detect_language
from bot.workers import Workers, shared_workers


def _pid_and_language(text: str) -> tuple[int, str]:
    return os.getpid(), detect_language(text)


def _fail(message: str) -> None:
    raise ValueError(message)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def test_work_runs_in_another_process_with_the_pipeline_warm() -> None:
    workers = Workers(1)
    try:
        pid, language = await workers.run(_pid_and_language, "Prezident Bakıda görüşüb.")
    finally:
        workers.close()
    assert pid != os.getpid()
    assert language == "az"


async def test_an_exception_in_a_worker_is_raised_in_the_caller() -> None:
    workers = Workers(1)
    try:
        with pytest.raises(ValueError, match="bad feed"):
            await workers.run(_fail, "bad feed")
        # the pool survives an ordinary exception
        assert (await workers.run(_pid_and_language, "Minsk and Baku"))[1] == "en"
    finally:
        workers.close()


async def test_a_killed_worker_costs_one_retry_not_the_pool() -> None:
    workers = Workers(1)
    try:
        first, _ = await workers.run(_pid_and_language, "one")
        os.kill(first, signal.SIGKILL)  # e.g. the OOM killer
        second, language = await workers.run(_pid_and_language, "Лукашенко прибыл в Баку.")
        assert second != first
        assert language == "ru"
    finally:
        workers.close()


async def test_work_that_kills_every_worker_fails_after_one_retry() -> None:
    from concurrent.futures.process import BrokenProcessPool

    workers = Workers(1)
    try:
        with pytest.raises(BrokenProcessPool):
            await workers.run(_die)
        assert (await workers.run(_pid_and_language, "Baku"))[0] != os.getpid()
    finally:
        workers.close()


async def test_zero_workers_run_on_a_thread_of_this_process() -> None:
    workers = Workers(0)
    try:
        pid, language = await workers.run(_pid_and_language, "Azərbaycan və Belarus")
    finally:
        workers.close()
    assert pid == os.getpid()
    assert language == "az"


def test_negative_workers_are_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        Workers(-1)


def test_shared_workers_are_one_pool_per_size() -> None:
    assert shared_workers(1) is shared_workers(1)
    assert shared_workers(1) is not shared_workers(0)


def test_poll_workers_default_to_none(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    assert parse_feeds_yaml("feeds: []\n", path).poll.workers == 0
    chosen = parse_feeds_yaml(textwrap.dedent("poll:\n  workers: 2\n"), path)
    assert chosen.poll.workers == 2


_OWNER = """
import asyncio, os, sys, time
from bot.workers import Workers

async def main():
    workers = Workers(1)
    print(await workers.run(os.getpid), flush=True)
    time.sleep(60)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def test_workers_exit_when_their_process_is_killed() -> None:
    import subprocess
    import sys
    import time

    owner = subprocess.Popen([sys.executable, "-c", _OWNER], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    with owner.stdout:
        worker = int(owner.stdout.readline())
        assert _alive(worker)
        owner.kill()  # kill -9: no chance to stop its workers
        owner.wait()
        deadline = time.monotonic() + 10
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker)
        # nothing holds the killed process's stdout open any more: reading it ends
        assert owner.stdout.read() == ""


def test_another_size_replaces_the_pool_of_processes() -> None:
    first = shared_workers(1)
    second = shared_workers(2)  # a /reload changed poll.workers
    try:
        assert shared_workers(1) is not first  # the old pool was closed, not kept
        with pytest.raises(RuntimeError, match="closed"):
            first._pool()
        assert shared_workers(0) is shared_workers(0)  # the thread is not a pool of processes
    finally:
        second.close()
        shared_workers(1)
