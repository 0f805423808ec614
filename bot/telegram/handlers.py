"""Command handlers: small module-level ``async def name(update, context)`` functions.

They read and write through the store in ``context.bot_data["services"]`` and reply with
messages rendered by ``bot.telegram.render``; no SQL and no HTTP of their own.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from telegram import LinkPreviewOptions, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.ext import ContextTypes

from bot.config import AppConfig, Settings
from bot.models import Article, Chat, Subscription
from bot.pipeline.digest import DigestPool, group_stories, next_digest_at
from bot.pipeline.facts import extract_facts, latest_trade_turnover
from bot.telegram.i18n import text
from bot.telegram.render import render_digest, render_stories, render_trade_figure
from storage import Store

__all__ = [
    "BASIC_COMMANDS",
    "Services",
    "digest_now",
    "help_command",
    "latest",
    "start",
    "subscribe",
    "topic_command",
    "unknown_command",
    "unsubscribe",
]

log = logging.getLogger(__name__)

STORIES_PER_ANSWER = 5
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

BASIC_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "what this bot does and how to subscribe"),
    ("help", "every command, one line each"),
    ("latest", "newest Azerbaijan–Belarus stories"),
    ("subscribe", "a daily digest (optionally: /subscribe trade energy)"),
    ("unsubscribe", "stop the daily digest"),
    ("digest", "the digest now"),
    ("settings", "topics, frequency, time zone, alerts, language"),
    ("channel", "make a channel a digest target: /channel @name"),
    ("search", "find stories: /search MAZ Ganja"),
)


@dataclass(frozen=True, slots=True)
class Services:
    """What handlers and jobs share: settings, the validated config and the store."""

    settings: Settings
    config: AppConfig
    store: Store


def _services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services = context.bot_data["services"]
    assert isinstance(services, Services)
    return services


def _now() -> datetime:
    return datetime.now(UTC)


async def reply(update: Update, messages: Sequence[str]) -> None:
    """Answer in the update's chat: each message as Telegram HTML, without link previews."""
    message = update.effective_message
    if message is None:
        return
    for body in messages:
        await message.reply_text(body, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)


async def _remember_chat(update: Update, services: Services) -> None:
    chat = update.effective_chat
    if chat is not None:
        title = chat.title or chat.full_name or chat.username
        await services.store.upsert_chat(Chat(id=chat.id, type=chat.type, title=title), _now())


async def _no_sources_note(services: Services) -> str:
    if await services.store.list_feeds(enabled_only=True):
        return ""
    return "\n\n<i>No news sources are configured yet: the operator adds them in feeds.yaml.</i>"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What the bot does and how to subscribe."""
    services = _services(context)
    await _remember_chat(update, services)
    topics = " ".join(f"/{t.key}" for t in services.config.topics)
    digest = services.config.digest
    text = (
        "<b>azby</b> follows one beat: relations between <b>Azerbaijan and Belarus</b>.\n"
        "It reads Azerbaijani, Belarusian and international news feeds (English, Russian, "
        "Azerbaijani), keeps only the stories about both countries, groups the same story "
        "from several outlets and summarises it.\n\n"
        f"/subscribe — a daily digest at {digest.time} ({html.escape(digest.timezone)})\n"
        "/latest — the newest stories\n"
        f"By topic: {topics}\n"
        "/help — every command"
    )
    await reply(update, [text + await _no_sources_note(services)])


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every command, one line each."""
    services = _services(context)
    lines = [f"/{name} — {html.escape(description)}" for name, description in BASIC_COMMANDS]
    lines += [f"/{t.key} — {html.escape(t.description or t.title)}" for t in services.config.topics]
    await reply(update, ["<b>Commands</b>\n" + "\n".join(lines)])


async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The newest relevant stories."""
    services = _services(context)
    articles = await services.store.latest_articles(limit=STORIES_PER_ANSWER * 6)
    stories = group_stories(articles)[:STORIES_PER_ANSWER]
    if not stories:
        text = "No Azerbaijan–Belarus stories stored yet. They appear after the next poll."
        await reply(update, [text + await _no_sources_note(services)])
        return
    await reply(update, render_stories("Latest Azerbaijan–Belarus stories", stories))


async def topic_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/trade``, ``/defence`` …: the newest relevant stories with that topic."""
    services = _services(context)
    message = update.effective_message
    if message is None or not message.text:
        return
    key = message.text.split()[0].lstrip("/").split("@")[0].lower()
    topic = services.config.topic(key)
    if topic is None:
        await unknown_command(update, context)
        return
    articles = await services.store.latest_articles(limit=STORIES_PER_ANSWER * 6, topics=[key])
    stories = group_stories(articles)[:STORIES_PER_ANSWER]
    if not stories:
        text = (
            f"No {html.escape(topic.title.lower())} stories yet. /latest shows the newest of all."
        )
        await reply(update, [text + await _no_sources_note(services)])
        return
    lead = trade_figure(articles) if key == "trade" else None
    await reply(update, render_stories(f"{topic.title}: latest stories", stories, lead))


def trade_figure(articles: Sequence[Article]) -> str | None:
    """The newest bilateral trade turnover figure the stored trade stories report, rendered."""
    with_facts = [(a, extract_facts(a.title, a.text)) for a in articles]
    latest = latest_trade_turnover((a.published, facts) for a, facts in with_facts)
    if latest is None:
        return None
    published, fact = latest
    outlet = next((a.feed for a, facts in with_facts if fact in facts), "")
    return render_trade_figure(fact, outlet, published)


ECHO_LIMIT = 64


