"""Per-chat settings: ``/settings`` with inline keyboards, and the same as direct commands.

Callback data (≤ 64 bytes): ``s:m:<menu>`` opens a menu, ``s:t:<topic>`` / ``s:t:*`` toggles a
digest topic / all topics, ``s:a:<topic>`` / ``s:a:-`` an alert topic / none, ``s:f:daily`` /
``s:f:off`` / ``s:f:w<0-6>`` the frequency, ``s:l:<lang>`` the language, ``s:p`` link previews.
In groups only admins may change anything (checked with Telegram on every change).
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.models import Chat, Subscription
from bot.pipeline.digest import next_digest_at, time_of_day, time_zone
from bot.telegram.handlers import Services, _services, is_chat_admin, new_subscription
from bot.telegram.i18n import LANGUAGES, WEEKDAYS, text, topic_title

__all__ = [
    "alerts_command",
    "channel_command",
    "frequency_command",
    "language_command",
    "previews_command",
    "settings_callback",
    "settings_command",
    "time_command",
    "timezone_command",
    "topics_command",
]


def _now() -> datetime:
    return datetime.now(UTC)


async def _load(services: Services, update: Update) -> tuple[Chat, Subscription | None]:
    chat = update.effective_chat
    assert chat is not None
    stored = await services.store.get_chat(chat.id)
    if stored is None:
        title = chat.title or chat.full_name or chat.username
        await services.store.upsert_chat(Chat(chat.id, chat.type, title), _now())
        stored = Chat(chat.id, chat.type, title)
    return stored, await services.store.get_subscription(chat.id)


def _summary(services: Services, chat: Chat, subscription: Subscription | None) -> str:
    language = chat.language
    if subscription is None or subscription.frequency == "off":
        frequency = text("freq.off", language)
    elif subscription.frequency == "weekly":
        weekday = WEEKDAYS.get(language, WEEKDAYS["en"])[subscription.weekday or 0]
        frequency = text("freq.weekly", language, weekday=weekday)
    else:
        frequency = text("freq.daily", language)
    sub = subscription or new_subscription(services, chat.id)

    def names(keys: tuple[str, ...], empty: str) -> str:
        if not keys:
            return text(empty, language)
        titles = {t.key: topic_title(t.key, t.title, language) for t in services.config.topics}
        return ", ".join(titles.get(k, k) for k in keys)

    body = text(
        "settings.summary",
        language,
        frequency=frequency,
        time=sub.time_of_day,
        timezone=html.escape(sub.timezone),
        topics=html.escape(names(sub.topics, "all")),
        alerts=html.escape(names(sub.alert_topics, "none")),
        lang_name=LANGUAGES.get(language, language),
        previews=text("on" if chat.link_previews else "off", language),
    )
    hint = text("settings.time_hint", language)
    return f"{text('settings.title', language)}\n\n{body}\n\n<i>{hint}</i>"


def _keyboard(
    services: Services, chat: Chat, subscription: Subscription | None, menu: str
) -> InlineKeyboardMarkup:
    language = chat.language
    sub = subscription or new_subscription(services, chat.id)
    back = InlineKeyboardButton(text("button.back", language), callback_data="s:m:main")
    topics = services.config.topics

    def mark(on: bool, label: str) -> str:
        return f"✓ {label}" if on else label

    if menu in ("topics", "alerts"):
        # one toggle per topic, then "all topics" (digest) or "none" (alerts)
        chosen, kind, empty, empty_data = (
            (sub.topics, "t", text("button.all_topics", language), "s:t:*")
            if menu == "topics"
            else (sub.alert_topics, "a", text("none", language), "s:a:-")
        )
        buttons = [
            InlineKeyboardButton(
                mark(t.key in chosen, topic_title(t.key, t.title, language)),
                callback_data=f"s:{kind}:{t.key}",
            )
            for t in topics
        ]
        buttons.append(InlineKeyboardButton(mark(not chosen, empty), callback_data=empty_data))
        return InlineKeyboardMarkup([*_pairs([[b] for b in buttons]), [back]])
    if menu == "freq":
        days = WEEKDAYS.get(language, WEEKDAYS["en"])
        weekly = sub.frequency == "weekly"
        rows = [
            [
                InlineKeyboardButton(
                    mark(sub.frequency == "daily", text("freq.daily", language)),
                    callback_data="s:f:daily",
                ),
                InlineKeyboardButton(
                    mark(sub.frequency == "off", text("freq.off", language)),
                    callback_data="s:f:off",
                ),
            ],
            *(
                [
                    InlineKeyboardButton(
                        mark(weekly and (sub.weekday or 0) == i, day), callback_data=f"s:f:w{i}"
                    )
                ]
                for i, day in enumerate(days)
            ),
        ]
        return InlineKeyboardMarkup([*rows[:1], *_pairs(rows[1:]), [back]])
    if menu == "lang":
        row = [
            InlineKeyboardButton(mark(chat.language == code, name), callback_data=f"s:l:{code}")
            for code, name in LANGUAGES.items()
        ]
        return InlineKeyboardMarkup([row, [back]])
    state = text("on" if chat.link_previews else "off", language)
    previews = f"{text('button.previews', language)}: {state}"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(text("button.topics", language), callback_data="s:m:topics"),
                InlineKeyboardButton(text("button.frequency", language), callback_data="s:m:freq"),
            ],
            [
                InlineKeyboardButton(text("button.alerts", language), callback_data="s:m:alerts"),
                InlineKeyboardButton(text("button.language", language), callback_data="s:m:lang"),
            ],
            [InlineKeyboardButton(previews, callback_data="s:p")],
        ]
    )


def _pairs(rows: list[list[InlineKeyboardButton]]) -> list[list[InlineKeyboardButton]]:
    """One-button rows joined two by two (Telegram allows 8 a row; 2 stay readable)."""
    flat = [button for row in rows for button in row]
    return [flat[i : i + 2] for i in range(0, len(flat), 2)]


async def settings_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/settings``: the chat's settings with buttons to change them."""
    services = _services(context)
    message = update.effective_message
    if message is None or update.effective_chat is None:
        return
    chat, subscription = await _load(services, update)
    if not await is_chat_admin(update, context):
        await message.reply_text(text("admins_only", chat.language))
        return
    await message.reply_text(
        _summary(services, chat, subscription),
        parse_mode=ParseMode.HTML,
        reply_markup=_keyboard(services, chat, subscription, "main"),
    )


