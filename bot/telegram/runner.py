"""``azby run`` with the HTTP server (health, metrics, webhook) in the bot's event loop.

python-telegram-bot's ``run_webhook`` brings a server of its own with one route; azby needs
``/healthz`` and ``/metrics`` beside the webhook, so it follows PTB's "custom webhook bot"
pattern: the Application is initialised, started and stopped by hand, and the webhook route
puts each update on ``application.update_queue``. The steps and their order are those of
``Application.run_polling`` (post_init after initialize; updater, then application, stopped
in reverse; post_stop, shutdown, post_shutdown), with the server started after post_init (the
store is open) and stopped first (no update is accepted that would not be handled).

Every ``azby run`` goes through here (with neither ``AZBY_HTTP_PORT`` nor ``--webhook`` the
HTTP server is simply not started), so that the shutdown can say it is stopping before the
updater stops: the leader tick (``bot.leader``) would otherwise start long polling again
while queued updates and running jobs are finished, and the sender stops claiming.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import BadRequest, RetryAfter
from telegram.ext import AIORateLimiter, Application

from bot.config import ConfigError, Settings
from bot.leader import follow_updates
from bot.metrics import Metrics
from bot.web import DEFAULT_WEBHOOK_PORT, Webhook, WebhookRoute, WebServer

__all__ = ["CountingRateLimiter", "serve", "stopping"]

log = logging.getLogger(__name__)

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)


class CountingRateLimiter(AIORateLimiter):
    """PTB's rate limiter that also counts every 429 the Bot API answers (retried or not)."""

    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._metrics = metrics

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        async def counted(*a: Any, **kw: Any) -> Any:
            try:
                return await callback(*a, **kw)
            except RetryAfter:
                self._metrics.rate_limited.inc()
                raise

        return await super().process_request(counted, args, kwargs, endpoint, data, rate_limit_args)


async def serve(
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
    webhook: Webhook | None,
) -> None:
    """Run until SIGINT/SIGTERM: the bot (long polling, or the webhook) and the HTTP server."""
    metrics: Metrics = application.bot_data["metrics"]
    route = None
    if webhook is not None:
        route = WebhookRoute(
            webhook.path,
            webhook.secret,
            parse=lambda data: Update.de_json(data, application.bot),
            put=application.update_queue.put,
        )
    port = settings.http_port
    server = None
    if port is not None or webhook is not None:
        server = WebServer(
            settings.http_host,
            DEFAULT_WEBHOOK_PORT if port is None else port,
            metrics,
            store=lambda: getattr(application.bot_data.get("services"), "store", None),
            webhook=route,
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        if server is not None:
            await server.start()
        # only the leader fetches updates (a standby starts when it takes over)
        await follow_updates(application, application.bot_data["leader"].leading)
        await application.start()
        if webhook is not None:
            await _set_webhook(application, webhook)
        await stop.wait()
        log.debug("stop signal received: shutting down")
    finally:
        for sig in _STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        stopping(application)
        if server is not None:
            await server.stop()
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def stopping(application: Application) -> None:  # type: ignore[type-arg]
    """Say the process is stopping: no more leader ticks (which would restart long polling),
    no more outbox claims (``bot_data["stopping"]``); what runs now finishes."""
    application.bot_data["stopping"] = True
    if application.job_queue is not None:
        for job in application.job_queue.get_jobs_by_name("leader"):
            job.schedule_removal()


async def _set_webhook(application: Application, webhook: Webhook) -> None:  # type: ignore[type-arg]
    """Point Telegram at the webhook. Not deleted on stop: other processes behind the same
    URL may still be serving it, and Telegram keeps the updates for a restarted one."""
    try:
        await application.bot.set_webhook(
            webhook.url, secret_token=webhook.secret, allowed_updates=Update.ALL_TYPES
        )
    except BadRequest as exc:
        raise ConfigError(f"--webhook: Telegram refused {webhook.url}: {exc.message}") from None
    if webhook.generated:
        log.info(
            "AZBY_WEBHOOK_SECRET is not set: a random secret token for this run "
            "(set one when several processes serve the same webhook URL)"
        )
    log.info("webhook set: %s (updates served at path %s)", webhook.url, webhook.path)