def _echo(text: str) -> str:
    """User input quoted back, escaped and short (a long word must not overflow a reply)."""
    return html.escape(text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "…")


async def is_chat_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Private chats and channels: yes. Groups: only their admins (checked with Telegram)."""
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    if chat.type == ChatType.CHANNEL and update.callback_query is None:
        return True  # only a channel's admins can post in it; any subscriber can press buttons
    if update.callback_query is None and message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id  # an anonymous admin speaks as the group
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def _may_configure(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    if await is_chat_admin(update, context):
        return True
    language = await chat_language(update, context)
    await reply(update, [text("admins_only", language)])
    return False


async def chat_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language of the bot's own words in this chat."""
    chat = update.effective_chat
    if chat is None:
        return "en"
    stored = await _services(context).store.get_chat(chat.id)
    return stored.language if stored else "en"


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A daily digest at the default time; ``/subscribe trade energy`` limits its topics."""
    services = _services(context)
    chat = update.effective_chat
    if chat is None or not await _may_configure(update, context):
        return
    wanted = tuple(dict.fromkeys(a.lower().lstrip("/") for a in context.args or ()))
    unknown = [key for key in wanted if services.config.topic(key) is None]
    if unknown:
        keys = " ".join(t.key for t in services.config.topics)
        await reply(
            update,
            [f"Unknown topic {_echo(unknown[0])}. Topics: {html.escape(keys)}"],
        )
        return
    await _remember_chat(update, services)
    now = _now()
    subscription = await services.store.get_subscription(chat.id) or new_subscription(
        services, chat.id
    )
    if wanted or subscription.frequency == "off":
        subscription = replace(
            subscription,
            topics=wanted or subscription.topics,
            frequency="daily" if subscription.frequency == "off" else subscription.frequency,
        )
    subscription = replace(subscription, next_digest_at=next_digest_at(subscription, now))
    created = await services.store.subscribe(subscription, now)
    scope = ", ".join(subscription.topics) if subscription.topics else "all topics"
    verb = "Subscribed" if created else "Subscription updated"
    await reply(
        update,
        [
            f"{verb}: a daily digest at {subscription.time_of_day} "
            f"({html.escape(subscription.timezone)}), {html.escape(scope)}. "
            "/settings changes it; /unsubscribe stops it; /digest shows it now."
        ],
    )


def new_subscription(services: Services, chat_id: int) -> Subscription:
    """A subscription with the defaults of feeds.yaml (``digest:``)."""
    defaults = services.config.digest
    return Subscription(chat_id=chat_id, time_of_day=defaults.time, timezone=defaults.timezone)


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the daily digest."""
    services = _services(context)
    chat = update.effective_chat
    if chat is None or not await _may_configure(update, context):
        return
    removed = await services.store.unsubscribe(chat.id)
    text = (
        "Unsubscribed: no more daily digests. /subscribe brings them back."
        if removed
        else "This chat has no subscription. /subscribe starts a daily digest."
    )
    await reply(update, [text])


async def digest_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The digest as it would be sent now: the stories since the chat's last digest (at most
    ``digest.story_age`` back), with the chat's topics."""
    services = _services(context)
    chat = update.effective_chat
    if chat is None:
        return
    now = _now()
    subscription = await services.store.get_subscription(chat.id) or new_subscription(
        services, chat.id
    )
    stored_chat = await services.store.get_chat(chat.id) or Chat(chat.id, chat.type)
    since = digest_start(services, subscription, now)
    articles = await services.store.latest_articles(
        limit=5000,
        topics=subscription.topics,
        since=now - services.config.digest.story_age,
        seen_since=since,
        include_backlog=False,
    )
    messages = digest_messages(
        services, DigestPool(articles), since, now, subscription, stored_chat, skip_empty=True
    )
    if not messages:
        await reply(
            update, [f"No new stories since {since:%d %b %H:%M} UTC. /latest shows the newest."]
        )
        return
    await reply(update, messages)


def digest_start(services: Services, subscription: Subscription | None, now: datetime) -> datetime:
    """Where a chat's next digest starts: its last digest, at most ``story_age`` ago."""
    oldest = now - services.config.digest.story_age
    last = subscription.last_digest_at if subscription else None
    return max(last, oldest) if last else oldest


def digest_messages(
    services: Services,
    pool: DigestPool,
    since: datetime,
    now: datetime,
    subscription: Subscription,
    chat: Chat,
    *,
    skip_empty: bool,
) -> list[str]:
    """A chat's digest for ``[since, now)``, in the chat's language; no messages for an empty
    one when ``skip_empty``."""
    config = services.config
    digest = pool.compose(
        config.topics,
        since=since,
        until=now,
        max_stories=config.digest.max_stories,
        only_topics=subscription.topics,
        oldest=now - config.digest.story_age,
    )
    if not digest.count and skip_empty:
        return []
    return render_digest(digest, language=chat.language, time_zone=subscription.timezone)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any command the bot does not know. In groups, only those addressed to this bot
    (``/foo@azby_bot``): a bare ``/foo`` there may be meant for another bot."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or not message.text or chat is None:
        return
    command, _, target = message.text.split()[0].partition("@")
    addressed = target.lower() == (context.bot.username or "").lower()
    if (target and not addressed) or (chat.type != ChatType.PRIVATE and not addressed):
        return
    services = _services(context)
    topics = " ".join(f"/{t.key}" for t in services.config.topics)
    await reply(
        update,
        [
            f"I don't know {_echo(command)}. Try /latest, a topic ({topics}), "
            "or /help for every command."
        ],
    )
