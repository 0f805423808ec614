"""Settings from the environment and ``feeds.yaml``, validated once into frozen objects.

This is the only module that reads ``os.environ`` (through :func:`load_settings`, which takes
an explicit mapping so tests never patch the process environment).

Errors::

    ConfigError                one line a user can act on: file, line and key where known
      ├── missing token         (raised by callers that need it, e.g. ``azby run``)
      └── invalid feeds.yaml    (YAML syntax, unknown key, bad URL, bad interval …)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.deliver.limits import DeliveryLimits
from bot.models import FeedConfig, Topic
from bot.pipeline.digest import time_of_day, time_zone
from bot.pipeline.topics import load_topics

__all__ = [
    "DEFAULT_API_URL",
    "RESERVED_TOPIC_KEYS",
    "AppConfig",
    "ConfigError",
    "DigestDefaults",
    "NoticeSettings",
    "PollSettings",
    "RetentionSettings",
    "Settings",
    "feed_config",
    "format_interval",
    "load_config",
    "load_feeds_file",
    "load_settings",
    "parse_interval",
    "split_url",
]

DEFAULT_API_URL = "https://api.telegram.org/bot"
_INTERVAL = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_MIN_INTERVAL = timedelta(seconds=10)
# bot commands that a topic key (also a command) may not take
RESERVED_TOPIC_KEYS = frozenset(
    {
        "start", "help", "latest", "subscribe", "unsubscribe", "digest", "settings", "search",
        "time", "timezone", "frequency", "language", "previews", "topics", "alerts", "channel",
        # admin commands (bot/telegram/admin.py)
        "addfeed", "removefeed", "pausefeed", "resumefeed", "feeds", "feedstatus", "stats",
        "reload", "broadcast",
    }
)  # fmt: skip
_TRUE = {"1", "true", "yes", "on"}
_LOG_FORMATS = ("text", "json")
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_FALSE = {"", "0", "false", "no", "off"}


class ConfigError(Exception):
    """A configuration problem, worded as one line for the person who can fix it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the ``AZBY_*`` environment says."""

    telegram_token: str | None
    telegram_api_url: str
    database_url: str
    feeds_file: Path
    admin_ids: frozenset[int]
    allow_private_networks: bool
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    log_format: str = "text"  # AZBY_LOG_FORMAT: "text" or "json" (one object a line)
    http_host: str = "127.0.0.1"  # AZBY_HTTP_HOST: where /healthz, /metrics (and a webhook) listen
    http_port: int | None = None  # AZBY_HTTP_PORT: no HTTP server unless set (or --webhook)
    webhook_secret: str | None = None  # AZBY_WEBHOOK_SECRET: random at each start when unset

    def require_token(self) -> str:
        """The bot token, or a ConfigError saying how to set it."""
        if not self.telegram_token:
            raise ConfigError(
                "AZBY_TELEGRAM_TOKEN is not set: get a token from @BotFather and "
                "export AZBY_TELEGRAM_TOKEN=<token> (azby digest --preview works without one)"
            )
        return self.telegram_token


@dataclass(frozen=True, slots=True)
class DigestDefaults:
    """Digest settings a new subscription starts with."""

    time: str = "09:00"
    timezone: str = "Asia/Baku"
    max_stories: int = 10
    story_age: timedelta = timedelta(days=7)
    skip_empty: bool = True
    check_every: timedelta = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class PollSettings:
    """How feeds are fetched (``poll:`` in feeds.yaml)."""

    concurrency: int = 20
    per_host: int = 4
    timeout: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    full_text: bool = True
    teaser_chars: int = 400
    full_text_per_feed: int = 20
    backlog_age: timedelta = timedelta(days=1)
    pause_after: timedelta = timedelta(days=7)
    max_hint: timedelta = timedelta(hours=6)
    max_backoff: timedelta = timedelta(hours=24)
    workers: int = 0  # processes parsing and classifying (0: one thread of this process)

    @property
    def deadline(self) -> float:
        """Seconds one whole fetch may take (DNS, redirects, a trickling body)."""
        return self.timeout * 3


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """How long articles are kept, by when they were first seen; sent or dropped outbox
    messages are kept ``outbox`` (what stops a digest or alert being queued twice)."""

    irrelevant: timedelta = timedelta(days=30)
    all: timedelta = timedelta(days=365)
    outbox: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class NoticeSettings:
    """When the bot admins are told of trouble (``notices:`` in feeds.yaml)."""

    feed_failing: timedelta = timedelta(hours=24)  # a feed failing this long
    delivery_failures: int = 20  # failed deliveries within an hour
    max_per_hour: int = 10  # notices an admin gets an hour at most


@dataclass(frozen=True, slots=True)
class AppConfig:
    """Everything ``feeds.yaml`` says, validated."""

    path: Path
    feeds: tuple[FeedConfig, ...]
    topics: tuple[Topic, ...]
    digest: DigestDefaults = field(default_factory=DigestDefaults)
    relevance_threshold: float = 0.5
    poll: PollSettings = field(default_factory=PollSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    llm_timeout: float = 20.0
    llm_daily_tokens: int = 200_000
    delivery: DeliveryLimits = field(default_factory=DeliveryLimits)
    notices: NoticeSettings = field(default_factory=NoticeSettings)

    def topic(self, key: str) -> Topic | None:
        """The topic with this key, if configured."""
        return next((t for t in self.topics if t.key == key), None)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the ``AZBY_*`` variables (``os.environ`` unless a mapping is given)."""
    env = os.environ if environ is None else environ
    admin_raw = env.get("AZBY_ADMIN_IDS", "")
    admin_ids: set[int] = set()
    for part in admin_raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            admin_ids.add(int(part))
        except ValueError:
            raise ConfigError(
                f"AZBY_ADMIN_IDS: {part!r} is not a Telegram user id "
                "(expected comma-separated integers, e.g. 12345,67890)"
            ) from None
    private = env.get("AZBY_ALLOW_PRIVATE_NETWORKS", "").strip().lower()
    if private not in _TRUE | _FALSE:
        raise ConfigError(f"AZBY_ALLOW_PRIVATE_NETWORKS: {private!r} is not one of 1/0/true/false")
    api_url = env.get("AZBY_TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL
    if urlsplit(api_url).scheme not in {"http", "https"}:
        raise ConfigError(f"AZBY_TELEGRAM_API_URL: {api_url!r} must be an http(s) URL")
    llm_url = env.get("AZBY_LLM_URL", "").strip() or None
    if llm_url and urlsplit(llm_url).scheme not in {"http", "https"}:
        raise ConfigError(f"AZBY_LLM_URL: {llm_url!r} must be an http(s) URL")
    llm_model = env.get("AZBY_LLM_MODEL", "").strip() or None
    if llm_url and not llm_model:
        raise ConfigError("AZBY_LLM_MODEL must name the model when AZBY_LLM_URL is set")
    log_format = env.get("AZBY_LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in _LOG_FORMATS:
        raise ConfigError(f"AZBY_LOG_FORMAT: {log_format!r} is not one of text/json")
    port_raw = env.get("AZBY_HTTP_PORT", "").strip()
    http_port = None
    if port_raw:
        if not (port_raw.isascii() and port_raw.isdigit()) or int(port_raw) > 65535:
            raise ConfigError(
                f"AZBY_HTTP_PORT: {port_raw!r} is not a port number (0-65535; 0 picks a free one)"
            )
        http_port = int(port_raw)
    secret = env.get("AZBY_WEBHOOK_SECRET", "").strip() or None
    if secret is not None and not _WEBHOOK_SECRET.fullmatch(secret):
        # Telegram's rule for secret_token; the value itself is never quoted back
        raise ConfigError("AZBY_WEBHOOK_SECRET: must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return Settings(
        log_format=log_format,
        http_host=env.get("AZBY_HTTP_HOST", "").strip() or "127.0.0.1",
        http_port=http_port,
        webhook_secret=secret,
        llm_url=llm_url,
        llm_model=llm_model,
        llm_api_key=env.get("AZBY_LLM_API_KEY", "").strip() or None,
        telegram_token=env.get("AZBY_TELEGRAM_TOKEN", "").strip() or None,
        telegram_api_url=api_url,
        database_url=env.get("AZBY_DATABASE_URL", "").strip()
        or "sqlite+aiosqlite:///data/azby.sqlite3",
        feeds_file=Path(env.get("AZBY_FEEDS_FILE", "").strip() or "feeds.yaml"),
        admin_ids=frozenset(admin_ids),
        allow_private_networks=private in _TRUE,
    )


def parse_interval(value: object) -> timedelta:
    """``15m``, ``1h``, ``1h30m``, ``90s``, ``1d`` (or a number of seconds) → timedelta."""
    if isinstance(value, bool):
        raise ValueError("must look like 10m or 1h")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _INTERVAL.match(str(value).strip().lower())
        if not match or not any(match.groups()):
            raise ValueError(f"must look like 10m or 1h (got {value!r})")
        d, h, m, s = (int(g or 0) for g in match.groups())
        seconds = d * 86400 + h * 3600 + m * 60 + s
    interval = timedelta(seconds=seconds)
    if interval < _MIN_INTERVAL:
        raise ValueError(f"must be at least 10s (got {value!r})")
    return interval


def split_url(url: str) -> SplitResult:
    """``url`` split into its parts; a ValueError when it cannot be fetched as written (a port
    that is not a number, a host IDNA cannot encode)."""
    parts = urlsplit(url)
    _ = parts.port  # a port that is not a number raises here
    if parts.hostname:
        parts.hostname.encode("idna")  # UnicodeError is a ValueError
    return parts


def format_interval(interval: timedelta) -> str:
    """The shortest ``1d2h30m15s`` spelling of an interval (what :func:`parse_interval` reads)."""
    seconds = int(interval.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def feed_config(values: Mapping[str, object]) -> FeedConfig:
    """One feed by the rules of a ``feeds:`` entry in feeds.yaml (``name``, ``url``,
    ``language``, ``interval``, ``enabled``); a ValueError naming the key otherwise."""
    try:
        feed = _Feed.model_validate(dict(values))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            raise ValueError(f"unknown key `{key}`") from None
        if error["type"] == "missing":
            raise ValueError(f"missing required key `{key}`") from None
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ValueError(f"{key}: {message}") from None
    return FeedConfig(**feed.model_dump())


# --- feeds.yaml schema -------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Feed(_Strict):
    name: str
    url: str
    language: str | None = None
    interval: timedelta = timedelta(minutes=15)
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if len(value) > 200 or not value.isprintable():
            raise ValueError("must be one line of at most 200 characters")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        try:
            parts = split_url(value)
        except ValueError:
            raise ValueError(f"must be an http(s) URL with a host (got {value!r})") from None
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"must be an http(s) URL with a host (got {value!r})")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z]{2,3}", value):
            raise ValueError(f"must be a language code such as en, ru, az (got {value!r})")
        return value

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: object) -> timedelta:
        return parse_interval(value)


