"""Prometheus metrics of one ``azby run`` process, in a registry of its own.

One :class:`Metrics` per process (built with the Application, kept in ``bot_data["metrics"]``);
the jobs feed it plain results (``FeedResult``, ``SendReport``), the rate limiter counts each
429, and ``/metrics`` renders it (see ``bot.web``). Its own ``CollectorRegistry``, not the
global one: two Metrics never share a counter, so tests stay independent.

Series (``_total`` is added to counters by the exposition format)::

    azby_poll_duration_seconds                  histogram, one poll cycle
    azby_feeds_polled_total{status}             ok | not_modified | error
    azby_items_fetched_total                    feed items parsed
    azby_articles_new_total                     articles stored for the first time
    azby_articles_relevant_total                new articles about Azerbaijan–Belarus
    azby_stories_new_total                      relevant articles that started a story
    azby_deliveries_total{outcome}              sent | rate_limited | network_error | migrated
                                                | blocked | chat_not_found | refused | given_up
    azby_telegram_rate_limited_total            429 answers of the Bot API (any call)
    azby_outbox_depth                           messages waiting (read at scrape time)
    azby_last_poll_success_timestamp_seconds    end of the last cycle in which a feed answered
    azby_job_last_run_timestamp_seconds{job}    when each scheduled job last started
    azby_webhook_requests_total{status}         HTTP status given to webhook requests
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.deliver.sender import DELIVERY_OUTCOMES

if TYPE_CHECKING:
    from bot.deliver.sender import SendReport
    from bot.poll import FeedResult

__all__ = ["CONTENT_TYPE", "DELIVERY_OUTCOMES", "FEED_STATUSES", "Metrics"]

FEED_STATUSES = ("ok", "not_modified", "error")
_CYCLE_BUCKETS = (0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)


class Metrics:
    """The metric objects of one process and the few ways the bot feeds them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.poll_duration = Histogram(
            "azby_poll_duration_seconds",
            "Duration of one poll cycle",
            buckets=_CYCLE_BUCKETS,
            registry=r,
        )
        self.feeds_polled = Counter(
            "azby_feeds_polled", "Feeds polled, by result", ["status"], registry=r
        )
        self.items = Counter("azby_items_fetched", "Feed items parsed", registry=r)
        self.new_articles = Counter("azby_articles_new", "Articles stored", registry=r)
        self.relevant_articles = Counter(
            "azby_articles_relevant", "New articles about Azerbaijan-Belarus", registry=r
        )
        self.stories = Counter("azby_stories_new", "Stories started", registry=r)
        self.deliveries = Counter(
            "azby_deliveries", "Outbox send attempts, by outcome", ["outcome"], registry=r
        )
        self.rate_limited = Counter(
            "azby_telegram_rate_limited", "429 Too Many Requests from the Bot API", registry=r
        )
        self.outbox_depth = Gauge("azby_outbox_depth", "Messages waiting in the outbox", registry=r)
        self.last_poll_success = Gauge(
            "azby_last_poll_success_timestamp_seconds",
            "Unix time of the last poll cycle in which a feed answered",
            registry=r,
        )
        self.job_last_run = Gauge(
            "azby_job_last_run_timestamp_seconds",
            "Unix time each scheduled job last started",
            ["job"],
            registry=r,
        )
        self.webhook_requests = Counter(
            "azby_webhook_requests", "Webhook requests, by HTTP status", ["status"], registry=r
        )
        for status in FEED_STATUSES:  # every series exists from the start, at 0
            self.feeds_polled.labels(status)
        for outcome in DELIVERY_OUTCOMES:
            self.deliveries.labels(outcome)
        self._last_runs: dict[str, float] = {}

    def observe_poll(
        self, results: Iterable[FeedResult], seconds: float, *, at: float | None = None
    ) -> None:
        """One finished poll cycle: its duration and what each feed gave."""
        answered = False
        self.poll_duration.observe(seconds)
        for result in results:
            self.feeds_polled.labels(result.status).inc()
            self.items.inc(result.items)
            self.new_articles.inc(result.new)
            self.relevant_articles.inc(result.relevant)
            self.stories.inc(result.stories)
            answered = answered or result.status != "error"
        if answered:
            self.last_poll_success.set(time.time() if at is None else at)

    def observe_send(self, report: SendReport) -> None:
        """One outbox drain: messages sent and each failed attempt by its reason."""
        self.deliveries.labels("sent").inc(report.sent)
        for outcome, count in report.failures.items():
            self.deliveries.labels(outcome).inc(count)
        # the sender's bot has no CountingRateLimiter: its 429s are counted here
        self.rate_limited.inc(report.failures["rate_limited"])

    def job_ran(self, job: str, *, at: float | None = None) -> None:
        """A scheduled job started (``/healthz`` reads this to tell the scheduler is alive)."""
        when = time.time() if at is None else at
        self._last_runs[job] = when
        self.job_last_run.labels(job).set(when)

    def last_run(self, job: str) -> float | None:
        """Unix time the job last started in this process, or None."""
        return self._last_runs.get(job)

    def render(self) -> bytes:
        """The Prometheus text exposition of every series."""
        return generate_latest(self.registry)
