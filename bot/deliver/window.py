"""The overall sending limit: at most ``size`` sends in any ``span`` seconds, as the Bot API
sees them arrive, spread out evenly.

Two rules, both kept for every send:

- **the window**: a send counts from when it starts until ``span`` seconds after its answer
  came back (or it failed). A request reaches the server somewhere between the two, so when a
  send starts, of any ``size`` earlier ones at least one arrived more than ``span`` seconds
  before this one can: no ``span`` seconds at the server ever see more than ``size`` of them,
  however the requests' way there (the event loop, the connection pool, the network, the
  server's own queue) delays some and bunches others;
- **the pace**: sends start ``span / size`` seconds apart, a ``burst`` of them at once at the
  most (a sender that fell behind catches up that much). Without it a window lets its whole
  size through at once after a pause, and every later span repeats that burst: a fan-out
  would go out in bursts of a second's worth, and a crash right after one would leave that
  many sent but not yet marked (each sent again).

Not a token bucket alone: one that holds a second's worth lets nearly twice the limit into
one second after a pause; measured at the fake server, 1,141 requests within one second at a
limit of 1,000. Nor a window over start times: the requests' pile-up on the way let up to
``size`` plus the requests in flight through (1,032 with 32). Counting until the answer costs
the answer's latency (a few milliseconds a second: under 1 %).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from types import TracebackType

__all__ = ["SendWindow"]


class SendWindow:
    """``async with window:`` around each send; waiters are let in first come, first served."""

    def __init__(self, size: int, span: float, *, burst: int = 1) -> None:
        if size < 1 or span <= 0 or burst < 1:
            raise ValueError("a send window needs a size and a burst of at least 1, a span > 0")
        self._size, self._span = size, span
        self._interval = span / size
        self._ahead = (min(burst, size) - 1) * self._interval  # how far ahead of the pace
        self._due = -math.inf  # when the next send is due at the even pace
        self._open = 0  # sends started, not answered yet
        self._answered: deque[float] = deque()  # answers within the last span, oldest first
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def size(self) -> int:
        """How many sends any ``span`` seconds may see."""
        return self._size

    @property
    def span(self) -> float:
        """Seconds."""
        return self._span

    @property
    def burst(self) -> int:
        """How many sends may start at once."""
        return round(self._ahead / self._interval) + 1

    @classmethod
    def per_second(cls, rate: float, *, burst_seconds: float = 0.0) -> SendWindow:
        """``rate`` sends in any second (below 1 a second: one in every ``1 / rate`` s), bursts
        of ``burst_seconds`` worth (one send at the least)."""
        size = max(1, int(rate))
        return cls(size, size / rate, burst=max(1, int(rate * burst_seconds)))

    async def __aenter__(self) -> None:
        now = time.monotonic()
        if not self._waiting and self._room(now) > 0 and now >= self._due - self._ahead:
            self._start(now)
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._let_in()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # let in, then cancelled: not sent
                self._answer()
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._answer()

    def _start(self, now: float) -> None:
        self._open += 1
        self._due = max(self._due, now) + self._interval

    def _answer(self) -> None:
        self._open -= 1
        self._answered.append(time.monotonic())
        self._let_in()

    def _room(self, now: float) -> int:
        answered = self._answered
        while answered and answered[0] <= now - self._span:
            answered.popleft()
        return self._size - self._open - len(answered)

    def _let_in(self) -> None:
        now = time.monotonic()
        room = self._room(now)
        while self._waiting and room > 0 and now >= self._due - self._ahead:
            waiter = self._waiting.popleft()
            if waiter.done():  # cancelled while it waited
                continue
            waiter.set_result(None)
            self._start(now)
            room -= 1
        if not self._waiting or self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        if room > 0:  # the pace
            self._timer = loop.call_at(self._due - self._ahead, self._on_timer)
        elif self._answered:  # the oldest answer leaves the window
            self._timer = loop.call_at(self._answered[0] + self._span, self._on_timer)
        # else every place is taken by a send still open: the next answer lets one in

    def _on_timer(self) -> None:
        self._timer = None
        self._let_in()
