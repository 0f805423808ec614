"""Metrics fed from plain results, the health verdict, the webhook URL and the new settings."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.config import ConfigError, load_settings
from bot.deliver.sender import SendReport
from bot.metrics import DELIVERY_OUTCOMES, Metrics
from bot.poll import FeedResult
from bot.web import SCHEDULER_STALE_AFTER, Webhook, health


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_a_poll_cycle_counts_feeds_items_articles_and_stories() -> None:
    metrics = Metrics()
    results = [
        FeedResult("Trend", "u1", "ok", items=10, new=4, relevant=2, stories=1),
        FeedResult("BelTA", "u2", "ok", items=5, new=5, relevant=3, stories=3),
        FeedResult("Report", "u3", "not_modified"),
        FeedResult("Down", "u4", "error", error="HTTP 500"),
    ]
    metrics.observe_poll(results, 2.5, at=1_800_000_000.0)
    assert [
        value(metrics, "azby_feeds_polled_total", status=s) for s in ("ok", "not_modified", "error")
    ] == [2, 1, 1]
    assert value(metrics, "azby_items_fetched_total") == 15
    assert value(metrics, "azby_articles_new_total") == 9
    assert value(metrics, "azby_articles_relevant_total") == 5
    assert value(metrics, "azby_stories_new_total") == 4
    assert value(metrics, "azby_poll_duration_seconds_count") == 1
    assert value(metrics, "azby_poll_duration_seconds_sum") == 2.5
    assert value(metrics, "azby_poll_duration_seconds_bucket", le="2.5") == 1
    assert value(metrics, "azby_poll_duration_seconds_bucket", le="1.0") == 0
    assert value(metrics, "azby_last_poll_success_timestamp_seconds") == 1_800_000_000.0


def test_a_cycle_where_every_feed_failed_is_no_success() -> None:
    metrics = Metrics()
    metrics.observe_poll([FeedResult("Trend", "u", "ok")], 1, at=100.0)
    metrics.observe_poll([FeedResult("Trend", "u", "error", error="timeout")], 1, at=200.0)
    assert value(metrics, "azby_last_poll_success_timestamp_seconds") == 100.0
    assert value(metrics, "azby_poll_duration_seconds_count") == 2


def test_deliveries_by_outcome() -> None:
    metrics = Metrics()
    report = SendReport(sent=7, failures=Counter({"rate_limited": 2, "blocked": 1}))
    metrics.observe_send(report)
    metrics.observe_send(SendReport(sent=1, failures=Counter({"rate_limited": 1})))
    got = {o: value(metrics, "azby_deliveries_total", outcome=o) for o in DELIVERY_OUTCOMES}
    assert got == {
        "sent": 8,
        "rate_limited": 3,
        "network_error": 0,
        "migrated": 0,
        "blocked": 1,
        "chat_not_found": 0,
        "refused": 0,
        "given_up": 0,
    }
    # the sender's bot has no counting rate limiter: its 429s count among all the bot's
    assert value(metrics, "azby_telegram_rate_limited_total") == 3


def test_each_metrics_has_its_own_registry_and_renders_the_text_format() -> None:
    first, second = Metrics(), Metrics()
    first.rate_limited.inc(3)
    first.outbox_depth.set(12)
    first.job_ran("sender", at=50.0)
    assert value(second, "azby_telegram_rate_limited_total") == 0
    assert first.last_run("sender") == 50.0 and second.last_run("sender") is None
    page = first.render().decode()
    assert "azby_telegram_rate_limited_total 3.0" in page
    assert "azby_outbox_depth 12.0" in page
    assert 'azby_job_last_run_timestamp_seconds{job="sender"} 50.0' in page
    assert "# TYPE azby_poll_duration_seconds histogram" in page
    assert "python_gc" not in page  # not the global registry's process collectors


class TestHealth:
    def test_healthy(self) -> None:
        assert health(store_error=None, last_send=990.0, started=0.0, now=1000.0) == []

    def test_a_new_process_gets_time_to_run_its_jobs(self) -> None:
        assert health(store_error=None, last_send=None, started=995.0, now=1000.0) == []

    def test_the_store_not_answering(self) -> None:
        reasons = health(store_error="database is locked", last_send=999.0, started=0, now=1000)
        assert reasons == ["store: database is locked"]

    def test_a_stuck_scheduler(self) -> None:
        now = 10_000.0
        stale = now - SCHEDULER_STALE_AFTER - 1
        assert health(store_error=None, last_send=stale, started=0, now=now) == [
            f"scheduler: the sender job last ran {SCHEDULER_STALE_AFTER + 1:.0f} s ago "
            "(expected every few seconds)"
        ]
        never = health(store_error=None, last_send=None, started=stale, now=now)
        assert never == ["scheduler: the sender job has not run (expected every few seconds)"]


class TestWebhookUrl:
    def test_path_and_given_secret(self) -> None:
        hook = Webhook.from_url("https://bot.example.org:8443/tg/hook?x=1", "s3cret")
        assert (hook.path, hook.secret, hook.generated) == ("/tg/hook", "s3cret", False)

    def test_a_random_secret_each_time(self) -> None:
        first = Webhook.from_url("https://bot.example.org", None)
        second = Webhook.from_url("https://bot.example.org", None)
        assert first.path == "/" and first.generated
        assert first.secret != second.secret and len(first.secret) >= 32
        assert Webhook.from_url("https://b.example.org", first.secret).secret == first.secret

    @pytest.mark.parametrize(
        ("url", "message"),
        [
            ("http://bot.example.org/tg", "must be a public https URL"),
            ("bot.example.org/tg", "must be a public https URL"),
            ("https:///tg", "must be a public https URL"),
            ("https://bot.example.org:99999/tg", "must be a public https URL"),
            ("https://bot.example.org:8080/tg", "only delivers to ports 443, 80, 88 and 8443"),
            ("https://u:p@bot.example.org/tg", "no user, password or #fragment"),
            ("http://u:p@bot.example.org/tg", "no user, password or #fragment"),
            ("https://bot.example.org/metrics", "taken by the health endpoints"),
            ("https://bot.example.org/healthz/", "taken by the health endpoints"),
        ],
    )
    def test_refused(self, url: str, message: str) -> None:
        with pytest.raises(ConfigError, match=r"^--webhook: ") as caught:
            Webhook.from_url(url, None)
        assert message in str(caught.value)
        assert "u:p" not in str(caught.value)  # a password is never quoted back


class TestSettings:
    def test_defaults_change_nothing(self) -> None:
        settings = load_settings({})
        assert (
            settings.log_format,
            settings.http_host,
            settings.http_port,
            settings.webhook_secret,
        ) == ("text", "127.0.0.1", None, None)

    def test_every_variable(self) -> None:
        settings = load_settings(
            {
                "AZBY_LOG_FORMAT": "JSON",
                "AZBY_HTTP_HOST": "0.0.0.0",
                "AZBY_HTTP_PORT": "9100",
                "AZBY_WEBHOOK_SECRET": "abc_DEF-123",
            }
        )
        assert (
            settings.log_format,
            settings.http_host,
            settings.http_port,
            settings.webhook_secret,
        ) == ("json", "0.0.0.0", 9100, "abc_DEF-123")
        assert load_settings({"AZBY_HTTP_PORT": "0"}).http_port == 0

    @pytest.mark.parametrize(
        ("environ", "message"),
        [
            ({"AZBY_LOG_FORMAT": "xml"}, "AZBY_LOG_FORMAT: 'xml' is not one of text/json"),
            ({"AZBY_HTTP_PORT": "http"}, "AZBY_HTTP_PORT: 'http' is not a port number"),
            ({"AZBY_HTTP_PORT": "70000"}, "AZBY_HTTP_PORT: '70000' is not a port number"),
            ({"AZBY_HTTP_PORT": "-1"}, "AZBY_HTTP_PORT: '-1' is not a port number"),
            ({"AZBY_HTTP_PORT": "²"}, "AZBY_HTTP_PORT: '²' is not a port number"),
        ],
    )
    def test_mistakes_are_one_line(self, environ: dict[str, str], message: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings(environ)
        assert str(caught.value).startswith(message)

    def test_a_bad_secret_is_refused_without_being_quoted(self) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings({"AZBY_WEBHOOK_SECRET": "has space:and-colon"})
        assert str(caught.value) == (
            "AZBY_WEBHOOK_SECRET: must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
