"""The Store on SQLAlchemy Core (async): SQLite through aiosqlite, PostgreSQL through asyncpg."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    String,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from bot.models import (
    Article,
    ArticleKey,
    BotStats,
    Chat,
    Classification,
    FeedConfig,
    FeedError,
    FeedImport,
    FeedReport,
    FeedState,
    NewArticle,
    OutboxMessage,
    StoryItem,
    Subscription,
)
from storage import FEED_ERRORS_KEPT, LeaderLock, StorageError, redact_url
from storage._leader import take_leader_lock
from storage._search import search_rows
from storage.schema import (
    article_topics,
    articles,
    chats,
    feed_errors,
    feeds,
    outbox,
    subscriptions,
)

__all__ = ["SqlStore", "upgrade"]

_MIGRATIONS = Path(__file__).parent / "migrations"
# any constant will do: it only has to be the same in every azby process
_MIGRATION_LOCK = 0x617A6279
_SYNC_LOCK = 0x617A6280
_CLAIM_LOCK = 0x617A6282  # (0x617A6281 is the leader lock, storage._leader)


@contextlib.contextmanager
def _wrapped(operation: str) -> Iterator[None]:
    try:
        yield
    except StorageError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        text = str(getattr(exc, "orig", None) or exc)
        cause = (text.splitlines() or [type(exc).__name__])[0]
        raise StorageError(f"{operation} failed: {cause}") from exc


def upgrade(connection: Connection) -> None:
    """Apply every pending Alembic migration on this (synchronous) connection."""
    if connection.dialect.name == "postgresql":
        # several processes may start at once; one migrates, the others wait
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    if _stored_revision(connection) == head_revision():
        return  # up to date: nothing to migrate, and Alembic (0.6 s to import) not needed
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


_REVISION = re.compile(r"^(down_revision|revision)\b[^=]*=\s*['\"]?([\w]+)['\"]?", re.MULTILINE)


@functools.cache
def head_revision() -> str | None:
    """The newest migration's revision, read from the migration files (a linear history);
    ``None`` when it is not one revision (Alembic then decides)."""
    revisions, parents = set(), set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        found = {key: value for key, value in _REVISION.findall(path.read_text())}
        revisions.add(found.get("revision"))
        parents.add(found.get("down_revision"))  # "None" for the first one
    heads = revisions - parents - {None, "None"}
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return str(rows[0][0]) if len(rows) == 1 else None


def _engine(url: str) -> AsyncEngine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(
            f"AZBY_DATABASE_URL {redact_url(url)!r} is not a SQLAlchemy URL "
            "(sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.drivername != "sqlite+aiosqlite":
            parsed = parsed.set(drivername="sqlite+aiosqlite")
        database = parsed.database or ""
        options: dict[str, Any] = {}
        if database in ("", ":memory:"):
            options["poolclass"] = StaticPool
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername != "postgresql+asyncpg":
            parsed = parsed.set(drivername="postgresql+asyncpg")
        return create_async_engine(parsed, pool_pre_ping=True)
    raise StorageError(
        f"AZBY_DATABASE_URL: unsupported database {parsed.get_backend_name()!r} "
        "(use sqlite+aiosqlite:// or postgresql+asyncpg://)"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class SqlStore:
    """Store implementation; see the ``storage.Store`` protocol for each method's contract."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert

    @classmethod
    async def open(cls, url: str) -> SqlStore:
        engine = _engine(url)
        try:
            with _wrapped("opening the database and applying migrations"):
                async with engine.begin() as conn:
                    await conn.run_sync(upgrade)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    async def close(self) -> None:
        await self._engine.dispose()

    async def take_leader_lock(self) -> LeaderLock | None:
        with _wrapped("taking the leader lock"):
            return await take_leader_lock(self._engine)

    # --- feeds -------------------------------------------------------------------------

    async def sync_feeds(self, feeds_: Sequence[FeedConfig], now: datetime) -> None:
        with _wrapped("syncing feeds"):
            async with self._engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # processes starting together sync one after the other
                    await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SYNC_LOCK})")
                stored = (
                    await conn.execute(
                        select(feeds.c.id, feeds.c.name, feeds.c.url, feeds.c.moved_from)
                    )
                ).all()
                by_url = {row.url: row.id for row in stored}
                moved = {row.moved_from: row.id for row in stored if row.moved_from}
                by_name = {row.name.lower(): row.id for row in stored}
                seen: set[int] = set()
                for feed in feeds_:
                    values = {**_feed_values(feed), "source": "config"}
                    feed_id = (
                        by_url.get(feed.url)
                        or moved.get(feed.url)
                        or by_name.get(feed.name.lower())
                    )
                    if feed_id is not None and moved.get(feed.url) == feed_id:
                        del values["url"]  # keep the URL a permanent redirect moved it to
                    if feed_id is None:
                        seen.add((await _insert_feed(conn, feed, "config", now)).id)
                        continue
                    # free the name first if another stored feed holds it (renames/swaps)
                    holder = by_name.get(feed.name.lower())
                    if holder is not None and holder != feed_id:
                        await conn.execute(
                            update(feeds)
                            .where(feeds.c.id == holder)
                            .values(name=f"{feed.name} (old #{holder})")
                        )
                    await conn.execute(update(feeds).where(feeds.c.id == feed_id).values(**values))
                    seen.add(feed_id)
                gone = [row.id for row in stored if row.id not in seen]
                if gone:
                    await conn.execute(
                        update(feeds)
                        .where(feeds.c.id.in_(gone), feeds.c.source == "config")
                        .values(enabled=False)
                    )

    async def list_feeds(self, *, enabled_only: bool = False) -> list[FeedState]:
        query = select(feeds).order_by(feeds.c.name)
        if enabled_only:
            query = query.where(feeds.c.enabled.is_(True), feeds.c.paused_at.is_(None))
        with _wrapped("listing feeds"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
        return [_feed_state(row) for row in rows]

    async def claim_feeds(self, now: datetime, *, due_only: bool) -> list[FeedState]:
        wanted: list[ColumnElement[bool]] = [
            feeds.c.enabled.is_(True),
            feeds.c.paused_at.is_(None),
        ]
        if due_only:
            wanted.append(or_(feeds.c.next_fetch_at.is_(None), feeds.c.next_fetch_at <= now))
        claimed: list[FeedState] = []
        with _wrapped("claiming feeds to poll"):
            async with self._engine.begin() as conn:
                intervals = (
                    await conn.execute(select(feeds.c.interval_seconds).where(*wanted).distinct())
                ).scalars()
                # one conditional UPDATE per interval: a row another poller moved on meanwhile
                # no longer matches (PostgreSQL re-checks the condition under the row lock)
                for seconds in list(intervals):
                    rows = await conn.execute(
                        update(feeds)
                        .where(*wanted, feeds.c.interval_seconds == seconds)
                        .values(next_fetch_at=now + timedelta(seconds=seconds))
                        .returning(*feeds.c)
                    )
                    claimed += (_feed_state(row) for row in rows)
        return sorted(claimed, key=lambda feed: feed.name)

    async def record_fetch(
        self,
        feed_id: int,
        now: datetime,
        *,
        error: str | None = None,
        caching: str | None = None,
        not_modified: bool = False,
        next_fetch_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {"last_fetched_at": now, "next_fetch_at": next_fetch_at}
        if error is None:
            values.update(last_success_at=now, error_count=0, failing_since=None)
            if not not_modified:
                values["caching"] = caching
        else:
            values.update(
                last_error=error,
                last_error_at=now,
                error_count=feeds.c.error_count + 1,
                failing_since=func.coalesce(feeds.c.failing_since, now),
            )
        with _wrapped("recording a fetch"):
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    update(feeds).where(feeds.c.id == feed_id).values(**values)
                )
                if error is not None and result.rowcount:  # (a feed removed meanwhile: none)
                    await self._remember_error(conn, feed_id, now, error)

    async def _remember_error(self, conn: Any, feed_id: int, now: datetime, error: str) -> None:
        await conn.execute(insert(feed_errors).values(feed_id=feed_id, at=now, error=error))
        kept = (
            select(feed_errors.c.id)
            .where(feed_errors.c.feed_id == feed_id)
            .order_by(feed_errors.c.at.desc(), feed_errors.c.id.desc())
            .limit(FEED_ERRORS_KEPT)
        )
        await conn.execute(
            delete(feed_errors).where(
                feed_errors.c.feed_id == feed_id, feed_errors.c.id.not_in(kept.scalar_subquery())
            )
        )

    async def pause_feed(self, feed_id: int, now: datetime, reason: str) -> None:
        with _wrapped("pausing a feed"):
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(feeds)
                    .where(feeds.c.id == feed_id)
                    .values(paused_at=now, paused_reason=reason)
                )

    async def resume_feed(self, feed_id: int, now: datetime) -> None:
        with _wrapped("resuming a feed"):
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(feeds)
                    .where(feeds.c.id == feed_id)
                    .values(
                        paused_at=None,
                        paused_reason=None,
                        failing_since=None,
                        error_count=0,
                        next_fetch_at=now,
                    )
                )

    async def move_feed(self, feed_id: int, url: str) -> bool:
        with _wrapped("moving a feed"):
            async with self._engine.begin() as conn:
                taken = await conn.execute(
                    select(feeds.c.id).where(feeds.c.url == url, feeds.c.id != feed_id)
                )
                if taken.first() is not None:
                    return False
                old = (await conn.execute(select(feeds).where(feeds.c.id == feed_id))).first()
                if old is None:
                    return False
                await conn.execute(
                    update(feeds)
                    .where(feeds.c.id == feed_id)
                    .values(url=url, moved_from=old.moved_from or old.url, caching=None)
                )
                return True

    async def add_feed(self, feed: FeedConfig, now: datetime) -> FeedState | None:
        taken = or_(
            feeds.c.url == feed.url,
            feeds.c.moved_from == feed.url,
            func.lower(feeds.c.name) == feed.name.lower(),
        )
        try:
            with _wrapped("adding a feed"):
                async with self._engine.begin() as conn:
                    if (await conn.execute(select(feeds.c.id).where(taken))).first() is not None:
                        return None
                    return _feed_state(await _insert_feed(conn, feed, "admin", now))
        except StorageError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                return None  # another process added it between the check and the insert
            raise

    async def remove_feed(self, feed_id: int) -> bool:
        with _wrapped("removing a feed"):
            async with self._engine.begin() as conn:
                result = await conn.execute(delete(feeds).where(feeds.c.id == feed_id))
                return bool(result.rowcount)

    async def set_feed_enabled(self, feed_id: int, enabled: bool) -> None:
        with _wrapped("enabling a feed" if enabled else "disabling a feed"):
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(feeds).where(feeds.c.id == feed_id).values(enabled=enabled)
                )

    async def feed_report(self, since: datetime) -> list[FeedReport]:
        counts = (
            select(
                articles.c.feed_id,
                func.count().label("n_items"),
                func.sum(case((articles.c.relevant.is_(True), 1), else_=0)).label("n_relevant"),
            )
            .where(articles.c.fetched_at >= since)
            .group_by(articles.c.feed_id)
            .subquery()
        )
        query = (
            select(
                feeds,
                func.coalesce(counts.c.n_items, 0).label("recent_items"),
                func.coalesce(counts.c.n_relevant, 0).label("recent_relevant"),
            )
            .outerjoin(counts, counts.c.feed_id == feeds.c.id)
            .order_by(feeds.c.name)
        )
        with _wrapped("reporting on feeds"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
        return [
            FeedReport(_feed_state(row), int(row.recent_items), int(row.recent_relevant))
            for row in rows
        ]

    async def feed_errors(self, feed_id: int, *, limit: int = 10) -> list[FeedError]:
        query = (
            select(feed_errors.c.at, feed_errors.c.error)
            .where(feed_errors.c.feed_id == feed_id)
            .order_by(feed_errors.c.at.desc(), feed_errors.c.id.desc())
            .limit(limit)
        )
        with _wrapped("reading a feed's errors"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
        return [FeedError(row.at, row.error) for row in rows]

    async def import_feeds(self, feeds_: Sequence[FeedConfig], now: datetime) -> list[FeedImport]:
        results: list[FeedImport] = []
        with _wrapped("importing feeds"):
            async with self._engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SYNC_LOCK})")
                stored = {row.id: row for row in (await conn.execute(select(feeds))).all()}
                for feed in feeds_:
                    results.append(await self._import_one(conn, stored, feed, now))
        return results

    async def _import_one(
        self, conn: Any, stored: dict[int, Any], feed: FeedConfig, now: datetime
    ) -> FeedImport:
        def holder(url: str | None = None, name: str | None = None) -> Any:
            return next(
                (
                    row
                    for row in stored.values()
                    if (url is not None and url in (row.url, row.moved_from))
                    or (name is not None and row.name.lower() == name.lower())
                ),
                None,
            )

        row = holder(url=feed.url) or holder(name=feed.name)
        if row is None:
            added = await _insert_feed(conn, feed, "admin", now)
            stored[added.id] = added
            return FeedImport(feed.name, feed.url, "added")
        values = _feed_values(feed)
        if feed.url in (row.url, row.moved_from):
            del values["url"]  # the same feed, perhaps moved on by a redirect: keep where it went
        changed = [key for key, value in values.items() if getattr(row, key) != value]
        if not changed:
            return FeedImport(feed.name, feed.url, "skipped", "unchanged")
        if row.source != "admin":
            return FeedImport(
                feed.name, feed.url, "skipped", "listed in feeds.yaml: change it there"
            )
        other = holder(name=feed.name)
        if other is not None and other.id != row.id:
            return FeedImport(
                feed.name, feed.url, "skipped", f"the name belongs to another feed ({other.url})"
            )
        if "url" in values:
            other = holder(url=feed.url)
            if other is not None and other.id != row.id:
                return FeedImport(
                    feed.name, feed.url, "skipped", f"the URL belongs to feed {other.name}"
                )
            values.update(caching=None, moved_from=None)
        result = await conn.execute(
            update(feeds).where(feeds.c.id == row.id).values(**values).returning(feeds)
        )
        stored[row.id] = result.one()
        names = {"interval_seconds": "interval"}
        detail = ", ".join(names.get(key, key) for key in changed)
        return FeedImport(feed.name, feed.url, "updated", detail)

    async def stats(self, now: datetime, *, days: int = 7) -> BotStats:
        today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        since = today - timedelta(days=days - 1)
        story = func.coalesce(articles.c.cluster, cast(articles.c.id, String))
        first_seen = (
            select(func.min(articles.c.fetched_at).label("at"))
            .where(
                articles.c.relevant.is_(True),
                articles.c.backlog.is_(False),
                articles.c.fetched_at >= since,
            )
            .group_by(story)
        )

        def count(table: Any, *where: ColumnElement[bool]) -> Any:
            return select(func.count()).select_from(table).where(*where)

        subscribed = subscriptions.join(chats, chats.c.id == subscriptions.c.chat_id)
        queries = {
            "chats": count(chats),
            "active_chats": count(chats, chats.c.active.is_(True)),
            "subscribers": count(subscribed, chats.c.active.is_(True)),
            "feeds": count(feeds),
            "feeds_failing": count(
                feeds,
                feeds.c.enabled.is_(True),
                feeds.c.paused_at.is_(None),
                feeds.c.failing_since.is_not(None),
            ),
            "feeds_paused": count(feeds, feeds.c.paused_at.is_not(None)),
            "delivered": count(outbox, outbox.c.status == "sent", outbox.c.sent_at >= since),
            "failed": count(outbox, outbox.c.status == "dropped", outbox.c.created_at >= since),
            "queued": count(outbox, outbox.c.status.in_(("pending", "sending"))),
        }
        with _wrapped("counting for stats"):
            async with self._engine.connect() as conn:
                numbers = {
                    key: int((await conn.execute(query)).scalar_one())
                    for key, query in queries.items()
                }
                firsts = (await conn.execute(first_seen)).scalars().all()
        per_day = {(since + timedelta(days=i)).date().isoformat(): 0 for i in range(days)}
        for at in firsts:
            day = at.astimezone(UTC).date().isoformat()
            if day in per_day:
                per_day[day] += 1
        return BotStats(**numbers, stories_per_day=tuple(per_day.items()), since=since)

    # --- articles ----------------------------------------------------------------------

    async def add_articles(self, feed_id: int, articles_: Sequence[NewArticle]) -> list[int]:
        unique = list({a.url: a for a in articles_}.values())
        if not unique:
            return []
        rows = [
            {
                "feed_id": feed_id,
                "url": a.url,
                "guid": a.guid,
                "title": a.title,
                "text": a.text,
                "summary": a.summary,
                "language": a.language,
                "published_at": a.published,
                "fetched_at": a.fetched,
                "content_hash": a.content_hash,
                "relevant": a.relevant,
                "relevance_score": a.relevance_score,
                "relevance_reason": a.reason,
                "cluster": a.cluster,
                "teaser": a.teaser,
                "backlog": a.backlog,
            }
            for a in unique
        ]
        statement = (
            self._insert(articles)
            .on_conflict_do_nothing(index_elements=["url"])
            .returning(articles.c.id, articles.c.url)
        )
        by_url = {a.url: a for a in unique}
        with _wrapped("storing articles"):
            async with self._engine.begin() as conn:
                inserted = (await conn.execute(statement, rows)).all()
                topic_rows = [
                    {"article_id": row.id, "topic": topic}
                    for row in inserted
                    for topic in by_url[row.url].topics
                ]
                if topic_rows:
                    await conn.execute(insert(article_topics), topic_rows)
        return sorted(int(row.id) for row in inserted)

    async def find_articles(
        self, feed_id: int, urls: Sequence[str], guids: Sequence[str]
    ) -> list[ArticleKey]:
        if not urls and not guids:
            return []
        condition: ColumnElement[bool] = articles.c.url.in_(urls)
        if guids:
            condition = or_(condition, (articles.c.feed_id == feed_id) & articles.c.guid.in_(guids))
        query = select(
            articles.c.id, articles.c.url, articles.c.guid, articles.c.content_hash
        ).where(condition)
        with _wrapped("looking up articles"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
        return [ArticleKey(row.id, row.url, row.guid, row.content_hash) for row in rows]

    async def update_article(self, article_id: int, article: NewArticle, now: datetime) -> None:
        values = {
            "title": article.title,
            "text": article.text,
            "teaser": article.teaser,
            "summary": article.summary,
            "language": article.language,
            "published_at": article.published,
            "content_hash": article.content_hash,
            "relevant": article.relevant,
            "relevance_score": article.relevance_score,
            "relevance_reason": article.reason,
            "guid": article.guid,
            "updated_at": now,
        }
        with _wrapped("updating an article"):
            async with self._engine.begin() as conn:
                taken = await conn.execute(
                    select(articles.c.id).where(
                        articles.c.url == article.url, articles.c.id != article_id
                    )
                )
                if taken.first() is None:
                    values["url"] = article.url
                await conn.execute(
                    update(articles).where(articles.c.id == article_id).values(**values)
                )
                await conn.execute(
                    delete(article_topics).where(article_topics.c.article_id == article_id)
                )
                if article.topics:
                    await conn.execute(
                        insert(article_topics),
                        [{"article_id": article_id, "topic": t} for t in article.topics],
                    )

    async def update_verdict(
        self, article_id: int, verdict: Classification, relevant: bool
    ) -> None:
        values = {
            "relevant": relevant,
            "relevance_score": verdict.relevance_score,
            "relevance_reason": verdict.reason,
            "summary": verdict.summary,
            "language": verdict.language,
        }
        with _wrapped("updating a classification"):
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(articles).where(articles.c.id == article_id).values(**values)
                )
                await conn.execute(
                    delete(article_topics).where(article_topics.c.article_id == article_id)
                )
                if verdict.topics:
                    await conn.execute(
                        insert(article_topics),
                        [{"article_id": article_id, "topic": t} for t in verdict.topics],
                    )

    async def prune(self, *, irrelevant_before: datetime, all_before: datetime) -> int:
        doomed = or_(
            articles.c.fetched_at < all_before,
            (articles.c.fetched_at < irrelevant_before) & articles.c.relevant.is_(False),
        )
        with _wrapped("pruning articles"):
            async with self._engine.begin() as conn:
                ids = select(articles.c.id).where(doomed)
                await conn.execute(
                    delete(article_topics).where(article_topics.c.article_id.in_(ids))
                )
                result = await conn.execute(delete(articles).where(doomed))
                return int(result.rowcount or 0)

    def _article_query(self) -> Any:
        return select(articles, feeds.c.name.label("feed_name")).outerjoin(
            feeds, feeds.c.id == articles.c.feed_id
        )

    async def latest_articles(
        self,
        *,
        limit: int = 10,
        topics: Sequence[str] = (),
        since: datetime | None = None,
        seen_since: datetime | None = None,
        relevant_only: bool = True,
        include_backlog: bool = True,
    ) -> list[Article]:
        query = self._article_query()
        if not include_backlog:
            query = query.where(articles.c.backlog.is_(False))
        if relevant_only:
            query = query.where(articles.c.relevant.is_(True))
        if since is not None:
            query = query.where(articles.c.published_at >= since)
        if seen_since is not None:
            query = query.where(articles.c.fetched_at >= seen_since)
        if topics:
            tagged = select(article_topics.c.article_id).where(article_topics.c.topic.in_(topics))
            query = query.where(articles.c.id.in_(tagged))
        query = query.order_by(articles.c.published_at.desc(), articles.c.id.desc()).limit(limit)
        with _wrapped("reading articles"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
                return await self._with_topics(conn, rows)

    async def search_articles(
        self, query: str, *, limit: int = 5, offset: int = 0, relevant_only: bool = True
    ) -> list[Article]:
        with _wrapped("searching articles"):
            async with self._engine.connect() as conn:
                rows = await search_rows(
                    conn,
                    self._article_query(),
                    query,
                    limit=max(0, limit),
                    offset=max(0, offset),
                    relevant_only=relevant_only,
                )
                return await self._with_topics(conn, rows)

    async def _with_topics(self, conn: Any, rows: Sequence[Row[Any]]) -> list[Article]:
        ids = [row.id for row in rows]
        topics_by_id: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            result = await conn.execute(
                select(article_topics)
                .where(article_topics.c.article_id.in_(ids))
                .order_by(article_topics.c.article_id, article_topics.c.topic)
            )
            for row in result:
                topics_by_id[row.article_id].append(row.topic)
        return [_article(row, topics_by_id[row.id]) for row in rows]

    async def iter_articles(self) -> AsyncIterator[Article]:
        batch = 500
        last_id = 0
        while True:
            query = (
                self._article_query()
                .where(articles.c.id > last_id)
                .order_by(articles.c.id)
                .limit(batch)
            )
            with _wrapped("reading articles"):
                async with self._engine.connect() as conn:
                    rows = (await conn.execute(query)).all()
                    page = await self._with_topics(conn, rows)
            for article in page:
                yield article
            if len(rows) < batch:
                return
            last_id = rows[-1].id

    async def recent_story_heads(self, since: datetime) -> list[StoryItem]:
        query = (
            select(
                articles.c.id,
                articles.c.cluster,
                articles.c.title,
                func.substr(articles.c.text, 1, 1500).label("lead"),
                articles.c.published_at,
                articles.c.language,
            )
            .where(
                articles.c.published_at >= since,
                articles.c.relevant.is_(True),
                articles.c.cluster.is_not(None),
            )
            .order_by(articles.c.published_at, articles.c.id)
        )
        with _wrapped("reading recent stories"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
        return [
            StoryItem(
                id=f"article:{row.id}",
                title=row.title,
                text=row.lead,
                published=row.published_at,
                language=row.language,
                story=row.cluster,
            )
            for row in rows
        ]

    async def count_articles(self, *, relevant_only: bool = False) -> int:
        query = select(func.count()).select_from(articles)
        if relevant_only:
            query = query.where(articles.c.relevant.is_(True))
        with _wrapped("counting articles"):
            async with self._engine.connect() as conn:
                return int((await conn.execute(query)).scalar_one())

    # --- chats and subscriptions -------------------------------------------------------

    async def upsert_chat(self, chat: Chat, now: datetime) -> None:
        statement = self._insert(chats).values(
            id=chat.id,
            type=chat.type,
            title=chat.title,
            active=True,
            created_at=now,
            updated_at=now,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["id"],
            set_={"type": chat.type, "title": chat.title, "active": True, "updated_at": now},
        )
        with _wrapped("saving a chat"):
            async with self._engine.begin() as conn:
                await conn.execute(statement)

    async def set_chat_active(self, chat_id: int, active: bool, now: datetime) -> None:
        with _wrapped("updating a chat"):
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(chats).where(chats.c.id == chat_id).values(active=active, updated_at=now)
                )

    async def migrate_chat(self, old_id: int, new_id: int, now: datetime) -> None:
        with _wrapped("migrating a chat"):
            async with self._engine.begin() as conn:
                old = (await conn.execute(select(chats).where(chats.c.id == old_id))).first()
                title = old.title if old else None
                await conn.execute(
                    self._insert(chats)
                    .values(
                        id=new_id, type="supergroup", title=title, active=True,
                        created_at=now, updated_at=now,
                    )
                    .on_conflict_do_update(
                        index_elements=["id"], set_={"active": True, "updated_at": now}
                    )
                )  # fmt: skip
                moved = await conn.execute(
                    select(subscriptions.c.chat_id).where(subscriptions.c.chat_id == new_id)
                )
                if moved.first() is None:
                    await conn.execute(
                        update(subscriptions)
                        .where(subscriptions.c.chat_id == old_id)
                        .values(chat_id=new_id)
                    )
                await conn.execute(
                    update(chats).where(chats.c.id == old_id).values(active=False, updated_at=now)
                )

    async def get_chat(self, chat_id: int) -> Chat | None:
        with _wrapped("reading a chat"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(select(chats).where(chats.c.id == chat_id))).first()
        if row is None:
            return None
        return _chat(row)

    async def subscribe(self, subscription: Subscription, now: datetime) -> bool:
        values = {
            "time_of_day": subscription.time_of_day,
            "timezone": subscription.timezone,
            "topics": ",".join(subscription.topics),
            "frequency": subscription.frequency,
            "weekday": subscription.weekday,
            "next_digest_at": subscription.next_digest_at,
            "alert_topics": ",".join(subscription.alert_topics),
            "alerts_per_hour": subscription.alerts_per_hour,
        }
        with _wrapped("saving a subscription"):
            async with self._engine.begin() as conn:
                exists = (
                    await conn.execute(
                        select(subscriptions.c.chat_id).where(
                            subscriptions.c.chat_id == subscription.chat_id
                        )
                    )
                ).first()
                if exists:
                    await conn.execute(
                        update(subscriptions)
                        .where(subscriptions.c.chat_id == subscription.chat_id)
                        .values(**values)
                    )
                    return False
                await conn.execute(
                    insert(subscriptions).values(
                        chat_id=subscription.chat_id,
                        last_digest_at=subscription.last_digest_at,
                        created_at=now,
                        **values,
                    )
                )
                return True

    async def unsubscribe(self, chat_id: int) -> bool:
        with _wrapped("removing a subscription"):
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    subscriptions.delete().where(subscriptions.c.chat_id == chat_id)
                )
                return bool(result.rowcount)

    async def get_subscription(self, chat_id: int) -> Subscription | None:
        with _wrapped("reading a subscription"):
            async with self._engine.connect() as conn:
                row = (
                    await conn.execute(
                        select(subscriptions).where(subscriptions.c.chat_id == chat_id)
                    )
                ).first()
        return None if row is None else _subscription(row)

    async def active_subscriptions(self) -> list[Subscription]:
        query = (
            select(subscriptions)
            .join(chats, chats.c.id == subscriptions.c.chat_id)
            .where(chats.c.active.is_(True))
            .order_by(subscriptions.c.chat_id)
        )
        with _wrapped("reading subscriptions"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
        return [_subscription(row) for row in rows]

    async def due_subscriptions(self, now: datetime, limit: int) -> list[tuple[Subscription, Chat]]:
        query = (
            select(subscriptions, chats)
            .join(chats, chats.c.id == subscriptions.c.chat_id)
            .where(
                subscriptions.c.next_digest_at <= now,
                subscriptions.c.frequency != "off",
                chats.c.active.is_(True),
            )
            .order_by(subscriptions.c.next_digest_at, subscriptions.c.chat_id)
            .limit(limit)
        )
        with _wrapped("reading due digests"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
        return [(_subscription(row), _chat(row)) for row in rows]

    async def queue_digest(
        self,
        subscription: Subscription,
        *,
        sent_at: datetime,
        next_at: datetime | None,
        period: str,
        messages: Sequence[str],
        link_previews: bool,
    ) -> bool:
        column = subscriptions.c.next_digest_at
        was = (
            column.is_(None)
            if subscription.next_digest_at is None
            else column == subscription.next_digest_at
        )
        with _wrapped("queueing a digest"):
            async with self._engine.begin() as conn:
                moved = await conn.execute(
                    update(subscriptions)
                    .where(subscriptions.c.chat_id == subscription.chat_id, was)
                    .values(last_digest_at=sent_at, next_digest_at=next_at)
                )
                if moved.rowcount != 1:
                    return False
                await self._insert_outbox(
                    conn, [subscription.chat_id], "digest", period, messages, link_previews, sent_at
                )
                return True

    async def _insert_outbox(
        self,
        conn: Any,
        chat_ids: Sequence[int],
        kind: str,
        period: str,
        messages: Sequence[str],
        link_previews: bool,
        now: datetime,
    ) -> int:
        if not messages or not chat_ids:
            return 0
        rows = [
            {
                "chat_id": chat_id,
                "kind": kind,
                "period": period,
                "part": part,
                "text": text,
                "link_previews": link_previews,
                "status": "pending",
                "attempts": 0,
                "not_before": now,
                "created_at": now,
            }
            for chat_id in chat_ids
            for part, text in enumerate(messages)
        ]
        statement = (
            self._insert(outbox)
            .on_conflict_do_nothing(index_elements=["chat_id", "period", "part"])
            .returning(outbox.c.id)
        )
        return len((await conn.execute(statement, rows)).all())

    async def enqueue(
        self,
        chat_id: int,
        *,
        kind: str,
        period: str,
        messages: Sequence[str],
        link_previews: bool,
        now: datetime,
    ) -> int:
        return await self.enqueue_many(
            [chat_id],
            kind=kind,
            period=period,
            messages=messages,
            link_previews=link_previews,
            now=now,
        )

    async def enqueue_many(
        self,
        chat_ids: Sequence[int],
        *,
        kind: str,
        period: str,
        messages: Sequence[str],
        link_previews: bool,
        now: datetime,
    ) -> int:
        with _wrapped("queueing messages"):
            async with self._engine.begin() as conn:
                return await self._insert_outbox(
                    conn, chat_ids, kind, period, messages, link_previews, now
                )

    async def alert_subscriptions(self) -> list[tuple[Subscription, Chat]]:
        query = (
            select(subscriptions, chats)
            .join(chats, chats.c.id == subscriptions.c.chat_id)
            .where(subscriptions.c.alert_topics != "", chats.c.active.is_(True))
            .order_by(subscriptions.c.chat_id)
        )
        with _wrapped("reading alert subscriptions"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
        return [(_subscription(row), _chat(row)) for row in rows]

    async def count_outbox(self, chat_id: int, *, kind: str, since: datetime) -> int:
        query = (
            select(func.count(func.distinct(outbox.c.period)))
            .select_from(outbox)
            .where(outbox.c.chat_id == chat_id, outbox.c.kind == kind, outbox.c.created_at >= since)
        )
        with _wrapped("counting queued messages"):
            async with self._engine.connect() as conn:
                return int((await conn.execute(query)).scalar_one())

    async def claim_outbox(
        self, now: datetime, *, limit: int, reclaim_before: datetime
    ) -> list[OutboxMessage]:
        def ready(table: Any) -> ColumnElement[bool]:
            return or_(
                (table.c.status == "pending") & (table.c.not_before <= now),
                (table.c.status == "sending") & (table.c.claimed_at < reclaim_before),
            )

        earlier = outbox.alias("earlier")
        # a chat's messages go in order: none while an earlier one of it must still wait
        blocked = (
            select(earlier.c.id)
            .where(
                earlier.c.chat_id == outbox.c.chat_id,
                earlier.c.id < outbox.c.id,
                earlier.c.status.in_(("pending", "sending")),
                ~ready(earlier),
            )
            .exists()
        )
        picked = (
            select(outbox.c.id)
            .where(ready(outbox), ~blocked)
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(outbox)
            .where(outbox.c.id.in_(picked.scalar_subquery()))
            .values(status="sending", claimed_at=now)
            # what an OutboxMessage holds, not the whole row: parsing a claimed batch's five
            # timestamps (SQLite returns them as text) blocked the event loop for ~0.1 s every
            # 2,000 messages at 1,000 a second (bench/delivery.py)
            .returning(*_OUTBOX_MESSAGE)
        )
        with _wrapped("claiming outbox messages"):
            async with self._engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # one claim at a time: the next one's snapshot then sees this one's rows as
                    # "sending", so it leaves their chats alone (SKIP LOCKED alone would only
                    # skip the rows, and hand out a chat's later messages)
                    await conn.execute(select(func.pg_advisory_xact_lock(_CLAIM_LOCK)))
                rows = (await conn.execute(statement)).all()
        return sorted((_outbox_message(row) for row in rows), key=lambda m: m.id)

    async def finish_outbox(self, message_ids: Sequence[int], now: datetime) -> None:
        if not message_ids:
            return
        with _wrapped("recording deliveries"):
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(message_ids))
                    .values(status="sent", sent_at=now)
                )

    async def defer_outbox(
        self,
        message: OutboxMessage,
        not_before: datetime,
        error: str,
        *,
        count: bool = True,
        failed_at: datetime | None = None,
    ) -> None:
        waiting = outbox.c.status.in_(("pending", "sending"))
        values: dict[str, Any] = {
            "status": "pending",
            "not_before": not_before,
            "last_error": error,
            "attempts": outbox.c.attempts + (1 if count else 0),
        }
        if failed_at is not None:
            values["failed_at"] = failed_at
        with _wrapped("deferring a message"):
            async with self._engine.begin() as conn:
                await conn.execute(update(outbox).where(outbox.c.id == message.id).values(values))
                await conn.execute(
                    update(outbox)
                    .where(
                        outbox.c.chat_id == message.chat_id,
                        outbox.c.id > message.id,
                        waiting,
                        outbox.c.not_before < not_before,
                    )
                    .values(status="pending", not_before=not_before)
                )

    async def drop_outbox(
        self,
        chat_id: int,
        error: str,
        *,
        message_id: int | None = None,
        failed_at: datetime | None = None,
    ) -> int:
        condition: ColumnElement[bool] = (outbox.c.chat_id == chat_id) & outbox.c.status.in_(
            ("pending", "sending")
        )
        if message_id is not None:
            condition = outbox.c.id == message_id
        values: dict[str, Any] = {"status": "dropped", "last_error": error}
        if failed_at is not None:
            values["failed_at"] = failed_at
        with _wrapped("dropping messages"):
            async with self._engine.begin() as conn:
                result = await conn.execute(update(outbox).where(condition).values(values))
                return int(result.rowcount or 0)

    async def count_delivery_failures(self, since: datetime) -> int:
        query = select(func.count()).select_from(outbox).where(outbox.c.failed_at >= since)
        with _wrapped("counting delivery failures"):
            async with self._engine.connect() as conn:
                return int((await conn.execute(query)).scalar_one())

    async def prune_outbox(self, before: datetime) -> int:
        done = outbox.c.status.in_(("sent", "dropped"))
        with _wrapped("pruning the outbox"):
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    delete(outbox).where(done, outbox.c.created_at < before)
                )
                return int(result.rowcount or 0)

    async def move_outbox(self, old_id: int, new_id: int) -> None:
        with _wrapped("moving messages"):
            async with self._engine.begin() as conn:
                # what the new chat already has queued (same period and part) is not moved
                theirs = select(outbox.c.period, outbox.c.part).where(outbox.c.chat_id == new_id)
                taken = {(row.period, row.part) for row in (await conn.execute(theirs)).all()}
                old = (
                    await conn.execute(
                        select(outbox.c.id, outbox.c.period, outbox.c.part).where(
                            outbox.c.chat_id == old_id
                        )
                    )
                ).all()
                clash = [row.id for row in old if (row.period, row.part) in taken]
                if clash:
                    await conn.execute(
                        update(outbox)
                        .where(outbox.c.id.in_(clash))
                        .values(status="dropped", last_error="already queued for the supergroup")
                    )
                    # the dropped rows keep the old id; the unique key is (chat, period, part)
                await conn.execute(
                    update(outbox)
                    .where(
                        outbox.c.chat_id == old_id,
                        outbox.c.status.in_(("pending", "sending")),
                        outbox.c.id.not_in(clash) if clash else outbox.c.id.is_not(None),
                    )
                    .values(chat_id=new_id, status="pending")
                )

    async def outbox_depth(self) -> int:
        query = (
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.status.in_(("pending", "sending")))
        )
        with _wrapped("counting the outbox"):
            async with self._engine.connect() as conn:
                return int((await conn.execute(query)).scalar_one())

    async def update_chat_settings(
        self, chat_id: int, *, language: str | None = None, link_previews: bool | None = None
    ) -> None:
        values: dict[str, Any] = {}
        if language is not None:
            values["language"] = language
        if link_previews is not None:
            values["link_previews"] = link_previews
        if not values:
            return
        with _wrapped("saving chat settings"):
            async with self._engine.begin() as conn:
                await conn.execute(update(chats).where(chats.c.id == chat_id).values(**values))


