"""The overall sending limit (bot.deliver.window): never more than its size in any span, as the
receiving end can see them, spread out at an even pace, and not a send less."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from bot.deliver.window import SendWindow

SIZE, SPAN = 5, 0.2


async def send_through(window: SendWindow, took: list[tuple[float, float]], seconds: float) -> None:
    async with window:
        started = time.monotonic()
        await asyncio.sleep(seconds)
        took.append((started, time.monotonic()))  # inside: at or before the window's answer


def crowded(took: list[tuple[float, float]]) -> list[int]:
    """For each send, how many others the receiving end could have seen within ``SPAN`` of it:
    those started before it and not answered more than ``SPAN`` before it started (their
    request may have arrived as late as their answer, this one's as early as its start)."""
    return [
        sum(
            1
            for n, (other_start, other_end) in enumerate(took)
            if n != m and other_start <= start and other_end > start - SPAN
        )
        for m, (start, _) in enumerate(took)
    ]


@pytest.mark.parametrize("burst", [1, 2, SIZE])
async def test_never_more_than_size_within_any_span_however_long_the_answers_take(
    burst: int,
) -> None:
    window, took = SendWindow(SIZE, SPAN, burst=burst), []
    rng = random.Random(1)
    await asyncio.gather(
        *(send_through(window, took, rng.choice((0, 0.001, 0.02, 0.07))) for _ in range(40))
    )
    assert len(took) == 40
    assert max(crowded(took)) <= SIZE - 1


async def test_a_full_size_burst_at_once_then_a_span_after_the_first_answer() -> None:
    window, took = SendWindow(SIZE, SPAN, burst=SIZE), []
    started = time.monotonic()
    await asyncio.gather(*(send_through(window, took, 0) for _ in range(SIZE + 1)))
    starts = sorted(start - started for start, _ in took)
    assert starts[SIZE - 1] < SPAN / 4  # the first five did not wait
    assert SPAN <= starts[SIZE] < SPAN * 1.5  # the sixth waited for the first answer's span


async def test_sends_start_at_an_even_pace_after_a_burst() -> None:
    window, took = SendWindow(10, 0.5, burst=3), []  # one every 0.05 s
    started = time.monotonic()
    await asyncio.gather(*(send_through(window, took, 0) for _ in range(8)))
    starts = sorted(start - started for start, _ in took)
    # never more than the burst plus the pace within any stretch of time (a late start only
    # leaves fewer), and no slower than the pace needs (eight: 0.25 s)
    for first, earliest in enumerate(starts):
        for last in range(first, len(starts)):
            assert last - first + 1 <= 3 + (starts[last] - earliest) / 0.05 + 0.1, starts
    assert starts[-1] < 0.6


async def test_a_sender_that_fell_behind_catches_up_a_burst() -> None:
    window, took = SendWindow(10, 0.5, burst=3), []
    await send_through(window, took, 0)
    await asyncio.sleep(0.3)  # six sends' time, unused
    started = time.monotonic()
    await asyncio.gather(*(send_through(window, took, 0) for _ in range(4)))
    starts = sorted(start - started for start, _ in took[1:])
    assert starts[2] < 0.02 and starts[3] >= 0.045  # three at once, not six


async def test_waiters_are_let_in_in_order() -> None:
    window, order = SendWindow(1, 0.01), []

    async def send(n: int) -> None:
        async with window:
            order.append(n)

    tasks = []
    for n in range(6):
        tasks.append(asyncio.create_task(send(n)))
        await asyncio.sleep(0)  # each one queued before the next
    await asyncio.gather(*tasks)
    assert order == list(range(6))


async def test_a_cancelled_waiter_takes_no_place() -> None:
    window = SendWindow(1, 0.05)
    took: list[tuple[float, float]] = []
    async with window:  # the only place, taken
        waiting = asyncio.create_task(send_through(window, took, 0))
        await asyncio.sleep(0.01)
        waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    started = time.monotonic()
    await send_through(window, took, 0)  # the place comes back a span after the answer
    assert len(took) == 1 and took[0][0] - started < 0.1


async def test_a_waiter_cancelled_once_let_in_gives_its_place_back() -> None:
    window = SendWindow(1, 1e-9)  # an answer leaves the window at once
    entered = asyncio.Event()

    async def send() -> None:
        async with window:
            entered.set()

    await window.__aenter__()  # the only place
    waiting = asyncio.create_task(send())
    await asyncio.sleep(0)  # waiting for it
    await window.__aexit__(None, None, None)  # answered: the place goes to ``waiting`` at once
    waiting.cancel()  # and it is cancelled before it could use it
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert not entered.is_set()
    took: list[tuple[float, float]] = []
    await asyncio.wait_for(send_through(window, took, 0), 1)  # not blocked by a lost place
    assert len(took) == 1


@pytest.mark.parametrize(
    ("rate", "size", "span", "burst"),
    [(1000, 1000, 1.0, 100), (30, 30, 1.0, 3), (4, 4, 1.0, 1), (0.5, 1, 2.0, 1)],
)
def test_per_second(rate: float, size: int, span: float, burst: int) -> None:
    window = SendWindow.per_second(rate, burst_seconds=0.1)
    assert (window.size, window.span, window.burst) == (size, span, burst)


@pytest.mark.parametrize(("size", "span", "burst"), [(0, 1.0, 1), (1, 0.0, 1), (1, 1.0, 0)])
def test_a_window_needs_room(size: int, span: float, burst: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SendWindow(size, span, burst=burst)
