"""The lock that makes one azby process the leader, on whichever database the store opened.

PostgreSQL: a session-level advisory lock held on a connection of its own (autocommit, never
idle in a transaction). The server releases it when that session ends, however it ends: a
process killed with SIGKILL drops its socket and so its lock. The holder checks the lock is
still its own before each piece of leader-only work; a connection that fails or hangs
counts as leadership lost (and is closed, never returned to the pool with the lock on it).

SQLite file: an exclusive ``flock`` on a lock file beside the database, which the kernel
releases when the process dies. In-memory SQLite: one process by construction, always leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from pathlib import Path
from typing import TextIO

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["LEADER_LOCK", "take_leader_lock"]

# any constant will do: it only has to be the same in every azby process (see _sql.py)
LEADER_LOCK = 0x617A6281
ALIVE_TIMEOUT = 5.0

_HELD = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid = :high AND objid = :low AND objsubid = 1)"
)


class _PostgresLock:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection: AsyncConnection | None = connection

    async def alive(self) -> bool:
        connection = self._connection
        if connection is None:
            return False
        try:
            async with asyncio.timeout(ALIVE_TIMEOUT):
                held = await connection.execute(
                    _HELD, {"high": LEADER_LOCK >> 32, "low": LEADER_LOCK & 0xFFFFFFFF}
                )
                if held.scalar_one():
                    return True
        except (SQLAlchemyError, OSError, TimeoutError):
            pass
        await self.release()
        return False

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        # closing the session releases the lock; invalidated, the connection is closed rather
        # than pooled (a pooled session would keep the lock for whoever borrows it next)
        with contextlib.suppress(SQLAlchemyError, OSError):
            await connection.invalidate()
        with contextlib.suppress(SQLAlchemyError, OSError):
            await connection.close()


class _FileLock:
    def __init__(self, file: TextIO) -> None:
        self._file: TextIO | None = file

    async def alive(self) -> bool:
        return self._file is not None  # the kernel keeps a flock for as long as the file is open

    async def release(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(file, fcntl.LOCK_UN)
            file.close()


class _Always:
    def __init__(self) -> None:
        self._held = True

    async def alive(self) -> bool:
        return self._held

    async def release(self) -> None:
        self._held = False


async def take_leader_lock(engine: AsyncEngine) -> _PostgresLock | _FileLock | _Always | None:
    """The leader lock if no other process holds it, else None."""
    if engine.dialect.name == "postgresql":
        return await _take_postgres(engine)
    database = engine.url.database or ""
    if database in ("", ":memory:"):
        return _Always()
    return _take_file(database)


async def _take_postgres(engine: AsyncEngine) -> _PostgresLock | None:
    connection = await engine.connect()
    try:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        taken = await connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK}
        )
        if taken.scalar_one():
            return _PostgresLock(connection)
    except BaseException:
        await connection.invalidate()
        await connection.close()
        raise
    await connection.close()  # not taken: nothing held, the connection may go back to the pool
    return None


def _take_file(database: str) -> _FileLock | None:
    path = Path(database).expanduser()
    path = path.with_name(path.name + ".leader")
    path.parent.mkdir(parents=True, exist_ok=True)
    file = open(path, "a", encoding="utf-8")  # noqa: SIM115 — kept open while leader
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.close()
        return None
    except BaseException:
        file.close()
        raise
    file.truncate(0)
    file.write(f"{os.getpid()}\n")  # for the operator: which process leads
    file.flush()
    return _FileLock(file)