class _Digest(_Strict):
    time: str = "09:00"
    timezone: str = "Asia/Baku"
    max_stories: int = Field(default=10, ge=1, le=100)
    story_age: timedelta = timedelta(days=7)
    skip_empty: bool = True
    check_every: timedelta = timedelta(minutes=1)

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        parsed = time_of_day(value)
        if parsed is None:
            raise ValueError(f"must be a time of day such as 09:00 (got {value!r})")
        return parsed

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if time_zone(value) is None:
            raise ValueError(f"must be an IANA time zone such as Asia/Baku (got {value!r})")
        return value

    @field_validator("story_age", "check_every", mode="before")
    @classmethod
    def _age(cls, value: object) -> timedelta:
        return parse_interval(value)


class _Poll(_Strict):
    concurrency: int = Field(default=20, ge=1, le=500)
    per_host: int = Field(default=4, ge=1, le=100)
    timeout: float = Field(default=20.0, gt=0, le=300)
    max_size_mb: float = Field(default=10, gt=0, le=1024)
    full_text: bool = True
    teaser_chars: int = Field(default=400, ge=0)
    full_text_per_feed: int = Field(default=20, ge=0)
    backlog_age: timedelta = timedelta(days=1)
    pause_after: timedelta = timedelta(days=7)
    max_hint: timedelta = timedelta(hours=6)
    max_backoff: timedelta = timedelta(hours=24)
    workers: int = Field(default=0, ge=0, le=64)

    @field_validator("backlog_age", "pause_after", "max_hint", "max_backoff", mode="before")
    @classmethod
    def _durations(cls, value: object) -> timedelta:
        return parse_interval(value)


