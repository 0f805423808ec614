"""The main text of an article page, for feed items that carry only a teaser.

trafilatura finds the article body; azby's own boilerplate filter then removes what it
leaves on flat pages like News.Az's (counters, "VIDEO", "Similar news", calendars —
perf-notes measured that trafilatura alone keeps them). Any failure gives None: the caller
keeps the teaser.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from bot.fetch.client import fetch
from bot.pipeline.text import remove_boilerplate

__all__ = ["extract_main_text", "fetch_full_text"]

log = logging.getLogger(__name__)


def extract_main_text(page: bytes, url: str | None = None) -> str:
    """The article text of an HTML page ('' when none is found)."""
    import trafilatura

    try:
        text = trafilatura.extract(
            page,
            url=url,
            favor_precision=True,
            include_tables=False,
            include_comments=False,
            include_images=False,
            include_links=False,
            deduplicate=True,
        )
    except Exception:  # trafilatura on hostile HTML: a missing text, never a crash
        log.debug("trafilatura failed on %s", url, exc_info=True)
        return ""
    return remove_boilerplate(text or "").strip()


async def fetch_full_text(
    client: httpx.AsyncClient, url: str, *, max_bytes: int, deadline: float
) -> str | None:
    """Fetch an article page (same client, limits and guard as feeds) and extract its text."""
    page = await fetch(client, url, max_bytes=max_bytes, deadline=deadline)
    if not page.ok or not page.content:
        log.info("full text of %s not fetched: %s", url, page.error or "empty page")
        return None
    content_type = (page.content_type or "text/html").lower()
    if "html" not in content_type:
        return None
    text = await asyncio.to_thread(extract_main_text, page.content, page.url)
    return text or None
