"""The python-telegram-bot Application: one visible registration block, startup in post_init."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from telegram import Bot, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import AppConfig, Settings
from bot.deliver.sender import Sender
from bot.jobs import digest_tick, poll_job, retention_job, send_job
from bot.leader import LEADER_EVERY, Leader, leader_tick
from bot.metrics import Metrics
from bot.poll import poll_client, summariser_for
from bot.telegram import admin, handlers, search
from bot.telegram import settings as settings_ui
from bot.telegram.request import AiohttpRequest
from bot.telegram.runner import CountingRateLimiter
from bot.web import Webhook
from storage import open_store

__all__ = ["build_application", "run_bot"]

log = logging.getLogger(__name__)

POLL_CHECK_EVERY = timedelta(seconds=10)  # the shortest feed interval allowed
RETENTION_EVERY = timedelta(days=1)
SEND_EVERY = timedelta(seconds=2)


def build_application(settings: Settings, config: AppConfig, token: str) -> Application:  # type: ignore[type-arg]
    """The bot, wired but not started."""
    metrics = Metrics()  # this process's; fed by the jobs, served at /metrics
    requests = (AiohttpRequest(), AiohttpRequest(connection_pool_size=1))
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_url)
        # aiohttp, not PTB's default httpx: several times less CPU a request (bench/delivery.py)
        .request(requests[0])
        .get_updates_request(requests[1])
        .rate_limiter(CountingRateLimiter(metrics, max_retries=3))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["requests"] = requests
    application.bot_data["config"] = config
    application.bot_data["metrics"] = metrics

    # commands that configure a chat also work as channel posts (channels are run by admins)
    anywhere = filters.UpdateType.MESSAGES | filters.UpdateType.CHANNEL_POSTS
    application.add_handler(CommandHandler("start", handlers.start))
    application.add_handler(CommandHandler("help", handlers.help_command))
    application.add_handler(CommandHandler("latest", handlers.latest))
    application.add_handler(CommandHandler("subscribe", handlers.subscribe, anywhere))
    application.add_handler(CommandHandler("unsubscribe", handlers.unsubscribe, anywhere))
    application.add_handler(CommandHandler("digest", handlers.digest_now))
    application.add_handler(CommandHandler("settings", settings_ui.settings_command, anywhere))
    application.add_handler(CallbackQueryHandler(settings_ui.settings_callback, r"^s:"))
    for name, callback in (
        ("timezone", settings_ui.timezone_command),
        ("time", settings_ui.time_command),
        ("frequency", settings_ui.frequency_command),
        ("language", settings_ui.language_command),
        ("previews", settings_ui.previews_command),
        ("topics", settings_ui.topics_command),
        ("alerts", settings_ui.alerts_command),
        ("channel", settings_ui.channel_command),
    ):
        application.add_handler(CommandHandler(name, callback, anywhere))
    application.add_handler(CommandHandler("search", search.search))
    application.add_handler(CallbackQueryHandler(search.more_results, search.CALLBACK_PATTERN))
    admin.register(application)
    # /reload swaps its commands when feeds.yaml adds or drops topics
    topic_handler = CommandHandler([t.key for t in config.topics], handlers.topic_command)
    application.bot_data["topic_handler"] = topic_handler
    application.add_handler(topic_handler)
    application.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    application.add_error_handler(_on_error)
    return application


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    settings: Settings = application.bot_data["settings"]
    config: AppConfig = application.bot_data["config"]
    store = await open_store(settings.database_url)
    from bot.poll import utcnow

    await store.sync_feeds(config.feeds, utcnow())
    application.bot_data["services"] = handlers.Services(settings, config, store)
    application.bot_data["http"] = poll_client(settings, config)
    application.bot_data["summariser"] = summariser_for(settings, config)
    jobs = application.job_queue
    assert jobs is not None, "python-telegram-bot[job-queue] is required"
    # several processes on one database: only the leader polls, queues and sends
    leader = application.bot_data["leader"] = Leader(store)
    if await leader.check():  # a process that leads from its start polls every feed once
        jobs.run_once(leader.only(poll_job), when=0, data="all", name="poll-at-start")
    jobs.run_repeating(leader_tick, interval=LEADER_EVERY, first=0, name="leader")
    poll_due = leader.only(poll_job)
    jobs.run_repeating(poll_due, interval=POLL_CHECK_EVERY, first=POLL_CHECK_EVERY, name="poll")
    tick = leader.only(digest_tick)
    jobs.run_repeating(tick, interval=config.digest.check_every, first=5, name="digest-tick")

    async def may_send() -> bool:  # the leader sends, and stops claiming once stopping
        return not application.bot_data.get("stopping") and await leader.check()

    application.bot_data["sender"] = Sender(
        store, await _outbox_bot(application), config.delivery, may_claim=may_send
    )
    jobs.run_repeating(send_job, interval=SEND_EVERY, first=1, name="sender")
    prune = leader.only(retention_job)
    jobs.run_repeating(prune, interval=RETENTION_EVERY, first=120, name="retention")
    await admin.on_start(application)  # the admins' command menus; /reload on SIGHUP
    log.info("azby started: %d feeds, %d topics", len(config.feeds), len(config.topics))


async def _outbox_bot(application: Application) -> Bot:  # type: ignore[type-arg]
    """The bot the outbox sender sends with: the application's token and Bot API server,
    without PTB's rate limiter. The sender paces its sends and handles their 429s itself
    (bot.deliver): through the limiter each send would be throttled a second time, and a 429
    slept out and retried inside the sender's send window, holding up every other request of
    the bot meanwhile."""
    settings: Settings = application.bot_data["settings"]
    bot = Bot(application.bot.token, base_url=settings.telegram_api_url, request=AiohttpRequest())
    await bot.initialize()
    application.bot_data["outbox_bot"] = bot
    return bot


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    outbox_bot = application.bot_data.pop("outbox_bot", None)
    if outbox_bot is not None:
        await outbox_bot.shutdown()
    client = application.bot_data.pop("http", None)
    if client is not None:
        await client.aclose()
    summariser = application.bot_data.pop("summariser", None)
    if summariser is not None:
        await summariser.aclose()
    leader = application.bot_data.pop("leader", None)
    if leader is not None:
        await leader.release()
    services = application.bot_data.pop("services", None)
    if services is not None:
        await services.store.close()
    log.info("azby stopped")


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(
                "Sorry, something went wrong on my side. Please try again in a minute."
            )
        except Exception:  # the error handler itself must never raise
            log.warning("could not tell the chat about the error", exc_info=True)


def run_bot(
    settings: Settings, config: AppConfig, token: str, *, webhook: Webhook | None = None
) -> None:
    """Run until SIGINT/SIGTERM: long polling (or the webhook), the scheduler and delivery;
    with AZBY_HTTP_PORT or a webhook, the HTTP server too (bot.telegram.runner)."""
    from bot.workers import warm_up_here

    warm_up_here(config.poll.workers)
    application = build_application(settings, config, token)
    if webhook is None:
        polling: dict[str, Any] = {"allowed_updates": Update.ALL_TYPES}
        application.bot_data["long_polling"] = polling  # only the leader polls (bot.leader)
    from bot.telegram.runner import serve

    async def run() -> None:
        try:
            await serve(application, settings, webhook)
        finally:
            # PTB shuts its requests down only after a successful start; after a failed one (a
            # rejected token) aiohttp would print "Unclosed client session" at exit
            for request in application.bot_data["requests"]:
                await request.shutdown()

    asyncio.run(run())
