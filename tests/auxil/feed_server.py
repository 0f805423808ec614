"""A real HTTP server on 127.0.0.1 that serves feed fixtures and misbehaves on demand.

Two front ends share one implementation:

- :class:`FeedServer` runs in the caller's event loop (``async with FeedServer() as fs``);
  use it from async tests that fetch feeds in the same loop.
- :class:`FeedServerThread` runs a :class:`FeedServer` in its own event loop in a daemon
  thread (``with FeedServerThread() as fs``); use it from sync tests and from e2e tests
  that run the bot as a subprocess.

Paths are registered with :meth:`FeedServer.add_file` (a fixture with ETag / Last-Modified
and conditional GET) or :meth:`FeedServer.add_route` (a :class:`Route` describing a
behaviour: status, redirect, delay, gzip, huge chunked body, empty body, extra headers, or
a custom aiohttp handler). Routes may be added or replaced while the server runs. Every
request, matched or not, is logged per path; see :meth:`FeedServer.requests`.

Example::

    async with FeedServer() as fs:
        fs.add_file("/rss", "trend-en-mixed.rss")
        fs.add_route("/slow", delay=5)
        fs.add_route("/gone", status=403)
        url = fs.url("/rss")
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gzip as gzip_module
import hashlib
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from tests.auxil.loop_thread import AsyncStartStop, LoopThread, StartStop

__all__ = [
    "DEFAULT_LAST_MODIFIED",
    "FEEDS_DIR",
    "RSS_CONTENT_TYPE",
    "FeedServer",
    "FeedServerThread",
    "Handler",
    "RecordedRequest",
    "Route",
]

FEEDS_DIR = Path(__file__).resolve().parent.parent / "data" / "feeds"
"""Directory of the feed fixtures that :meth:`FeedServer.add_file` resolves names against."""

RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
"""Default ``Content-Type`` of routes and files."""

DEFAULT_LAST_MODIFIED = datetime(2026, 11, 12, 10, 0, 0, tzinfo=UTC)
"""Fixed ``Last-Modified`` of files, so tests are deterministic."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""A custom aiohttp handler; it runs in the server's event loop (its thread in thread mode)."""

