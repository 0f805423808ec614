"""Latency of ``Store.search_articles`` with 100,000 stored articles, against a LIKE scan.

    .venv/bin/python bench/search.py [--articles N] [--queries N] [--baseline N] [--no-postgres]

Fills a temporary SQLite store (and a temporary PostgreSQL database when the server at
``AZBY_TEST_POSTGRES_URL``, default postgresql+asyncpg://postgres@127.0.0.1:5432/test,
answers; it is dropped at the end) with generated en/ru/az articles through
``Store.add_articles`` (so the search triggers do their work), then times:

- ``search``: ``search_articles(query, limit=6)`` — what ``/search`` asks — over ~200 varied
  queries: English, Russian and Azerbaijani words, Latin names that must find Cyrillic ones
  (Lukashenko, Minsk, MAZ, Aliyev), two-word queries, pages further down (offset 5, 10),
  words that match nothing;
- ``LIKE scan``: the same expanded words as ``%word%`` patterns over title, summary and text
  (no index), newest first, on the first ``--baseline`` queries: what search costs without
  the full-text index.

Prints median and p95 per backend and the ratio. Target (issue 5): < 100 ms per answer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.models import FeedConfig, NewArticle  # noqa: E402
from storage import Store, open_store  # noqa: E402
from storage._search import search_terms  # noqa: E402

POSTGRES_URL = os.environ.get(
    "AZBY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
NOW = datetime.now(UTC)

# --- generated articles ---------------------------------------------------------------------

WORDS = {
    "en": {
        "names": ["Lukashenko", "Aliyev", "Bayramov", "Ryzhenkov", "Jabbarov", "Ravkov",
                  "Mustafayev", "Golovchenko", "Ilham Aliyev", "Alexander Lukashenko"],
        "places": ["Minsk", "Baku", "Ganja", "Gomel", "Sumgait", "Mogilev", "Brest",
                   "Shamkir", "Grodno", "Mingachevir", "Vitebsk", "Lankaran"],
        "orgs": ["MAZ", "BelAZ", "MTZ", "Gomselmash", "SOCAR", "Belaruskali", "Azersun",
                 "Belshina", "Amkodor", "Azerishig"],
        "nouns": ["trade", "tractors", "buses", "trucks", "exports", "imports", "grain", "potash",
                  "oil", "gas", "cotton", "students", "university", "agreement", "delegation",
                  "commission", "investment", "plant", "assembly", "harvest", "railway",
                  "logistics", "pharmaceuticals", "dairy", "tourism", "exhibition", "forum"],
        "verbs": ["signed", "discussed", "opened", "launched", "expanded", "visited",
                  "agreed on", "presented", "delivered", "increased"],
        "filler": ["the", "of", "in", "and", "with", "for", "on", "a", "new", "joint",
                   "bilateral", "according to officials", "this year", "last month"],
        "countries": ["Azerbaijan", "Belarus", "Azerbaijani", "Belarusian"],
    },
    "ru": {
        "names": ["Лукашенко", "Алиев", "Алиева", "Байрамов", "Рыженков", "Джаббаров",
                  "Равков", "Мустафаев", "Головченко", "Ильхам Алиев", "Александр Лукашенко"],
        "places": ["Минск", "Минске", "Баку", "Гянджа", "Гомель", "Сумгайыт", "Могилев",
                   "Брест", "Шамкир", "Гродно", "Мингечевир", "Витебск"],
        "orgs": ["МАЗ", "БелАЗ", "МТЗ", "Гомсельмаш", "SOCAR", "Беларуськалий", "Азерсун",
                 "Белшина", "Амкодор"],
        "nouns": ["товарооборот", "тракторы", "автобусы", "грузовики", "экспорт", "импорт",
                  "зерно", "калий", "нефть", "газ", "хлопок", "студенты", "университет",
                  "соглашение", "делегация", "комиссия", "инвестиции", "завод", "сборка",
                  "урожай", "железная дорога", "логистика", "фармацевтика", "туризм", "выставка"],
        "verbs": ["подписали", "обсудили", "открыли", "запустили", "расширили", "посетил",
                  "договорились о", "представили", "поставили", "увеличили"],
        "filler": ["и", "в", "на", "с", "по", "для", "новый", "совместный", "двусторонний",
                   "по словам официальных лиц", "в этом году", "в прошлом месяце"],
        "countries": ["Азербайджан", "Беларусь", "Азербайджана", "Беларуси", "белорусский",
                      "азербайджанский"],
    },
    "az": {
        "names": ["Lukaşenko", "Əliyev", "Bayramov", "Rıjenkov", "Cabbarov", "Ravkov",
                  "Mustafayev", "İlham Əliyev", "Aleksandr Lukaşenko"],
        "places": ["Minsk", "Bakı", "Gəncə", "Homel", "Sumqayıt", "Mogilyov", "Brest",
                   "Şəmkir", "Qrodno", "Mingəçevir", "Lənkəran"],
        "orgs": ["MAZ", "BelAZ", "MTZ", "Gomselmaş", "SOCAR", "Azersun", "Azərişıq"],
        "nouns": ["ticarət", "traktorlar", "avtobuslar", "yük maşınları", "ixrac", "idxal",
                  "taxıl", "neft", "qaz", "pambıq", "tələbələr", "universitet", "saziş",
                  "nümayəndə heyəti", "komissiya", "investisiya", "zavod", "məhsul", "turizm",
                  "sərgi", "forum", "dəmir yolu"],
        "verbs": ["imzalayıb", "müzakirə edib", "açıb", "istifadəyə verib", "genişləndirib",
                  "səfər edib", "razılaşıb", "təqdim edib", "çatdırıb", "artırıb"],
        "filler": ["və", "ilə", "üçün", "yeni", "birgə", "ikitərəfli", "rəsmilərin sözlərinə görə",
                   "bu il", "ötən ay"],
        "countries": ["Azərbaycan", "Belarus", "Azərbaycanın", "Belarusun", "Belarusda"],
    },
}  # fmt: skip


def _sentence(rng: random.Random, words: dict[str, list[str]]) -> str:
    parts = [
        rng.choice(words["countries"]),
        rng.choice(words["filler"]),
        rng.choice(words["names"] + words["orgs"]),
        rng.choice(words["verbs"]),
        rng.choice(words["filler"]),
        rng.choice(words["nouns"]),
        rng.choice(words["filler"]),
        rng.choice(words["places"]),
        rng.choice(words["filler"]),
        rng.choice(words["nouns"]),
        str(rng.randint(2, 900)),
    ]
    return " ".join(parts).capitalize() + "."


def generate(count: int, seed: int = 42) -> Iterator[NewArticle]:
    """``count`` articles in en/ru/az (40/40/20), 600–1,200 characters, oldest first over three
    years (as polling stores them), a third of them relevant."""
    rng = random.Random(seed)
    span = timedelta(days=3 * 365)
    for index in range(count):
        language = rng.choices(("en", "ru", "az"), (4, 4, 2))[0]
        words = WORDS[language]
        title = " ".join(
            [
                rng.choice(words["names"] + words["orgs"] + words["countries"]),
                rng.choice(words["verbs"]),
                rng.choice(words["nouns"]),
                rng.choice(words["filler"]),
                rng.choice(words["places"]),
            ]
        )
        body = []
        while sum(map(len, body)) < rng.randint(600, 1200):
            body.append(_sentence(rng, words))
        text_ = " ".join(body)
        yield NewArticle(
            url=f"https://news.example/{language}/{index}",
            title=title,
            text=text_,
            summary=" ".join(body[:2]),
            language=language,
            # polled over three years: newer articles come later, give or take two days
            published=NOW - span * (1 - index / count) - timedelta(minutes=rng.randint(0, 2880)),
            fetched=NOW,
            relevant=rng.random() < 0.33,
            relevance_score=rng.random(),
            topics=(rng.choice(("trade", "industry", "education", "energy")),),
            cluster=f"story-{index // 3}",
        )


def queries(count: int, seed: int = 7) -> list[tuple[str, int]]:
    """Varied queries with the offset each is asked at (later pages too)."""
    rng = random.Random(seed)
    singles = [
        "Lukashenko", "Aliyev", "Minsk", "MAZ", "Ganja", "Baku", "Gomel", "Shamkir", "BelAZ",
        "tractors", "trade", "cotton", "potash", "university", "railway", "Belarus",
        "Azerbaijan", "Лукашенко", "Минск", "трактор", "экспорт", "хлопок", "Гянджа",
        "Gəncə", "Əliyev", "ticarət", "pambıq", "Jabbarov", "Mingachevir", "SOCAR",
        "Ryzhenkov", "Sumgait", "Lankaran", "zebra", "quasar", "Bayramov", "delegation",
    ]  # fmt: skip
    result: list[tuple[str, int]] = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.55:
            query = rng.choice(singles)
        elif kind < 0.9:
            query = f"{rng.choice(singles)} {rng.choice(singles)}"
        else:
            query = " ".join(rng.sample(singles, 3))
        result.append((query, rng.choice((0, 0, 0, 5, 10))))
    return result


# --- measuring ------------------------------------------------------------------------------


async def fill(store: Store, count: int, batch: int = 1000) -> float:
    await store.sync_feeds([FeedConfig("Bench wire", "https://news.example/rss")], NOW)
    (feed,) = await store.list_feeds()
    started = time.perf_counter()
    pending: list[NewArticle] = []
    for article in generate(count):
        pending.append(article)
        if len(pending) == batch:
            await store.add_articles(feed.id, pending)
            pending = []
    if pending:
        await store.add_articles(feed.id, pending)
    return time.perf_counter() - started


def like_scan(dialect: str, query: str, offset: int, *, ranked: bool) -> tuple[str, dict[str, Any]]:
    """The same expanded words, as substring patterns over the whole rows (no index); newest
    first (stops at the sixth hit) or ``ranked`` (title hits first: every match is visited)."""
    params: dict[str, Any] = {"offset": offset}
    groups = []
    for t, term in enumerate(search_terms(query)):
        alternatives = []
        for a, (word, _prefix) in enumerate(term):
            params[f"w{t}_{a}"] = f"%{word}%"
            op = "LIKE" if dialect == "sqlite" else "ILIKE"
            alternatives.append(
                f"(title {op} :w{t}_{a} OR summary {op} :w{t}_{a} OR text {op} :w{t}_{a})"
            )
        groups.append("(" + " OR ".join(alternatives) + ")")
    where = " AND ".join(groups) or "1 = 0"
    relevant = "relevant = 1" if dialect == "sqlite" else "relevant"
    op = "LIKE" if dialect == "sqlite" else "ILIKE"
    title_hit = " OR ".join(f"title {op} :{key}" for key in params if key != "offset") or "1 = 0"
    order = f"CASE WHEN {title_hit} THEN 0 ELSE 1 END, " if ranked else ""
    sql = (
        f"SELECT id, title FROM articles WHERE {relevant} AND {where} "
        f"ORDER BY {order}published_at DESC LIMIT 6 OFFSET :offset"
    )
    return sql, params


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


async def bench(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    store = await open_store(url)
    try:
        took = await fill(store, args.articles)
        engine = store._engine  # type: ignore[attr-defined]
        if engine.dialect.name == "postgresql":
            # what autovacuum does soon after a bulk load: statistics, GIN pending list merged
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE articles"))
        print(f"{name}: {args.articles:,} articles stored in {took:.1f} s "
              f"({args.articles / took:,.0f}/s, search index included)")  # fmt: skip
        asked = queries(args.queries)
        for query, offset in asked[:10]:  # warm the caches as a running bot has them
            await store.search_articles(query, limit=6, offset=offset)
        search_ms: list[float] = []
        hits = 0
        for query, offset in asked:
            started = time.perf_counter()
            found = await store.search_articles(query, limit=6, offset=offset)
            search_ms.append((time.perf_counter() - started) * 1000)
            hits += bool(found)
        scan_ms: list[float] = []
        ranked_ms: list[float] = []
        async with engine.connect() as conn:
            for query, offset in asked[: args.baseline]:
                for ranked, samples in ((False, scan_ms), (True, ranked_ms)):
                    sql, params = like_scan(engine.dialect.name, query, offset, ranked=ranked)
                    started = time.perf_counter()
                    (await conn.execute(text(sql), params)).all()
                    samples.append((time.perf_counter() - started) * 1000)
        translit = [q for q, _ in asked if q in ("Lukashenko", "Minsk", "MAZ", "Aliyev")]
        # товарооборот is only in Russian articles: Lukashenko must have found Лукашенко there
        found = await store.search_articles("Lukashenko товарооборот", relevant_only=False)
        assert found and {a.language for a in found} == {"ru"}, "Lukashenko must find Лукашенко"
        return {
            "name": name,
            "search": summary(search_ms),
            "scan": summary(scan_ms),
            "ranked": summary(ranked_ms),
            "queries": len(asked),
            "scan_queries": len(scan_ms),
            "answered": hits,
            "translit": len(translit),
        }
    finally:
        await store.close()


async def postgres_database() -> tuple[str, Callable[[], Awaitable[None]]] | None:
    try:
        import asyncpg
    except ImportError:
        return None
    dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    name = f"azby_bench_{uuid.uuid4().hex[:10]}"
    try:
        connection = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"PostgreSQL not reachable at {POSTGRES_URL} ({exc}): SQLite only")
        return None
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}", drop


async def main(args: argparse.Namespace) -> None:
    results = []
    with tempfile.TemporaryDirectory(prefix="azby-bench-search-") as tmp:
        results.append(await bench("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", args))
    if not args.no_postgres:
        database = await postgres_database()
        if database is not None:
            url, drop = database
            try:
                results.append(await bench("PostgreSQL", url, args))
            finally:
                await drop()
    print()
    print(f"{'backend':<11} {'what':<34} {'median':>10} {'p95':>10} {'÷ search':>9}")
    for r in results:
        base = r["search"][0]
        for key, what in (
            ("search", "search_articles (FTS index)"),
            ("scan", "LIKE scan, newest first"),
            ("ranked", "LIKE scan, ranked (title first)"),
        ):
            median, p95 = r[key]
            print(f"{r['name']:<11} {what:<34} {median:>7.1f} ms {p95:>7.1f} ms "
                  f"{median / base:>8.1f}×")  # fmt: skip
    print()
    for r in results:
        verdict = "OK" if r["search"][1] < 100 else "OVER"
        print(f"{r['name']}: {r['queries']} search queries ({r['translit']} Latin names of "
              f"Cyrillic ones), {r['answered']} with results; LIKE scan on the first "
              f"{r['scan_queries']}. Target p95 < 100 ms: {verdict}")  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000, help="articles to store")
    parser.add_argument("--queries", type=int, default=200, help="search queries to time")
    parser.add_argument("--baseline", type=int, default=30, help="queries timed as LIKE scans")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