def _feed_state(row: Row[Any]) -> FeedState:
    return FeedState(
        id=row.id,
        name=row.name,
        url=row.url,
        language=row.language,
        interval=timedelta(seconds=row.interval_seconds),
        enabled=row.enabled,
        caching=row.caching,
        last_fetched_at=row.last_fetched_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        error_count=row.error_count,
        next_fetch_at=row.next_fetch_at,
        failing_since=row.failing_since,
        paused_at=row.paused_at,
        paused_reason=row.paused_reason,
        moved_from=row.moved_from,
        source=row.source,
    )


async def _insert_feed(conn: Any, feed: FeedConfig, source: str, now: datetime) -> Row[Any]:
    """A new feed row: from feeds.yaml (``source`` "config") or added by an admin."""
    result = await conn.execute(
        insert(feeds)
        .values(**_feed_values(feed), source=source, error_count=0, created_at=now)
        .returning(feeds)
    )
    row: Row[Any] = result.one()
    return row


def _feed_values(feed: FeedConfig) -> dict[str, Any]:
    return {
        "name": feed.name,
        "url": feed.url,
        "language": feed.language,
        "interval_seconds": int(feed.interval.total_seconds()),
        "enabled": feed.enabled,
    }


def _article(row: Row[Any], topics: Sequence[str]) -> Article:
    return Article(
        id=row.id,
        feed=row.feed_name or "",
        url=row.url,
        title=row.title,
        text=row.text,
        summary=row.summary,
        language=row.language,
        published=row.published_at,
        fetched=row.fetched_at,
        relevant=row.relevant,
        relevance_score=row.relevance_score,
        topics=tuple(topics),
        cluster=row.cluster,
    )


def _subscription(row: Row[Any]) -> Subscription:
    return Subscription(
        chat_id=row.chat_id,
        time_of_day=row.time_of_day,
        timezone=row.timezone,
        topics=tuple(t for t in row.topics.split(",") if t),
        last_digest_at=row.last_digest_at,
        created_at=row.created_at,
        frequency=row.frequency,
        weekday=row.weekday,
        next_digest_at=row.next_digest_at,
        alert_topics=tuple(t for t in row.alert_topics.split(",") if t),
        alerts_per_hour=row.alerts_per_hour,
    )


def _chat(row: Row[Any]) -> Chat:
    return Chat(
        id=row.id,
        type=row.type,
        title=row.title,
        active=row.active,
        language=row.language,
        link_previews=row.link_previews,
    )


_OUTBOX_MESSAGE = (
    outbox.c.id,
    outbox.c.chat_id,
    outbox.c.kind,
    outbox.c.period,
    outbox.c.part,
    outbox.c.text,
    outbox.c.link_previews,
    outbox.c.attempts,
)


def _outbox_message(row: Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        chat_id=row.chat_id,
        kind=row.kind,
        period=row.period,
        part=row.part,
        text=row.text,
        link_previews=row.link_previews,
        attempts=row.attempts,
    )
