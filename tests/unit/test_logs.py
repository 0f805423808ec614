"""Log lines: the text format as always, or one JSON object a line; secrets never shown."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import JsonFormatter, TextFormatter

TOKEN = "123456:SECRET-token"


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    """A logger of its own writing to a string (nothing reaches the root handlers)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("azby.test.logs")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield logger, stream, handler
    finally:
        logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_json_has_the_fields_and_the_extras(
    logged: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = logged
    handler.setFormatter(JsonFormatter())
    logger.warning("feed %s: %s", "Trend", "HTTP 500", extra={"feed": "Trend", "duration": 1.5})
    (line,) = lines(stream)
    record = json.loads(line)
    assert set(record) == {"time", "level", "logger", "message", "feed", "duration"}
    assert (record["level"], record["logger"]) == ("WARNING", "azby.test.logs")
    assert (record["message"], record["feed"], record["duration"]) == (
        "feed Trend: HTTP 500",
        "Trend",
        1.5,
    )
    assert record["time"].endswith("Z") and record["time"][:2] == "20"


def test_json_exception_is_a_field_and_every_line_is_one_object(
    logged: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = logged
    handler.setFormatter(JsonFormatter())
    try:
        raise ValueError("bad\nmultiline")
    except ValueError:
        logger.exception("it failed", extra={"chat_id": 42, "when": object()})
    (line,) = lines(stream)  # the traceback's newlines are escaped inside the string
    record = json.loads(line)
    assert record["message"] == "it failed" and record["chat_id"] == 42
    assert record["exception"].startswith("Traceback") and "ValueError: bad" in record["exception"]
    assert record["when"].startswith("<object object")  # not JSON: its str()


@pytest.mark.parametrize("formatter", [TextFormatter, JsonFormatter])
def test_the_token_is_blanked_in_message_arguments_extras_and_tracebacks(
    logged: tuple[logging.Logger, io.StringIO, logging.Handler], formatter: type
) -> None:
    logger, stream, handler = logged
    handler.setFormatter(formatter({TOKEN: "<token>"}))
    logger.info(f"POST http://127.0.0.1/bot{TOKEN}/getMe")
    logger.info("URL %s", f"https://api.telegram.org/bot{TOKEN}/sendMessage")
    logger.info("extra", extra={"url": f"/bot{TOKEN}/x"})
    try:
        raise RuntimeError(f"cannot reach /bot{TOKEN}/getUpdates")
    except RuntimeError:
        logger.error("failed", exc_info=True)
    text = stream.getvalue()
    assert TOKEN not in text
    assert "SECRET" not in text
    # the text format shows no extra fields: message, argument and exception
    assert text.count("<token>") == (4 if formatter is JsonFormatter else 3)


def test_text_format_is_the_usual_one(
    logged: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = logged
    handler.setFormatter(TextFormatter())
    logger.info("azby started: %d feeds", 3, extra={"feeds": 3})
    (line,) = lines(stream)
    assert line.endswith(" INFO azby.test.logs: azby started: 3 feeds")