_MIB = 1024 * 1024
_CHUNK = 64 * 1024
_HUGE_PREFIX = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
    b"<title>Endless feed</title><link>https://example.invalid/</link>\n"
)
_HUGE_FILLER = (
    b"<item><title>padding</title><description>" + b"x" * 200 + b"</description></item>\n"
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, before any route answered it."""

    method: str
    path: str
    query_string: str
    headers: CIMultiDictProxy[str]
    """Request headers, case-insensitive: ``req.headers["if-none-match"]``."""
    monotonic: float
    """``time.monotonic()`` when the request arrived, to check polling intervals."""

    @property
    def path_qs(self) -> str:
        """The path with its query string, e.g. ``/rss/?rubric=news``."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path


@dataclass(frozen=True)
class Route:
    """How the server answers one path. Every field has a harmless default.

    ``status``/``body``/``content_type``/``headers`` make a plain response; ``location``
    adds a ``Location`` header (pair it with a 3xx ``status``; point two routes at each
    other, or one at itself, for a redirect loop). ``delay`` waits that many seconds before
    answering (cut short when the server stops). ``gzip`` sends the body gzip-compressed
    with ``Content-Encoding: gzip`` whatever the request accepts. ``huge`` streams that many
    MiB of RSS-looking bytes with chunked encoding (``huge_content_length`` declares the
    size in ``Content-Length`` instead). ``empty`` sends a 200 with no body at all.
    ``etag`` (a string, or ``True`` to derive it from the body) and ``last_modified``
    enable conditional GET: a matching ``If-None-Match`` or a fresh enough
    ``If-Modified-Since`` gets a 304.
    """

    status: int = 200
    body: bytes = b""
    content_type: str | None = RSS_CONTENT_TYPE
    headers: Mapping[str, str] = field(default_factory=dict)
    location: str | None = None
    delay: float = 0.0
    gzip: bool = False
    huge: float = 0.0
    huge_content_length: bool = False
    empty: bool = False
    etag: str | bool = False
    last_modified: datetime | None = None

    def __post_init__(self) -> None:
        if isinstance(self.body, str):
            object.__setattr__(self, "body", self.body.encode("utf-8"))
        if self.etag is True:
            digest = hashlib.sha256(self.body).hexdigest()[:20]
            object.__setattr__(self, "etag", f'"{digest}"')
        elif isinstance(self.etag, str) and not self.etag.endswith('"'):
            object.__setattr__(self, "etag", f'"{self.etag}"')
        if self.last_modified is not None:
            if self.last_modified.tzinfo is None:
                raise ValueError("Route.last_modified must be timezone-aware")
            lm = self.last_modified.astimezone(UTC).replace(microsecond=0)
            object.__setattr__(self, "last_modified", lm)
        if self.huge and (self.gzip or self.empty):
            raise ValueError("Route.huge cannot be combined with gzip or empty")


class FeedServer(AsyncStartStop):
    """An aiohttp server on ``127.0.0.1`` and a free port, serving :class:`Route` s.

    Start it with ``await start()`` or ``async with``. Route registration and the request
    log are guarded by a lock, so :class:`FeedServerThread` can call them from any thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, Route | Handler] = {}
        self._log: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._closing: asyncio.Event | None = None
        self._port: int | None = None

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Bind to ``127.0.0.1:0`` and start serving; :attr:`port` is known afterwards."""
        if self._runner is not None:
            raise RuntimeError("FeedServer already started")
        self._closing = asyncio.Event()
        app = web.Application()
        # One catch-all route: aiohttp freezes its router on start, ours stays editable.
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop serving, cutting short pending delays and streams. Safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        assert self._closing is not None
        self._closing.set()
        await runner.cleanup()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("FeedServer not started")
        return self._port

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path``: ``http://127.0.0.1:{port}{path}``."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        return f"http://127.0.0.1:{self.port}{path}"

    # -- routes --------------------------------------------------------------------------

    def add_file(
        self,
        path: str,
        fixture: str | Path | bytes,
        content_type: str | None = RSS_CONTENT_TYPE,
        etag: str | bool = True,
        last_modified: datetime | None = DEFAULT_LAST_MODIFIED,
        *,
        headers: Mapping[str, str] | None = None,
        gzip: bool = False,
    ) -> Route:
        """Serve a fixture at ``path`` with ETag and Last-Modified, answering 304 when fresh.

        ``fixture`` is a file name in :data:`FEEDS_DIR`, a :class:`~pathlib.Path`, or the
        bytes to serve. ``etag=True`` derives the ETag from the content, so re-adding
        changed content changes it; ``etag=False`` / ``last_modified=None`` leave the
        header out. Returns the :class:`Route`, whose ``etag`` the test can compare.
        """
        if isinstance(fixture, bytes):
            body = fixture
        else:
            file = fixture if isinstance(fixture, Path) else FEEDS_DIR / fixture
            body = file.read_bytes()
        route = Route(
            body=body,
            content_type=content_type,
            etag=etag,
            last_modified=last_modified,
            headers=dict(headers or {}),
            gzip=gzip,
        )
        self._set_route(path, route)
        return route

    def add_route(
        self, path: str, spec: Route | Mapping[str, Any] | Handler | None = None, /, **fields: Any
    ) -> Route | Handler:
        """Answer ``path`` as ``spec`` says, replacing any earlier route for it.

        ``spec`` is a :class:`Route`, a mapping of its fields, or an aiohttp handler;
        keyword arguments are :class:`Route` fields too (``add_route("/x", status=403)``)
        and override those of ``spec``. A ``path`` with a query string (``/rss/?rubric=news``)
        matches only that query; a bare path matches any query without its own route.
        """
        if callable(spec):
            if fields:
                raise TypeError("add_route takes no Route fields together with a handler")
            self._set_route(path, spec)
            return spec
        if isinstance(spec, Route):
            route = dataclasses.replace(spec, **fields) if fields else spec
        else:
            route = Route(**{**(spec or {}), **fields})
        self._set_route(path, route)
        return route

    def requests(self, path: str | None = None) -> list[RecordedRequest]:
        """Requests received so far for ``path`` (all of them if ``None``), oldest first.

        A ``path`` with a query string matches that exact query; a bare one ignores queries.
        """
        with self._lock:
            log = list(self._log)
        if path is None:
            return log
        if "?" in path:
            return [r for r in log if r.path_qs == path]
        return [r for r in log if r.path == path]

    def clear_requests(self) -> None:
        """Forget the request log (routes stay)."""
        with self._lock:
            self._log.clear()

    def _set_route(self, path: str, route: Route | Handler) -> None:
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        with self._lock:
            self._routes[path] = route

    # -- serving -------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query_string=request.query_string,
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            monotonic=time.monotonic(),
        )
        with self._lock:
            self._log.append(recorded)
            route = self._routes.get(request.path_qs) or self._routes.get(request.path)
        if route is None:
            return web.Response(status=404, text=f"no route for {request.path}\n")
        if not isinstance(route, Route):
            return await route(request)
        if route.delay:
            await self._sleep(route.delay)
        if route.huge:
            return await self._stream_huge(request, route)
        return self._respond(request, route)

    def _respond(self, request: web.Request, route: Route) -> web.Response:
        headers = CIMultiDict[str]()
        if isinstance(route.etag, str):
            headers["ETag"] = route.etag
        if route.last_modified is not None:
            headers["Last-Modified"] = format_datetime(route.last_modified, usegmt=True)
        headers.update(route.headers)
        if route.status == 200 and _is_fresh(request, route):
            return web.Response(status=304, headers=headers)
        if route.location is not None:
            headers["Location"] = route.location
        if route.content_type is not None:
            headers["Content-Type"] = route.content_type
        body = b"" if route.empty else route.body
        if route.gzip:
            body = gzip_module.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
        return web.Response(status=route.status, body=body, headers=headers)

    async def _stream_huge(self, request: web.Request, route: Route) -> web.StreamResponse:
        size = int(route.huge * _MIB)
        response = web.StreamResponse(status=route.status, headers=route.headers)
        if route.content_type is not None:
            response.headers["Content-Type"] = route.content_type
        if route.huge_content_length:
            response.content_length = size
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = _HUGE_PREFIX + _HUGE_FILLER * (_CHUNK // len(_HUGE_FILLER))
        filler = _HUGE_FILLER * (_CHUNK // len(_HUGE_FILLER) + 1)
        sent = 0
        try:
            while sent < size and not self._is_closing():
                piece = chunk[: size - sent]
                await response.write(piece)
                sent += len(piece)
                chunk = filler
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client gave up reading, which is what size limits are for
        return response

    async def _sleep(self, seconds: float) -> None:
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    def _is_closing(self) -> bool:
        return self._closing is not None and self._closing.is_set()


def _is_fresh(request: web.Request, route: Route) -> bool:
    """Whether a conditional GET may be answered 304 (RFC 9110 section 13.2.2)."""
    if request.method not in ("GET", "HEAD"):
        return False
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        if not isinstance(route.etag, str):
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or route.etag.removeprefix("W/") in tags
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since is None or route.last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return route.last_modified <= since


class FeedServerThread(StartStop):
    """A :class:`FeedServer` in its own event loop on a daemon thread, driven synchronously.

    ``start()``/``stop()`` or ``with FeedServerThread() as fs``. All methods are safe to
    call from any thread; custom handlers given to :meth:`add_route` run in the server's
    thread.
    """

    def __init__(self) -> None:
        self._server = FeedServer()
        self._loop = LoopThread("feed-server", owner="FeedServerThread")

    def start(self, timeout: float = 10.0) -> None:
        """Start the loop thread and the server; returns once the server listens."""
        self._loop.start(timeout)
        try:
            self._loop.run(self._server.start, timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server, then the loop, and join the thread. Safe to call twice."""
        if not self._loop.running:
            return
        try:
            self._loop.run(self._server.stop, timeout)
        finally:
            self._loop.stop(timeout)

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self._server.port

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path``: ``http://127.0.0.1:{port}{path}``."""
        return self._server.url(path)

    # The routes and the request log are lock-guarded, so these call the server directly.
    # ``functools.wraps`` gives the delegates FeedServer's signatures and docstrings.

    @functools.wraps(FeedServer.add_file)
    def add_file(self, *args: Any, **kwargs: Any) -> Route:
        return self._server.add_file(*args, **kwargs)

    @functools.wraps(FeedServer.add_route)
    def add_route(self, *args: Any, **kwargs: Any) -> Route | Handler:
        return self._server.add_route(*args, **kwargs)

    def requests(self, path: str | None = None) -> list[RecordedRequest]:
        """See :meth:`FeedServer.requests`."""
        return self._server.requests(path)

    def clear_requests(self) -> None:
        """See :meth:`FeedServer.clear_requests`."""
        self._server.clear_requests()
