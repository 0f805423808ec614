"""Admin notices go to every AZBY_ADMIN_IDS chat through the real python-telegram-bot."""

from __future__ import annotations

from telegram import Bot

from bot.jobs import notify_admins
from tests.auxil.fake_telegram import FakeTelegram


async def test_every_admin_is_told_and_one_unreachable_admin_is_skipped() -> None:
    async with FakeTelegram() as tg:
        tg.set_unknown(303, True)
        async with Bot(tg.token, base_url=tg.base_url) as bot:
            reached = await notify_admins(
                bot, frozenset({101, 202, 303}), "⏸ Feed <b>Trend &amp; co</b> was paused"
            )
        assert reached == 2
        sent = [(m["chat_id"], m["text"]) for m in tg.sent_messages()]
        assert sent == [
            (101, "⏸ Feed <b>Trend &amp; co</b> was paused"),
            (202, "⏸ Feed <b>Trend &amp; co</b> was paused"),
        ]
