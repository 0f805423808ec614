"""Scheduled jobs run by python-telegram-bot's JobQueue: the poll cycle and the digest tick."""

from __future__ import annotations

import asyncio
import html
import logging
import time
from datetime import UTC, datetime, timedelta

import httpx
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.deliver.sender import Sender
from bot.metrics import Metrics
from bot.pipeline.digest import DigestPool, group_stories, next_digest_at
from bot.poll import poll_feeds
from bot.telegram.handlers import Services, digest_messages, digest_start
from bot.telegram.i18n import text
from bot.telegram.notices import delivery_notice, feed_notices, queue_notices
from bot.telegram.render import render_story
from storage import StorageError

__all__ = [
    "digest_tick",
    "notify_admins",
    "poll_job",
    "queue_delivery_notice",
    "queue_due_digests",
    "queue_feed_notices",
    "retention_job",
    "send_job",
]

log = logging.getLogger(__name__)


async def poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Poll the feeds: all of them when ``job.data`` says so (at start), else those due.

    One cycle at a time: a due-only run that finds a cycle under way skips its turn.
    """
    services: Services = context.bot_data["services"]
    client: httpx.AsyncClient = context.bot_data["http"]
    lock: asyncio.Lock = context.bot_data.setdefault("poll_lock", asyncio.Lock())
    due_only = not (context.job and context.job.data == "all")
    if due_only and lock.locked():
        return
    cycle_start = datetime.now(UTC)
    metrics: Metrics = context.bot_data["metrics"]
    metrics.job_ran("poll")
    started = time.monotonic()
    async with lock:
        try:
            results = await poll_feeds(
                services.store,
                services.config,
                client,
                due_only=due_only,
                summariser=context.bot_data.get("summariser"),
            )
        except StorageError as exc:
            log.error("poll cycle failed: %s", exc)
            return
    duration = time.monotonic() - started
    if not results and due_only:
        return
    metrics.observe_poll(results, duration)
    try:
        await queue_alerts(services, since=cycle_start, now=datetime.now(UTC))
        await queue_feed_notices(services, datetime.now(UTC))
    except StorageError as exc:
        log.error("alerts and notices: %s", exc)
    failed = sum(1 for r in results if r.status == "error")
    log.info(
        "poll cycle finished: %d feeds, %d failed, %d new articles, %d relevant",
        len(results),
        failed,
        sum(r.new for r in results),
        sum(r.relevant for r in results),
        extra={"duration": round(duration, 3), "feeds": len(results)},
    )


async def queue_alerts(services: Services, *, since: datetime, now: datetime) -> int:
    """Queue instant alerts for the relevant stories first seen since ``since``: to each chat
    that chose one of their topics, each story once, at most ``alerts_per_hour`` an hour."""
    subscribers = await services.store.alert_subscriptions()
    if not subscribers:
        return 0
    articles = await services.store.latest_articles(
        limit=200, seen_since=since, include_backlog=False
    )
    stories = group_stories(articles)
    queued = 0
    for subscription, chat in subscribers:
        wanted = set(subscription.alert_topics)
        matching = [s for s in stories if wanted & set(s.topics)]
        if not matching:
            continue
        sent = await services.store.count_outbox(
            chat.id, kind="alert", since=now - timedelta(hours=1)
        )
        room = subscription.alerts_per_hour - sent
        for story in matching:
            if room <= 0:
                break
            title = html.escape(text("alert.title", chat.language), quote=False)
            new = await services.store.enqueue(
                chat.id,
                kind="alert",
                period=f"alert:{story.article.cluster or story.article.id}",
                messages=[f"<b>{title}</b>\n\n{render_story(story, chat.language)}"],
                link_previews=chat.link_previews,
                now=now,
            )  # 0 for a story this chat was already alerted about
            room -= new
            queued += new
    return queued


async def queue_feed_notices(services: Services, now: datetime) -> int:
    """Tell the admins of feeds failing too long or paused (each occurrence once)."""
    feeds = await services.store.list_feeds()
    notices = feed_notices(feeds, now, services.config)
    return await queue_notices(
        services.store, services.settings.admin_ids, notices, now, services.config.notices
    )


async def queue_delivery_notice(services: Services, now: datetime) -> int:
    """Tell the admins when deliveries keep failing (at most once an hour)."""
    failures = await services.store.count_delivery_failures(now - timedelta(hours=1))
    notice = delivery_notice(failures, now, services.config.notices)
    if notice is None:
        return 0
    return await queue_notices(
        services.store, services.settings.admin_ids, [notice], now, services.config.notices
    )


async def notify_admins(bot: Bot, admin_ids: frozenset[int], text: str) -> int:
    """Tell every bot admin (``AZBY_ADMIN_IDS``); returns how many were reached. An admin
    who never started a chat with the bot cannot be reached: logged, not raised."""
    reached = 0
    for admin_id in sorted(admin_ids):
        try:
            await bot.send_message(admin_id, text, parse_mode=ParseMode.HTML)
            reached += 1
        except TelegramError as exc:
            log.warning("cannot notify admin %s: %s", admin_id, exc)
    if not admin_ids:
        log.warning("no AZBY_ADMIN_IDS to notify: %s", text)
    return reached


async def retention_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete irrelevant articles after ``retention.irrelevant`` and all after ``retention.all``."""
    services: Services = context.bot_data["services"]
    now = datetime.now(UTC)
    retention = services.config.retention
    try:
        deleted = await services.store.prune(
            irrelevant_before=now - retention.irrelevant, all_before=now - retention.all
        )
        messages = await services.store.prune_outbox(now - retention.outbox)
    except StorageError as exc:
        log.error("retention: %s", exc)
        return
    log.info("retention: %d old articles and %d old outbox messages deleted", deleted, messages)


