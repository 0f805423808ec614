"""When to fetch a feed next, and when to give up on it: pure decisions, ``now`` passed in.

Like lemon24/reader's ``Decider``: no I/O, only data in and a decision out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["FetchOutcome", "ScheduleBounds", "next_fetch_at", "should_pause"]


@dataclass(frozen=True, slots=True)
class ScheduleBounds:
    """Limits on what servers and failures may do to a feed's schedule."""

    # a server's max-age, <ttl> or Retry-After may stretch the interval up to this
    max_hint: timedelta = timedelta(hours=6)
    # consecutive errors double the wait up to this
    max_backoff: timedelta = timedelta(hours=24)
    # ± this fraction of the wait, so feeds with one interval do not fire together
    jitter: float = 0.1


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What one fetch said about the feed's timing."""

    ok: bool
    error_count: int = 0  # consecutive errors, this one included
    max_age: timedelta | None = None  # Cache-Control: max-age
    retry_after: timedelta | None = None  # Retry-After (429, 503)
    ttl: timedelta | None = None  # RSS <ttl>


def next_fetch_at(
    now: datetime,
    interval: timedelta,
    outcome: FetchOutcome,
    *,
    jitter: float = 0.0,
    bounds: ScheduleBounds = ScheduleBounds(),
) -> datetime:
    """The time the feed is next due.

    Success: the configured ``interval``, stretched (never shortened) by the server's
    max-age, ``<ttl>`` or Retry-After up to ``bounds.max_hint``. Failure: the interval doubled
    per consecutive error (1×, 2×, 4× …) up to ``bounds.max_backoff``, or a longer Retry-After
    within that cap. ``jitter`` in [-1, 1] (the caller draws it) moves the wait by up to
    ``bounds.jitter`` of itself.
    """
    if outcome.ok:
        hints = [h for h in (outcome.max_age, outcome.ttl, outcome.retry_after) if h]
        wait = max([interval, *(min(h, bounds.max_hint) for h in hints)])
    else:
        exponent = max(0, outcome.error_count - 1)
        # cap the exponent before multiplying: 2**1000 intervals overflow timedelta
        wait = (
            bounds.max_backoff
            if exponent >= 32
            else min(interval * 2**exponent, bounds.max_backoff)
        )
        if outcome.retry_after:
            wait = max(wait, min(outcome.retry_after, bounds.max_backoff))
    factor = 1 + bounds.jitter * max(-1.0, min(1.0, jitter))
    return now + wait * factor


def should_pause(failing_since: datetime | None, now: datetime, pause_after: timedelta) -> bool:
    """A feed failing without a break for ``pause_after`` is paused (and the admins told)."""
    return failing_since is not None and now - failing_since >= pause_after
