"""Settings from the environment and feeds.yaml: valid files load, mistakes are one line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, load_feeds_file, load_settings, parse_feeds_yaml, parse_interval
from bot.models import FeedConfig

DEFAULT_TOPICS = [
    "trade", "defence", "energy", "diplomacy", "industry",
    "agriculture", "transport", "education", "health", "culture",
]  # fmt: skip
REPO = Path(__file__).resolve().parents[2]


def parse(text: str) -> object:
    return parse_feeds_yaml(text, Path("feeds.yaml"))


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return str(caught.value)


class TestSettings:
    def test_defaults(self) -> None:
        settings = load_settings({})
        assert (
            settings.telegram_token,
            settings.telegram_api_url,
            settings.database_url,
            settings.feeds_file,
            settings.admin_ids,
            settings.allow_private_networks,
        ) == (
            None,
            "https://api.telegram.org/bot",
            "sqlite+aiosqlite:///data/azby.sqlite3",
            Path("feeds.yaml"),
            frozenset(),
            False,
        )

    def test_every_variable(self) -> None:
        settings = load_settings(
            {
                "AZBY_TELEGRAM_TOKEN": "123:abc",
                "AZBY_TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
                "AZBY_DATABASE_URL": "postgresql+asyncpg://u@h/db",
                "AZBY_FEEDS_FILE": "/etc/azby/feeds.yaml",
                "AZBY_ADMIN_IDS": "1, 22 ,333",
                "AZBY_ALLOW_PRIVATE_NETWORKS": "true",
            }
        )
        assert settings.require_token() == "123:abc"
        assert settings.telegram_api_url == "http://127.0.0.1:8081/bot"
        assert settings.database_url == "postgresql+asyncpg://u@h/db"
        assert settings.feeds_file == Path("/etc/azby/feeds.yaml")
        assert settings.admin_ids == frozenset({1, 22, 333})
        assert settings.allow_private_networks is True

    def test_missing_token_says_how_to_set_it(self) -> None:
        with pytest.raises(ConfigError, match="AZBY_TELEGRAM_TOKEN is not set: get a token"):
            load_settings({}).require_token()

    @pytest.mark.parametrize(
        ("env", "message"),
        [
            ({"AZBY_ADMIN_IDS": "12,bob"}, "AZBY_ADMIN_IDS: 'bob' is not a Telegram user id"),
            ({"AZBY_ALLOW_PRIVATE_NETWORKS": "maybe"}, "AZBY_ALLOW_PRIVATE_NETWORKS: 'maybe'"),
            ({"AZBY_TELEGRAM_API_URL": "ftp://x/bot"}, "must be an http(s) URL"),
        ],
    )
    def test_bad_variables(self, env: dict[str, str], message: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings(env)
        assert message in str(caught.value)


class TestFeedsFile:
    def test_the_shipped_feeds_yaml_is_valid(self) -> None:
        config = load_feeds_file(REPO / "feeds.yaml")
        assert len(config.feeds) >= 8
        assert [t.key for t in config.topics] == DEFAULT_TOPICS
        assert all(f.url.startswith("https://") for f in config.feeds)

    def test_only_feeds_is_valid(self) -> None:
        config = parse("feeds:\n  - name: Trend\n    url: https://en.trend.az/rss\n")
        assert config.feeds == (FeedConfig("Trend", "https://en.trend.az/rss"),)
        assert [t.key for t in config.topics] == DEFAULT_TOPICS

    def test_empty_file_and_empty_list_are_valid(self) -> None:
        assert parse("").feeds == ()
        assert parse("feeds: []\n").feeds == ()

    def test_every_feed_field(self) -> None:
        config = parse(
            "feeds:\n"
            "  - name: BelTA\n    url: https://www.belta.by/rss\n    language: ru\n"
            "    interval: 1h30m\n    enabled: false\n"
        )
        assert config.feeds == (
            FeedConfig("BelTA", "https://www.belta.by/rss", "ru", timedelta(minutes=90), False),
        )

    def test_topics_can_be_added_overridden_and_removed(self) -> None:
        config = parse(
            "topics:\n"
            "  sport:\n    title: Sport\n    description: matches\n    keywords: [football, матч]\n"
            "  culture: null\n"
            "  trade:\n    title: Commerce\n"
        )
        keys = [t.key for t in config.topics]
        assert keys == [k for k in DEFAULT_TOPICS if k != "culture"] + ["sport"]
        trade = config.topic("trade")
        assert trade is not None and trade.title == "Commerce" and trade.keywords

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            (
                "feeds:\n  - name: A\n    url: https://a/rss\n    interval: 15 minutes\n",
                "feeds.yaml line 4: feeds[0].interval: must look like 10m or 1h (got '15 minutes')",
            ),
            (
                "feeds:\n  - name: A\n    url: ftp://a/rss\n",
                "feeds.yaml line 3: feeds[0].url: must be an http(s) URL with a host",
            ),
            (
                "feeds:\n  - name: A\n    url: https://a/rss\n    colour: red\n",
                "feeds.yaml line 4: feeds[0].colour: unknown key `colour`",
            ),
            (
                "feeds:\n  - name: A\n",
                "feeds.yaml line 2: feeds[0].url: missing required key `url`",
            ),
            ("feedz: []\n", "feeds.yaml line 1: feedz: unknown key `feedz`"),
            ("feeds: [\n  - name: A\n", "feeds.yaml line 2: invalid YAML"),
            ("- just\n- a list\n", "feeds.yaml line 1: must be a mapping with a `feeds:` list"),
            (
                "feeds:\n  - {name: A, url: 'https://a/rss'}\n  - {name: a, url: 'https://b/rss'}\n",
                "feeds.yaml line 3: feeds[1].name: duplicate of feeds[0] ('a')",
            ),
            (
                "feeds:\n  - {name: A, url: 'https://a/rss', interval: 1s}\n",
                "feeds.yaml line 2: feeds[0].interval: must be at least 10s",
            ),
            (
                "poll:\n  concurrency: 0\n",
                "feeds.yaml line 2: poll.concurrency: Input should be greater",
            ),
            (
                "poll:\n  workers: -1\n",
                "feeds.yaml line 2: poll.workers: Input should be greater than or equal to 0",
            ),
            (
                "relevance:\n  threshold: 2\n",
                "feeds.yaml line 2: relevance.threshold: Input should be less",
            ),
            (
                "feeds:\n  - {name: A, url: 'http://a:port/x'}\n",
                "feeds.yaml line 2: feeds[0].url: must be an http(s) URL",
            ),
            (
                "topics:\n" + "".join(f"  {k}: null\n" for k in DEFAULT_TOPICS),
                "feeds.yaml line 1: topics: at least one topic must remain",
            ),
            (
                "digest:\n  timezone: Europe\n",
                "feeds.yaml line 2: digest.timezone: must be an IANA",
            ),
            (
                "digest:\n  timezone: Mars/Olympus\n",
                "feeds.yaml line 2: digest.timezone: must be an IANA time zone",
            ),
            (
                "topics:\n  Bad Key:\n    title: X\n    keywords: [x]\n",
                "feeds.yaml line 2: topics.Bad Key: ",
            ),
            (
                "topics:\n  help:\n    title: Help\n    keywords: [x]\n",
                "feeds.yaml line 2: topics.help: `help` is already a bot command",
            ),
        ],
    )
    def test_mistakes_are_one_line_naming_the_line(self, text: str, message: str) -> None:
        error = error_of(text)
        assert message in error
        assert "\n" not in error

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match=r"no such file \(set AZBY_FEEDS_FILE"):
            load_feeds_file(tmp_path / "absent.yaml")

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "feeds.yaml"
        path.write_bytes("feeds: []\n# Беларусь".encode("cp1251"))
        with pytest.raises(ConfigError, match="cannot read"):
            load_feeds_file(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("1d", timedelta(days=1)),
        ("90s", timedelta(seconds=90)),
        ("1h30m", timedelta(minutes=90)),
        (600, timedelta(minutes=10)),
    ],
)
def test_parse_interval(value: object, expected: timedelta) -> None:
    assert parse_interval(value) == expected