DUE_BATCH = 500
SEND_MAX_SECONDS = 50  # one drain at most; the next run waits for it (/healthz allows for it)


async def digest_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue every digest that is due, each chat in its own time zone: one indexed query a
    batch of chats, the articles read once a batch, the digests written to the outbox."""
    services: Services = context.bot_data["services"]
    context.bot_data["metrics"].job_ran("digest-tick")
    try:
        queued = await queue_due_digests(services, datetime.now(UTC))
    except StorageError as exc:
        log.error("digest tick: %s", exc)
        return
    if queued:
        log.info("digest tick: %d digests queued", queued)


async def queue_due_digests(services: Services, now: datetime) -> int:
    """Compose and queue the due digests; returns how many were queued (empty days count)."""
    config = services.config
    queued = 0
    while True:
        due = await services.store.due_subscriptions(now, DUE_BATCH)
        if not due:
            return queued
        starts = [digest_start(services, subscription, now) for subscription, _ in due]
        articles = await services.store.latest_articles(
            limit=5000,
            since=now - config.digest.story_age,
            seen_since=min(starts),
            include_backlog=False,
        )
        pool = DigestPool(articles)  # the stories grouped and ranked once for the whole batch
        for (subscription, chat), since in zip(due, starts, strict=True):
            try:
                messages = digest_messages(
                    services,
                    pool,
                    since,
                    now,
                    subscription,
                    chat,
                    skip_empty=services.config.digest.skip_empty,
                )
                next_at = next_digest_at(subscription, now)
            except Exception:  # a bad stored setting: skip a day, never block the others
                log.exception("digest for chat %s could not be composed", chat.id)
                messages, next_at = [], now + timedelta(days=1)
            taken = await services.store.queue_digest(
                subscription,
                sent_at=now,
                next_at=next_at,
                period=f"digest:{subscription.next_digest_at:%Y-%m-%dT%H:%M}",
                messages=messages,
                link_previews=chat.link_previews,
            )
            queued += taken
        if len(due) < DUE_BATCH:
            return queued


async def send_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drain the outbox (digests, alerts, broadcasts) within Telegram's limits."""
    sender: Sender = context.bot_data["sender"]
    metrics: Metrics = context.bot_data["metrics"]
    metrics.job_ran("sender")
    try:
        report = await sender.drain(max_seconds=SEND_MAX_SECONDS)
    except StorageError as exc:
        log.error("sender: %s", exc)
        return
    metrics.observe_send(report)
    if report.failed:
        try:
            await queue_delivery_notice(context.bot_data["services"], datetime.now(UTC))
        except StorageError as exc:
            log.error("delivery notice: %s", exc)
    if report.sent or report.deferred or report.dropped:
        log.info(
            "sender: %d sent, %d deferred (%d rate-limited), %d dropped",
            report.sent,
            report.deferred,
            report.rate_limited,
            report.dropped,
        )
