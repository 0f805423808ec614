"""Stories and digests → Telegram HTML messages (each ≤ 4096 characters, split between stories).

Feed text is always passed through ``html.escape``; only ``<b>``, ``<i>`` and ``<a href>``
are emitted, all of them in Telegram's HTML subset.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from bot.models import Fact
from bot.pipeline.digest import Digest, Story
from bot.pipeline.digest import time_zone as known_zone
from bot.pipeline.normalise import http_url
from bot.telegram.i18n import text, topic_title

__all__ = [
    "MAX_MESSAGE",
    "html_to_plain",
    "pack_messages",
    "render_digest",
    "render_stories",
    "render_story",
    "render_trade_figure",
    "utf16_len",
]

MAX_MESSAGE = 4096
_TITLE_LIMIT = 300


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _date(value: datetime) -> str:
    return value.strftime("%d %b %Y")


def render_story(story: Story, language: str = "en") -> str:
    """One story: linked title, outlet and date, summary, the other outlets."""
    article = story.article
    title = (
        article.title if len(article.title) <= _TITLE_LIMIT else article.title[:_TITLE_LIMIT] + "…"
    )
    title_html = html.escape(title, quote=False)
    if http_url(article.url):
        title_html = f'<a href="{html.escape(article.url)}">{title_html}</a>'
    lines = [f"<b>{title_html}</b>"]
    source = " · ".join(part for part in (article.feed, _date(article.published)) if part)
    lines.append(f"<i>{html.escape(source, quote=False)}</i>")
    if article.summary and article.summary != article.title:
        lines.append(html.escape(article.summary, quote=False))
    if story.other_outlets:
        also = text("also", language)
        lines.append(f"<i>{also}: {html.escape(', '.join(story.other_outlets), quote=False)}</i>")
    return "\n".join(lines)


def pack_messages(header: str, blocks: Iterable[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join blocks (separated by blank lines) into as few messages as fit in ``limit``,
    never splitting a block; the header opens the first message."""
    messages: list[str] = []
    current = header
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            messages.append(current)
        current = block if utf16_len(block) <= limit else _shorten(block, limit)
    if current:
        messages.append(current)
    return messages


def _shorten(block: str, limit: int) -> str:
    """A block too long for one message, as escaped plain text cut to fit (tags can't be cut)."""
    text = html.escape(html_to_plain(block), quote=False)
    while utf16_len(text) > limit - 1:
        text = text[: max(0, len(text) - max(1, (utf16_len(text) - limit + 1) // 2))]
        text = text.rsplit("&", 1)[0] if text.rfind("&") > text.rfind(";") else text
    return text + "…"


def render_stories(header: str, stories: Sequence[Story], lead: str | None = None) -> list[str]:
    """A command's answer: a header line, an optional ``lead`` (HTML) and the stories."""
    first = f"<b>{html.escape(header, quote=False)}</b>"
    if lead:
        first = f"{first}\n{lead}"
    return pack_messages(first, map(render_story, stories))


def render_trade_figure(fact: Fact, outlet: str, published: datetime) -> str:
    """The latest bilateral trade turnover: figure, period, source, outlet and date."""
    parts = [f"📊 Trade turnover: <b>{html.escape(fact.text, quote=False)}</b>"]
    if fact.period:
        parts.append(f" ({html.escape(fact.period, quote=False)})")
    if fact.source:
        parts.append(f", according to {html.escape(fact.source, quote=False)}")
    where = " · ".join(p for p in (outlet, _date(published)) if p)
    parts.append(f" — <i>{html.escape(where, quote=False)}</i>")
    return "".join(parts)


def render_digest(digest: Digest, language: str = "en", time_zone: str | None = None) -> list[str]:
    """A digest: title, period and count, then each section under its topic header, in the
    chat's language for the bot's own words; the period in the chat's ``time_zone`` (an IANA
    name; UTC when None or unknown)."""
    count = digest.count
    zone = known_zone(time_zone) if time_zone else None
    since, until = digest.since.astimezone(zone or UTC), digest.until.astimezone(zone or UTC)
    start = "%d %b %Y %H:%M" if since.year != until.year else "%d %b %H:%M"
    label = time_zone if zone is not None else "UTC"
    period = f"{since.strftime(start)} – {until:%d %b %H:%M} {label}"
    title = html.escape(text("digest.title", language), quote=False)
    header = f"<b>{title}</b>\n{period} · {text('digest.count', language, count=count)}"
    blocks: list[str] = []
    for section in digest.sections:
        if section.topic is None:
            name = text("digest.other", language)
        else:
            name = topic_title(section.topic.key, section.topic.title, language)
        for index, story in enumerate(section.stories):
            block = render_story(story, language)
            if index == 0:
                block = f"<b>— {html.escape(name.upper(), quote=False)} —</b>\n{block}"
            blocks.append(block)
    return pack_messages(header, blocks)


_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
_TAG = re.compile(r"</?[a-z-]+(?:\s[^>]*)?>")


def html_to_plain(message: str) -> str:
    """A rendered message as a terminal shows it: links as ``text <url>``, tags dropped."""
    text = _LINK.sub(lambda m: f"{m[2]} <{m[1]}>", message)
    return html.unescape(_TAG.sub("", text))
