"""An optional abstractive summariser through an OpenAI-compatible chat endpoint.

Off unless ``AZBY_LLM_URL`` is set. Every call has a deadline and counts against a daily token
budget (``llm.daily_tokens`` in feeds.yaml); any failure, an exhausted budget or an unusable
answer gives None, and the caller keeps the extractive summary.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx

__all__ = ["LlmSettings", "LlmSummariser"]

log = logging.getLogger(__name__)

_PROMPT = (
    "Summarise this news article about relations between Azerbaijan and Belarus in 1-3 "
    "sentences, at most {limit} characters, in {language}. Keep figures, dates and names "
    "exact. Answer with the summary only.\n\nTitle: {title}\n\n{text}"
)
_LANGUAGES = {"en": "English", "ru": "Russian", "az": "Azerbaijani"}


@dataclass(frozen=True, slots=True)
class LlmSettings:
    """Where the endpoint is and how much it may cost."""

    url: str  # base URL, e.g. http://127.0.0.1:8000/v1 (``/chat/completions`` is appended)
    model: str
    api_key: str | None = None
    timeout: float = 20.0
    daily_tokens: int = 200_000
    max_input_chars: int = 6_000
    limit: int = 350


class LlmSummariser:
    """Summaries from the endpoint, within the budget; None whenever it cannot help."""

    def __init__(self, settings: LlmSettings, client: httpx.AsyncClient | None = None) -> None:
        # the endpoint is the operator's own (often on localhost): no SSRF guard here
        self._owned = client is None
        self._client = client or httpx.AsyncClient(timeout=settings.timeout)
        self._settings = settings
        self._day: date | None = None
        self._spent = 0

    def _budget_left(self, today: date) -> int:
        if self._day != today:
            self._day, self._spent = today, 0
        return self._settings.daily_tokens - self._spent

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()

    async def summarise(self, title: str, text: str, language: str) -> str | None:
        """A summary of at most ``settings.limit`` characters in ``language``, or None."""
        today = datetime.now(UTC).date()
        if self._budget_left(today) <= 0:
            log.info("LLM summaries: daily token budget spent, using extractive summaries")
            return None
        settings = self._settings
        prompt = _PROMPT.format(
            limit=settings.limit,
            language=_LANGUAGES.get(language, "the article's language"),
            title=title,
            text=text[: settings.max_input_chars],
        )
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        body = {
            "model": settings.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0.2,
            "max_tokens": 200,
        }
        try:
            async with asyncio.timeout(settings.timeout):
                response = await self._client.post(
                    settings.url.rstrip("/") + "/chat/completions", json=body, headers=headers
                )
            response.raise_for_status()
            answer = response.json()
            self._spent += int((answer.get("usage") or {}).get("total_tokens") or 0)
            content = str(answer["choices"][0]["message"]["content"] or "")
        except (TimeoutError, httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning(
                "LLM summary failed, using the extractive one: %s", exc or type(exc).__name__
            )
            return None
        return _fit(content, settings.limit)


def _fit(content: str, limit: int) -> str | None:
    """The answer, trimmed to whole sentences within ``limit``; None when unusable."""
    summary = " ".join(content.split()).strip().strip('"')
    if not summary:
        return None
    if len(summary) <= limit:
        return summary
    cut = summary[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end > limit // 3:
        return cut[: end + 1]
    return cut.rsplit(" ", 1)[0].rstrip(",;:") + "…"
