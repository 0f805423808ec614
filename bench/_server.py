"""The benchmark's feed server, run as its own process so its CPU is not the client's.

    python bench/_server.py FEEDS_DIR [--latency SECONDS]

Serves every ``FEEDS_DIR/<name>.xml`` at ``/feeds/<name>.xml`` on 127.0.0.1 (a free port,
printed as the first line of stdout) the way a news site does: gzip when the client accepts
it, a strong ``ETag`` and a ``Last-Modified`` on every answer, and ``304 Not Modified`` to a
conditional GET that matches (``If-None-Match`` first, else ``If-Modified-Since``). Bodies are
read and compressed once at start, so a request costs the server almost nothing.

``GET /_stats`` answers the count of answers per status since the last ``GET /_stats?reset=1``,
which lets the benchmark check that a poll really fetched every feed.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from aiohttp import web


@dataclass(frozen=True, slots=True)
class _Feed:
    body: bytes
    gzipped: bytes
    etag: str
    last_modified: str


def _load(directory: Path) -> dict[str, _Feed]:
    last_modified = formatdate(usegmt=True)
    feeds = {}
    for path in sorted(directory.glob("*.xml")):
        body = path.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        feeds[path.name] = _Feed(body, gzip.compress(body, 6), etag, last_modified)
    return feeds


def _app(feeds: dict[str, _Feed], latency: float) -> web.Application:
    counts: Counter[int] = Counter()

    async def feed(request: web.Request) -> web.Response:
        if latency:
            await asyncio.sleep(latency)
        found = feeds.get(request.match_info["name"])
        if found is None:
            counts[404] += 1
            raise web.HTTPNotFound()
        headers = {
            "ETag": found.etag,
            "Last-Modified": found.last_modified,
            "Cache-Control": "public, max-age=60",
        }
        match = request.headers.get("If-None-Match")
        since = request.headers.get("If-Modified-Since")
        if (match is not None and found.etag in match) or (
            match is None and since == found.last_modified
        ):
            counts[304] += 1
            return web.Response(status=304, headers=headers)
        counts[200] += 1
        headers["Content-Type"] = "application/rss+xml; charset=utf-8"
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
            return web.Response(body=found.gzipped, headers=headers)
        return web.Response(body=found.body, headers=headers)

    async def stats(request: web.Request) -> web.Response:
        answer = {str(status): n for status, n in sorted(counts.items())}
        if request.query.get("reset"):
            counts.clear()
        return web.Response(text=json.dumps(answer), content_type="application/json")

    app = web.Application()
    app.router.add_get("/feeds/{name}", feed)
    app.router.add_get("/_stats", stats)
    return app


async def _serve(directory: Path, latency: float) -> None:
    runner = web.AppRunner(_app(_load(directory), latency), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    print(port, flush=True)
    await asyncio.Event().wait()  # until the benchmark terminates this process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    asyncio.run(_serve(args.directory, args.latency))


if __name__ == "__main__":
    main()
