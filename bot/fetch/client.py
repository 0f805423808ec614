"""HTTP fetching of feeds with one shared ``httpx.AsyncClient``.

Every request has connect/read timeouts, follows at most 5 redirects, stops reading past a size
cap, and passes an SSRF guard (http(s) only; no loopback, private or link-local addresses after
DNS resolution unless ``AZBY_ALLOW_PRIVATE_NETWORKS`` is set). Every failure comes back as a
``FetchResult`` with a one-line ``error`` a human understands, never as an exception.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from bot import __version__

__all__ = [
    "MAX_BYTES",
    "USER_AGENT",
    "BlockedAddress",
    "FetchResult",
    "fetch",
    "make_client",
    "max_age",
    "retry_after",
]

USER_AGENT = (
    f"Mozilla/5.0 (compatible; azby/{__version__}; Azerbaijan-Belarus news bot; "
    "+https://github.com/azby-bot/azby)"
)
MAX_BYTES = 10 * 1024 * 1024
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


class BlockedAddress(httpx.RequestError):
    """The URL points at an address feeds may not live on (see the module docstring)."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one GET: ``ok`` with content, ``not_modified`` (304), or ``error``."""

    status: str
    url: str
    content: bytes = b""
    content_type: str | None = None
    http_status: int | None = None
    caching: str | None = None
    error: str | None = None
    max_age: timedelta | None = None
    retry_after: timedelta | None = None
    # where a chain of permanent redirects (301, 308) from the requested URL ended
    permanent_url: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def max_age(headers: httpx.Headers) -> timedelta | None:
    """``Cache-Control: max-age=N`` (None with no-store/no-cache or without one)."""
    directives = [d.strip().lower() for d in headers.get("Cache-Control", "").split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return None
    for directive in directives:
        name, _, value = directive.partition("=")
        if name == "max-age" and value.strip().strip('"').isdigit():
            return timedelta(seconds=int(value.strip().strip('"')))
    return None


def retry_after(headers: httpx.Headers, now: datetime) -> timedelta | None:
    """``Retry-After`` as seconds or an HTTP date, relative to ``now``."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(timedelta(0), when - now)


@dataclass(frozen=True, slots=True)
class _Hints:
    max_age: timedelta | None
    retry_after: timedelta | None
    permanent_url: str | None

    def apply(self, result: FetchResult) -> FetchResult:
        return replace(
            result,
            max_age=self.max_age,
            retry_after=self.retry_after,
            permanent_url=self.permanent_url,
        )


def _permanent_url(requested: str, response: httpx.Response) -> str | None:
    hops = [*response.history, response]
    moved = None
    for hop, following in itertools.pairwise(hops):
        if hop.status_code not in (301, 308):
            break
        moved = str(following.url)
    return moved if moved and moved != requested else None


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _ssrf_guard(allow_private: bool) -> Callable[[httpx.Request], Awaitable[None]]:
    async def check(request: httpx.Request) -> None:
        if request.url.scheme not in ("http", "https"):
            raise BlockedAddress(
                f"only http(s) URLs are fetched, not {request.url.scheme}:", request=request
            )
        if allow_private:
            return
        host = request.url.host
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            raise httpx.ConnectError(
                f"cannot resolve {host}: {exc.strerror}", request=request
            ) from None
        for info in infos:
            address = str(info[4][0])
            if _blocked(address):
                raise BlockedAddress(
                    f"{host} resolves to {address}, a private/loopback address "
                    "(set AZBY_ALLOW_PRIVATE_NETWORKS=1 to allow)",
                    request=request,
                )

    return check


def make_client(
    *, allow_private_networks: bool, timeout: float = 20.0, concurrency: int = 20
) -> httpx.AsyncClient:
    """The one client a poll cycle uses (HTTP/1.1, pool sized to the poll concurrency)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT},
        event_hooks={"request": [_ssrf_guard(allow_private_networks)]},
    )


def _caching(response: httpx.Response) -> str | None:
    state = {
        key: response.headers[header]
        for key, header in (("etag", "ETag"), ("last_modified", "Last-Modified"))
        if header in response.headers
    }
    return json.dumps(state, sort_keys=True) if state else None


def _conditional_headers(caching: str | None) -> dict[str, str]:
    if not caching:
        return {}
    try:
        state = json.loads(caching)
    except ValueError:
        return {}
    headers = {}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    return headers


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    caching: str | None = None,
    max_bytes: int = MAX_BYTES,
    deadline: float = 60.0,
) -> FetchResult:
    """GET ``url`` conditionally (``caching`` is the opaque value a previous fetch returned).

    httpx's timeouts bound each read; ``deadline`` bounds the whole fetch (DNS, redirects and
    a body that trickles in), so one slow server cannot hold a poll cycle.
    """
    try:
        async with asyncio.timeout(deadline):
            return await _fetch(client, url, caching, max_bytes)
    except TimeoutError:
        return FetchResult("error", url, error=f"timed out (no complete answer in {deadline:g} s)")
    except BlockedAddress as exc:
        return FetchResult("error", url, error=f"refused: {exc}")
    except httpx.TooManyRedirects:
        return FetchResult("error", url, error="too many redirects (more than 5, or a loop)")
    except httpx.TimeoutException as exc:
        return FetchResult("error", url, error=f"timed out ({type(exc).__name__})")
    except httpx.DecodingError as exc:
        return FetchResult("error", url, error=f"cannot decode the response: {exc}")
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        return FetchResult("error", url, error=f"connection failed: {reason}")
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return FetchResult("error", url, error=f"invalid URL: {exc}")


async def _fetch(
    client: httpx.AsyncClient, url: str, caching: str | None, max_bytes: int
) -> FetchResult:
    async with client.stream("GET", url, headers=_conditional_headers(caching)) as response:
        hints = _Hints(
            max_age(response.headers),
            retry_after(response.headers, datetime.now(UTC)),
            _permanent_url(url, response),
        )
        final = str(response.url)
        status = response.status_code
        if status == 304:
            return hints.apply(FetchResult("not_modified", final, http_status=304, caching=caching))
        if status >= 400:
            error = f"HTTP {status} {response.reason_phrase}".strip()
            return hints.apply(FetchResult("error", final, http_status=status, error=error))
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            return _too_large(response, max_bytes)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                return _too_large(response, max_bytes)
            chunks.append(chunk)
        content_type = response.headers.get("Content-Type")
        ok = FetchResult(
            "ok",
            final,
            content=b"".join(chunks),
            content_type=content_type,
            http_status=status,
            caching=_caching(response),
        )
        return hints.apply(ok)


def _too_large(response: httpx.Response, max_bytes: int) -> FetchResult:
    return FetchResult(
        "error",
        str(response.url),
        http_status=response.status_code,
        error=f"response larger than {max_bytes // (1024 * 1024)} MB, not read",
    )
