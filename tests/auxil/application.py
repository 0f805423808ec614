"""azby's python-telegram-bot Application, wired against the fake Bot API server (not started)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.config import Settings, parse_feeds_yaml
from bot.telegram.app import build_application
from tests.auxil.fake_telegram import FakeTelegram

__all__ = ["application_for"]


def application_for(
    telegram: FakeTelegram, tmp_path: Path
) -> Application[Any, Any, Any, Any, Any, Any]:
    """``build_application`` as ``azby run`` calls it: the fake server's token and URL, no
    feeds, a SQLite store in ``tmp_path``, no admins, private networks allowed."""
    settings = Settings(
        telegram_token=telegram.token,
        telegram_api_url=telegram.base_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/azby.sqlite3",
        feeds_file=tmp_path / "feeds.yaml",
        admin_ids=frozenset(),
        allow_private_networks=True,
    )
    config = parse_feeds_yaml("feeds: []\n", settings.feeds_file)
    return build_application(settings, config, telegram.token)
