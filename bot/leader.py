"""Which ``azby run`` process leads when several share one database.

The leader polls the feeds, queues digests and alerts, prunes old articles and sends the
outbox; with long polling it is also the one that fetches updates (Telegram serves one
``getUpdates`` consumer a bot). The others stand by: every ``LEADER_EVERY``, and before each
leader-only job, each process tries to take the leader lock (``Store.take_leader_lock``:
a PostgreSQL session advisory lock, or a ``flock`` beside a SQLite file). When the leader
dies its lock goes with it, and another process takes over within about one tick.

The leader checks that its lock is still held before each leader-only job and before each
outbox claim; a lock that is lost (its connection failed) ends the leadership there. What
could still overlap — a job already running when the connection dropped — is made safe by
the store: a feed is claimed for its interval before it is fetched, a digest is queued only
if nobody moved the subscription on, an alert once per chat and story, and an outbox claim
never hands out a chat that another claim holds. See docs/scaling.md.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.ext import Application, ContextTypes

from storage import LeaderLock, StorageError, Store

__all__ = ["LEADER_EVERY", "Leader", "follow_updates", "leader_tick"]

log = logging.getLogger(__name__)

LEADER_EVERY = timedelta(seconds=2)

Job = Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class Leader:
    """This process's claim to lead; ``check()`` tries to take it or confirms it is held."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock: LeaderLock | None = None
        self._checking = asyncio.Lock()
        self._standing_by = False

    @property
    def leading(self) -> bool:
        """As of the last check."""
        return self._lock is not None

    async def check(self) -> bool:
        """True when this process leads now: it held the lock and still does, or just took it."""
        async with self._checking:
            if self._lock is not None:
                if await self._lock.alive():
                    return True
                self._lock = None
                log.warning(
                    "leadership lost: the database connection holding it failed; "
                    "this process stops polling, queueing and sending"
                )
            try:
                lock = await self._store.take_leader_lock()
            except StorageError as exc:
                log.error("cannot take the leadership: %s", exc)
                return False
            if lock is None:
                if not self._standing_by:
                    self._standing_by = True
                    log.info("standing by: another azby process leads (polls, queues and sends)")
                return False
            self._lock, self._standing_by = lock, False
            log.info("leadership taken: this process polls feeds, queues digests and sends")
            return True

    async def release(self) -> None:
        """Step down (at shutdown): another process may take over at once."""
        async with self._checking:
            lock, self._lock = self._lock, None
        if lock is not None:
            await lock.release()
            log.info("leadership released")

    def only(self, job: Job) -> Job:
        """``job`` run only while this process leads (the lock checked first, each time)."""

        @functools.wraps(job)
        async def leader_only(context: ContextTypes.DEFAULT_TYPE) -> None:
            if await self.check():
                await job(context)

        return leader_only


async def leader_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take the leadership if it is free (or confirm it); with long polling, fetch updates
    only while leading."""
    leader: Leader = context.bot_data["leader"]
    leading = await leader.check()
    await follow_updates(context.application, leading)


async def follow_updates(
    application: Application[Any, Any, Any, Any, Any, Any], leading: bool
) -> None:
    """Long polling (``bot_data["long_polling"]`` holds its options): only the leader polls.
    A webhook is left alone: there every process serves what reaches it."""
    polling: dict[str, Any] | None = application.bot_data.get("long_polling")
    updater = application.updater
    if polling is None or updater is None or application.bot_data.get("stopping"):
        return
    if leading and not updater.running:
        await updater.start_polling(**polling)
        log.info("fetching updates (long polling): this process leads")
    elif not leading and updater.running:
        await updater.stop()
        log.info("not fetching updates: Telegram serves one long-polling process, the leader")
