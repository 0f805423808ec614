"""``Store.search_articles`` on SQLite (FTS5) and PostgreSQL (tsvector) alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import FeedConfig, NewArticle
from storage import Store
from storage._search import search_terms

NOW = datetime.now(UTC).replace(microsecond=0)


def article(url: str, title: str, text: str = "", **changes: object) -> NewArticle:
    base = NewArticle(
        url=f"https://news.example/{url}",
        title=title,
        text=text or title,
        summary=text or title,
        language="en",
        published=NOW - timedelta(hours=1),
        fetched=NOW,
        relevant=True,
        relevance_score=0.9,
        topics=("trade",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def feed(store: Store) -> int:
    await store.sync_feeds([FeedConfig("Wire", "https://news.example/rss")], NOW)
    (stored,) = await store.list_feeds()
    return stored.id


async def titles(store: Store, query: str, **options: object) -> list[str]:
    return [a.title for a in await store.search_articles(query, **options)]  # type: ignore[arg-type]


CORPUS = [
    article("ru-1", "Лукашенко пригласил Алиева посетить Минск", language="ru"),
    article(
        "ru-2", "МАЗ поставит автобусы в Гянджу", "Минский автозавод МАЗ и Гянджа", language="ru"
    ),
    article("az-1", "Əliyev Belarus nümayəndə heyətini qəbul edib", language="az"),
    article(
        "az-2", "Gəncədə MAZ avtobusları", "Gəncə şəhərinə MAZ avtobusları gəlir", language="az"
    ),
    article("en-1", "Belarus tractors for Azerbaijani farmers", "Tractors from Minsk."),
    article("en-2", "Weather in Baku", "Sunny.", relevant=False),
]


async def test_transliteration_finds_other_scripts(store: Store) -> None:
    await store.add_articles(await feed(store), CORPUS)
    assert await titles(store, "Lukashenko") == ["Лукашенко пригласил Алиева посетить Минск"]
    assert set(await titles(store, "Aliyev")) == {
        "Лукашенко пригласил Алиева посетить Минск",
        "Əliyev Belarus nümayəndə heyətini qəbul edib",
    }
    assert set(await titles(store, "MAZ")) == {
        "МАЗ поставит автобусы в Гянджу",
        "Gəncədə MAZ avtobusları",
    }
    assert set(await titles(store, "Minsk")) == {
        "Лукашенко пригласил Алиева посетить Минск",
        "МАЗ поставит автобусы в Гянджу",  # Минский: the stem's prefix
        "Belarus tractors for Azerbaijani farmers",
    }
    assert await titles(store, "Ganja MAZ") == ["Gəncədə MAZ avtobusları"]
    assert await titles(store, "лукашенко") == ["Лукашенко пригласил Алиева посетить Минск"]


async def test_every_word_must_match(store: Store) -> None:
    await store.add_articles(await feed(store), CORPUS)
    assert await titles(store, "Belarus tractors") == ["Belarus tractors for Azerbaijani farmers"]
    assert await titles(store, "tractors Lukashenko") == []


async def test_relevant_only(store: Store) -> None:
    await store.add_articles(await feed(store), CORPUS)
    assert await titles(store, "Baku") == []
    assert await titles(store, "Baku", relevant_only=False) == ["Weather in Baku"]


async def test_title_match_ranks_first_then_recency(store: Store) -> None:
    day = timedelta(days=1)
    await store.add_articles(
        await feed(store),
        [
            article("text", "Trade news", "Talks about a cotton deal in Minsk and more."),
            article("title", "Cotton deal signed", "Signed in Minsk."),
            article("old", "Cotton deal signed long ago", "Signed.", published=NOW - 200 * day),
            article("new", "Cotton deal signed again", "Signed.", published=NOW - 2 * day),
        ],
    )
    assert await titles(store, "cotton") == [
        "Cotton deal signed",
        "Cotton deal signed again",
        "Trade news",
        "Cotton deal signed long ago",
    ]


async def test_paging(store: Store) -> None:
    await store.add_articles(
        await feed(store),
        [
            article(f"p{i}", f"Cotton report {i}", published=NOW - timedelta(days=i))
            for i in range(12)
        ],
    )
    pages = [await titles(store, "cotton", limit=5, offset=offset) for offset in (0, 5, 10, 15)]
    assert [len(p) for p in pages] == [5, 5, 2, 0]
    assert pages[0][0] == "Cotton report 0"
    assert [t for page in pages for t in page] == [f"Cotton report {i}" for i in range(12)]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"',
        '""',
        "*",
        "NEAR(",
        "NEAR(a b",
        "a:b",
        "'; DROP TABLE articles; --",
        "!!! ??? ...",
        "(",
        ")",
        "&|!<->",
        "title:Minsk",
        "^Minsk",
        "\\",
        "x" * 500,
        "Minsk " * 100,
    ],
)
async def test_hostile_queries_never_raise(store: Store, query: str) -> None:
    await store.add_articles(await feed(store), CORPUS)
    await store.search_articles(query)
    assert await store.count_articles() == len(CORPUS)


async def test_punctuation_only_returns_nothing(store: Store) -> None:
    await store.add_articles(await feed(store), CORPUS)
    for query in ("", '"', "*", "NEAR(", "'; --", "¿¡", "…"):
        assert await store.search_articles(query) == []
    assert await titles(store, '"Lukashenko"*') == ["Лукашенко пригласил Алиева посетить Минск"]
    assert await titles(store, "MAZ: Ganja!") == ["Gəncədə MAZ avtobusları"]


async def test_updates_and_deletes_are_reflected(store: Store) -> None:
    feed_id = await feed(store)
    (kept, dropped) = await store.add_articles(
        feed_id,
        [
            article("a", "Cotton deal signed"),
            article("b", "Grain deal signed", fetched=NOW - timedelta(days=400)),
        ],
    )
    assert await titles(store, "grain") == ["Grain deal signed"]
    await store.update_article(kept, article("a", "Oil deal signed"), NOW)
    assert await titles(store, "cotton") == []
    assert await titles(store, "oil") == ["Oil deal signed"]
    assert await store.prune(irrelevant_before=NOW, all_before=NOW - timedelta(days=365)) == 1
    assert await titles(store, "grain") == []
    assert await titles(store, "deal") == ["Oil deal signed"]
    assert dropped != kept


async def test_articles_stored_before_the_migration_are_indexed(tmp_path: object) -> None:
    from sqlalchemy import create_engine, insert
    from sqlalchemy.engine import Connection

    from storage import open_store
    from storage._sql import upgrade
    from storage.schema import articles

    path = f"{tmp_path}/old.sqlite3"
    engine = create_engine(f"sqlite:///{path}")

    def to(revision: str) -> object:
        def run(connection: Connection) -> None:
            from alembic import command
            from alembic.config import Config

            from storage._sql import _MIGRATIONS

            config = Config()
            config.set_main_option("script_location", str(_MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

        return run

    with engine.begin() as connection:
        to("0003")(connection)
        values = article("old", "Лукашенко в Баку")
        connection.execute(
            insert(articles).values(
                url=values.url, title=values.title, text=values.text, summary=values.summary,
                language="ru", published_at=values.published, fetched_at=NOW,
                content_hash="", relevant=True, relevance_score=1.0, relevance_reason="",
            )
        )  # fmt: skip
    engine.dispose()
    assert upgrade  # the store applies 0004 on open
    store = await open_store(f"sqlite+aiosqlite:///{path}")
    try:
        assert await titles(store, "Lukashenko") == ["Лукашенко в Баку"]
    finally:
        await store.close()


def test_query_words_become_groups_of_alternatives() -> None:
    assert search_terms("Minsk") == [(("minsk", True), ("минск", True))]
    assert search_terms("MAZ") == [(("maz", False), ("маз", False), ("məz", False))]
    assert ("алиев", True) in search_terms("Aliyev")[0]
    assert ("əliyev", True) in search_terms("Aliyev")[0]
    assert ("gəncə", True) in search_terms("Ganja")[0]
    assert ("lukashenk", True) in search_terms("Лукашенко")[0]
    assert search_terms("\"'*:()") == []
    assert len(search_terms("a b c d e f g h i j k")) == 8
