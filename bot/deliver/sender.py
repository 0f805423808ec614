"""The outbox sender: delivers queued messages within Telegram's limits and never loses one.

Limits: ``rate`` messages in any one second overall, as Telegram sees them arrive, spread out
evenly (``bot.deliver.window``), one message a ``private_interval`` per private chat and one a
``group_interval`` per group (20 a minute). Outcomes::

    delivered              → sent
    429 RetryAfter         → the chat's messages wait retry_after, then go again (in the same
                             drain when that is within RETRY_WAIT seconds)
    403 Forbidden          → chat deactivated (until it sends /start), its queue dropped
    400 chat not found     → the same
    ChatMigrated           → chat id and queue moved to the supergroup, sent there
    other 400              → this message dropped, logged (e.g. HTML Telegram refuses)
    network error, 5xx     → retried with backoff (2 s, 4 s … 10 min); dropped after 10 tries

Delivered messages are marked sent in small batches, every ``MARK_EVERY`` seconds (one write
per message would cap the rate well below the limit); a sender that dies leaves its claimed
messages to be reclaimed after ``reclaim_after``: only the messages in flight at the crash, or
accepted since its last mark, can be sent twice (one or two at Telegram's 30 a second).

The sender's store writes (claims, marks, what a refusal changes) go one at a time, and a
sending turn (``concurrency`` of them) covers the pacing and the send only: a chat whose
message was refused does its store writes without holding up the others. A batch's chats are
sent by twice as many workers as turns; the next batch is claimed while the last chats of the
current one are still sending, and a drain's first claim is small, so its first message goes
out at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.deliver.limits import DeliveryLimits
from bot.deliver.window import SendWindow
from bot.models import OutboxMessage
from storage import StorageError, Store

__all__ = [
    "DELIVERY_FAILURES",
    "DELIVERY_OUTCOMES",
    "MARK_EVERY",
    "RETRY_WAIT",
    "DeliveryLimits",
    "SendReport",
    "Sender",
]

MARK_EVERY = 0.1
# a drain waits for a message a 429 deferred when it is due again within this many seconds
RETRY_WAIT = 5.0
# what a send can come to: "sent", or a failed attempt's reason (``SendReport.failures``)
DELIVERY_OUTCOMES = (
    "sent",
    "rate_limited",
    "network_error",
    "migrated",
    "blocked",
    "chat_not_found",
    "refused",
    "given_up",
)
# the failure reasons that count as delivery failures (admin notices, ``outbox.failed_at``)
DELIVERY_FAILURES = ("network_error", "refused", "given_up")
# The sender needs a send's outcome, not the message sent: ``Bot.do_api_request`` returns the
# Bot API's answer as it is, where ``Bot.send_message`` builds a ``Message`` from it (a fifth
# of a send's CPU at 1,000 a second, bench/delivery.py); errors are raised the same way, and an
# ExtBot's rate limiter sees the call the same way. PTB warns when do_api_request is called by
# the name of a method it has a function for (``send_message``, ``sendMessage``); Bot API
# method names are case-insensitive, so this spelling reaches the same method without it.
_SEND_MESSAGE = "SendMessage"
# one each, not one a message (they are frozen)
_PREVIEWS = {
    True: LinkPreviewOptions(is_disabled=False),
    False: LinkPreviewOptions(is_disabled=True),
}

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SendReport:
    """What one drain did."""

    sent: int = 0
    deferred: int = 0
    dropped: int = 0
    chats_deactivated: list[int] = field(default_factory=list)
    # each failed attempt by reason (one of ``DELIVERY_OUTCOMES`` other than "sent")
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def rate_limited(self) -> int:
        """Sends answered 429 (each deferred until its retry_after)."""
        return self.failures["rate_limited"]

    @property
    def failed(self) -> int:
        """Attempts that failed on the way (network, 5xx, refused, given up): what admin
        notices count. Not 429s, blocked chats or migrations: those are Telegram's normal."""
        return sum(self.failures[reason] for reason in DELIVERY_FAILURES)


