"""The ``azby`` commands as DESIGN.md specifies them: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.auxil.feed_server import FeedServerThread

AZBY = str(Path(sys.executable).with_name("azby"))
DATA = Path(__file__).resolve().parents[1] / "data"


def azby(
    *args: str, env: dict[str, str], stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AZBY, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd
    )


@pytest.fixture
def feeds() -> Iterator[FeedServerThread]:
    with FeedServerThread() as server:
        server.add_file("/trend", "trend-en-mixed.rss")
        server.add_file("/belta", "belta-ru-mixed.rss")
        server.add_route("/broken", status=500)
        yield server


@pytest.fixture
def env(tmp_path: Path, feeds: FeedServerThread) -> dict[str, str]:
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(
        "feeds:\n"
        f"  - {{name: Trend, url: '{feeds.url('/trend')}', language: en}}\n"
        f"  - {{name: BelTA, url: '{feeds.url('/belta')}', language: ru}}\n"
        f"  - {{name: Broken, url: '{feeds.url('/broken')}'}}\n"
        "digest: {story_age: 3650d}\n"
        # fixture items link to the real outlets (no full text: tests stay offline); they
        # are dated November 2026, so the first poll must not file them as backlog
        "poll: {full_text: false, backlog_age: 3650d}\n",
        encoding="utf-8",
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AZBY_")}
    environ.update(
        AZBY_FEEDS_FILE=str(feeds_file),
        AZBY_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'db' / 'azby.sqlite3'}",
        AZBY_ALLOW_PRIVATE_NETWORKS="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    return environ


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout


class TestClassify:
    def test_json_lines_in_and_out(self, env: dict[str, str]) -> None:
        seed_000 = (DATA / "seed-newsaz-sco-video-page.txt").read_text(encoding="utf-8")
        seed_001 = (DATA / "seed-azernews-defence-plan-2019.txt").read_text(encoding="utf-8")
        lines = [
            {"id": "000", "title": "New opportunities for Belarus and Azerbaijan in the SCO", "text": seed_000},
            {"id": "001", "title": "Azerbaijan, Belarus ink defence cooperation plan for 2020", "text": seed_001,
             "url": "https://www.azernews.az/nation/157913.html", "published": "2019-10-30T10:00:00+04:00"},
            {"id": 7, "title": "Azerbaijan, Belarus ink defence cooperation plan for 2020", "text": "Baku and Minsk."},
            {"id": "x", "title": "Weather in Baku", "text": "Rain is expected in Baku tomorrow.", "language": "en"},
        ]  # fmt: skip
        result = azby("classify", env=env, stdin="".join(json.dumps(x) + "\n" for x in lines))
        assert (result.returncode, result.stderr) == (0, "")
        out = [json.loads(line) for line in result.stdout.splitlines()]
        assert [o["id"] for o in out] == ["000", "001", 7, "x"]
        verdicts = {"relevant", "relevance_score", "topics", "summary", "language", "cluster"}
        for given, got in zip(lines, out, strict=True):
            assert set(got) == set(given) | verdicts
            assert {k: got[k] for k in set(given) - verdicts} == {
                k: given[k] for k in set(given) - verdicts
            }
        assert [o["relevant"] for o in out] == [True, True, True, False]
        assert {"trade", "diplomacy"} <= set(out[0]["topics"])
        assert "defence" in out[1]["topics"]
        assert "Yandex" not in out[0]["summary"] and len(out[0]["summary"]) <= 350
        assert [o["language"] for o in out] == ["en", "en", "en", "en"]
        assert out[2]["cluster"] == out[1]["cluster"] == "001"
        assert out[3]["cluster"] == "x"
        assert 0 <= out[3]["relevance_score"] < out[1]["relevance_score"] <= 1

    def test_bad_lines_are_reported_and_the_rest_is_classified(self, env: dict[str, str]) -> None:
        stdin = 'not json\n{"title": "no id"}\n\n{"id": 1, "title": "Azərbaycan və Belarus", "text": ""}\n'
        result = azby("classify", env=env, stdin=stdin)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            "azby classify: line 1: skipped: Expecting value: line 1 column 1 (char 0)",
            "azby classify: line 2: skipped: missing `id`",
        ]
        (out,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert (out["id"], out["relevant"], out["language"]) == (1, True, "az")

    def test_works_without_a_feeds_file(self, env: dict[str, str], tmp_path: Path) -> None:
        del env["AZBY_FEEDS_FILE"]
        result = azby(
            "classify", env=env, stdin='{"id": 1, "title": "t", "text": ""}\n', cwd=tmp_path
        )
        assert result.returncode == 0 and json.loads(result.stdout)["relevant"] is False


def test_poll_once_prints_a_summary_and_stores_nothing_twice(env: dict[str, str]) -> None:
    first = azby("poll", "--once", env=env)
    assert first.returncode == 0, first.stderr
    assert "3 feeds, 1 failed; 14 new articles" in first.stdout
    assert "HTTP 500 Internal Server Error" in first.stdout
    assert "Broken" in first.stdout and "ERROR" in first.stdout
    second = azby("poll", "--once", env=env)
    assert "3 feeds, 1 failed; 0 new articles" in second.stdout
    assert second.stdout.count("not modified") == 2


def test_export_jsonl_and_opml(env: dict[str, str]) -> None:
    azby("poll", "--once", env=env)
    result = azby("export", "--format", "jsonl", env=env)
    assert result.returncode == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 14
    assert all(
        set(r)
        == {
            "url",
            "title",
            "published",
            "language",
            "feed",
            "relevant",
            "topics",
            "summary",
            "cluster",
        }
        for r in records
    )
    assert {r["feed"] for r in records} == {"Trend", "BelTA"}
    assert {r["language"] for r in records} == {"en", "ru"}
    opml = ElementTree.fromstring(azby("export", "--format", "opml", env=env).stdout)
    assert sorted(o.get("text") or "" for o in opml.iter("outline")) == ["BelTA", "Broken", "Trend"]


def test_digest_preview_polls_an_empty_store_first(env: dict[str, str]) -> None:
    result = azby("digest", "--preview", env=env)
    assert result.returncode == 0, result.stderr
    assert "Feed Broken unreachable: HTTP 500 Internal Server Error" in result.stdout
    assert "Azerbaijan–Belarus digest" in result.stdout
    assert "Azerbaijan-Belarus trade turnover up 17.4% in January-October <http" in result.stdout
    assert "<b>" not in result.stdout  # plain text on a terminal; --html shows what is sent
    html_out = azby("digest", "--preview", "--html", "--topics", "defence", env=env)
    assert html_out.stdout.startswith("<b>Azerbaijan–Belarus digest</b>")
    assert "TRADE" not in html_out.stdout and "DEFENCE" in html_out.stdout


def test_digest_preview_for_a_chat_uses_its_settings(env: dict[str, str]) -> None:
    import asyncio

    from bot.models import Chat, Subscription
    from storage import open_store

    azby("poll", "--once", env=env)

    async def subscribe() -> None:
        store = await open_store(env["AZBY_DATABASE_URL"])
        now = datetime.now(UTC)
        await store.upsert_chat(Chat(777, "private"), now)
        await store.update_chat_settings(777, language="ru")
        await store.subscribe(Subscription(777, topics=("trade",)), now)
        await store.close()

    asyncio.run(subscribe())
    result = azby("digest", "--preview", "--chat", "777", "--html", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<b>Дайджест: Азербайджан – Беларусь</b>")
    assert "ТОРГОВЛЯ" in result.stdout and "ОБОРОНА" not in result.stdout
    unknown = azby("digest", "--preview", "--chat", "999", env=env)
    assert unknown.returncode == 2 and "--chat 999: no such subscribed chat" in unknown.stderr


def test_digest_preview_offline_names_each_unreachable_feed(
    env: dict[str, str], tmp_path: Path
) -> None:
    feeds_file = Path(env["AZBY_FEEDS_FILE"])
    feeds_file.write_text(
        "feeds:\n  - {name: Nowhere, url: 'http://127.0.0.1:9/rss'}\n"
        "  - {name: Also nowhere, url: 'http://127.0.0.1:9/feed'}\n",
        encoding="utf-8",
    )
    result = azby("digest", "--preview", env=env)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Feed Also nowhere unreachable: connection failed")
    assert lines[1].startswith("Feed Nowhere unreachable: connection failed")
    assert lines[-1] == "No stories yet about Azerbaijan–Belarus relations in the last 7 day(s)."


def test_reclassify_after_the_topic_keywords_change(env: dict[str, str]) -> None:
    azby("poll", "--once", env=env)
    before = [json.loads(line) for line in azby("export", env=env).stdout.splitlines()]
    assert not any("machinery" in r["topics"] for r in before)
    feeds_file = Path(env["AZBY_FEEDS_FILE"])
    feeds_file.write_text(
        feeds_file.read_text(encoding="utf-8")
        + "topics:\n  machinery:\n    title: Machinery\n    description: tractors and trucks\n"
        "    keywords: [tractor, трактор, traktor]\n",
        encoding="utf-8",
    )
    result = azby("reclassify", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Reclassified 14 articles: ")
    after = {
        r["url"]: r
        for r in (json.loads(line) for line in azby("export", env=env).stdout.splitlines())
    }
    tractor = next(r for r in after.values() if "tractor" in r["title"].lower())
    assert "machinery" in tractor["topics"]
    assert len(after) == 14


def test_feeds_check_reports_each_feed(env: dict[str, str]) -> None:
    result = azby("feeds", "check", env=env)
    assert result.returncode == 0
    assert "valid; 3 feeds, 10 topics" in result.stdout
    assert "2 of 3 feeds OK." in result.stdout
    header = next(line for line in result.stdout.splitlines() if "newest item" in line)
    for column in ("feed", "status", "items", "language", "caching", "error"):
        assert column in header
    trend = next(line for line in result.stdout.splitlines() if "Trend" in line)
    assert " ok " in trend and " 8 " in trend and " en " in trend and "ETag" in trend
    belta = next(line for line in result.stdout.splitlines() if "BelTA" in line)
    assert " ru " in belta
    assert azby("feeds", "check", "--strict", env=env).returncode == 1


@pytest.mark.parametrize(
    ("feeds_yaml", "message"),
    [
        (
            "feeds:\n  - name: A\n    url: https://a.az/rss\n    interval: often\n",
            "line 4: feeds[0].interval",
        ),
        ("feeds:\n  - name: A\n    url: notaurl\n", "line 3: feeds[0].url: must be an http(s) URL"),
        ("feeds: [oops\n", "invalid YAML"),
        ("feeds: []\nsurprise: 1\n", "line 2: surprise: unknown key `surprise`"),
    ],
)
@pytest.mark.parametrize(
    "command", [["poll", "--once"], ["feeds", "check"], ["digest", "--preview"]]
)
def test_invalid_feeds_yaml_is_one_line_and_exit_2(
    env: dict[str, str], feeds_yaml: str, message: str, command: list[str]
) -> None:
    Path(env["AZBY_FEEDS_FILE"]).write_text(feeds_yaml, encoding="utf-8")
    result = azby(*command, env=env)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"azby: error: {env['AZBY_FEEDS_FILE']}") and message in line
    no_traceback(result)


def test_run_without_a_token_says_how_to_get_one(env: dict[str, str]) -> None:
    result = azby("run", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("azby: error: AZBY_TELEGRAM_TOKEN is not set")
    no_traceback(result)


def test_bad_database_url_is_one_line(env: dict[str, str]) -> None:
    env["AZBY_DATABASE_URL"] = "mysql://root@127.0.0.1/x"
    result = azby("export", env=env)
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "azby: error: AZBY_DATABASE_URL: unsupported database 'mysql' "
        "(use sqlite+aiosqlite:// or postgresql+asyncpg://)",
    )


def test_db_upgrade_creates_the_database(env: dict[str, str], tmp_path: Path) -> None:
    result = azby("db", "upgrade", env=env)
    assert result.returncode == 0
    assert (tmp_path / "db" / "azby.sqlite3").exists()


def test_classify_a_missing_file_is_one_line(env: dict[str, str]) -> None:
    result = azby("classify", "/nonexistent/input.jsonl", env=env)
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "azby: error: /nonexistent/input.jsonl: No such file or directory",
    )


def test_python_dash_m_bot(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--version"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "azby 0.1.0")
