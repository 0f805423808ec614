"""The ``azby`` console script (also ``python -m bot``).

Every command validates the configuration first and prints one clear line, never a traceback,
when it is wrong (exit 2); a database problem also gets one line (exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TextIO

from bot import __version__
from bot.config import AppConfig, ConfigError, Settings, load_config, load_settings, parse_interval

__all__ = ["few_malloc_arenas", "main"]

log = logging.getLogger("azby")


def main(argv: Sequence[str] | None = None) -> int:
    # python-telegram-bot 22 warns unless durations are timedeltas; azby never wants floats
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    few_malloc_arenas()
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings()
        _configure_logging(args.verbose, args.command == "run", settings.log_format)
        return int(args.handler(args, settings) or 0)
    except ConfigError as exc:
        print(f"azby: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"azby: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        from storage import StorageError

        if isinstance(exc, StorageError):
            print(f"azby: error: {exc}", file=sys.stderr)
            return 1
        raise


# glibc gives each thread that allocates its own malloc arena (up to 8 per core), and each
# arena keeps freed memory of its own: azby's threads (the event loop, the CPU thread,
# the database driver's) take turns under the GIL and gain nothing from them, while a
# 500-feed poll held ~12 MB more with them (bench/poll.py: 182 → 171 MB peak RSS).
_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number (glibc's malloc.h)


def few_malloc_arenas() -> bool:
    """Limit glibc's malloc to ``_ARENAS`` arenas, unless ``MALLOC_ARENA_MAX`` already says
    how many (glibc read it at start). Call before any thread starts. False where the C
    library is not glibc (nothing to limit) or refuses."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):  # not glibc (musl, macOS): no per-thread arenas to limit
        return False
    return bool(mallopt(_M_ARENA_MAX, _ARENAS))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="azby",
        description="Azerbaijan–Belarus news bot: polls feeds, keeps the relevant stories, "
        "delivers them to Telegram.",
    )
    parser.add_argument("--version", action="version", version=f"azby {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="run the bot (needs AZBY_TELEGRAM_TOKEN)")
    run.add_argument(
        "--webhook",
        metavar="URL",
        default=None,
        help="receive updates at this public https URL instead of long polling (served on "
        "AZBY_HTTP_HOST:AZBY_HTTP_PORT, default 127.0.0.1:8080, behind your reverse proxy)",
    )
    run.set_defaults(handler=_run)

    poll = commands.add_parser("poll", help="poll the feeds into the store")
    poll.add_argument("--once", action="store_true", required=True, help="one cycle, then exit")
    poll.set_defaults(handler=_poll)

    classify = commands.add_parser(
        "classify", help="JSON Lines in (id, title, text …) → JSON Lines out with verdicts"
    )
    classify.add_argument("input", nargs="?", default="-", help="file to read (default: stdin)")
    classify.set_defaults(handler=_classify)

    export = commands.add_parser("export", help="print every stored article (or the feeds)")
    export.add_argument(
        "--format",
        choices=("jsonl", "opml", "yaml"),
        default="jsonl",
        help="jsonl: the articles; opml or yaml: the feeds (also admin-added and disabled ones)",
    )
    export.set_defaults(handler=_export)

    import_ = commands.add_parser(
        "import", help="add or update feeds from an OPML or YAML file (all or nothing)"
    )
    import_.add_argument("file", help="an OPML file or a feeds.yaml-style `feeds:` list")
    import_.set_defaults(handler=_import)

    digest = commands.add_parser("digest", help="show the digest a chat would get now")
    digest.add_argument("--preview", action="store_true", required=True)
    digest.add_argument("--topics", default="", help="comma-separated topic keys (default: all)")
    digest.add_argument(
        "--since", default=None, help="period start: a duration such as 24h or 7d, or a date"
    )
    digest.add_argument("--html", action="store_true", help="print the Telegram HTML as sent")
    digest.add_argument(
        "--chat", type=int, default=None, help="the digest this chat would get now (its settings)"
    )
    digest.set_defaults(handler=_digest)

    feeds = commands.add_parser("feeds", help="feed administration")
    feeds_commands = feeds.add_subparsers(dest="feeds_command", metavar="SUBCOMMAND", required=True)
    check = feeds_commands.add_parser("check", help="validate feeds.yaml and try each feed once")
    check.add_argument("--strict", action="store_true", help="exit 1 when any feed fails")
    check.set_defaults(handler=_feeds_check)

    reclassify = commands.add_parser(
        "reclassify", help="re-run relevance, topics and summaries over every stored article"
    )
    reclassify.set_defaults(handler=_reclassify)

    db = commands.add_parser("db", help="database administration")
    db_commands = db.add_subparsers(dest="db_command", metavar="SUBCOMMAND", required=True)
    upgrade = db_commands.add_parser("upgrade", help="create the database or apply migrations")
    upgrade.set_defaults(handler=_db_upgrade)
    return parser


def _redact_logs(secret: str, placeholder: str = "<token>") -> None:
    """Blank out a secret (the bot token) in every log line, whatever the format."""
    from bot.logs import redact

    redact({secret: placeholder})


def _configure_logging(verbose: bool, running: bool, fmt: str = "text") -> None:
    from bot import logs

    level = logging.DEBUG if verbose else logging.INFO if running else logging.WARNING
    logs.configure(level, fmt)
    # httpx logs every request URL at INFO, and the Bot API URL contains the token: only
    # with -v of `azby run`, whose log lines have the token blanked out (see _run)
    if not (verbose and running):
        logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # one INFO line per job run, every few seconds, says nothing an operator needs
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if not running and not verbose:
        # the commands print a per-feed summary themselves
        logging.getLogger("bot.poll").setLevel(logging.ERROR)


def _now() -> datetime:
    return datetime.now(UTC)


async def _open(settings: Settings, config: AppConfig | None) -> Any:
    from storage import open_store

    store = await open_store(settings.database_url)
    if config is not None:
        await store.sync_feeds(config.feeds, _now())
    return store


# --- run ---------------------------------------------------------------------------------


def _run(args: argparse.Namespace, settings: Settings) -> int:
    token = settings.require_token()
    _redact_logs(token)
    try:
        return _run_bot(args, settings, token)
    except ConfigError as exc:  # a webhook URL Telegram refused may hold the token in its path
        raise ConfigError(str(exc).replace(token, "<token>")) from None


def _run_bot(args: argparse.Namespace, settings: Settings, token: str) -> int:
    webhook = None
    if args.webhook is not None:
        from bot.web import Webhook

        # a bad URL fails before any work; no AZBY_WEBHOOK_SECRET: a random one for this run
        webhook = Webhook.from_url(args.webhook, settings.webhook_secret)
        _redact_logs(webhook.secret, "<webhook-secret>")
    config = load_config(settings)
    from telegram.error import InvalidToken, TelegramError

    from bot.telegram.app import run_bot

    # SIGHUP re-reads feeds.yaml once the bot is up (bot.telegram.admin); until then a
    # `systemctl reload` must not end the process (SIGHUP's default action)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        run_bot(settings, config, token, webhook=webhook)
    except InvalidToken:
        # PTB's message quotes the token: never print it
        raise ConfigError(
            "AZBY_TELEGRAM_TOKEN was rejected by the Bot API: check it with @BotFather"
        ) from None
    except TelegramError as exc:
        message = str(exc).replace(token, "<token>")
        print(f"azby: error: cannot reach the Bot API ({message})", file=sys.stderr)
        return 1
    return 0


# --- poll --------------------------------------------------------------------------------


def _poll(args: argparse.Namespace, settings: Settings) -> int:
    config = load_config(settings)
    results = asyncio.run(_poll_once(settings, config, show_progress=sys.stderr.isatty()))
    _print_poll_summary(results)
    return 0


async def _poll_once(settings: Settings, config: AppConfig, *, show_progress: bool) -> list[Any]:
    from bot.poll import poll_client, poll_feeds, summariser_for
    from bot.workers import warm_up_here

    warm_up_here(config.poll.workers)

    store = await _open(settings, config)
    summariser = summariser_for(settings, config)
    try:
        async with poll_client(settings, config) as client:
            with _progress(show_progress, len(await store.list_feeds(enabled_only=True))) as step:
                return await poll_feeds(store, config, client, on_done=step, summariser=summariser)
    finally:
        await store.close()
        if summariser is not None:
            await summariser.aclose()


class _progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool, total: int) -> None:
        self._bar: Any = None
        if enabled and total:
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(console=Console(stderr=True), transient=True)
            self._task = self._bar.add_task("polling feeds", total=total)

    def __enter__(self) -> Callable[[Any], None]:
        if self._bar is not None:
            self._bar.start()
        return self._advance

    def _advance(self, result: Any) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=f"polled {result.feed}")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _print_poll_summary(results: Sequence[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    if not results:
        print("No feeds are configured (or all are disabled): add some to feeds.yaml.")
        return
    table = Table(title="Poll summary", title_justify="left")
    for column in ("feed", "status", "items", "new", "relevant", "error"):
        table.add_column(column, overflow="fold")
    for r in sorted(results, key=lambda r: r.feed.lower()):
        status = {"ok": "ok", "not_modified": "not modified"}.get(r.status, "ERROR")
        table.add_row(r.feed, status, str(r.items), str(r.new), str(r.relevant), r.error or "")
    Console(width=max(100, Console().width), soft_wrap=False).print(table)
    failed = sum(1 for r in results if r.status == "error")
    new = sum(r.new for r in results)
    relevant = sum(r.relevant for r in results)
    print(f"{len(results)} feeds, {failed} failed; {new} new articles, {relevant} relevant.")


# --- classify ----------------------------------------------------------------------------


def _classify(args: argparse.Namespace, settings: Settings) -> int:
    config = _config_or_defaults(settings)
    stream: TextIO = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")  # noqa: SIM115
    try:
        return _classify_stream(stream, sys.stdout, config)
    finally:
        if stream is not sys.stdin:
            stream.close()


def _config_or_defaults(settings: Settings) -> AppConfig:
    """feeds.yaml when it exists (its topics count); the built-in topics when it does not."""
    if not settings.feeds_file.exists():
        from bot.config import parse_feeds_yaml

        return parse_feeds_yaml("feeds: []\n", settings.feeds_file)
    return load_config(settings)


def _classify_stream(source: TextIO, sink: TextIO, config: AppConfig) -> int:
    from bot.models import StoryItem
    from bot.pipeline.classify import classify
    from bot.pipeline.cluster import assign_stories
    from bot.poll import STORY_WINDOW

    records: list[dict[str, Any]] = []
    errors = 0
    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("each line must be a JSON object")
            if "id" not in record:
                raise ValueError("missing `id`")
            for key in ("title", "text"):
                if not isinstance(record.get(key, ""), str):
                    raise ValueError(f"`{key}` must be a string")
        except ValueError as exc:
            print(f"azby classify: line {number}: skipped: {exc}", file=sys.stderr)
            errors += 1
            continue
        records.append(record)
    verdicts = [
        classify(
            str(record.get("title") or ""),
            str(record.get("text") or ""),
            config.topics,
            language_hint=record.get("language") or None,
        )
        for record in records
    ]
    # stories across outlets and languages; an item without a date may join any story
    items = [
        StoryItem(
            id=str(i),
            title=str(record.get("title") or ""),
            text=str(record.get("text") or "")[:1500],
            published=_parse_date(record.get("published")),
            language=verdict.language,
        )
        for i, (record, verdict) in enumerate(zip(records, verdicts, strict=True))
    ]
    stories = assign_stories([], items, STORY_WINDOW)
    for record, verdict, story in zip(records, verdicts, stories, strict=True):
        out = {
            **record,
            "relevant": verdict.relevance_score >= config.relevance_threshold,
            "relevance_score": round(verdict.relevance_score, 4),
            "topics": list(verdict.topics),
            "summary": verdict.summary,
            "language": verdict.language,
            "cluster": records[int(story)]["id"],
        }
        sink.write(json.dumps(out, ensure_ascii=False) + "\n")
    sink.flush()
    return 1 if errors else 0


def _parse_date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# --- export ------------------------------------------------------------------------------


def _export(args: argparse.Namespace, settings: Settings) -> int:
    config = load_config(settings) if settings.feeds_file.exists() else None
    asyncio.run(_export_async(settings, config, args.format, sys.stdout))
    return 0


async def _export_async(
    settings: Settings, config: AppConfig | None, fmt: str, sink: TextIO
) -> None:
    from bot.feedlist import render_opml, render_yaml

    store = await _open(settings, config)
    try:
        if fmt in ("opml", "yaml"):
            feeds = await store.list_feeds()
            sink.write(render_opml(feeds) if fmt == "opml" else render_yaml(feeds))
            return
        async for article in store.iter_articles():
            record = {
                "url": article.url,
                "title": article.title,
                "published": article.published.isoformat(),
                "language": article.language,
                "feed": article.feed,
                "relevant": article.relevant,
                "topics": list(article.topics),
                "summary": article.summary,
                "cluster": article.cluster,
            }
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        await store.close()


# --- import ------------------------------------------------------------------------------


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.feedlist import read_feed_list
    from bot.probe import redact

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    feeds = read_feed_list(data, path)  # every feed valid before anything is stored
    config = load_config(settings) if settings.feeds_file.exists() else None
    results = asyncio.run(_import_async(settings, config, feeds))
    counts = {action: 0 for action in ("added", "updated", "skipped")}
    for result in results:
        counts[result.action] += 1
        detail = f" ({result.detail})" if result.detail else ""
        print(f"{result.action}: {result.name} <{redact(result.url, keep_user=True)}>{detail}")
    print(
        f"{path}: {len(results)} feeds: {counts['added']} added, {counts['updated']} updated, "
        f"{counts['skipped']} skipped."
    )
    return 0


async def _import_async(settings: Settings, config: AppConfig | None, feeds: Any) -> Any:
    store = await _open(settings, config)
    try:
        return await store.import_feeds(feeds, _now())
    finally:
        await store.close()


# --- digest ------------------------------------------------------------------------------


def _digest(args: argparse.Namespace, settings: Settings) -> int:
    config = load_config(settings)
    topics = tuple(t.strip() for t in args.topics.split(",") if t.strip())
    unknown = [t for t in topics if config.topic(t) is None]
    if unknown:
        keys = ", ".join(t.key for t in config.topics)
        raise ConfigError(f"--topics: unknown topic {unknown[0]!r} (known: {keys})")
    _since(args.since, _now(), config.digest.story_age)  # a bad --since fails before any work
    text = asyncio.run(
        _digest_preview(settings, config, topics, args.since, html_out=args.html, chat=args.chat)
    )
    print(text)
    return 0


def _since(value: str | None, now: datetime, default: timedelta) -> datetime:
    if not value:
        return now - default
    try:
        return now - parse_interval(value)
    except ValueError:
        pass
    parsed = _parse_date(value)
    if parsed is None:
        raise ConfigError(
            f"--since: {value!r} is neither a duration (24h, 7d) nor a date (2026-11-01)"
        )
    return parsed


async def _digest_preview(
    settings: Settings,
    config: AppConfig,
    topics: Sequence[str],
    since_arg: str | None,
    *,
    html_out: bool,
    chat: int | None = None,
) -> str:
    from bot.pipeline.digest import compose_digest
    from bot.telegram.render import html_to_plain, render_digest
    from bot.workers import warm_up_here

    lines: list[str] = []
    language = "en"
    time_zone: str | None = None
    warm_up_here(config.poll.workers)
    store = await _open(settings, config)
    try:
        if await store.count_articles() == 0:
            lines.extend(await _first_poll(settings, config, store))
        now = _now()  # after the first poll: what it stored belongs to the period
        since = _since(since_arg, now, config.digest.story_age)
        if chat is not None:
            # the chat's own period, topics and language, as the digest tick would use them
            stored_chat = await store.get_chat(chat)
            subscription = await store.get_subscription(chat)
            if stored_chat is None or subscription is None:
                raise ConfigError(f"--chat {chat}: no such subscribed chat in the database")
            language = stored_chat.language
            time_zone = subscription.timezone
            topics = topics or subscription.topics
            if since_arg is None and subscription.last_digest_at is not None:
                since = max(subscription.last_digest_at, now - config.digest.story_age)
        oldest = now - config.digest.story_age
        articles = await store.latest_articles(
            limit=5000, topics=topics, since=oldest, seen_since=since, include_backlog=False
        )
    finally:
        await store.close()
    digest = compose_digest(
        articles, config.topics, since=since, until=now + timedelta(seconds=1),
        max_stories=config.digest.max_stories, only_topics=topics, oldest=oldest,
    )  # fmt: skip
    if digest.count == 0:
        days = max(1, round((now - since).total_seconds() / 86400))
        lines.append(
            f"No stories yet about Azerbaijan–Belarus relations in the last {days} day(s)."
        )
        return "\n".join(lines)
    messages = render_digest(digest, language=language, time_zone=time_zone)
    rendered = messages if html_out else [html_to_plain(m) for m in messages]
    lines.append("\n\n— — —\n\n".join(rendered))
    return "\n".join(lines)


async def _first_poll(settings: Settings, config: AppConfig, store: Any) -> list[str]:
    from bot.poll import poll_client, poll_feeds, summariser_for

    feeds = await store.list_feeds(enabled_only=True)
    if not feeds:
        return ["No feeds are configured: add some to feeds.yaml (see README)."]
    print(f"The store is empty: polling {len(feeds)} feeds first…", file=sys.stderr)
    summariser = summariser_for(settings, config)
    try:
        async with poll_client(settings, config) as client:
            results = await poll_feeds(store, config, client, summariser=summariser)
    finally:
        if summariser is not None:
            await summariser.aclose()
    lines = [f"Feed {r.feed} unreachable: {r.error}" for r in results if r.status == "error"]
    ok = len(results) - len(lines)
    lines.append(f"Polled {len(results)} feeds: {ok} answered, {len(results) - ok} unreachable.")
    return lines


# --- feeds check ---------------------------------------------------------------------------


def _feeds_check(args: argparse.Namespace, settings: Settings) -> int:
    config = load_config(settings)
    print(f"{config.path}: valid; {len(config.feeds)} feeds, {len(config.topics)} topics.")
    if not config.feeds:
        return 0
    rows = asyncio.run(_check_feeds(settings, config))
    from rich.console import Console
    from rich.table import Table

    table = Table(title_justify="left")
    for column in ("feed", "status", "items", "newest item", "language", "caching", "error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console(width=max(120, Console().width)).print(table)
    failed = sum(1 for row in rows if row[1] != "ok")
    print(f"{len(rows) - failed} of {len(rows)} feeds OK.")
    return 1 if failed and args.strict else 0


async def _check_feeds(settings: Settings, config: AppConfig) -> list[tuple[str, ...]]:
    from collections import Counter

    from bot.fetch.client import fetch
    from bot.pipeline.language import detect_language
    from bot.pipeline.parse import parse_feed
    from bot.poll import poll_client

    async with poll_client(settings, config) as client:
        limit = asyncio.Semaphore(config.poll.concurrency)

        async def one(feed: Any) -> tuple[str, ...]:
            async with limit:
                result = await fetch(
                    client, feed.url, max_bytes=config.poll.max_bytes, deadline=config.poll.deadline
                )
            name = feed.name if feed.enabled else f"{feed.name} (disabled)"
            caching = _caching_summary(result)
            if result.permanent_url:
                caching += f"; moved permanently to {result.permanent_url}"
            if not result.ok:
                return (name, "ERROR", "", "", "", caching, result.error or "")
            parsed = parse_feed(
                result.content, url=result.url, content_type=result.content_type, now=_now()
            )
            if parsed.error:
                return (name, "ERROR", "", "", "", caching, parsed.error)
            newest = max((e.published for e in parsed.entries if e.published), default=None)
            when = f"{newest:%Y-%m-%d %H:%M} UTC" if newest else "—"
            languages = Counter(
                detect_language(f"{e.title}. {e.text[:300]}", feed.language) for e in parsed.entries
            )
            language = languages.most_common(1)[0][0] if languages else "—"
            items = str(len(parsed.entries))
            return (name, "ok", items, when, language, caching, parsed.warning or "")

        return list(await asyncio.gather(*(one(f) for f in config.feeds)))


def _caching_summary(result: Any) -> str:
    """Which conditional-GET and freshness headers the server sent."""
    state = json.loads(result.caching) if result.caching else {}
    parts = [
        name for key, name in (("etag", "ETag"), ("last_modified", "Last-Modified")) if key in state
    ]
    if result.max_age is not None:
        parts.append(f"max-age={int(result.max_age.total_seconds())}")
    return ", ".join(parts) or "none"


# --- reclassify ----------------------------------------------------------------------------


def _reclassify(args: argparse.Namespace, settings: Settings) -> int:
    config = load_config(settings)
    changed, total = asyncio.run(_reclassify_all(settings, config))
    print(f"Reclassified {total} articles: {changed} changed (relevance or topics).")
    return 0


async def _reclassify_all(settings: Settings, config: AppConfig) -> tuple[int, int]:
    """After the topic keywords (or the relevance rules) change: every stored article again."""
    from bot.pipeline.classify import classify

    store = await _open(settings, config)
    changed = total = 0
    try:
        articles = [a async for a in store.iter_articles()]
        for article in articles:
            verdict = await asyncio.to_thread(
                classify, article.title, article.text, config.topics, article.language
            )
            relevant = verdict.relevance_score >= config.relevance_threshold
            if (relevant, tuple(sorted(verdict.topics))) != (article.relevant, article.topics):
                changed += 1
            await store.update_verdict(article.id, verdict, relevant)
            total += 1
    finally:
        await store.close()
    return changed, total


# --- db ----------------------------------------------------------------------------------


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    async def upgrade() -> None:
        store = await _open(settings, None)
        await store.close()

    asyncio.run(upgrade())
    print(f"Database is up to date: {_redact(settings.database_url)}")
    return 0


def _redact(url: str) -> str:
    from storage import redact_url

    return redact_url(url)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
