"""Log formatting: the text format or one JSON object a line, secrets blanked out in both.

``AZBY_LOG_FORMAT=json`` gives lines such as::

    {"time": "2026-11-05T09:00:01.123Z", "level": "INFO", "logger": "bot.jobs",
     "message": "poll cycle finished: …", "duration": 1.52, "feeds": 4}

Fields passed with ``extra=`` (``feed``, ``chat_id``, ``duration`` …) become keys of their
own; an exception is the ``exception`` key (its formatted traceback). Whatever the format, each
registered secret (the bot token, the webhook secret) is replaced by a placeholder in the
finished line: messages, arguments, extra fields and tracebacks of every library alike.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

__all__ = ["TEXT_FORMAT", "JsonFormatter", "TextFormatter", "configure", "redact"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# the attributes every LogRecord has: anything else on a record came from ``extra=``
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class _Redacting(logging.Formatter):
    """A formatter that replaces each secret by its placeholder in the finished line."""

    def __init__(self, fmt: str | None = None, secrets: Mapping[str, str] | None = None) -> None:
        super().__init__(fmt)
        self.secrets = dict(secrets or {})

    def redact(self, line: str) -> str:
        for secret, placeholder in self.secrets.items():
            if secret:
                line = line.replace(secret, placeholder)
        return line


class TextFormatter(_Redacting):
    """``time LEVEL logger: message`` (the format azby always had), secrets blanked."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        super().__init__(TEXT_FORMAT, secrets)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(_Redacting):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, extra fields,
    ``exception`` and ``stack`` when present; secrets blanked."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        super().__init__(None, secrets)

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, object] = {
            "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return self.redact(json.dumps(entry, ensure_ascii=False, default=str))


def configure(level: int, fmt: str = "text") -> None:
    """Log to stderr at ``level`` in the ``text`` or ``json`` format (a no-op when the root
    logger already has handlers, as ``logging.basicConfig``)."""
    formatter: logging.Formatter = JsonFormatter() if fmt == "json" else TextFormatter()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=[handler])


def redact(secrets: Mapping[str, str]) -> None:
    """From now on, every root handler blanks out these secrets (secret → placeholder)."""
    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        if not isinstance(formatter, _Redacting):
            formatter = TextFormatter()
            handler.setFormatter(formatter)
        formatter.secrets = {**formatter.secrets, **secrets}
