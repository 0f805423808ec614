"""Scheduled jobs run by python-telegram-bot's JobQueue: the poll cycle and the digest tick."""

from __future__ import annotations

import asyncio
import html
import logging
from datetime import UTC, datetime

import httpx
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.models import Subscription
from bot.pipeline.digest import digest_due
from bot.poll import poll_feeds
from bot.telegram.handlers import NO_PREVIEW, Services, build_digest, digest_start
from storage import StorageError

__all__ = ["digest_tick", "notify_admins", "poll_job", "retention_job"]

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
    if not results and due_only:
        return
    for result in results:
        if result.paused:
            await notify_admins(
                context.bot,
                services.settings.admin_ids,
                f"⏸ Feed <b>{html.escape(result.feed)}</b> was paused: it kept failing "
                f"for {services.config.poll.pause_after.days or 1} day(s).\n"
                f"Last error: {html.escape(result.error or 'unknown')}",
            )
    failed = sum(1 for r in results if r.status == "error")
    log.info(
        "poll cycle finished: %d feeds, %d failed, %d new articles, %d relevant",
        len(results),
        failed,
        sum(r.new for r in results),
        sum(r.relevant for r in results),
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
    except StorageError as exc:
        log.error("retention: %s", exc)
        return
    log.info("retention: %d old articles deleted", deleted)


async def digest_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send every digest that is due now, each chat in its own time zone."""
    services: Services = context.bot_data["services"]
    now = datetime.now(UTC)
    try:
        subscriptions = await services.store.active_subscriptions()
    except StorageError as exc:
        log.error("digest tick: %s", exc)
        return
    for subscription in subscriptions:
        if not digest_due(subscription, now):
            continue
        try:
            await _deliver_digest(context, services, subscription, now)
        except StorageError as exc:  # one chat's problem never stops the others
            log.error("digest for chat %s: %s", subscription.chat_id, exc)


async def _deliver_digest(
    context: ContextTypes.DEFAULT_TYPE,
    services: Services,
    subscription: Subscription,
    now: datetime,
) -> None:
    previous = subscription.last_digest_at
    # claim the period first: with several processes on one database only one sends
    if not await services.store.claim_digest(subscription.chat_id, previous, now):
        return
    since = digest_start(services, subscription, now)
    messages = await build_digest(services, since=since, until=now, topics=subscription.topics)
    if not messages:
        return  # an empty day is skipped; the period is consumed
    if await _send(context, services, subscription.chat_id, messages, now) == RETRY:
        # nothing reached the chat: give the period back so the next tick tries again
        await services.store.claim_digest(subscription.chat_id, now, previous)


SENT, RETRY, DROPPED = "sent", "retry", "dropped"


async def _send(
    context: ContextTypes.DEFAULT_TYPE,
    services: Services,
    chat_id: int,
    messages: list[str],
    now: datetime,
) -> str:
    """Send a digest's messages; SENT once the first one is delivered (a later failure is
    logged, not retried, so no chat gets the start of a digest twice), RETRY when nothing
    was delivered for a passing reason, DROPPED when the chat cannot receive it."""
    delivered = 0
    try:
        for text in messages:
            await context.bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            )
            delivered += 1
    except Forbidden as exc:
        log.info("chat %s blocked or removed the bot (%s): deactivated", chat_id, exc.message)
        await services.store.set_chat_active(chat_id, False, now)
        return DROPPED
    except ChatMigrated as exc:
        new_id = int(exc.new_chat_id)
        log.info("chat %s became supergroup %s: subscription moved, digest resent", chat_id, new_id)
        await services.store.migrate_chat(chat_id, new_id, now)
        return await _send(context, services, new_id, messages[delivered:], now)
    except BadRequest as exc:
        if "chat not found" in exc.message.lower():
            log.info("chat %s not found: deactivated", chat_id)
            await services.store.set_chat_active(chat_id, False, now)
        else:
            log.error("digest to chat %s rejected: %s", chat_id, exc.message)
        return DROPPED if not delivered else SENT
    except TelegramError as exc:
        if not delivered:
            log.warning("digest to chat %s failed, retried next tick: %s", chat_id, exc)
            return RETRY
        log.error("digest to chat %s cut after %d message(s): %s", chat_id, delivered, exc)
    return SENT