class _Llm(_Strict):
    timeout: float = Field(default=20.0, gt=0, le=300)
    daily_tokens: int = Field(default=200_000, ge=0)


class _Delivery(_Strict):
    rate: float = Field(default=30.0, gt=0, le=10_000)
    private_interval: float = Field(default=1.0, ge=0, le=60)
    group_interval: float = Field(default=3.0, ge=0, le=600)
    reclaim_after: float = Field(default=120.0, ge=1, le=86_400)


class _Retention(_Strict):
    irrelevant: timedelta = timedelta(days=30)
    all: timedelta = timedelta(days=365)
    outbox: timedelta = timedelta(days=30)

    @field_validator("irrelevant", "all", "outbox", mode="before")
    @classmethod
    def _durations(cls, value: object) -> timedelta:
        return parse_interval(value)

    @field_validator("outbox")
    @classmethod
    def _outbox(cls, value: timedelta) -> timedelta:
        if value < timedelta(days=1):
            raise ValueError("must be at least 1d (a digest's record stops it being sent twice)")
        return value


class _Notices(_Strict):
    feed_failing: timedelta = timedelta(hours=24)
    delivery_failures: int = Field(default=20, ge=1)
    max_per_hour: int = Field(default=10, ge=1, le=1000)

    @field_validator("feed_failing", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        return parse_interval(value)


class _Relevance(_Strict):
    threshold: float = Field(default=0.5, ge=0, le=1)


class _File(_Strict):
    feeds: list[_Feed] | None = None
    topics: dict[str, dict[str, Any] | None] | None = None
    digest: _Digest = _Digest()
    poll: _Poll = _Poll()
    relevance: _Relevance = _Relevance()
    retention: _Retention = _Retention()
    llm: _Llm = _Llm()
    delivery: _Delivery = _Delivery()
    notices: _Notices = _Notices()


def default_topics_data() -> dict[str, Any]:
    """The default topic taxonomy shipped with azby (``bot/default_topics.yaml``)."""
    text = resources.files("bot").joinpath("default_topics.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def load_feeds_file(path: Path) -> AppConfig:
    """Read and validate ``feeds.yaml``; every problem is a ConfigError naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file (set AZBY_FEEDS_FILE or create it; see README)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_feeds_yaml(text, path)


def parse_feeds_yaml(text: str, path: Path) -> AppConfig:
    """Validate the text of a feeds file (``path`` is used in messages)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} line 1: must be a mapping with a `feeds:` list")
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, root, path)) from None
    feeds = tuple(FeedConfig(**f.model_dump()) for f in parsed.feeds or [])
    _check_unique(feeds, root, path)
    topics_data = default_topics_data()
    for key, value in (parsed.topics or {}).items():
        if value is None:
            topics_data.pop(key, None)
            continue
        topics_data[key] = {**topics_data.get(key, {}), **value}
        try:
            if key in RESERVED_TOPIC_KEYS:
                raise ValueError(f"`{key}` is already a bot command; choose another key")
            load_topics({key: topics_data[key]})
        except ValueError as exc:
            line = _line_of(root, ("topics", key), key=True)
            raise ConfigError(f"{path}{line}: topics.{key}: {exc}") from None
    if not topics_data:
        line = _line_of(root, ("topics",), key=True)
        raise ConfigError(f"{path}{line}: topics: at least one topic must remain")
    topics = load_topics(topics_data)
    return AppConfig(
        path=path,
        feeds=feeds,
        topics=topics,
        digest=DigestDefaults(**parsed.digest.model_dump()),
        relevance_threshold=parsed.relevance.threshold,
        poll=PollSettings(
            **parsed.poll.model_dump(exclude={"max_size_mb"}),
            max_bytes=int(parsed.poll.max_size_mb * 1024 * 1024),
        ),
        retention=RetentionSettings(**parsed.retention.model_dump()),
        llm_timeout=parsed.llm.timeout,
        llm_daily_tokens=parsed.llm.daily_tokens,
        delivery=DeliveryLimits(
            rate=parsed.delivery.rate,
            private_interval=parsed.delivery.private_interval,
            group_interval=parsed.delivery.group_interval,
            reclaim_after=timedelta(seconds=parsed.delivery.reclaim_after),
        ),
        notices=NoticeSettings(**parsed.notices.model_dump()),
    )


