"""``/search WORDS``: stored stories matching the words, five at a time, with a "More" button.

The button's ``callback_data`` (at most 64 bytes) carries a short key and the next offset;
the query itself stays in ``context.chat_data`` under that key (after a restart the button
asks for a new search).
"""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.models import Article
from bot.pipeline.digest import Story
from bot.telegram.handlers import NO_PREVIEW, Services
from bot.telegram.render import render_stories

__all__ = ["CALLBACK_PATTERN", "PAGE_SIZE", "more_results", "search"]

log = logging.getLogger(__name__)

PAGE_SIZE = 5
CALLBACK_PATTERN = r"^search:"
_QUERIES = "search_queries"
_KEPT_QUERIES = 20
_ECHO_LIMIT = 64
USAGE = (
    "Tell me what to look for: <code>/search MAZ Ganja</code> or "
    "<code>/search Lukashenko Aliyev</code>. Words in any script work: "
    "<i>Minsk</i> also finds <i>Минск</i>."
)


def _services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services = context.bot_data["services"]
    assert isinstance(services, Services)
    return services


def _echo(query: str) -> str:
    return html.escape(query if len(query) <= _ECHO_LIMIT else query[:_ECHO_LIMIT] + "…")


def _stories(articles: Sequence[Article]) -> list[Story]:
    """Articles of one story told together, in rank order (not by date, as /latest)."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(article.cluster or f"article:{article.id}", []).append(article)
    return [Story(article=members[0], others=tuple(members[1:])) for members in groups.values()]


def _remember(context: ContextTypes.DEFAULT_TYPE, query: str) -> str:
    key = hashlib.blake2s(query.encode(), digest_size=6).hexdigest()
    assert context.chat_data is not None
    queries: dict[str, str] = context.chat_data.setdefault(_QUERIES, {})
    queries.pop(key, None)
    queries[key] = query
    while len(queries) > _KEPT_QUERIES:
        del queries[next(iter(queries))]
    return key


async def _page(
    context: ContextTypes.DEFAULT_TYPE, query: str, offset: int
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """The messages of one page of results and the button to the next page, if any."""
    store = _services(context).store
    found = await store.search_articles(query, limit=PAGE_SIZE + 1, offset=offset)
    if not found:
        if offset:
            return [f"No more results for <b>{_echo(query)}</b>."], None
        return [f"Nothing found for <b>{_echo(query)}</b>. Try fewer or other words."], None
    shown = found[:PAGE_SIZE]
    first, last = offset + 1, offset + len(shown)
    header = f"Search: {query if len(query) <= _ECHO_LIMIT else query[:_ECHO_LIMIT] + '…'}"
    header += f" — results {first}–{last}" if last > first else f" — result {first}"
    messages = render_stories(header, _stories(shown))
    if len(found) <= PAGE_SIZE:
        return messages, None
    data = f"search:{_remember(context, query)}:{offset + PAGE_SIZE}"
    button = InlineKeyboardButton("More results", callback_data=data)
    return messages, InlineKeyboardMarkup([[button]])


async def _send(update: Update, messages: list[str], markup: InlineKeyboardMarkup | None) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    for index, text in enumerate(messages):
        await chat.send_message(
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=markup if index == len(messages) - 1 else None,
        )


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/search WORDS``: the first page of stories matching every word."""
    query = " ".join(context.args or ()).strip()
    if not query:
        await _send(update, [USAGE], None)
        return
    await _send(update, *await _page(context, query, 0))


async def more_results(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "More results" button: the next page as a new message; the pressed button goes."""
    callback = update.callback_query
    if callback is None or not callback.data:
        return
    _, key, offset_text = [*callback.data.split(":"), "", ""][:3]
    queries: dict[str, str] = (context.chat_data or {}).get(_QUERIES, {})
    query = queries.get(key)
    if query is None or not offset_text.isdigit():
        await callback.answer("This search has expired: send /search again.", show_alert=True)
        return
    await callback.answer()
    message = callback.message
    if message is not None and hasattr(message, "text_html"):
        try:  # no second press on the same button: it would send the same page again
            await callback.edit_message_text(
                message.text_html, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            )
        except TelegramError:
            log.info("could not remove the search button", exc_info=True)
    await _send(update, *await _page(context, query, int(offset_text)))
