"""Telegram's sending limits as azby keeps them (``delivery:`` in feeds.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

__all__ = ["DeliveryLimits"]


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    """Telegram's limits as the sender keeps them (tests and benchmarks raise ``rate``)."""

    rate: float = 30.0
    private_interval: float = 1.0
    group_interval: float = 3.0
    concurrency: int = 50
    batch: int = 200
    max_attempts: int = 10
    reclaim_after: timedelta = timedelta(minutes=2)
