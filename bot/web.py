"""The HTTP server inside ``azby run``: ``/healthz``, Prometheus ``/metrics`` and the webhook.

It runs in the bot's own event loop (aiohttp). It starts when ``AZBY_HTTP_PORT`` is set, or
with ``azby run --webhook URL`` (then on port 8080 unless ``AZBY_HTTP_PORT`` says otherwise);
it listens on ``AZBY_HTTP_HOST`` (default ``127.0.0.1``).

Routes::

    GET  /healthz        200 {"status": "ok", …} when the store answers and the scheduler runs,
                         503 {"status": "unavailable", "reasons": […]} otherwise
    GET  /metrics        Prometheus text format (bot.metrics)
    POST <webhook path>  the path of the --webhook URL: Telegram's updates. 403 without the
                         right X-Telegram-Bot-Api-Secret-Token header, 413 over MAX_BODY,
                         400 for a body that is not a JSON update, else 200 once queued
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.config import ConfigError
from bot.metrics import CONTENT_TYPE, Metrics

__all__ = [
    "DEFAULT_WEBHOOK_PORT",
    "MAX_BODY",
    "SCHEDULER_STALE_AFTER",
    "WEBHOOK_PORTS",
    "WebServer",
    "Webhook",
    "WebhookRoute",
    "health",
]

log = logging.getLogger(__name__)

DEFAULT_WEBHOOK_PORT = 8080
WEBHOOK_PORTS = (443, 80, 88, 8443)  # the only ports Telegram delivers webhooks to
MAX_BODY = 1024 * 1024  # an update is a few KB; anything this big is not from Telegram
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# the sender job starts every 2 s, and one drain takes at most 50 s: no start for this long
# means the scheduler (or the sender) is stuck
SCHEDULER_STALE_AFTER = 90.0
STORE_TIMEOUT = 5.0
_RESERVED = ("/healthz", "/metrics")


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where Telegram delivers updates: the public URL, its path here, the secret token."""

    url: str
    path: str
    secret: str
    generated: bool = False  # the secret was made up for this run (no AZBY_WEBHOOK_SECRET)

    @classmethod
    def from_url(cls, url: str, secret: str | None) -> Webhook:
        """Check ``url`` as Telegram would take it; a random secret when none is given."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            port, parts = -1, urlsplit("")
        if parts.username or parts.password or parts.fragment:  # not quoted: a password
            raise ConfigError("--webhook: the URL must have no user, password or #fragment")
        if parts.scheme != "https" or not parts.hostname:
            raise ConfigError(
                f"--webhook: {url!r} must be a public https URL, e.g. https://bot.example.org/tg"
            )
        if port is not None and port not in WEBHOOK_PORTS:
            raise ConfigError(
                f"--webhook: Telegram only delivers to ports 443, 80, 88 and 8443 (got {port}); "
                "the local port is AZBY_HTTP_PORT"
            )
        path = parts.path or "/"
        if path.rstrip("/") in _RESERVED:
            raise ConfigError(f"--webhook: the path {path} is taken by the health endpoints")
        if secret is None:
            return cls(url.strip(), path, secrets.token_urlsafe(32), generated=True)
        return cls(url.strip(), path, secret)


def health(
    *, store_error: str | None, last_send: float | None, started: float, now: float
) -> list[str]:
    """Why this process is unhealthy (an empty list: it is healthy)."""
    reasons = []
    if store_error is not None:
        reasons.append(f"store: {store_error}")
    since = now - (last_send if last_send is not None else started)
    if since > SCHEDULER_STALE_AFTER:
        what = "has not run" if last_send is None else f"last ran {since:.0f} s ago"
        reasons.append(f"scheduler: the sender job {what} (expected every few seconds)")
    return reasons


@dataclass(frozen=True, slots=True)
class WebhookRoute:
    """The webhook as the server needs it: its path and secret, how to read an update (any
    exception: not an update) and where to put it."""

    path: str
    secret: str
    parse: Callable[[dict[str, Any]], object]
    put: Callable[[object], Awaitable[None]]


class WebServer:
    """The aiohttp application and its listening socket."""

    def __init__(
        self,
        host: str,
        port: int,
        metrics: Metrics,
        store: Callable[[], Any],
        *,
        webhook: WebhookRoute | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host, self.port = host, port
        self._metrics, self._store, self._webhook, self._clock = metrics, store, webhook, clock
        self._started = clock()
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/metrics", self._metrics_page)
        if webhook is not None:
            self.app.router.add_post(webhook.path, self._update)

    async def start(self) -> None:
        """Listen; ``port`` is then the real one (``AZBY_HTTP_PORT=0`` picks a free port)."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise ConfigError(
                f"AZBY_HTTP_HOST/AZBY_HTTP_PORT: cannot listen on {self.host}:{self.port}: "
                f"{exc.strerror or exc}"
            ) from None
        self.port = self._runner.addresses[0][1]
        self._started = self._clock()
        routes = "/healthz, /metrics" + (f", webhook {self._webhook.path}" if self._webhook else "")
        log.info("http server listening on http://%s:%d (%s)", self.host, self.port, routes)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _outbox_depth(self) -> tuple[int | None, str | None]:
        store = self._store()
        if store is None:
            return None, "not open yet"
        try:
            depth = await asyncio.wait_for(store.outbox_depth(), STORE_TIMEOUT)
        except TimeoutError:
            return None, f"no answer within {STORE_TIMEOUT:g} s"
        except Exception as exc:  # StorageError, or anything a broken driver raises
            return None, str(exc) or type(exc).__name__
        return int(depth), None

    async def _healthz(self, request: web.Request) -> web.Response:
        depth, store_error = await self._outbox_depth()
        last_send = self._metrics.last_run("sender")
        now = self._clock()
        reasons = health(
            store_error=store_error, last_send=last_send, started=self._started, now=now
        )
        body: dict[str, Any] = {
            "status": "unavailable" if reasons else "ok",
            "mode": "webhook" if self._webhook else "polling",
            "outbox_depth": depth,
            "last_send_job_seconds_ago": _ago(last_send, now),
            "last_poll_job_seconds_ago": _ago(self._metrics.last_run("poll"), now),
        }
        if reasons:
            body["reasons"] = reasons
            log.warning("health check failed: %s", "; ".join(reasons))
        return web.json_response(body, status=503 if reasons else 200)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        depth, error = await self._outbox_depth()
        if depth is not None:
            self._metrics.outbox_depth.set(depth)
        else:
            log.debug("metrics: outbox depth unknown: %s", error)
        return web.Response(body=self._metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    async def _update(self, request: web.Request) -> web.Response:
        status, reason = await self._accept(request)
        self._metrics.webhook_requests.labels(str(status)).inc()
        if status != 200:
            # never the secret token: only who sent what kind of bad request
            log.warning("webhook: %s from %s: %d", reason, request.remote, status)
        return web.json_response({"ok": status == 200, "reason": reason}, status=status)

    async def _accept(self, request: web.Request) -> tuple[int, str]:
        assert self._webhook is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not secrets.compare_digest(given.encode(), self._webhook.secret.encode()):
            return 403, "missing or wrong secret token"
        if request.content_length is not None and request.content_length > MAX_BODY:
            return 413, f"body over {MAX_BODY} bytes"
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return 413, f"body over {MAX_BODY} bytes"
        try:
            data = json.loads(body)
        except ValueError:  # also bytes that are not UTF-8
            return 400, "body is not JSON"
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return 400, "body is not a Telegram update (no update_id)"
        try:
            update = self._webhook.parse(data)
        except Exception as exc:  # whatever a malformed update makes the parser raise
            return 400, f"body is not a Telegram update ({type(exc).__name__})"
        await self._webhook.put(update)
        return 200, "queued"


def _ago(when: float | None, now: float) -> float | None:
    return None if when is None else round(now - when, 1)
