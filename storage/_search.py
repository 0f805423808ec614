"""Full-text search over articles: the user's words → a backend query, ranked by relevance and age.

The index itself is built by migration 0004: on SQLite an FTS5 table ``articles_fts`` (external
content on ``articles``, kept in sync by triggers, tokenizer ``unicode61 remove_diacritics 2``);
on PostgreSQL a generated ``tsvector`` column ``articles.search_vector`` (``simple``
configuration: articles are English, Russian and Azerbaijani) with a GIN index.

The user's words never reach either query language as written: they are cut into letter/digit
words (so quotes, ``*``, ``:``, ``NEAR(``, ``&``, ``!`` cannot be syntax), and each word becomes
a group of alternatives — the word, its Cyrillic and Latin transliterations, its Azerbaijani and
English spellings — matched as prefixes of their stems (Russian case endings). Every word must
match (AND); any alternative of a word may (OR).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Row,
    Select,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import articles

__all__ = [
    "CANDIDATES",
    "FTS_TABLE",
    "PG_INDEX",
    "PG_VECTOR",
    "fts5_match",
    "include_name",
    "search_rows",
    "search_terms",
    "tsquery",
    "variants",
]

FTS_TABLE = "articles_fts"
PG_VECTOR = "search_vector"
PG_INDEX = "ix_articles_search_vector"

MAX_TERMS = 8
MAX_WORD = 40
MAX_VARIANTS = 10
# how many of the newest matches are ranked (see search_select)
CANDIDATES = 500
# an article this many days old counts half as much as one published now
HALF_AGE_DAYS = 30.0
# column weights: a word in the title counts most, then the summary, then the text
_FTS_WEIGHTS = "10.0, 4.0, 1.0"

_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-яё]")
_AZ_LETTERS = re.compile(r"[əçşğöüı]")

Alternative = tuple[str, bool]  # (text, match as a prefix)
Term = tuple[Alternative, ...]


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic autogenerate filter: the search index objects live outside ``storage.schema``."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE)
    return name not in (PG_VECTOR, PG_INDEX)


# --- the user's words → alternatives (pure) ------------------------------------------------

# Latin → Cyrillic, longest spelling first; several options where Russian spells it more ways.
_TO_CYRILLIC: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("shch", ("щ",)),
    ("dzh", ("дж",)),
    ("zh", ("ж",)),
    ("kh", ("х",)),
    ("ts", ("ц",)),
    ("ch", ("ч",)),
    ("sh", ("ш",)),
    ("yu", ("ю",)),
    ("ya", ("я",)),
    ("yo", ("ё", "йо")),
    ("ye", ("е",)),
    ("iy", ("ий", "ый")),
    ("ai", ("ай", "аи")),
    ("ei", ("ей", "еи")),
    ("oi", ("ой", "ои")),
    ("a", ("а",)),
    ("b", ("б",)),
    ("c", ("к", "ц")),
    ("d", ("д",)),
    ("e", ("е", "э")),
    ("f", ("ф",)),
    ("g", ("г",)),
    ("h", ("х", "г")),
    ("i", ("и",)),
    ("j", ("дж",)),
    ("k", ("к",)),
    ("l", ("л", "ль")),
    ("m", ("м",)),
    ("n", ("н",)),
    ("o", ("о",)),
    ("p", ("п",)),
    ("q", ("к",)),
    ("r", ("р",)),
    ("s", ("с",)),
    ("t", ("т",)),
    ("u", ("у",)),
    ("v", ("в",)),
    ("w", ("в",)),
    ("x", ("кс",)),
    ("y", ("й", "ы")),
    ("z", ("з",)),
)
_TO_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
        "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
        "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
        "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip
_AZ_TO_ENGLISH = (("ə", "a"), ("ç", "ch"), ("ş", "sh"), ("ğ", "gh"), ("x", "kh"), ("c", "j"),
                  ("ö", "o"), ("ü", "u"), ("ı", "i"))  # fmt: skip
_ENGLISH_TO_AZ = (("sh", "ş"), ("ch", "ç"), ("gh", "ğ"), ("kh", "x"), ("j", "c"))
_VOWELS = "aeiouyəıöüаеёиоуыэюя"
_RU_ENDINGS = (
    *("ами", "ями", "ого", "его", "ому", "ему", "ыми", "ими"),
    *(
        "ой",
        "ей",
        "ий",
        "ый",
        "ая",
        "яя",
        "ое",
        "ее",
        "ом",
        "ем",
        "ах",
        "ях",
        "ов",
        "ев",
        "ам",
        "ям",
    ),
    *("а", "я", "ы", "и", "е", "у", "ю", "о", "ь"),
)  # longest first


def search_terms(query: str) -> list[Term]:
    """The words of ``query``, each with its alternatives; [] when it has no words."""
    normal = unicodedata.normalize("NFC", query).replace("İ", "i").lower()
    words = list(dict.fromkeys(w[:MAX_WORD] for w in _WORD.findall(normal)))[:MAX_TERMS]
    return [tuple(dict.fromkeys(map(_alternative, variants(word)))) for word in words]


def variants(word: str) -> list[str]:
    """A lower-case word and its spellings in the other scripts: ``lukashenko`` →
    ``лукашенко``; ``aliyev`` → ``алиев``, ``əliyev``; ``gəncə`` → ``ganja``…;
    ``минск`` → ``minsk``."""
    found: dict[str, None] = {word: None}
    if word.isdigit():
        return [word]
    if "ё" in word:
        found[word.replace("ё", "е")] = None
    if _CYRILLIC.search(word):
        latin = _cyrillic_to_latin(word)
        found.update(dict.fromkeys([latin, *_english_to_az(latin)]))
        if "dzh" in latin:
            found[latin.replace("dzh", "j")] = None
    elif word.isascii() or _AZ_LETTERS.search(word):
        english = _az_to_english(word) if _AZ_LETTERS.search(word) else word
        found[english] = None
        found.update(dict.fromkeys(_latin_to_cyrillic(english)))
        found.update(dict.fromkeys(_english_to_az(english)))
    return list(found)[:MAX_VARIANTS]


def _alternative(word: str) -> Alternative:
    """Short words match whole; longer ones as the prefix of their stem (Minsk → Минске)."""
    if len(word) < 4 or word.isdigit():
        return (word, False)
    return (_stem(word), True)


def _stem(word: str) -> str:
    if len(word) < 6:
        return word
    if _CYRILLIC.search(word):
        for ending in _RU_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 4:
                return word[: -len(ending)]
        return word
    return word[:-1] if word[-1] in _VOWELS else word  # Lukashenko / Lukashenka


def _cyrillic_to_latin(word: str) -> str:
    # е after a vowel or at the start is "ye" in English spelling: Алиев → Aliyev
    out = []
    for index, char in enumerate(word):
        if char == "е" and (index == 0 or word[index - 1] in _VOWELS):
            out.append("ye")
        else:
            out.append(char.translate(_TO_LATIN))
    return "".join(out)


def _latin_to_cyrillic(word: str, limit: int = 4) -> list[str]:
    if not word.isascii() or not word.isalpha():
        return []
    pieces: list[tuple[str, ...]] = []
    index = 0
    while index < len(word):
        for latin, cyrillic in _TO_CYRILLIC:
            if word.startswith(latin, index):
                options = cyrillic
                if latin == "iy" and index + 2 < len(word):
                    continue  # "iy" is an ending (Belorusskiy); Aliyev is a-l-i-ye-v
                if latin == "l" and (index + 1 >= len(word) or word[index + 1] in _VOWELS):
                    options = ("л",)  # a soft sign only before a consonant: Ilham → Ильхам
                if latin == "e" and index > 0:
                    options = ("е",)  # э mostly starts a word: Eldar → Эльдар
                pieces.append(options)
                index += len(latin)
                break
    return ["".join(p) for p in itertools.islice(itertools.product(*pieces), limit)]


def _az_to_english(word: str) -> str:
    for az, english in _AZ_TO_ENGLISH:
        word = word.replace(az, english)
    return word


def _english_to_az(word: str) -> list[str]:
    """Azerbaijani spellings of an English-spelled word: Ganja → Gəncə, Aliyev → Əliyev."""
    if not word.isascii():
        return []
    az = word
    for english, letter in _ENGLISH_TO_AZ:
        az = az.replace(english, letter)
    spellings = [az, az.replace("a", "ə", 1), az.replace("a", "ə")]
    return [s for s in dict.fromkeys(spellings) if s != word]


# --- alternatives → backend queries ---------------------------------------------------------


def fts5_match(terms: Iterable[Term]) -> str:
    """An FTS5 MATCH expression: each alternative a quoted string (never syntax)."""

    def quoted(alternative: Alternative) -> str:
        word, prefix = alternative
        return '"' + word.replace('"', '""') + '"' + ("*" if prefix else "")

    return " AND ".join("(" + " OR ".join(map(quoted, term)) + ")" for term in terms)


def tsquery(terms: Iterable[Term]) -> str:
    """A ``to_tsquery`` expression: each alternative a quoted lexeme (never syntax)."""

    def quoted(alternative: Alternative) -> str:
        word, prefix = alternative
        return "'" + word.replace("'", "''").replace("\\", "\\\\") + "'" + (":*" if prefix else "")

    return " & ".join("(" + " | ".join(map(quoted, term)) + ")" for term in terms)


async def search_rows(
    conn: AsyncConnection,
    base: Select[Any],
    query: str,
    *,
    limit: int,
    offset: int,
    relevant_only: bool,
    now: datetime | None = None,
) -> Sequence[Row[Any]]:
    """The rows of ``base`` (a select over ``articles``) matching ``query``, best first:
    relevance divided by ``1 + age / HALF_AGE_DAYS``, each with a ``search_score``.

    Only the ``CANDIDATES`` newest matches (by id: the order azby stores them) are ranked, so
    a word found in every article costs what a rarer one does; an older match would need
    many times the relevance to beat them after the age decay anyway.
    """
    terms = search_terms(query)
    if not terms:
        return []
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if conn.dialect.name == "sqlite":
        statement = _sqlite_select(base, terms, relevant_only, now)
    else:
        ids = await _postgres_candidates(conn, terms, relevant_only)
        if not ids:
            return []
        statement = _postgres_select(base, terms, ids, now)
    ranked = statement.order_by(
        literal_column("search_score").desc(),
        articles.c.published_at.desc(),
        articles.c.id.desc(),
    )
    rows: Sequence[Row[Any]] = (await conn.execute(ranked.limit(limit).offset(offset))).all()
    return rows


def _sqlite_select(
    base: Select[Any], terms: list[Term], relevant_only: bool, now: datetime
) -> Select[Any]:
    fts = table(FTS_TABLE, column("rowid"))
    match = text(f"{FTS_TABLE} MATCH :search_match").bindparams(search_match=fts5_match(terms))
    candidates = select(
        fts.c.rowid.label("article_id"),
        literal_column(f"-bm25({FTS_TABLE}, {_FTS_WEIGHTS})", Float).label("relevance"),
    ).select_from(fts)
    if relevant_only:
        candidates = candidates.join(articles, articles.c.id == fts.c.rowid).where(
            articles.c.relevant.is_(True)
        )
    # FTS5 walks its index backwards by rowid and stops at the limit
    matches = (
        candidates.where(match)
        .order_by(fts.c.rowid.desc())
        .limit(CANDIDATES)
        .subquery("search_matches")
    )
    naive_now = now.replace(tzinfo=None).isoformat(sep=" ")
    age_days = func.julianday(naive_now) - func.julianday(articles.c.published_at)
    score = matches.c.relevance / (1.0 + func.max(age_days, 0.0) / HALF_AGE_DAYS)
    return base.join(matches, matches.c.article_id == articles.c.id).add_columns(
        score.label("search_score")
    )


def _tsquery(terms: list[Term]) -> ColumnElement[Any]:
    return func.to_tsquery(literal_column("'simple'::regconfig"), tsquery(terms))


async def _postgres_candidates(
    conn: AsyncConnection, terms: list[Term], relevant_only: bool
) -> list[int]:
    """Ids of the ``CANDIDATES`` newest matches."""
    vector: ColumnElement[Any] = literal_column(f"articles.{PG_VECTOR}")  # added by 0004
    matching = select(articles.c.id).where(vector.op("@@")(_tsquery(terms)))
    if relevant_only:
        matching = matching.where(articles.c.relevant.is_(True))
    # "id + 0": the GIN bitmap then a top-N sort. Ordered by the primary key, the planner may
    # walk it backwards testing every row: a full scan for a word found nowhere.
    newest = matching.order_by((articles.c.id + 0).desc()).limit(CANDIDATES)
    return list((await conn.execute(newest)).scalars())


def _postgres_select(
    base: Select[Any], terms: list[Term], ids: list[int], now: datetime
) -> Select[Any]:
    relevance = func.ts_rank(literal_column(f"articles.{PG_VECTOR}"), _tsquery(terms))
    at = bindparam("search_now", now, type_=articles.c.published_at.type)
    age_days = func.extract("epoch", at - articles.c.published_at) / 86400.0
    score = relevance / (1.0 + func.greatest(age_days, 0.0) / HALF_AGE_DAYS)
    return base.where(articles.c.id.in_(ids)).add_columns(score.label("search_score"))
