"""An asyncio event loop in a daemon thread, driven from other threads; and the small
start/stop context-manager mixins that the test servers share.

:class:`LoopThread` is the engine of :class:`~tests.auxil.fake_telegram.FakeTelegramThread`
and :class:`~tests.auxil.feed_server.FeedServerThread`: they start it, start their server on
it, and forward every call through :meth:`LoopThread.call` or :meth:`LoopThread.run`::

    with LoopThread("my-server") as loop:
        server = loop.run(make_server)  # an async factory, awaited on the loop
        port = loop.call(lambda: server.port)  # a plain function, called on the loop
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

__all__ = ["AsyncStartStop", "LoopThread", "StartStop"]

T = TypeVar("T")


class StartStop:
    """``with obj:`` calls ``obj.start()`` on entry and ``obj.stop()`` on exit."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class AsyncStartStop:
    """``async with obj:`` awaits ``obj.start()`` on entry and ``obj.stop()`` on exit."""

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


class LoopThread(StartStop):
    """A fresh event loop running forever in a daemon thread named ``name``.

    ``start()``/``stop()`` or ``with LoopThread() as loop``; both are safe to call twice.
    :meth:`call`, :meth:`run` and :meth:`submit` are thread-safe and raise ``RuntimeError``
    ("… is not running") outside ``start()``/``stop()``. On stop, tasks still pending on the
    loop are cancelled and awaited, then the loop is closed.
    """

    def __init__(self, name: str = "loop-thread", owner: str | None = None) -> None:
        self.name = name
        self.owner = owner or type(self).__name__  # named in errors, e.g. "FeedServerThread"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the loop thread has been started and not stopped."""
        return self._loop is not None

    def start(self, timeout: float = 10.0) -> None:
        """Start the thread; return once its loop runs."""
        if self._loop is not None:
            raise RuntimeError(f"{self.owner} already started")
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        loop.call_soon(ready.set)
        thread = threading.Thread(target=_run_forever, args=(loop,), name=self.name, daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        if not ready.wait(timeout):
            self.stop(timeout)
            raise TimeoutError(f"{self.owner}: the event loop did not start in {timeout}s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop (cancelling its pending tasks) and join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)

    def submit(
        self, coro_factory: Callable[[], Coroutine[Any, Any, T]]
    ) -> concurrent.futures.Future[T]:
        """Schedule ``coro_factory()`` on the loop; a future of its result.

        ``await asyncio.wrap_future(loop.submit(...))`` awaits it from another event loop.
        """
        if self._loop is None:
            raise RuntimeError(f"{self.owner} is not running; use it as a context manager")
        return asyncio.run_coroutine_threadsafe(coro_factory(), self._loop)

    def run(
        self, coro_factory: Callable[[], Coroutine[Any, Any, T]], timeout: float | None = 30.0
    ) -> T:
        """Await ``coro_factory()`` on the loop and return its result (``None``: no timeout)."""
        return self.submit(coro_factory).result(timeout)

    def call(self, fn: Callable[[], T], timeout: float | None = 30.0) -> T:
        """Call ``fn()`` on the loop (in a task, so it may use the loop) and return its result."""

        async def call_fn() -> T:
            return fn()

        return self.run(call_fn, timeout)


def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        try:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