def load_config(settings: Settings) -> AppConfig:
    """The feeds file named by the settings, validated."""
    return load_feeds_file(settings.feeds_file)


def _check_unique(feeds: Sequence[FeedConfig], root: yaml.Node | None, path: Path) -> None:
    seen_names: dict[str, int] = {}
    seen_urls: dict[str, int] = {}
    for index, feed in enumerate(feeds):
        for seen, value, key in (
            (seen_names, feed.name.lower(), "name"),
            (seen_urls, feed.url, "url"),
        ):
            if value in seen:
                line = _line_of(root, ("feeds", index, key))
                raise ConfigError(
                    f"{path}{line}: feeds[{index}].{key}: duplicate of feeds[{seen[value]}] "
                    f"({value!r})"
                )
            seen[value] = index


def _describe(exc: ValidationError, root: yaml.Node | None, path: Path) -> str:
    error = exc.errors()[0]
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        message = f"unknown key `{loc[-1]}`"
        line = _line_of(root, loc, key=True)
    elif kind == "missing":
        message = f"missing required key `{loc[-1]}`"
        line = _line_of(root, loc[:-1])
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
        line = _line_of(root, loc)
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    return f"{path}{line}: {dotted}: {message}{more}"


def _line_of(root: yaml.Node | None, loc: Sequence[object], *, key: bool = False) -> str:
    """`` line N`` of the node at ``loc`` in the composed YAML tree ('' when unknown)."""
    node = root
    key_node: yaml.Node | None = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if getattr(k, "value", None) == str(part)]
            if not match:
                break
            key_node, node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            key_node, node = None, node.value[part]
        else:
            break
    target = key_node if key and key_node is not None else node
    if target is None:
        return ""
    return f" line {target.start_mark.line + 1}"