async def settings_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of ``/settings`` was pressed."""
    services = _services(context)
    query = update.callback_query
    if query is None or not query.data or update.effective_chat is None:
        return
    chat, subscription = await _load(services, update)
    if not await is_chat_admin(update, context):
        await query.answer(text("admins_only", chat.language), show_alert=True)
        return
    parts = query.data.split(":")
    menu = "main"
    kind, value = (parts[1], parts[2] if len(parts) > 2 else "")
    sub = subscription or new_subscription(services, chat.id)
    now = _now()
    keys = {t.key for t in services.config.topics}
    if kind == "m":
        menu = value
    elif kind == "p":
        chat = replace(chat, link_previews=not chat.link_previews)
        await services.store.update_chat_settings(chat.id, link_previews=chat.link_previews)
    elif kind == "l" and value in LANGUAGES:
        chat = replace(chat, language=value)
        await services.store.update_chat_settings(chat.id, language=value)
        menu = "lang"
    elif kind in ("t", "a", "f"):
        menu = {"t": "topics", "a": "alerts", "f": "freq"}[kind]
        changed = _changed(sub, kind, value, keys)
        if changed is not None:
            subscription = await _save(services, changed, now)
    await query.answer(text("saved", chat.language) if kind != "m" else None)
    try:
        await query.edit_message_text(
            _summary(services, chat, subscription),
            parse_mode=ParseMode.HTML,
            reply_markup=_keyboard(services, chat, subscription, menu),
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def _changed(sub: Subscription, kind: str, value: str, keys: set[str]) -> Subscription | None:
    """The subscription after a topic/alert/frequency button, or None for a stale button."""
    if kind == "t":
        if value == "*":
            return replace(sub, topics=())
        if value in keys:
            topics = (
                tuple(k for k in sub.topics if k != value)
                if value in sub.topics
                else (*sub.topics, value)
            )
            return replace(sub, topics=topics)
    elif kind == "a":
        if value == "-":
            return replace(sub, alert_topics=())
        if value in keys:
            alerts = sub.alert_topics
            alerts = tuple(k for k in alerts if k != value) if value in alerts else (*alerts, value)
            return replace(sub, alert_topics=alerts)
    elif kind == "f":
        if value in ("daily", "off"):
            return replace(sub, frequency=value)
        if value[:1] == "w" and value[1:].isdigit() and int(value[1:]) < 7:
            return replace(sub, frequency="weekly", weekday=int(value[1:]))
    return None


async def _save(services: Services, subscription: Subscription, now: datetime) -> Subscription:
    subscription = replace(subscription, next_digest_at=next_digest_at(subscription, now))
    await services.store.subscribe(subscription, now)
    return subscription


# --- direct commands ---------------------------------------------------------------------


async def _command(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Services, Chat, Subscription] | None:
    services = _services(context)
    if update.effective_message is None or update.effective_chat is None:
        return None
    chat, subscription = await _load(services, update)
    if not await is_chat_admin(update, context):
        await update.effective_message.reply_text(text("admins_only", chat.language))
        return None
    return services, chat, subscription or new_subscription(services, chat.id)


async def _done(update: Update, services: Services, chat: Chat, sub: Subscription | None) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _summary(services, chat, sub), parse_mode=ParseMode.HTML
    )


async def _refuse(update: Update, key: str, chat: Chat, **values: object) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(text(key, chat.language, **values))


async def timezone_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/timezone Europe/Minsk``"""
    loaded = await _command(update, context)
    if loaded is None:
        return
    services, chat, sub = loaded
    name = (context.args or [""])[0]
    if time_zone(name) is None:
        await _refuse(update, "bad_timezone", chat, value=html.escape(name[:64]) or "—")
        return
    await _done(update, services, chat, await _save(services, replace(sub, timezone=name), _now()))


