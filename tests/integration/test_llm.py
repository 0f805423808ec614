"""The optional LLM summariser against a local fake OpenAI-compatible endpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.config import load_settings, parse_feeds_yaml
from bot.fetch.client import make_client
from bot.fetch.llm import LlmSettings, LlmSummariser
from bot.poll import poll_feeds, summariser_for
from storage import Store
from tests.auxil.feed_server import FeedServer


class FakeLlm:
    """``POST /v1/chat/completions`` answering what the test sets, recording each request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer = "Azerbaijan and Belarus raised trade to $412.6 million in ten months."
        self.status = 200
        self.delay = 0.0
        self.tokens = 120

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            {"body": await request.json(), "auth": request.headers.get("Authorization")}
        )
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": {"message": "boom"}}, status=self.status)
        return web.json_response(
            {
                "choices": [{"message": {"role": "assistant", "content": self.answer}}],
                "usage": {"total_tokens": self.tokens},
            }
        )


@pytest.fixture
async def llm() -> AsyncIterator[tuple[FakeLlm, str]]:
    fake = FakeLlm()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}/v1"
    await runner.cleanup()


def summariser(url: str, **changes: Any) -> LlmSummariser:
    return LlmSummariser(LlmSettings(url=url, model="tiny", api_key="k-123", **changes))


async def test_a_summary_from_the_endpoint(llm: tuple[FakeLlm, str]) -> None:
    fake, url = llm
    s = summariser(url)
    try:
        summary = await s.summarise("Trade up", "Long text " * 2000, "ru")
    finally:
        await s.aclose()
    assert summary == fake.answer
    (request,) = fake.requests
    assert request["auth"] == "Bearer k-123"
    assert request["body"]["model"] == "tiny"
    prompt = request["body"]["messages"][0]["content"]
    assert "in Russian" in prompt and len(prompt) < 6_600  # the text is cut to the input cap


@pytest.mark.parametrize("failure", ["status", "timeout", "garbage", "empty"])
async def test_failures_fall_back(llm: tuple[FakeLlm, str], failure: str) -> None:
    fake, url = llm
    if failure == "status":
        fake.status = 500
    elif failure == "timeout":
        fake.delay = 2
    elif failure == "empty":
        fake.answer = "   "
    s = summariser(url if failure != "garbage" else url.replace("/v1", "/nothing"), timeout=0.5)
    try:
        assert await s.summarise("t", "x", "en") is None
    finally:
        await s.aclose()


async def test_the_daily_budget_caps_the_cost(llm: tuple[FakeLlm, str]) -> None:
    fake, url = llm
    fake.tokens = 300
    s = summariser(url, daily_tokens=500)
    try:
        results = [await s.summarise("t", "x", "en") for _ in range(4)]
    finally:
        await s.aclose()
    assert results == [fake.answer, fake.answer, None, None]
    assert len(fake.requests) == 2  # no call once the budget is spent


async def test_an_over_long_answer_is_cut_at_a_sentence(llm: tuple[FakeLlm, str]) -> None:
    fake, url = llm
    fake.answer = "First sentence about Baku and Minsk. " * 20
    s = summariser(url)
    try:
        summary = await s.summarise("t", "x", "en")
    finally:
        await s.aclose()
    assert summary is not None and len(summary) <= 350 and summary.endswith("Minsk.")


async def test_the_poll_cycle_uses_it_for_relevant_articles_only(
    llm: tuple[FakeLlm, str], sqlite_store: Store
) -> None:
    fake, url = llm
    settings = load_settings({"AZBY_LLM_URL": url, "AZBY_LLM_MODEL": "tiny"})
    async with FeedServer() as server:
        server.add_file("/rss", "belta-ru-mixed.rss")
        config = parse_feeds_yaml(
            f"feeds:\n  - {{name: BelTA, url: '{server.url('/rss')}'}}\n"
            "poll: {full_text: false, backlog_age: 3650d}\n",
            Path("feeds.yaml"),
        )
        s = summariser_for(settings, config)
        assert s is not None
        await sqlite_store.sync_feeds(config.feeds, datetime.now(UTC))
        async with make_client(allow_private_networks=True) as client:
            await poll_feeds(sqlite_store, config, client, summariser=s)
        await s.aclose()
    relevant = await sqlite_store.latest_articles(limit=100)
    others = [
        a
        for a in await sqlite_store.latest_articles(limit=100, relevant_only=False)
        if not a.relevant
    ]
    assert relevant and all(a.summary == fake.answer for a in relevant)
    assert others and all(a.summary != fake.answer for a in others)
    assert len(fake.requests) == len(relevant)
    assert json.dumps(fake.requests[0]["body"], ensure_ascii=False).count("Беларус") >= 1
