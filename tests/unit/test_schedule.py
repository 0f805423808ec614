"""When a feed is fetched next, and when it is paused: pure decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.pipeline.schedule import FetchOutcome, ScheduleBounds, next_fetch_at, should_pause

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MIN15 = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (FetchOutcome(True), MIN15),
        (FetchOutcome(True, max_age=timedelta(hours=1)), timedelta(hours=1)),
        (FetchOutcome(True, max_age=timedelta(minutes=1)), MIN15),
        (
            FetchOutcome(True, ttl=timedelta(hours=2), max_age=timedelta(hours=1)),
            timedelta(hours=2),
        ),
        (FetchOutcome(True, max_age=timedelta(days=3)), timedelta(hours=6)),
        (FetchOutcome(False, error_count=1), MIN15),
        (FetchOutcome(False, error_count=3), MIN15 * 4),
        (FetchOutcome(False, error_count=50), timedelta(hours=24)),
        (FetchOutcome(False, error_count=10_000), timedelta(hours=24)),
        (FetchOutcome(False, error_count=1, retry_after=timedelta(hours=3)), timedelta(hours=3)),
        (FetchOutcome(False, error_count=1, retry_after=timedelta(days=9)), timedelta(hours=24)),
    ],
)
def test_next_fetch_without_jitter(outcome: FetchOutcome, expected: timedelta) -> None:
    assert next_fetch_at(NOW, MIN15, outcome) == NOW + expected


def test_jitter_stays_within_its_fraction() -> None:
    bounds = ScheduleBounds(jitter=0.1)
    assert (
        next_fetch_at(NOW, MIN15, FetchOutcome(True), jitter=1.0, bounds=bounds)
        == NOW + MIN15 * 1.1
    )
    assert (
        next_fetch_at(NOW, MIN15, FetchOutcome(True), jitter=-5.0, bounds=bounds)
        == NOW + MIN15 * 0.9
    )


def test_should_pause() -> None:
    week = timedelta(days=7)
    assert should_pause(None, NOW, week) is False
    assert should_pause(NOW - timedelta(days=6), NOW, week) is False
    assert should_pause(NOW - week, NOW, week) is True