class Sender:
    """Drains the outbox through a python-telegram-bot ``Bot``."""

    def __init__(
        self,
        store: Store,
        bot: Bot,
        limits: DeliveryLimits | None = None,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        may_claim: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        """``may_claim``: asked before each claim (with several processes: still the leader?)."""
        limits = limits or DeliveryLimits()
        self._store, self._bot, self._limits, self._now = store, bot, limits, now
        self._may_claim = may_claim
        # bursts of what is sent between two marks anyway: a crash leaves no more sent but unmarked
        self._window = SendWindow.per_second(limits.rate, burst_seconds=MARK_EVERY)
        # when each chat may get its next message (monotonic seconds)
        self._next_ok: defaultdict[int, float] = defaultdict(float)
        self._delivered: list[int] = []
        # when the messages 429s deferred are due again (monotonic), soonest first
        self._retries: list[float] = []
        # the sender's store writes, one at a time: concurrent SQLite writers wait in SQLite's
        # busy handler, in sleeps of up to 100 ms, and a write there took a second under load
        self._writing = asyncio.Lock()

    async def drain(self, max_seconds: float = 30.0) -> SendReport:
        """Send what is due until the outbox is empty of due messages or time is up; a
        message a 429 deferred is waited for and sent again when it is due within
        ``RETRY_WAIT`` seconds (and the time)."""
        report = SendReport()
        deadline = time.monotonic() + max_seconds
        await self._mark_delivered()  # anything a failed earlier drain could not mark
        limit = asyncio.Semaphore(self._limits.concurrency)
        done = asyncio.Event()
        marker = asyncio.create_task(self._mark_periodically(done))
        running: set[asyncio.Task[None]] = set()
        # the first claim small, so the sending starts at once, then each one larger, up to a
        # batch, claimed while the last one sends (2,000 took ~0.1 s at the start of a fan-out)
        size = 2 * self._limits.concurrency
        try:
            # one TaskGroup for the whole drain: when one chat's queue fails, the others are
            # cancelled, not left sending after the drain returned (their deliveries would go
            # unmarked); and the next batch is claimed while the last chats of this one are
            # still sending, so the sending never stops for a claim
            async with asyncio.TaskGroup() as group:
                while time.monotonic() < deadline:
                    if self._may_claim is not None and not await self._may_claim():
                        break  # not the leader (any more), or stopping: what runs finishes
                    async with self._writing:
                        claimed = time.monotonic()  # before ``now``: see _retry_wait
                        now = self._now()
                        batch = await self._store.claim_outbox(
                            now,
                            limit=min(size, self._limits.batch),
                            reclaim_before=now - self._limits.reclaim_after,
                        )
                        # as the claim saw it (marks are written under the same lock)
                        settled = not running and not self._delivered
                    if not batch:
                        if settled:
                            wait = self._retry_wait(claimed, deadline)
                            if wait is None:
                                break
                            await asyncio.sleep(wait)  # then claim what has come due
                            continue
                        # what the chats still sending defer or move (a migrated group's
                        # queue), and a chat's next part once this one is marked, may be due
                        # at once: claim again when they are done and marked
                        if running:
                            await asyncio.wait(running)
                        await self._mark_delivered()
                        continue
                    size *= 4
                    await self._start_batch(batch, group, limit, report, running)
        except* StorageError as failed:
            raise failed.exceptions[0] from None  # the caller handles a StorageError
        finally:
            done.set()
            await marker
        return report

    def _retry_wait(self, claimed: float, deadline: float) -> float | None:
        """How long to wait before claiming again for a message a 429 deferred (``None``: no
        such message is due again soon, before ``deadline``: the drain is over).

        Telegram's short flood waits (a second or two) would otherwise add up to a whole
        sender period to a fan-out; a longer wait is left to a later drain. The wait is cut
        into slices of a second at most, so messages queued meanwhile are not held up.
        """
        # due by the claim made at ``claimed`` (monotonic, read before its wall-clock ``now``,
        # as each due time is read after the deferral's): seen by it, sent, or gone
        while self._retries and self._retries[0] <= claimed:
            heapq.heappop(self._retries)
        if not self._retries:
            return None
        now = time.monotonic()
        due = self._retries[0]
        if due > deadline or due - now > RETRY_WAIT:
            return None
        return min(max(due - now, 0.0), 1.0)

    async def _mark_periodically(self, done: asyncio.Event) -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), MARK_EVERY)
            await self._mark_delivered()

    async def _start_batch(
        self,
        batch: list[OutboxMessage],
        group: asyncio.TaskGroup,
        limit: asyncio.Semaphore,
        report: SendReport,
        running: set[asyncio.Task[None]],
    ) -> None:
        """Start sending ``batch``; return once so few of its chats are left that the next
        claim should start (so the claimed but unsent stay under a batch and a quarter, far
        from ``reclaim_after``)."""
        by_chat: defaultdict[int, list[OutboxMessage]] = defaultdict(list)
        for message in batch:
            by_chat[message.chat_id].append(message)
        unfinished = len(by_chat)
        low = asyncio.Event()
        low_water = max(self._limits.concurrency, self._limits.batch // 4)

        async def chat_queue(messages: list[OutboxMessage]) -> None:
            nonlocal unfinished
            try:
                for index, message in enumerate(messages):
                    if not await self._send_one(message, report, limit):
                        # this chat's later messages were deferred or dropped with it
                        del messages[index + 1 :]
                        return
            finally:
                unfinished -= 1
                if unfinished <= low_water:
                    low.set()

        chats = deque(by_chat.values())

        async def work() -> None:
            while chats:
                await chat_queue(chats.popleft())

        # a few workers a batch, not a task a chat: a batch's thousands of tasks, each started
        # only to wait for a turn, cost CPU, held up the sending while they started, and living
        # for seconds made the garbage collector's full passes (tens of ms each, the event loop
        # stopped) several times as frequent. Twice as many workers as turns: those whose chat
        # was refused do its store writes while the others keep every turn busy
        for _ in range(min(len(chats), 2 * self._limits.concurrency)):
            task = group.create_task(work())
            running.add(task)
            task.add_done_callback(running.discard)
        if unfinished > low_water:
            await low.wait()

    async def _mark_delivered(self) -> None:
        if not self._delivered:
            return
        async with self._writing:
            ids, self._delivered = self._delivered, []
            if not ids:
                return
            try:
                await self._store.finish_outbox(ids, self._now())
            except BaseException:
                self._delivered[:0] = ids  # marked at the next try, not sent again
                raise

    async def _pace(self, chat_id: int) -> None:
        interval = self._limits.private_interval if chat_id > 0 else self._limits.group_interval
        wait = self._next_ok[chat_id] - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._next_ok[chat_id] = time.monotonic() + interval

    async def _send_one(
        self, message: OutboxMessage, report: SendReport, turn: asyncio.Semaphore
    ) -> bool:
        """True when the chat's next message may follow."""
        try:
            # a turn covers the pacing and the send, not the store writes after a failure
            async with turn:
                await self._pace(message.chat_id)
                async with self._window:
                    await self._bot.do_api_request(
                        _SEND_MESSAGE,
                        {
                            "chat_id": message.chat_id,
                            "text": message.text,
                            "parse_mode": ParseMode.HTML,
                            "link_preview_options": _PREVIEWS[message.link_previews],
                        },
                    )
        except RetryAfter as exc:
            report.failures["rate_limited"] += 1
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            self._next_ok[message.chat_id] = time.monotonic() + seconds
            due = await self._defer(
                message, seconds, f"429: retry after {seconds:g} s", report, count=False
            )
            heapq.heappush(self._retries, due)
            return False
        except Forbidden as exc:
            report.failures["blocked"] += 1
            await self._deactivate(message.chat_id, f"Forbidden: {exc.message}", report)
            return False
        except ChatMigrated as exc:
            new_id = int(exc.new_chat_id)
            report.failures["migrated"] += 1
            log.info("chat %s became supergroup %s: queue moved", message.chat_id, new_id)
            async with self._writing:
                await self._store.migrate_chat(message.chat_id, new_id, self._now())
                await self._store.move_outbox(message.chat_id, new_id)
            report.deferred += 1
            return False
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                report.failures["chat_not_found"] += 1
                await self._deactivate(message.chat_id, exc.message, report)
                return False
            report.failures["refused"] += 1
            log.error(
                "message %s to chat %s refused: %s",
                message.id,
                message.chat_id,
                exc.message,
                extra={"chat_id": message.chat_id},
            )
            async with self._writing:
                await self._store.drop_outbox(
                    message.chat_id, exc.message, message_id=message.id, failed_at=self._now()
                )
            report.dropped += 1
            return True
        except TelegramError as exc:  # network errors, timeouts, 5xx
            if message.attempts + 1 >= self._limits.max_attempts:
                report.failures["given_up"] += 1
                log.error(
                    "message %s to chat %s given up: %s",
                    message.id,
                    message.chat_id,
                    exc,
                    extra={"chat_id": message.chat_id},
                )
                async with self._writing:
                    await self._store.drop_outbox(
                        message.chat_id, str(exc), message_id=message.id, failed_at=self._now()
                    )
                report.dropped += 1
                return True
            report.failures["network_error"] += 1
            backoff = min(600.0, 2.0 ** (message.attempts + 1))
            await self._defer(message, backoff, f"{type(exc).__name__}: {exc}", report, failed=True)
            return False
        self._delivered.append(message.id)
        report.sent += 1
        return True

    async def _defer(
        self,
        message: OutboxMessage,
        seconds: float,
        error: str,
        report: SendReport,
        *,
        count: bool = True,
        failed: bool = False,
    ) -> float:
        """Returns when (monotonic) the message is due again."""
        now = self._now()
        due = time.monotonic() + seconds  # read after ``now``: see _retry_wait
        not_before = now + timedelta(seconds=seconds)
        async with self._writing:
            await self._store.defer_outbox(
                message, not_before, error, count=count, failed_at=now if failed else None
            )
        report.deferred += 1
        return due

    async def _deactivate(self, chat_id: int, reason: str, report: SendReport) -> None:
        log.info(
            "chat %s cannot receive messages (%s): deactivated",
            chat_id,
            reason,
            extra={"chat_id": chat_id},
        )
        async with self._writing:
            await self._store.set_chat_active(chat_id, False, self._now())
            # awaited first: ``report.dropped += await …`` would read the count before the
            # await and lose what other chats' tasks added meanwhile
            dropped = await self._store.drop_outbox(chat_id, reason)
        report.dropped += dropped
        report.chats_deactivated.append(chat_id)