async def time_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/time 08:30``"""
    loaded = await _command(update, context)
    if loaded is None:
        return
    services, chat, sub = loaded
    value = time_of_day((context.args or [""])[0])
    if value is None:
        await _refuse(update, "bad_time", chat)
        return
    sub = replace(sub, time_of_day=value)
    await _done(update, services, chat, await _save(services, sub, _now()))


async def frequency_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/frequency daily`` · ``/frequency weekly monday`` · ``/frequency off``"""
    loaded = await _command(update, context)
    if loaded is None:
        return
    services, chat, sub = loaded
    args = [a.lower() for a in context.args or []]
    if args[:1] in (["daily"], ["off"]):
        changed: Subscription | None = replace(sub, frequency=args[0])
    elif args[:1] == ["weekly"]:
        day = args[1] if len(args) > 1 else "monday"
        names = [d[:3] for lang in WEEKDAYS.values() for d in lang]
        index = next((i % 7 for i, d in enumerate(names) if day.startswith(d)), None)
        changed = None if index is None else replace(sub, frequency="weekly", weekday=index)
    else:
        changed = None
    if changed is None:
        await _refuse(update, "bad_frequency", chat)
        return
    await _done(update, services, chat, await _save(services, changed, _now()))


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/language ru`` — the bot's own words (stories stay in their language)."""
    loaded = await _command(update, context)
    if loaded is None:
        return
    services, chat, _ = loaded
    value = (context.args or [""])[0].lower()
    if value not in LANGUAGES:
        await _refuse(update, "bad_language", chat)
        return
    await services.store.update_chat_settings(chat.id, language=value)
    await _done(
        update,
        services,
        replace(chat, language=value),
        await services.store.get_subscription(chat.id),
    )


