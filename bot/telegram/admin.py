"""Admin commands: feed management, health, ``/reload`` (also on SIGHUP) and ``/broadcast``.

Only the users in ``AZBY_ADMIN_IDS`` may run them; anyone else is told so, and the attempt is
logged with the user id and the command (never its arguments: they may hold a password).
They see the admin commands in their own command menu (``BotCommandScopeChat``); the others'
menus list only the public commands. Only new messages count: editing an old ``/broadcast``
does not run it again.

Feeds added here live in the store (``source`` "admin"): ``sync_feeds`` leaves them alone, and
a feeds.yaml that later lists the same URL or name adopts them. ``/reload`` swaps the whole
config at once (one new ``Services``), or nothing when the file is invalid.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import html
import logging
import re
import signal
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.config import AppConfig, ConfigError, feed_config, format_interval, load_feeds_file
from bot.jobs import notify_admins, poll_job
from bot.models import FeedConfig, FeedReport, FeedState
from bot.poll import poll_client
from bot.probe import find_duplicate, probe_feed, redact, url_problem
from bot.telegram.handlers import BASIC_COMMANDS, Services, _echo, _services, reply
from bot.telegram.render import pack_messages, utf16_len
from storage import StorageError

__all__ = [
    "ADMIN_COMMANDS",
    "on_start",
    "register",
    "reload_config",
    "set_command_menus",
]

log = logging.getLogger(__name__)

ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("addfeed", "admin: add a feed — /addfeed URL [name]"),
    ("removefeed", "admin: remove a feed added here — /removefeed NAME"),
    ("pausefeed", "admin: stop polling a feed — /pausefeed NAME"),
    ("resumefeed", "admin: poll a paused feed again — /resumefeed NAME"),
    ("feeds", "admin: every feed with its health and last 7 days"),
    ("feedstatus", "admin: a feed's recent errors — /feedstatus NAME"),
    ("stats", "admin: chats, subscribers, stories, deliveries"),
    ("reload", "admin: re-read feeds.yaml"),
    ("broadcast", "admin: a message to every subscriber — /broadcast TEXT"),
)
REPORT_DAYS = 7
ERRORS_SHOWN = 10
BROADCAST_LIMIT = 3500  # leaves room for Telegram's count of the HTML the text becomes

Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def _now() -> datetime:
    return datetime.now(UTC)


def _when(at: datetime | None) -> str:
    return f"{at:%d %b %H:%M} UTC" if at else "never"


def _admin_only(name: str, callback: Callback) -> Callback:
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or user.id not in _services(context).settings.admin_ids:
            log.warning(
                "admin command /%s refused: user %s (chat %s) is not in AZBY_ADMIN_IDS",
                name,
                user.id if user else "unknown",
                chat.id if chat else "unknown",
            )
            await reply(update, [f"Sorry, /{name} is only for the bot's admins: not allowed."])
            return
        await callback(update, context)

    guarded.__name__ = guarded.__qualname__ = callback.__name__
    guarded.__doc__ = callback.__doc__
    return guarded


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add the admin command handlers (before the catch-all for unknown commands)."""
    callbacks: dict[str, Callback] = {
        "addfeed": addfeed,
        "removefeed": removefeed,
        "pausefeed": pausefeed,
        "resumefeed": resumefeed,
        "feeds": feeds_command,
        "feedstatus": feedstatus,
        "stats": stats,
        "reload": reload_command,
        "broadcast": broadcast,
    }
    for name, callback in callbacks.items():
        application.add_handler(
            CommandHandler(name, _admin_only(name, callback), filters.UpdateType.MESSAGE)
        )


async def on_start(application: Application) -> None:  # type: ignore[type-arg]
    """After the store is open: the admins' command menus, and ``/reload`` on SIGHUP."""
    services: Services = application.bot_data["services"]
    await set_command_menus(application, services)
    if hasattr(signal, "SIGHUP"):
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(
            signal.SIGHUP, lambda: application.create_task(_reload_on_signal(application))
        )


