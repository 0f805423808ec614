"""Canonical article URLs and UTC dates.

Two links to the same article must compare equal: the scheme and host are lower-cased, default
ports, fragments and tracking parameters dropped, and the remaining query sorted.
"""

from __future__ import annotations

import re
import time
from calendar import timegm
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMETERS", "canonical_url", "http_url", "struct_to_utc"]

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "yclid", "ysclid", "msclkid",
        "mc_cid", "mc_eid", "igshid", "_openstat", "from", "ref", "ref_src", "rss", "spm",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "at_", "pk_", "hsa_")
_MOBILE_HOST = re.compile(r"^(?:m|mobile|amp)\.(?=[^.]+\.[^.]+)")
_AMP_PARAMETERS = frozenset({"amp", "outputtype", "output", "_amp"})


def http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host (never ``javascript:``, ``data:`` …)."""
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises on a port that is not a number in 0..65535
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


def canonical_url(url: str) -> str:
    """The URL an article is keyed on: tracking parameters and fragment removed, host lowered.

    ``url`` must pass :func:`http_url` (a malformed port raises ``ValueError``)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMETERS and not key.lower().startswith(_TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    # mobile and AMP copies of an article are the article
    host = _MOBILE_HOST.sub("", host)
    path = _without_amp(path)
    query = [(k, v) for k, v in query if k.lower() not in _AMP_PARAMETERS]
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def _without_amp(path: str) -> str:
    """``/amp/en/1/`` → ``/en/1/``; ``/a/1.html/amp`` → ``/a/1.html``; ``/a/1.amp`` → ``/a/1``."""
    segments = [s for s in path.split("/") if s.lower() != "amp"]
    if segments and segments[-1].lower().endswith(".amp"):
        segments[-1] = segments[-1][:-4]
    return "/".join(segments) or "/"


def struct_to_utc(value: time.struct_time | None) -> datetime | None:
    """feedparser's ``*_parsed`` values (UTC struct_time) → aware UTC datetime."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None
