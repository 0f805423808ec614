"""A fast reader for plain RSS 2.0, giving exactly what feedparser would for the fields azby reads.

feedparser reads a feed through a SAX parser and a Python callback per element and per text
run: about 0.6 ms an item, most of a poll's parsing. Almost every news feed is plain RSS 2.0
(title, link, description, guid, pubDate, category, enclosure …), which lxml reads in C. This
module reads such a feed with lxml and applies feedparser's own steps to each value (its
encoding detection, whitespace stripping, URI resolution, mojibake and cp1252 repairs, link
fixes and date parsers, called from feedparser itself), so ``parse_feed`` gets the same entries
either way.

``read_rss`` returns ``None`` (the caller then uses feedparser) for anything outside what it
reproduces exactly: not well-formed XML (feedparser's lenient parser takes over), a DOCTYPE,
Atom, RSS 1.0/RDF, a base URI (any attribute named ``base``), attributes on ``<channel>`` or
``<item>``, an element read twice or holding markup, any element feedparser has a handler
for that is not known to leave the fields azby reads alone (``dc:title``, ``media:title``,
``<source>`` …), an unknown element without a namespace or named like a key feedparser
fills or maps (``links``, ``date_parsed``), namespaces feedparser would name otherwise (a
prefix bound twice, two prefixes for one unknown URI, a known prefix on another known
namespace, a default namespace, userland's RSS namespaces) and names expat refuses (non-ASCII
ones). A test checks the two agree on every feed fixture, on mutations of a plain feed and
on each of these (``tests/unit/test_rss_fast_path.py``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.encodings import convert_to_utf8
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri
from feedparser.util import FeedParserDict
from lxml import etree

__all__ = ["read_rss"]

# feedparser's canonical prefix for each namespace it knows ("" for Atom and RSS themselves)
_KNOWN = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_HANDLED = frozenset(
    name[len(kind) :]
    for name in dir(_FeedParserMixin)
    for kind in ("_start_", "_end_")
    if name.startswith(kind)
)
# Elements with a feedparser handler that touches none of the fields read here.
_HARMLESS_IN_ITEM = frozenset(
    {
        "category", "author", "comments", "enclosure", "dc_creator", "dc_subject",
        "media_content", "media_thumbnail",
    }
)  # fmt: skip
_HARMLESS_IN_CHANNEL = frozenset(
    {
        "link", "description", "language", "copyright", "managingeditor", "webmaster",
        "pubdate", "lastbuilddate", "category", "generator", "docs", "dc_creator",
        "dc_language", "dc_rights", "dc_date", "dc_publisher",
    }
)  # fmt: skip
_IMAGE_CHILDREN = frozenset({"url", "title", "link", "width", "height", "description"})
# item element → the feedparser key it fills
_ITEM_FIELDS = {
    "title": "title",
    "link": "link",
    "description": "summary",
    "guid": "id",
    "pubdate": "published",
    "dc_date": "updated",
    "content_encoded": "content",
    "language": "language",
    "dc_language": "language",
}
# the keys of an entry that ``bot.pipeline.parse`` reads: an unknown element must not fill one
_READ_KEYS = frozenset(
    {"link", "id", "title", "content", "summary", "published_parsed", "updated_parsed", "language"}
)
_CHANNEL_FIELDS = frozenset({"title", "ttl"})
_KEYS = frozenset(FeedParserDict.keymap) | {
    key
    for value in FeedParserDict.keymap.values()
    for key in ([value] if isinstance(value, str) else value)
}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_C1 = re.compile("[\x80-\x9f]")
_LINK_ENTITY = re.compile("&([A-Za-z0-9_]+);")


class _Unsupported(Exception):
    """The feed holds something this reader does not reproduce: feedparser reads it."""


def read_rss(content: bytes, headers: Mapping[str, str]) -> dict[str, Any] | None:
    """A feedparser-shaped result (``version``, ``bozo``, ``bozo_exception``, ``feed`` with
    ``title`` and ``ttl``, ``entries`` with the keys ``bot.pipeline.parse`` reads) for a plain
    RSS 2.0 document, or ``None`` when feedparser must read it. ``headers`` are the response
    headers feedparser would get (``content-type``, ``content-location``)."""
    result: dict[str, Any] = {"bozo": False, "headers": dict(headers)}
    data = convert_to_utf8(result["headers"], content, result)
    if not result.get("encoding") or _DOCTYPE.search(data):
        return None  # feedparser rewrites a DOCTYPE its own way (entities, defaults)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None  # feedparser's lenient parser reads what it can
    try:
        return _read(root, data, result)
    except _Unsupported:
        return None


def _read(root: Any, data: bytes, result: dict[str, Any]) -> dict[str, Any]:
    if root.tag != "rss" or not _plain_namespaces(root, data) or _has_base(root):
        raise _Unsupported
    channels = _elements(root)
    if len(channels) != 1 or channels[0].tag != "channel" or channels[0].attrib:
        raise _Unsupported
    contentloc = result["headers"].get("content-location", "")
    base = make_safe_absolute_uri("", contentloc) or make_safe_absolute_uri(contentloc) or ""
    base = make_safe_absolute_uri(base, base) or base  # feedparser re-joins it at each tag
    feed: dict[str, str] = {}
    entries = []
    for child in _elements(channels[0]):
        name = _name(child)
        if name == "item":
            entries.append(_item(child, base))
        elif name in _CHANNEL_FIELDS:
            if name in feed or len(child) or child.attrib:
                raise _Unsupported
            feed[name] = _value(child.text)
        elif name == "image":
            if child.attrib or any(
                _name(part) not in _IMAGE_CHILDREN or len(part) for part in _elements(child)
            ):
                raise _Unsupported
        else:
            _check_other(child, _HARMLESS_IN_CHANNEL, _CHANNEL_FIELDS)
    return {
        "version": "rss",  # feedparser names the RSS version; only "a feed" matters here
        "bozo": result["bozo"],
        "bozo_exception": result.get("bozo_exception"),
        "feed": feed,
        "entries": entries,
    }


def _item(item: Any, base: str) -> dict[str, Any]:
    if item.attrib:
        raise _Unsupported  # rdf:about, lastmod and href fill fields feedparser's way
    entry: dict[str, Any] = {}
    seen: set[str] = set()
    for child in _elements(item):
        name = _name(child)
        key = _ITEM_FIELDS.get(name)
        if key is None:
            _check_other(child, _HARMLESS_IN_ITEM, _READ_KEYS)
            continue
        attributes = {attribute.lower(): value for attribute, value in child.attrib.items()}
        # feedparser lower-cases attribute names, not values: only "true" is a permalink
        permalink = attributes.pop("ispermalink", "true") if name == "guid" else ""
        if key in seen or len(child) or attributes:
            raise _Unsupported
        seen.add(key)
        if name == "link":
            value = _value(child.text, resolve=base)
            entry["link"] = _LINK_ENTITY.sub(r"&\g<1>", value.replace("&amp;", "&"))
            continue
        if name == "guid":
            # a permalink GUID is the link unless a link came first (a later one replaces it)
            value = _value(child.text, resolve=base if permalink == "true" else None)
            entry["id"] = value
            if permalink == "true":
                entry.setdefault("link", value)
            continue
        value = _value(child.text)
        if key == "content":
            entry["content"] = [{"value": value}]
            entry.setdefault("summary", value)
        elif key == "summary":
            entry["summary"] = value
        elif key in ("published", "updated"):
            entry[key + "_parsed"] = _parse_date(value)
        else:
            entry[key] = value
    return entry


def _check_other(element: Any, harmless: frozenset[str], read: frozenset[str]) -> None:
    """An element outside the fields read: fine when feedparser has no handler for it (it
    keeps it under a key of its own) or a handler known to touch no field read, and the same
    for everything inside it."""
    for part in _elements_within(element):
        name = _name(part)
        if _has_base(part) or (name in _HANDLED and name not in harmless):
            raise _Unsupported
        unprefixed = etree.QName(part).namespace is None
        if name not in _HANDLED and (name in _KEYS or unprefixed or name in read):
            # feedparser keeps an unknown element under its own name, which may be one of
            # the keys it fills itself ("links") or maps ("date_parsed" is updated_parsed)
            raise _Unsupported
        if part is not element and name in _HANDLED:
            raise _Unsupported  # a known element nested somewhere unusual


def _plain_namespaces(root: Any, data: bytes) -> bool:
    """Whether the namespaces declared anywhere name elements as feedparser names them:
    no default namespace, no prefix bound to two URIs, no unknown URI under two prefixes,
    no known namespace under another known one's prefix (feedparser maps that prefix on to
    the other namespace), no userland RSS namespace (feedparser reads it as plain RSS).
    When every declaration is on the root (as many ``xmlns`` in the bytes as it declares),
    only the root's are looked at; else every element's."""
    declared = set(root.nsmap.items())
    if data.count(b"xmlns") != len(declared):
        for element in _elements_within(root):
            declared.update(element.nsmap.items())
    canonical = set(_KNOWN.values())
    uris: dict[str | None, set[str]] = {}
    prefixes: dict[str, set[str | None]] = {}
    for prefix, uri in declared:
        uris.setdefault(prefix, set()).add(uri)
        prefixes.setdefault(uri, set()).add(prefix)
        known = _KNOWN.get(uri.lower())
        if prefix is None or "backend.userland.com/rss" in uri.lower():
            return False
        if known is not None and prefix != known and prefix in canonical:
            return False
    if any(len(bound) > 1 for bound in uris.values()):
        return False
    return all(len(names) == 1 for uri, names in prefixes.items() if uri.lower() not in _KNOWN)


def _name(element: Any) -> str:
    """The name feedparser gives an element: its known namespace's prefix (or the prefix the
    document uses for an unknown one), "_", and the lower-cased local name."""
    qname = etree.QName(element)
    local = str(qname.localname).lower()
    if not local.isascii() or not all(name.isascii() for name in element.attrib):
        raise _Unsupported  # expat refuses some names lxml takes: feedparser's lenient path
    if qname.namespace is None:
        return local
    prefix = _KNOWN.get(qname.namespace.lower())
    if prefix is None:
        prefix = element.prefix
    if prefix is None:
        raise _Unsupported  # an unknown default namespace
    return f"{prefix.lower()}_{local}" if prefix else local


def _value(text: str | None, resolve: str | None = None) -> str:
    """feedparser's treatment of an element's text (``_FeedParserMixin.pop``)."""
    output = (text or "").strip()
    if resolve is not None and output:
        output = _urljoin(resolve, output)
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        output = output.encode("iso-8859-1").decode("utf-8")  # UTF-8 once read as Latin-1
    # windows-1252's printable characters for C1 controls (translate is slow: look first)
    return output.translate(_cp1252) if _C1.search(output) else output


def _is_element(node: Any) -> bool:
    return isinstance(node.tag, str)  # comments and processing instructions have no name


def _elements(element: Any) -> list[Any]:
    return [child for child in element if _is_element(child)]


def _elements_within(element: Any) -> list[Any]:
    return [part for part in element.iter() if _is_element(part)]


def _has_base(element: Any) -> bool:
    """feedparser takes any attribute named base (any case, any namespace) as ``xml:base``."""
    return any(etree.QName(name).localname.lower() == "base" for name in element.attrib)
