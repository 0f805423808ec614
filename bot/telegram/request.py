"""python-telegram-bot's networking on aiohttp: ``AiohttpRequest``, a drop-in for ``HTTPXRequest``.

PTB sends every Bot API call through a ``telegram.request.BaseRequest``; its default,
``HTTPXRequest``, spends most of a send's CPU in httpx's connection-pool bookkeeping, which
grows with the number of requests in flight (bench/delivery.py measures it). aiohttp's pool
does the same job several times cheaper, so azby's Application uses this class for both its
requests and its long polling.

Same constructor and semantics as ``HTTPXRequest`` where aiohttp allows:

- timeouts (seconds, ``None`` = wait forever), each overridable per call as PTB does:
  ``connect_timeout`` to open a connection, ``pool_timeout`` to wait for a free one in the pool
  (aiohttp counts connecting as part of that wait, so it gets the sum of the two),
  ``read_timeout`` between two reads of the answer; aiohttp has no write timeout, so
  ``write_timeout`` (``media_write_timeout`` for uploads) only adds to a ceiling on the whole
  request, the sum of all four;
- errors: any timeout → ``telegram.error.TimedOut``, any other aiohttp failure →
  ``telegram.error.NetworkError``, both naming the aiohttp exception. aiohttp quotes the URL in
  some messages, and Bot API URLs contain the token: it is cut out of the message, and the
  aiohttp exception is not chained (its text would reach logged tracebacks);
- proxies from ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``/``NO_PROXY`` like httpx (read once
  per host: aiohttp's own ``trust_env`` reads them, and ``~/.netrc``, in a thread on every
  request), or ``proxy=``;
- parameters are sent as a JSON body (PTB's ``RequestData.json_payload``; the Bot API takes
  JSON, and encoding it is far cheaper than form-encoding a long text byte by byte), files as
  multipart like ``HTTPXRequest``; no cookies are kept (the Bot API sets none).
"""

from __future__ import annotations

import logging
import re
import urllib.parse
import urllib.request

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]

log = logging.getLogger(__name__)

_JSON = {"Content-Type": "application/json"}
# "/bot<token>/" and "/file/bot<token>/" in Bot API URLs (aiohttp quotes them in some errors)
_TOKEN_IN_URL = re.compile(r"/bot[^/\s]+/")


def _redacted(text: str) -> str:
    return _TOKEN_IN_URL.sub("/bot<token>/", text)


def _sum(*parts: float | None) -> float | None:
    return None if any(part is None for part in parts) else sum(p for p in parts if p is not None)


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on one ``aiohttp.ClientSession``, opened by ``initialize``."""

    __slots__ = (
        "_connect_timeout",
        "_default_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxy",
        "_proxy_for",
        "_read_timeout",
        "_session",
        "_trust_env",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
        trust_env: bool = True,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._trust_env = trust_env
        self._default_timeout = self._timeout(
            read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        self._session: aiohttp.ClientSession | None = None
        self._proxy_for: dict[str, str | None] = {}  # origin → the environment's proxy

    @property
    def read_timeout(self) -> float | None:
        """See :attr:`BaseRequest.read_timeout` (PTB adds it to a long poll's ``timeout``)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (again, after a ``shutdown``)."""
        if self._session is None or self._session.closed:
            self._proxy_for = {}  # the environment is read again, as httpx does for a new client
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _env(self, url: str) -> str | None:
        """The proxy the environment sets for this URL's scheme and host, as httpx reads it."""
        origin = "/".join(url.split("/", 3)[:3])  # scheme://host:port, cheaply
        if origin not in self._proxy_for:
            parts = urllib.parse.urlsplit(url)
            host = parts.hostname or ""
            proxies = urllib.request.getproxies()
            bypass = urllib.request.proxy_bypass(host) if host else True
            proxy = None if bypass else proxies.get(parts.scheme) or proxies.get("all")
            self._proxy_for[origin] = proxy
        return self._proxy_for[origin]

    @staticmethod
    def _timeout(
        read: float | None, write: float | None, connect: float | None, pool: float | None
    ) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=_sum(read, write, connect, pool),
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`BaseRequest.do_request`."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = (
            request_data.multipart_data if request_data and request_data.contains_files else None
        )
        data: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if files:
            form = aiohttp.FormData()
            for name, value in (request_data.json_parameters if request_data else {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            data = form
        elif request_data is not None:
            data = request_data.json_payload
            headers = _JSON

        timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        if files or not all(isinstance(value, DefaultValue) for value in timeouts):
            timeout = self._timeout(
                self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout,
                (self._media_write_timeout if files else self._write_timeout)
                if isinstance(write_timeout, DefaultValue)
                else write_timeout,
                self._connect_timeout
                if isinstance(connect_timeout, DefaultValue)
                else connect_timeout,
                self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout,
            )
        else:
            timeout = self._default_timeout

        proxy = self._proxy if self._proxy is not None or not self._trust_env else self._env(url)
        try:
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout, proxy=proxy
            ) as response:
                body = await response.read()
        except TimeoutError as error:  # aiohttp's own timeouts subclass it
            detail = _redacted(str(error)) or "no answer in time"
            raise TimedOut(f"Timed out (aiohttp.{type(error).__name__}: {detail})") from None
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {_redacted(str(error))}") from None
        if log.isEnabledFor(logging.DEBUG):
            # as httpx logged each request (``azby -v``); the log handlers blank out the token
            log.debug('HTTP Request: %s %s "%d"', method, url, response.status)
        return response.status, body

    def __repr__(self) -> str:
        return f"{type(self).__name__}(connection_pool_size={self._pool_size})"
