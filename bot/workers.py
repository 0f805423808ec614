"""Worker processes for the poll cycle's CPU work: parsing feeds and classifying items.

Python runs one thread at a time, so the only way a poll uses more than one CPU is more
processes. ``Workers.run`` sends a pure function of picklable arguments (``parse_feed``,
``classify_entries``) to a pool of ``poll.workers`` processes; with ``0`` (the default) it
runs on one thread of this process instead.

The trade (bench/poll.py, 500 feeds × 50 items, 2 CPUs): one worker makes a first poll
~1.35× faster (29.8 → 22.0 s) and keeps the event loop free of the classifier, for ~40 MB
more memory in PSS (195 against 156 MB; the fork server, the resource tracker and the worker
each hold an interpreter, and summed RSS, which counts their shared pages in each, says 255
against 167). The default keeps one process, within the 200 MB that issue 3 sets; give a
worker where memory allows.

The processes are forked from a fork server (``multiprocessing``'s ``forkserver`` method)
that has imported the pipeline and loaded the language model once (``bot.pipeline.worker``):
a worker starts in milliseconds and shares that memory instead of holding a copy, and no
worker is forked from this process's threads (the event loop's, the database driver's).
A worker that dies (killed, out of memory) breaks the pool: the next call makes a new one
and tries once more, so one lost process costs one retry, not the cycle. A worker whose
azby process dies without stopping it (``kill -9``, a crash) exits at once
(``_exit_with``): nothing else would ever tell it, and it would hold the process's stdout
and the fork server alive for good.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["Workers", "shared_workers", "warm_up_here"]

T = TypeVar("T")

# the fork server imports this module before forking any worker (see bot/pipeline/worker.py)
_PRELOAD = ["bot.pipeline.worker"]


def _exit_with(pid: int) -> None:
    """Worker initializer: exit when process ``pid`` (the azby process) ends. The worker's
    parent is the fork server, so neither its parent nor a closed pipe tells it."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd (not Linux, kernel < 5.3): poll for it
        handle = None

    def wait() -> None:
        if handle is not None:
            select.select([handle], [], [])  # readable once the process has ended
        else:
            while True:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(1)
        os._exit(1)

    threading.Thread(target=wait, name="azby-watch-parent", daemon=True).start()


class Workers:
    """Runs CPU work off the event loop: in ``processes`` worker processes, or on one
    thread when ``processes`` is 0."""

    def __init__(self, processes: int) -> None:
        if processes < 0:
            raise ValueError(f"workers must be 0 or more, not {processes}")
        self.processes = processes
        self._lock = threading.Lock()
        self._executor: Executor | None = None
        self._closed = False

    def _pool(self) -> Executor:
        with self._lock:
            if self._closed:
                raise RuntimeError("these workers are closed: ask shared_workers again")
            if self._executor is None:
                if self.processes == 0:
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix="azby-cpu")
                else:
                    context = multiprocessing.get_context("forkserver")
                    context.set_forkserver_preload(_PRELOAD)
                    self._executor = ProcessPoolExecutor(
                        self.processes,
                        mp_context=context,
                        initializer=_exit_with,
                        initargs=(os.getpid(),),
                    )
            return self._executor

    def _discard(self, broken: Executor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    async def run(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` in a worker; its exceptions are raised here."""
        call = functools.partial(function, *args, **kwargs)
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self._pool()
            try:
                return await loop.run_in_executor(pool, call)
            except BrokenProcessPool:
                self._discard(pool)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers once they have done the work they have (``wait``: wait for it)."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait)


_SHARED: dict[int, Workers] = {}
_SHARED_LOCK = threading.Lock()


def shared_workers(processes: int) -> Workers:
    """This process's pool of ``processes`` workers, made on first use and kept: every
    poll cycle uses the same processes instead of starting its own. One pool of processes at
    a time: asking for another size (``/reload`` changed ``poll.workers``) stops the old
    pool once the work it has is done. Ask again for each piece of work rather than keeping
    the pool."""
    with _SHARED_LOCK:
        workers = _SHARED.get(processes)
        if workers is None:
            if processes:
                for size in [size for size in _SHARED if size]:
                    _SHARED.pop(size).close(wait=False)
            workers = _SHARED[processes] = Workers(processes)
        return workers


def warm_up_here(processes: int) -> None:
    """Load the language model now when this process classifies itself (``processes`` 0):
    before the store and the HTTP pools, so that when the model is first unpacked on this
    machine (a peak of ~110 MB of buffers then freed; afterwards it is mapped from the
    cache in 0.15 s) that peak serves them instead of adding to them. Worker processes load
    it in their fork server (``bot.pipeline.worker``)."""
    if processes == 0:
        from bot.pipeline.language import warm_up

        warm_up()
