"""Shared fixtures: stores on both backends, the default configuration, fixture paths."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bot.models import Topic

os.environ.setdefault("PTB_TIMEDELTA", "1")
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = ",".join(filter(None, [os.environ.get(_name), "127.0.0.1", "localhost"]))

DATA = Path(__file__).parent / "data"
POSTGRES_URL = os.environ.get(
    "AZBY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def default_topics() -> tuple[Topic, ...]:
    """The topics of ``bot/default_topics.yaml``, as the bot loads them."""
    import yaml

    from bot.pipeline.topics import load_topics

    path = DATA.parent.parent / "bot" / "default_topics.yaml"
    return load_topics(yaml.safe_load(path.read_text("utf-8")))


def _run(coroutine_function: Callable[[], Awaitable[None]]) -> None:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine_function()).result()


def _postgres_problem() -> str | None:
    """None when PostgreSQL answers; otherwise why not."""
    import asyncpg

    dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")

    async def probe() -> None:
        connection = await asyncpg.connect(dsn, timeout=3)
        await connection.close()

    try:
        _run(probe)
    except Exception as exc:  # any failure means: no usable server
        return f"{type(exc).__name__}: {exc}"
    return None


@contextlib.contextmanager
def temporary_postgres_database(prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own, dropped at the end; skipped with the reason when no
    server answers (failed instead under AZBY_REQUIRE_POSTGRES=1, as CI sets)."""
    problem = _postgres_problem()
    if problem is not None:
        reason = f"PostgreSQL is not reachable at {POSTGRES_URL} ({problem})"
        if os.environ.get("AZBY_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason}, but AZBY_REQUIRE_POSTGRES=1 (CI on a machine with PostgreSQL)")
        pytest.skip(reason)
    import asyncpg

    admin_dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    _run(lambda: admin(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        _run(lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database of its own for this test session (dropped at the end)."""
    with temporary_postgres_database("azby_test") as url:
        yield url


async def _reset_postgres(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'azby.sqlite3'}"
        return
    url = request.getfixturevalue("postgres_database")
    await _reset_postgres(url)
    yield url


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[object]:
    """A store on SQLite only, for tests of what sits above the store (polling, commands)."""
    from storage import open_store

    opened = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'azby.sqlite3'}")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[object]:
    from storage import open_store

    opened = await open_store(database_url)
    try:
        yield opened
    finally:
        await opened.close()
