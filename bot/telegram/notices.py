"""Admin notices: trouble the bot admins (``AZBY_ADMIN_IDS``) must hear of.

Three kinds, each worded for the person who can act on it:

- a feed failing without a break for ``notices.feed_failing`` (default 24 h), once a streak;
- a feed azby paused itself (failing for ``poll.pause_after``), once a pause;
- more than ``notices.delivery_failures`` failed deliveries within an hour, once an hour.

Notices go through the outbox like every other message (paced, retried, never lost). Each
has a key, the outbox period, unique per admin: however many processes or cycles see the same
failing feed, its notice is queued once. An admin gets at most ``notices.max_per_hour``
notices an hour; one held back by that cap is queued by a later cycle, while its cause lasts
(a pause is remembered for ``PAUSE_WINDOW``).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import AppConfig, NoticeSettings
from bot.models import FeedState
from storage import Store

__all__ = [
    "PAUSE_WINDOW",
    "Notice",
    "delivery_notice",
    "feed_notices",
    "queue_notices",
]

log = logging.getLogger(__name__)

PAUSE_WINDOW = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice: ``key`` names the occurrence (the outbox period), ``text`` is Telegram HTML."""

    key: str
    text: str


def feed_notices(feeds: Iterable[FeedState], now: datetime, config: AppConfig) -> list[Notice]:
    """The notices the feeds' stored state calls for now (already-sent ones included: the
    outbox key makes them once-only)."""
    notices: list[Notice] = []
    failing_after = config.notices.feed_failing
    pause_after = config.poll.pause_after
    for feed in feeds:
        since = feed.failing_since
        if since is None:
            continue
        name = html.escape(feed.name)
        error = html.escape(feed.last_error or "unknown error")
        if feed.paused_at is None:
            if now - since >= failing_after:
                notices.append(
                    Notice(
                        f"notice:failing:{feed.id}:{since:%Y%m%dT%H%M%S}",
                        f"⚠️ Feed <b>{name}</b> has been failing for {_duration(now - since)} "
                        f"(since {since:%Y-%m-%d %H:%M} UTC).\nLast error: {error}\n"
                        f"It will be paused after {_duration(pause_after)} of failures; "
                        f"/feedstatus {name} shows its recent errors.",
                    )
                )
        elif feed.paused_at - since >= pause_after and now - feed.paused_at <= PAUSE_WINDOW:
            # paused by azby (failing for pause_after), not by an admin who knows already
            notices.append(
                Notice(
                    f"notice:paused:{feed.id}:{feed.paused_at:%Y%m%dT%H%M%S}",
                    f"⏸ Feed <b>{name}</b> was paused: it kept failing for "
                    f"{_duration(feed.paused_at - since)}.\nLast error: {error}\n"
                    f"/resumefeed {name} polls it again.",
                )
            )
    return notices


def delivery_notice(failures: int, now: datetime, settings: NoticeSettings) -> Notice | None:
    """A notice when ``failures`` (failed deliveries in the last hour) reach the threshold."""
    if failures < settings.delivery_failures:
        return None
    return Notice(
        f"notice:delivery:{now:%Y-%m-%dT%H}",
        f"📮 {failures} message deliveries failed in the last hour "
        f"(notice threshold {settings.delivery_failures}): network errors, Telegram 5xx or "
        f"messages Telegram refused. They are retried with backoff; /stats shows the totals "
        f"and the log names each error.",
    )


async def queue_notices(
    store: Store,
    admin_ids: frozenset[int],
    notices: Sequence[Notice],
    now: datetime,
    settings: NoticeSettings,
) -> int:
    """Queue each notice for every admin, once per key, within the hourly cap; returns how many
    messages were newly queued."""
    if not notices:
        return 0
    if not admin_ids:
        for notice in notices:
            log.warning("admin notice with no AZBY_ADMIN_IDS to tell: %s", notice.key)
        return 0
    queued = 0
    for admin_id in sorted(admin_ids):
        sent = await store.count_outbox(admin_id, kind="notice", since=now - timedelta(hours=1))
        held: list[str] = []
        for notice in notices:
            if sent >= settings.max_per_hour:
                held.append(notice.key)
                continue
            new = await store.enqueue(
                admin_id,
                kind="notice",
                period=notice.key,
                messages=[notice.text],
                link_previews=False,
                now=now,
            )  # 0: this admin already had this notice
            sent += new
            queued += new
        if held:
            log.info(
                "admin %s had %d notices this hour (the cap): %s wait for a later cycle",
                admin_id,
                sent,
                ", ".join(held),
            )
    if queued:
        log.info("admin notices queued: %d", queued)
    return queued


def _duration(span: timedelta) -> str:
    """``3 days 4 h``, ``26 h``, ``45 min``: a span as a person says it."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours = rest // 60
    if days >= 2:
        return f"{days} days" + (f" {hours} h" if hours else "")
    if minutes >= 60:
        return f"{minutes // 60} h"
    return f"{minutes} min"