async def set_command_menus(application: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Everyone's menu: the public commands and the topics; each admin's chat: those plus the
    admin commands. An admin who never opened a chat with the bot is skipped (logged)."""
    public = [BotCommand(name, description) for name, description in BASIC_COMMANDS]
    public += [BotCommand(t.key, (t.description or t.title)[:256]) for t in services.config.topics]
    admin = public + [BotCommand(name, description) for name, description in ADMIN_COMMANDS]
    await application.bot.set_my_commands(public[:100])
    for admin_id in sorted(services.settings.admin_ids):
        try:
            await application.bot.set_my_commands(admin[:100], scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:
            log.warning("cannot set the admin command menu for %s: %s", admin_id, exc)


# --- feeds ------------------------------------------------------------------------------


def _unquoted(words: Sequence[str]) -> str:
    """Words typed after a command, joined: a name may have spaces, and quotes around it."""
    return " ".join(words).strip().strip("\"'«»“”").strip()


async def _feed_named(
    update: Update, context: ContextTypes.DEFAULT_TYPE, command: str
) -> tuple[Services, FeedState] | None:
    """The services and the stored feed the command's argument names (any case); None after
    telling the admin why not."""
    services = _services(context)
    name = _unquoted(context.args or ())
    if not name:
        await reply(update, [f"Usage: /{command} NAME (as /feeds shows it)."])
        return None
    feeds = await services.store.list_feeds()
    found = find_duplicate(feeds, name=name)
    if found is None:
        hint = ""
        if close := _closest(name, [f.name for f in feeds]):
            hint = f" Did you mean {html.escape(close)}?"
        await reply(update, [f"No feed named {_echo(name)}.{hint} /feeds lists them."])
        return None
    return services, found


def _closest(name: str, names: Sequence[str]) -> str | None:
    """The feed name an admin probably meant: one containing what was typed, or a near one."""
    lowered = name.lower()
    containing = [n for n in names if lowered in n.lower()]
    if len(containing) == 1:
        return containing[0]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return close[0] if close else None


def _in_feeds_yaml(config: AppConfig, feed: FeedState) -> bool:
    return feed.source == "config" and any(
        f.url in (feed.url, feed.moved_from) or f.name.lower() == feed.name.lower()
        for f in config.feeds
    )


async def addfeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/addfeed URL [name]``: fetch the feed once, refuse what is not a usable new public
    feed, store it as an admin feed and say how many of its items are relevant."""
    services = _services(context)
    args = list(context.args or ())
    if not args:
        await reply(
            update,
            [
                "Usage: /addfeed URL [name], e.g. /addfeed https://en.trend.az/rss Trend\n"
                "The feed is fetched once to check it; the name defaults to its title."
            ],
        )
        return
    url, name = args[0], _unquoted(args[1:])
    shown = html.escape(redact(url))
    problem = url_problem(url)
    if problem is not None:
        await reply(update, [f"Not added: {shown}: {html.escape(problem)}."])
        return
    feeds = await services.store.list_feeds()
    refusal = _duplicate(feeds, [url], name)
    if refusal:
        await reply(update, [refusal])
        return
    now = _now()
    probe = await probe_feed(url, services.settings, services.config, now)
    if probe.error:
        await reply(update, [f"Not added: {shown}: {html.escape(probe.error)}"])
        return
    name = " ".join((name or probe.title or urlsplit(probe.url).hostname or probe.url).split())
    try:
        feed = feed_config({"name": name[:200], "url": probe.url})
    except ValueError as exc:
        await reply(update, [f"Not added: {html.escape(str(exc))}"])
        return
    refusal = _duplicate(await services.store.list_feeds(), [probe.url, probe.final_url], feed.name)
    if refusal:
        lead = f"{shown} leads to {html.escape(redact(probe.final_url))}. "
        await reply(update, [(lead if probe.final_url != url else "") + refusal])
        return
    stored = await services.store.add_feed(feed, now)
    if stored is None:  # another admin was quicker
        await reply(update, [f"Not added: {_echo(feed.name)} was just added. /feeds lists it."])
        return
    user = update.effective_user
    log.info("admin %s added feed %s <%s>", user.id if user else "?", feed.name, redact(feed.url))
    if context.job_queue is not None:  # a new feed is due: poll it now, not at the next tick
        job = context.bot_data["leader"].only(poll_job)
        context.job_queue.run_once(job, when=0, name="poll-added-feed")
    none = " None of its current items is about Azerbaijan–Belarus." if not probe.relevant else ""
    await reply(
        update,
        [
            f"Added <b>{html.escape(feed.name)}</b> ({html.escape(redact(feed.url))}): "
            f"{probe.items} items, {probe.relevant} relevant to Azerbaijan–Belarus.{none}\n"
            f"Polled now, then every {format_interval(feed.interval)}. "
            f"/feeds lists it; /removefeed {html.escape(feed.name)} undoes this."
        ],
    )


def _duplicate(feeds: Sequence[FeedState], urls: Sequence[str], name: str) -> str | None:
    """Why a feed at ``urls`` called ``name`` would be a duplicate (None when it would not)."""
    known = find_duplicate(feeds, urls=urls)
    if known is not None:
        return (
            f"Already a feed: <b>{html.escape(known.name)}</b> "
            f"({html.escape(redact(known.url))}). /feeds lists them."
        )
    known = find_duplicate(feeds, name=name) if name else None
    if known is not None:
        return (
            f"Not added: a feed named <b>{html.escape(known.name)}</b> exists "
            f"({html.escape(redact(known.url))}). Choose another name: /addfeed URL name"
        )
    return None


async def removefeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/removefeed NAME``: delete a feed added here (its articles stay)."""
    named = await _feed_named(update, context, "removefeed")
    if named is None:
        return
    services, feed = named
    name = html.escape(feed.name)
    if _in_feeds_yaml(services.config, feed):
        await reply(
            update,
            [
                f"<b>{name}</b> is listed in feeds.yaml: remove it there and /reload "
                f"(or /pausefeed {name} to stop it now)."
            ],
        )
        return
    await services.store.remove_feed(feed.id)
    await reply(update, [f"Removed <b>{name}</b>. Its stored stories stay."])


async def pausefeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/pausefeed NAME``: stop polling a feed until ``/resumefeed``."""
    named = await _feed_named(update, context, "pausefeed")
    if named is None:
        return
    services, feed = named
    name = html.escape(feed.name)
    if feed.paused_at is not None:
        reason = html.escape(feed.paused_reason or "")
        await reply(
            update, [f"<b>{name}</b> is already paused since {_when(feed.paused_at)}: {reason}"]
        )
        return
    if not feed.enabled:
        await reply(update, [f"<b>{name}</b> is disabled: it is not polled anyway."])
        return
    user = update.effective_user
    await services.store.pause_feed(feed.id, _now(), f"paused by admin {user.id if user else '?'}")
    await reply(update, [f"Paused <b>{name}</b>: not polled until /resumefeed {name}."])


async def resumefeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/resumefeed NAME``: poll a paused (or a disabled admin) feed again, now."""
    named = await _feed_named(update, context, "resumefeed")
    if named is None:
        return
    services, feed = named
    name = html.escape(feed.name)
    if not feed.enabled:
        if feed.source == "config":
            await reply(
                update,
                [f"<b>{name}</b> is disabled in feeds.yaml: set enabled: true there and /reload."],
            )
            return
        await services.store.set_feed_enabled(feed.id, True)
    elif feed.paused_at is None:
        await reply(update, [f"<b>{name}</b> is not paused."])
        return
    await services.store.resume_feed(feed.id, _now())
    await reply(update, [f"Resumed <b>{name}</b>: polled within a minute."])


def _status(feed: FeedState) -> str:
    if not feed.enabled:
        return "disabled"
    if feed.paused_at is not None:
        return f"⏸ paused since {_when(feed.paused_at)}"
    if feed.failing_since is not None:
        return f"⚠️ failing since {_when(feed.failing_since)}"
    if feed.last_success_at is None:
        return "new, not polled yet"
    return "ok"


async def feeds_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/feeds``: every feed with its status, last success, error streak and what it
    brought in the last 7 days (one query; split over several messages when long)."""
    services = _services(context)
    reports = await services.store.feed_report(_now() - timedelta(days=REPORT_DAYS))
    if not reports:
        await reply(update, ["No feeds yet: add them to feeds.yaml or with /addfeed URL."])
        return
    blocks = [_feed_block(report) for report in reports]
    failing = sum(1 for r in reports if r.feed.failing_since is not None)
    header = (
        f"<b>Feeds: {len(reports)}</b> ({failing} failing); items and relevant ones "
        f"first seen in the last {REPORT_DAYS} days"
    )
    await reply(update, pack_messages(header, blocks))


def _feed_block(report: FeedReport) -> str:
    feed = report.feed
    origin = " · added in Telegram" if feed.source == "admin" else ""
    lines = [
        f"<b>{html.escape(feed.name)}</b> — {_status(feed)}{origin}",
        f"last success {_when(feed.last_success_at)} · error streak {feed.error_count} · "
        f"{REPORT_DAYS} d: {report.items} items, {report.relevant} relevant",
    ]
    return "\n".join(lines)


async def feedstatus(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/feedstatus NAME``: a feed's state and its recent errors with their times."""
    named = await _feed_named(update, context, "feedstatus")
    if named is None:
        return
    services, feed = named
    errors = await services.store.feed_errors(feed.id, limit=ERRORS_SHOWN)
    source = "added in Telegram" if feed.source == "admin" else "feeds.yaml"
    lines = [
        f"<b>{html.escape(feed.name)}</b> — {_status(feed)}",
        html.escape(redact(feed.url)),
        f"from {source} · every {format_interval(feed.interval)} · "
        f"language {feed.language or 'auto'}",
        f"last fetch {_when(feed.last_fetched_at)} · last success {_when(feed.last_success_at)}",
        f"error streak {feed.error_count} · next fetch {_when(feed.next_fetch_at)}",
    ]
    if feed.paused_reason:
        lines.append(f"paused: {html.escape(feed.paused_reason)}")
    if feed.moved_from:
        lines.append(f"moved here from {html.escape(redact(feed.moved_from))}")
    if errors:
        lines.append(f"\n<b>Recent errors</b> (newest first, last {len(errors)}):")
        lines += [f"{_when(e.at)} — {html.escape(e.error[:300])}" for e in errors]
    else:
        lines.append("\nNo errors recorded.")
    await reply(update, pack_messages("", ["\n".join(lines)]))


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/stats``: chats, subscribers, feeds, stories a day and the outbox."""
    services = _services(context)
    numbers = await services.store.stats(_now(), days=REPORT_DAYS)
    days = "\n".join(f"  {day}: {count}" for day, count in numbers.stories_per_day)
    await reply(
        update,
        [
            "<b>azby stats</b>\n"
            f"Chats: {numbers.active_chats} active ({numbers.chats} known) · "
            f"subscribers: {numbers.subscribers}\n"
            f"Feeds: {numbers.feeds} ({numbers.feeds_failing} failing, "
            f"{numbers.feeds_paused} paused)\n"
            f"Stories a day (first seen, UTC):\n{days}\n"
            f"Since {numbers.since:%d %b}: {numbers.delivered} messages delivered, "
            f"{numbers.failed} failed; {numbers.queued} waiting in the outbox"
        ],
    )


# --- reload -----------------------------------------------------------------------------


async def reload_config(application: Application) -> str:  # type: ignore[type-arg]
    """Re-read feeds.yaml and swap the whole config at once: the feeds synced to the store,
    one new ``Services`` (topics, digest defaults, relevance, poll and retention settings),
    the topic commands and the command menus. A ConfigError (or StorageError) leaves the
    running config as it was. Returns one line saying what changed."""
    lock: asyncio.Lock = application.bot_data.setdefault("reload_lock", asyncio.Lock())
    async with lock:
        services: Services = application.bot_data["services"]
        old = services.config
        new = await asyncio.to_thread(load_feeds_file, services.settings.feeds_file)
        await services.store.sync_feeds(new.feeds, _now())
        fresh = replace(services, config=new)
        application.bot_data["services"] = fresh
        topic_handler = application.bot_data.get("topic_handler")
        if isinstance(topic_handler, CommandHandler):
            topic_handler.commands = frozenset(t.key for t in new.topics)
        if (old.poll.timeout, old.poll.concurrency) != (new.poll.timeout, new.poll.concurrency):
            _replace_poll_client(application, services, new)
        try:
            await set_command_menus(application, fresh)
        except TelegramError as exc:
            log.warning("reload: command menus not updated: %s", exc)
    return _changes(old, new)


def _replace_poll_client(application: Application, services: Services, config: AppConfig) -> None:  # type: ignore[type-arg]
    old = application.bot_data.get("http")
    application.bot_data["http"] = poll_client(services.settings, config)
    if old is None:
        return

    async def close_when_idle() -> None:
        # a poll cycle under way keeps the client it started with
        async with application.bot_data.setdefault("poll_lock", asyncio.Lock()):
            await old.aclose()

    application.create_task(close_when_idle())


def _changes(old: AppConfig, new: AppConfig) -> str:
    def keyed(feeds: Sequence[FeedConfig]) -> dict[str, FeedConfig]:
        return {f.url: f for f in feeds}

    before, after = keyed(old.feeds), keyed(new.feeds)
    added = len(after.keys() - before.keys())
    removed = len(before.keys() - after.keys())
    changed = sum(1 for url in after.keys() & before.keys() if after[url] != before[url])
    old_topics, new_topics = {t.key for t in old.topics}, {t.key for t in new.topics}
    parts = [
        f"{len(new.feeds)} feeds ({added} added, {removed} removed, {changed} changed)",
        f"{len(new.topics)} topics",
    ]
    if new_topics - old_topics:
        parts[-1] += " (new: " + ", ".join(f"/{k}" for k in sorted(new_topics - old_topics)) + ")"
    if old_topics - new_topics:
        parts.append("gone: " + ", ".join(f"/{k}" for k in sorted(old_topics - new_topics)))
    later = [
        name
        for name, differs in (
            ("delivery", old.delivery != new.delivery),
            ("llm", (old.llm_timeout, old.llm_daily_tokens)
             != (new.llm_timeout, new.llm_daily_tokens)),
            ("digest.check_every", old.digest.check_every != new.digest.check_every),
        )
        if differs
    ]  # fmt: skip
    line = f"Reloaded {new.path}: " + "; ".join(parts) + "."
    line += " (This process: with several processes, send SIGHUP to each.)"
    if later:
        line += f" Changes to {', '.join(later)} take effect at the next restart."
    return line


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/reload``: re-read feeds.yaml; an invalid file keeps the old config, and says why."""
    try:
        summary = await reload_config(context.application)
    except ConfigError as exc:
        log.error("/reload: feeds.yaml not reloaded, the old config stays: %s", exc)
        await reply(
            update,
            [f"Not reloaded, the old config stays:\n<code>{html.escape(str(exc))}</code>"],
        )
        return
    except StorageError as exc:
        log.error("/reload: %s", exc)
        await reply(update, [f"Not reloaded, the old config stays: {html.escape(str(exc))}"])
        return
    log.info("/reload: %s", summary)
    await reply(update, [html.escape(summary)])


async def _reload_on_signal(application: Application) -> None:  # type: ignore[type-arg]
    services: Services = application.bot_data["services"]
    try:
        summary = await reload_config(application)
    except (ConfigError, StorageError) as exc:
        log.error("SIGHUP: feeds.yaml not reloaded, the old config stays: %s", exc)
        await notify_admins(
            application.bot,
            services.settings.admin_ids,
            "⚠️ SIGHUP: feeds.yaml not reloaded, the old config stays:\n"
            f"<code>{html.escape(str(exc))}</code>",
        )
        return
    log.info("SIGHUP: %s", summary)


# --- broadcast --------------------------------------------------------------------------

_COMMAND = re.compile(r"^/broadcast(?:@\w+)?\s*", re.IGNORECASE)


async def broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/broadcast TEXT``: queue TEXT (with the admin's formatting) for every active
    subscriber. The same text is queued once a day: a repeated or re-delivered command is
    not a second send (to send it again today, change the wording)."""
    services = _services(context)
    message = update.effective_message
    if message is None or not message.text:
        return
    body = _COMMAND.sub("", message.text_html, count=1).strip()
    if not body:
        await reply(update, ["Usage: /broadcast TEXT — sent to every subscriber."])
        return
    if utf16_len(body) > BROADCAST_LIMIT:
        await reply(
            update,
            [f"Too long for one message ({utf16_len(body)} > {BROADCAST_LIMIT} characters): "
             "split it into several /broadcast commands."],
        )  # fmt: skip
        return
    now = _now()
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    period = f"broadcast:{now:%Y-%m-%d}:{digest}"
    subscribers = await services.store.active_subscriptions()
    queued = await services.store.enqueue_many(
        [subscription.chat_id for subscription in subscribers],
        kind="broadcast",
        period=period,
        messages=[body],
        link_previews=False,
        now=now,
    )
    user = update.effective_user
    log.info(
        "admin %s broadcast %s: queued for %d of %d subscribers",
        user.id if user else "?",
        period,
        queued,
        len(subscribers),
    )
    if subscribers and not queued:
        await reply(
            update,
            [f"Already queued today for all {len(subscribers)} subscribers: nothing is sent "
             "twice. To send it again today, change the wording."],
        )  # fmt: skip
        return
    again = len(subscribers) - queued
    note = f" ({again} already had it today)" if again else ""
    await reply(update, [f"Broadcast queued for {queued} subscribers{note}."])