async def previews_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/previews on`` or ``/previews off``"""
    loaded = await _command(update, context)
    if loaded is None:
        return
    services, chat, _ = loaded
    on = (context.args or ["on"])[0].lower() in ("on", "yes", "1", "true")
    await services.store.update_chat_settings(chat.id, link_previews=on)
    await _done(
        update,
        services,
        replace(chat, link_previews=on),
        await services.store.get_subscription(chat.id),
    )


async def _topic_list(update: Update, context: ContextTypes.DEFAULT_TYPE, field: str) -> None:
    loaded = await _command(update, context)
    if loaded is None:
        return
    services, chat, sub = loaded
    args = [a.lower().lstrip("/") for a in context.args or []]
    keys = {t.key for t in services.config.topics}
    wanted: tuple[str, ...] = (
        () if args[:1] in (["all"], ["off"], ["none"], []) else tuple(dict.fromkeys(args))
    )
    unknown = [k for k in wanted if k not in keys]
    if unknown:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            f"Unknown topic {html.escape(unknown[0][:64])}. Topics: {' '.join(sorted(keys))}"
        )
        return
    changed = (
        replace(sub, topics=wanted) if field == "topics" else replace(sub, alert_topics=wanted)
    )
    await _done(update, services, chat, await _save(services, changed, _now()))


async def topics_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/topics trade energy`` or ``/topics all``: the digest's topics."""
    await _topic_list(update, context, "topics")


async def alerts_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/alerts trade defence`` or ``/alerts off``: instant alerts for these topics."""
    await _topic_list(update, context, "alert_topics")


# --- channels ----------------------------------------------------------------------------

_ADMIN = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def channel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/channel @name`` (or its id) in a private chat: make that channel a digest target;
    ``/channel @name off`` stops it. Allowed to a bot admin (``AZBY_ADMIN_IDS``) or an admin
    of the channel; the bot must be an admin there to post."""
    services = _services(context)
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    args = context.args or []
    if chat.type != ChatType.PRIVATE or not args:
        await message.reply_text(
            "Send /channel @name (or /channel @name off) in a private chat with me; in the "
            "channel itself an admin can post /subscribe."
        )
        return
    target = args[0] if not args[0].lstrip("-").isdigit() else int(args[0])
    try:
        channel = await context.bot.get_chat(target)
        me = await context.bot.get_chat_member(channel.id, context.bot.id)
        if user.id in services.settings.admin_ids:
            allowed = True
        else:
            allowed = (await context.bot.get_chat_member(channel.id, user.id)).status in _ADMIN
    except TelegramError:
        await message.reply_text(
            f"I can't see {html.escape(str(target)[:64])}: add me to it as an admin first."
        )
        return
    name = html.escape(channel.title or str(channel.id))
    if channel.type == ChatType.PRIVATE:
        await message.reply_text("That is a person, not a channel.")
        return
    if not allowed:
        await message.reply_text(f"Only a bot admin or an admin of {name} can do that.")
        return
    if channel.type == ChatType.CHANNEL and me.status not in _ADMIN:
        await message.reply_text(f"Make me an admin of {name} so I can post there.")
        return
    now = _now()
    if len(args) > 1 and args[1].lower() == "off":
        await services.store.unsubscribe(channel.id)
        await message.reply_text(f"{name} gets no more digests.")
        return
    await services.store.upsert_chat(Chat(channel.id, channel.type, channel.title), now)
    subscription = await services.store.get_subscription(channel.id) or new_subscription(
        services, channel.id
    )
    subscription = await _save(services, subscription, now)
    await message.reply_text(
        f"{name} now gets the digest at {subscription.time_of_day} "
        f"({html.escape(subscription.timezone)}). Change it with /settings posted there."
    )
