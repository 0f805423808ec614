"""Feed lists as files: ``azby export --format opml|yaml`` writes them, ``azby import`` reads them.

Both formats carry what a ``feeds:`` entry of feeds.yaml says (name, URL, language, interval,
enabled), so export → import → export loses nothing. OPML keeps the interval and the enabled
flag in ``azbyInterval`` / ``azbyEnabled`` attributes (other readers ignore them) and the
language in the ``language`` attribute. Reading is all-or-nothing: any problem is one
ConfigError naming the file and, where known, the line; untrusted XML is parsed with
defusedxml (no entity expansion, no DTD or external fetches).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol
from xml.etree import ElementTree

import yaml
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from bot.config import ConfigError, feed_config, format_interval, parse_feeds_yaml
from bot.models import FeedConfig

__all__ = ["read_feed_list", "render_opml", "render_yaml"]


class _Feed(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def language(self) -> str | None: ...
    @property
    def interval(self) -> Any: ...
    @property
    def enabled(self) -> bool: ...


def render_opml(feeds: Sequence[_Feed]) -> str:
    """An OPML 2.0 document with one ``outline`` per feed."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = "azby feeds"
    body = ElementTree.SubElement(root, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if feed.language:
            attributes["language"] = feed.language
        attributes["azbyInterval"] = format_interval(feed.interval)
        if not feed.enabled:
            attributes["azbyEnabled"] = "false"
        ElementTree.SubElement(body, "outline", attributes)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, "unicode") + "\n"


def render_yaml(feeds: Sequence[_Feed]) -> str:
    """A valid feeds.yaml holding just the ``feeds:`` list."""
    entries = []
    for feed in feeds:
        entry: dict[str, object] = {"name": feed.name, "url": feed.url}
        if feed.language:
            entry["language"] = feed.language
        entry["interval"] = format_interval(feed.interval)
        entry["enabled"] = feed.enabled
        entries.append(entry)
    body = yaml.safe_dump(
        {"feeds": entries}, allow_unicode=True, sort_keys=False, width=1000, indent=2
    )
    return "# azby feeds: paste into feeds.yaml, or load with `azby import FILE`\n" + body


def read_feed_list(data: bytes, path: Path) -> list[FeedConfig]:
    """The feeds of an OPML or YAML file (told apart by content: XML starts with ``<``)."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"<") or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        feeds = _read_opml(data, path)
        kind = "OPML outlines with an xmlUrl"
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{path}: neither OPML nor UTF-8 YAML (byte {exc.start} is not UTF-8)"
            ) from None
        feeds = list(parse_feeds_yaml(text, path).feeds)
        kind = "a `feeds:` list"
    if not feeds:
        raise ConfigError(f"{path}: no feeds to import (expected {kind})")
    return feeds


class _Outlines:
    """Parser target: the root tag, and every ``<outline>`` with the line it starts on."""

    def __init__(self) -> None:
        self.root: str | None = None
        self.outlines: list[tuple[int, dict[str, str]]] = []
        self.expat: Any = None

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        if self.root is None:
            self.root = tag
        if tag == "outline":
            self.outlines.append((self.expat.CurrentLineNumber, dict(attributes)))

    def end(self, tag: str) -> None:
        pass

    def data(self, data: str) -> None:
        pass

    def close(self) -> None:
        pass


def _read_opml(data: bytes, path: Path) -> list[FeedConfig]:
    target = _Outlines()
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    target.expat = parser.parser
    try:
        parser.feed(data)
        parser.close()
    except ElementTree.ParseError as exc:
        line, _ = exc.position
        reason = str(exc).split(": line ")[0]
        raise ConfigError(f"{path} line {line}: not valid XML: {reason}") from None
    except DefusedXmlException as exc:
        line = parser.parser.CurrentLineNumber
        what = type(exc).__name__.removesuffix("Forbidden")
        raise ConfigError(
            f"{path} line {line}: refused: the file declares a {what} "
            "(an OPML file needs none; it could be an XML bomb)"
        ) from None
    if target.root != "opml":
        raise ConfigError(f"{path} line 1: not an OPML file (its root is <{target.root}>)")
    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for line, attributes in target.outlines:
        if "xmlUrl" not in attributes:
            continue  # a category: its feeds are outlines inside it
        values: dict[str, object] = {
            "name": attributes.get("text") or attributes.get("title") or "",
            "url": attributes["xmlUrl"],
        }
        for key, attribute in (
            ("language", "language"),
            ("interval", "azbyInterval"),
            ("enabled", "azbyEnabled"),
        ):
            if attributes.get(attribute):
                values[key] = attributes[attribute]
        if "language" in values:  # other readers may write a region: en-US
            values["language"] = str(values["language"]).split("-")[0].lower()
        try:
            feed = feed_config(values)
        except ValueError as exc:
            raise ConfigError(f"{path} line {line}: outline: {exc}") from None
        for key in (feed.url, feed.name.lower()):
            if key in seen:
                raise ConfigError(
                    f"{path} line {line}: outline {feed.name!r} repeats the feed of line "
                    f"{seen[key]} (same URL or name)"
                )
            seen[key] = line
        feeds.append(feed)
    return feeds
