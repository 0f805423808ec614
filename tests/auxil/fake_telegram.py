"""A fake Telegram Bot API server for tests, spoken to by the real python-telegram-bot.

One aiohttp route, ``/bot{token}/{method}``, answers the methods azby uses with the shapes PTB
parses, and models the errors the bot must handle (blocked, unknown and migrated chats, 429,
bad HTML, over-long text, bad ``callback_data``). Tests push updates, inspect the recorded calls
and inject failures.

Two ways to run it:

- in the test's event loop::

      async with FakeTelegram() as tg:
          bot = telegram.Bot(tg.token, base_url=tg.base_url)

- in a background thread with its own loop, for a bot running as a subprocess::

      with FakeTelegramThread() as tg:
          proc = subprocess.Popen(["azby", "run"], env=tg.env(AZBY_TELEGRAM_TOKEN=tg.token))
          tg.push_command(42, "/start")
          tg.wait_for_call("sendMessage", lambda call: call.params["chat_id"] == 42)

Importing this module sets ``PTB_TIMEDELTA=1`` (else building ``RetryAfter`` warns, and tests run
with warnings as errors) and adds ``127.0.0.1,localhost`` to ``NO_PROXY`` (httpx honours proxy
variables).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from tests.auxil.loop_thread import AsyncStartStop, LoopThread, StartStop


def _bypass_proxy_for_localhost() -> None:
    for key in ("NO_PROXY", "no_proxy"):
        hosts = [host.strip() for host in os.environ.get(key, "").split(",") if host.strip()]
        hosts += [host for host in ("127.0.0.1", "localhost") if host not in hosts]
        os.environ[key] = ",".join(hosts)


os.environ.setdefault("PTB_TIMEDELTA", "1")
_bypass_proxy_for_localhost()

__all__ = [
    "DEFAULT_TOKEN",
    "DEFAULT_USER_ID",
    "ApiError",
    "Call",
    "FakeTelegram",
    "FakeTelegramThread",
    "busiest_second",
    "parse_html",
]

DEFAULT_TOKEN = "123456:TEST-token"
DEFAULT_BOT_USERNAME = "azby_test_bot"
DEFAULT_USER_ID = 1001
"""The sender of pushed group messages when no ``user_id`` is given."""

MAX_TEXT_UTF16 = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_COMMANDS = 100

Params = dict[str, Any]
Handler = Callable[[Params], Any]
T = TypeVar("T")

_LOGGER = logging.getLogger(__name__)

# Parameters PTB JSON-encodes (it sends every non-string value as JSON inside the form).
_JSON_PARAMS = frozenset(
    {
        "allowed_updates",
        "cache_time",
        "chat_id",
        "commands",
        "disable_notification",
        "disable_web_page_preview",
        "drop_pending_updates",
        "entities",
        "from_chat_id",
        "limit",
        "link_preview_options",
        "max_connections",
        "message_id",
        "message_thread_id",
        "offset",
        "protect_content",
        "reply_markup",
        "reply_parameters",
        "reply_to_message_id",
        "scope",
        "show_alert",
        "timeout",
        "user_id",
    }
)

_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


class ApiError(Exception):
    """A Bot API error response; raise it from a handler given to :meth:`FakeTelegram.register`.

    The HTTP status equals ``error_code``, because PTB picks its exception by HTTP status.
    """

    def __init__(
        self, error_code: int, description: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = dict(parameters) if parameters else None

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True, slots=True)
class Call:
    """One request the fake answered: canonical method name, decoded params, the response, and
    when the request arrived (``time.monotonic()``)."""

    method: str
    params: Params
    status: int
    response: dict[str, Any]
    at: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (HTTP 200)."""
        return self.status == 200

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call, else ``None``."""
        return self.response.get("result")


def busiest_second(calls: Iterable[Call]) -> int:
    """The most of ``calls`` that arrived within any one second (what Telegram's per-second
    limit counts)."""
    times = sorted(call.at for call in calls)
    busiest, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


@dataclass(slots=True)
class _Failure:
    method: str
    chat_id: int | str | None
    remaining: int
    error: ApiError


@dataclass(slots=True)
class _Changed:
    """Wakes every waiter on each :meth:`notify`.

    Like ``asyncio.Condition.notify_all``, but ``notify`` is a plain function, so pushing an
    update needs no ``await`` (and no lock) from a test.
    """

    _event: asyncio.Event = field(default_factory=asyncio.Event)

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Return once ``predicate()`` holds, checking after every notify."""
        while not predicate():
            await self._event.wait()


# --- HTML parse mode ---------------------------------------------------------------------------

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
_ATTR_RE = re.compile(r"""([a-zA-Z_:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_CHAR_REF_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_PLAIN_RE = re.compile(r"[^<&]+")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    """Telegram reports HTML errors at UTF-8 byte offsets (computed only for an error: per
    character it would make parsing quadratic)."""
    return len(text[:index].encode())


def _html_error(message: str) -> ApiError:
    return _bad_request(f"can't parse entities: {message}")


def _attributes(raw: str) -> dict[str, str]:
    return {
        m.group(1).lower(): next((g for g in m.group(2, 3, 4) if g is not None), "")
        for m in _ATTR_RE.finditer(raw)
    }


def _entity(tag: str, offset: int, length: int, attrs: dict[str, str]) -> dict[str, Any] | None:
    entity: dict[str, Any] = {"type": _ENTITY_TYPES[tag], "offset": offset, "length": length}
    if tag == "a":
        if not attrs.get("href"):
            return None
        entity["url"] = attrs["href"]
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    return entity


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram's HTML parse mode into plain text and entities (offsets in UTF-16 units).

    Raises :class:`ApiError` 400 ``can't parse entities`` for an unsupported tag, a tag not
    closed or closed out of order, or an ``&`` that does not start ``&lt; &gt; &amp; &quot;`` or
    a numeric reference. That last rule is stricter than Telegram, which passes a bare ``&``
    through; the bot must escape feed text anyway.
    """
    out: list[str] = []
    units = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "&":
            ref = _CHAR_REF_RE.match(text, i)
            if ref is None:
                raise _html_error(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            name, decimal, hexadecimal = ref.groups()
            code = int(decimal) if decimal else int(hexadecimal, 16) if hexadecimal else None
            if code is not None and not (0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF):
                raise _html_error(
                    f"Invalid character reference at byte offset {_byte_offset(text, i)}"
                )
            decoded = _NAMED_REFS[name] if name else chr(code or 0)
            out.append(decoded)
            units += _utf16_len(decoded)
            i = ref.end()
            continue
        if char != "<":  # a run of plain text, up to the next tag or reference
            run = _PLAIN_RE.match(text, i)
            assert run is not None  # it matches at least this character
            out.append(run.group())
            units += _utf16_len(run.group())
            i = run.end()
            continue
        tag = _TAG_RE.match(text, i)
        if tag is None:
            raise _html_error(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
        closing, name, rest = tag.group(1), tag.group(2).lower(), tag.group(3)
        if not closing:
            if name not in _ENTITY_TYPES:
                raise _html_error(
                    f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}'
                )
            attrs = _attributes(rest)
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise _html_error(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, i)}'
                )
            stack.append((name, units, attrs))
        else:
            if not stack:
                raise _html_error(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
            open_name, start, attrs = stack.pop()
            if open_name != name:
                raise _html_error(
                    f'Unmatched end tag at byte offset {_byte_offset(text, i)}, expected "</{open_name}>", '
                    f'found "</{name}>"'
                )
            language = attrs.get("class", "").removeprefix("language-")
            if name == "code" and stack and stack[-1][0] == "pre" and language:
                stack[-1][2]["language"] = language  # <pre><code class="language-x">: one entity
            elif units > start and (entity := _entity(name, start, units - start, attrs)):
                entities.append(entity)
        i = tag.end()
    if stack:
        raise _html_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


# --- the server ----------------------------------------------------------------------------------


def _decode(key: str, value: Any) -> Any:
    if key in _JSON_PARAMS and isinstance(value, str):
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


async def _read_params(request: web.Request) -> Params:
    params: Params = dict(request.query)
    if request.content_type == "application/json" and request.can_read_body:
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            params[key] = value if isinstance(value, str) else getattr(value, "filename", value)
    return {key: _decode(key, value) for key, value in params.items()}


def _chat_type(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    return "supergroup" if chat_id <= -1_000_000_000_000 else "group"


class FakeTelegram(AsyncStartStop):
    """A fake Bot API server on ``127.0.0.1`` with controls for tests.

    State a test may set directly (all keyed by chat id):

    - ``blocked_chats``: ``set[int]``; calls with that ``chat_id`` get 403 (private chat: "bot was
      blocked by the user", group: "bot was kicked from the group chat").
    - ``unknown_chats``: ``set[int]``; 400 ``Bad Request: chat not found``.
    - ``migrated_chats``: ``dict[int, int]``; 400 with ``parameters.migrate_to_chat_id``.
    - ``admins``: ``dict[int, set[int]]``; user ids that ``getChatMember`` and
      ``getChatAdministrators`` report as administrators.

    All methods must run on the loop that runs the server; from another thread use
    :class:`FakeTelegramThread`.
    """

    def __init__(
        self, token: str = DEFAULT_TOKEN, bot_username: str = DEFAULT_BOT_USERNAME
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.port: int | None = None
        self.base_url = ""
        self.calls: list[Call] = []
        self.blocked_chats: set[int] = set()
        self.unknown_chats: set[int] = set()
        self.migrated_chats: dict[int, int] = {}
        self.admins: dict[int, set[int]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook_url = ""
        self.webhook_secret = ""
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_callback_id = 1
        self._message_ids: dict[int, int] = {}
        self._bot_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._failures: list[_Failure] = []
        self._changed = _Changed()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "answerCallbackQuery": lambda params: True,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "sendChatAction": lambda params: True,
            "close": lambda params: True,
            "logOut": lambda params: True,
        }

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free port of ``127.0.0.1``; then ``port`` and ``base_url`` are set."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._closing = False
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        """Wake parked long polls (they return no updates), then close the server."""
        self._closing = True
        self._changed.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a bot subprocess: ``os.environ`` plus ``AZBY_TELEGRAM_API_URL``,
        ``PTB_TIMEDELTA`` and ``NO_PROXY``, then ``extra`` (e.g. the token variable)."""
        return {
            **os.environ,
            "AZBY_TELEGRAM_API_URL": self.base_url,
            "PTB_TIMEDELTA": "1",
            "NO_PROXY": os.environ["NO_PROXY"],
            "no_proxy": os.environ["no_proxy"],
            **extra,
        }

    # --- controls: updates ----------------------------------------------------------------------

    def push_update(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """Queue an update for ``getUpdates`` (``update_id`` assigned if absent); return it."""
        queued = dict(update)
        if "update_id" not in queued:
            queued["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, queued["update_id"]) + 1
        self._updates.append(queued)
        self._changed.notify()
        return queued

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        first_name: str = "Tester",
        username: str | None = "tester",
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Queue a text message from a user. ``chat_type`` defaults from the id's sign (> 0:
        private, ≤ -10¹²: supergroup, else group); ``user_id`` defaults to ``chat_id`` in a
        private chat, else :data:`DEFAULT_USER_ID`. Returns the update."""
        kind = chat_type or _chat_type(chat_id)
        sender_id = user_id if user_id is not None else chat_id if kind == "private" else None
        sender: dict[str, Any] = {
            "id": DEFAULT_USER_ID if sender_id is None else sender_id,
            "is_bot": False,
            "first_name": first_name,
        }
        if username:
            sender["username"] = username
        self._users[sender["id"]] = sender
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            chat |= {key: sender[key] for key in ("first_name", "username") if key in sender}
        else:
            chat["title"] = f"Chat {chat_id}"
        self._chats[chat_id] = chat
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        return self.push_update({"message": message})

    def push_command(self, chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """Queue a command such as ``"/trade 10"`` with the ``bot_command`` entity that PTB's
        ``CommandHandler`` requires. Keyword arguments are those of :meth:`push_message`."""
        if not text.startswith("/"):
            raise ValueError(f"a command starts with '/': {text!r}")
        command = text.split(maxsplit=1)[0]
        entity = {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
        return self.push_message(chat_id, text, entities=[entity], **kwargs)

    def push_callback_query(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a button press on a bot message (default: its latest message in the chat)."""
        if message_id is None:
            sent = [mid for (cid, mid) in self._bot_messages if cid == chat_id]
            message_id = max(sent, default=None) or self._new_message_id(chat_id)
        message = self._bot_messages.get((chat_id, message_id)) or {
            "message_id": message_id,
            "from": self._bot_user(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "text": "",
        }
        sender_id = user_id if user_id is not None else chat_id if chat_id > 0 else DEFAULT_USER_ID
        query = {
            "id": str(self._next_callback_id),
            "from": self._user(sender_id),
            "chat_instance": str(chat_id),
            "message": message,
            "data": data,
        }
        self._next_callback_id += 1
        return self.push_update({"callback_query": query})

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a ``getUpdates`` offset."""
        return list(self._updates)

    # --- controls: errors and chats -------------------------------------------------------------

    def inject_failures(
        self,
        method: str,
        n: int = 1,
        error_code: int = 429,
        description: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        *,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``n`` calls of ``method`` (to ``chat_id`` only, if given) fail.

        A 429 gets ``parameters={"retry_after": 1}`` and ``Too Many Requests: retry after 1``
        unless given; other codes get no parameters. Queued failures are used in order.
        """
        if parameters is None and error_code == 429:
            parameters = {"retry_after": 1}
        if description is None:
            description = {
                400: "Bad Request: injected failure",
                403: "Forbidden: injected failure",
                429: f"Too Many Requests: retry after {(parameters or {}).get('retry_after')}",
            }.get(error_code, "Internal Server Error: injected failure")
        error = ApiError(error_code, description, parameters)
        self._failures.append(_Failure(self._canonical(method), chat_id, n, error))

    def set_blocked(self, chat_id: int, blocked: bool = True) -> None:
        """Make the bot blocked by (or kicked from) ``chat_id``, or undo it."""
        (self.blocked_chats.add if blocked else self.blocked_chats.discard)(chat_id)

    def set_unknown(self, chat_id: int, unknown: bool = True) -> None:
        """Make ``chat_id`` answer ``chat not found``, or undo it."""
        (self.unknown_chats.add if unknown else self.unknown_chats.discard)(chat_id)

    def set_migrated(self, chat_id: int, new_chat_id: int) -> None:
        """Make ``chat_id`` a group upgraded to the supergroup ``new_chat_id``."""
        self.migrated_chats[chat_id] = new_chat_id

    def set_admins(self, chat_id: int, user_ids: set[int] | list[int]) -> None:
        """Set the users reported as administrators of ``chat_id``."""
        self.admins[chat_id] = set(user_ids)

    def register(self, method: str, handler: Handler) -> None:
        """Answer ``method`` with ``handler(params)`` (sync or async); it returns the ``result``
        or raises :class:`ApiError`. Replaces a built-in handler of the same name."""
        self._handlers[method] = handler

    # --- inspection -----------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of ``method`` (matched case-insensitively), oldest first."""
        name = self._canonical(method)
        return [call for call in self.calls if call.method == name]

    def sent_messages(self, chat_id: int | None = None) -> list[Params]:
        """Params (``chat_id``, raw ``text``, ``parse_mode``, ``reply_markup``…) of the
        successful ``sendMessage`` calls, to ``chat_id`` if given, oldest first."""
        return [
            call.params
            for call in self.calls_to("sendMessage")
            if call.ok and (chat_id is None or call.params.get("chat_id") == chat_id)
        ]

    def bot_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The bot's messages as Telegram holds them now (after edits), oldest first."""
        return [m for (cid, _), m in self._bot_messages.items() if chat_id in (None, cid)]

    def my_commands(self, scope: Mapping[str, Any] | None = None, language_code: str = "") -> Any:
        """The commands set for ``scope`` (default: ``{"type": "default"}``) and language."""
        return self.commands.get((self._scope_key(scope), language_code), [])

    async def wait_for_calls(
        self,
        method: str,
        count: int,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - the helper's deadline, reported on expiry
    ) -> list[Call]:
        """Wait until ``count`` calls of ``method`` matching ``predicate`` were recorded (calls
        made before this wait count too); return the first ``count`` of them."""
        name = self._canonical(method)

        def matching() -> list[Call]:
            return [
                call
                for call in self.calls
                if call.method == name and (predicate is None or predicate(call))
            ]

        try:
            async with asyncio.timeout(timeout):
                await self._changed.wait_for(lambda: len(matching()) >= count)
        except TimeoutError:
            seen = [(call.status, call.params) for call in self.calls_to(name)][-5:]
            recent = [call.method for call in self.calls[-10:]]
            raise TimeoutError(
                f"{len(matching())} of {count} matching {name} calls after {timeout}s; "
                f"last {name} calls (status, params): {seen}; last methods called: {recent}"
            ) from None
        return matching()[:count]

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> Call:
        """Wait for the first call of ``method`` matching ``predicate`` (it may already have
        happened) and return it; raise ``TimeoutError`` listing the calls seen otherwise."""
        return (await self.wait_for_calls(method, 1, predicate, timeout))[0]

    # --- HTTP -----------------------------------------------------------------------------------

    def _canonical(self, method: str) -> str:
        lowered = method.lower()
        return next((name for name in self._handlers if name.lower() == lowered), method)

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        name = self._canonical(request.match_info["method"])
        params = await _read_params(request)
        try:
            handler = self._handlers.get(name)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            self._raise_injected_failure(name, params)
            self._check_chat(params)
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.error_code, error.payload()
        except (KeyError, TypeError, ValueError) as error:  # a missing or malformed parameter
            status, body = 400, _bad_request(f"fake_telegram: {error!r}").payload()
        _LOGGER.debug("%s %s -> %s %s", name, params, status, body)
        self.calls.append(Call(name, params, status, body, arrived))
        self._changed.notify()
        return web.json_response(body, status=status)

    def _raise_injected_failure(self, method: str, params: Params) -> None:
        for failure in self._failures:
            if failure.method == method and failure.chat_id in (None, params.get("chat_id")):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                raise failure.error

    def _check_chat(self, params: Params) -> None:
        chat_id = params.get("chat_id")
        if chat_id is None:
            return
        if not isinstance(chat_id, int) or chat_id in self.unknown_chats:
            raise _bad_request("chat not found")
        if chat_id in self.migrated_chats:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated_chats[chat_id]},
            )
        if chat_id in self.blocked_chats:
            raise ApiError(
                403,
                "Forbidden: bot was blocked by the user"
                if chat_id > 0
                else "Forbidden: bot was kicked from the group chat",
            )

    # --- shapes ---------------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Azby Test",
            "username": self.bot_username,
        }

    def _user(self, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            return self._bot_user()
        return self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User {user_id}",
        }

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self._chats:
            return self._chats[chat_id]
        kind = _chat_type(chat_id)
        if kind == "private":
            return {"id": chat_id, "type": kind, "first_name": f"User {chat_id}"}
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _new_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    @staticmethod
    def _scope_key(scope: Any) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    # --- methods --------------------------------------------------------------------------------

    def _get_me(self, params: Params) -> dict[str, Any]:
        return self._bot_user() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        # Only the offset confirms updates: one returned but never confirmed comes back.
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        if not self._updates and timeout > 0 and not self._closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._changed.wait_for(lambda: bool(self._updates) or self._closing)
        return [] if self._closing else self._updates[:limit]

    def _delete_webhook(self, params: Params) -> bool:
        self.webhook_url = self.webhook_secret = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_webhook(self, params: Params) -> bool:
        url = str(params.get("url") or "")
        secret = str(params.get("secret_token") or "")
        if url and not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad_request("secret token contains unallowed characters")
        self.webhook_url, self.webhook_secret = url, secret
        return True

    def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _set_my_commands(self, params: Params) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "")) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands[key] = commands
        return True

    def _get_my_commands(self, params: Params) -> Any:
        return self.my_commands(params.get("scope"), str(params.get("language_code") or ""))

    def _delete_my_commands(self, params: Params) -> bool:
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands.pop(key, None)
        return True

    def _content(self, params: Params) -> dict[str, Any]:
        """Validate text and keyboard as Telegram does; return the message fields they yield."""
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            raise _bad_request("message text is empty")
        if str(params.get("parse_mode") or "").lower() == "html":
            text, entities = parse_html(raw)
        else:
            text, entities = raw, []
        if not text.strip():
            raise _bad_request("message text is empty")
        if _utf16_len(text) > MAX_TEXT_UTF16:
            raise _bad_request("message is too long")
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        markup = params.get("reply_markup")
        if markup is not None:
            if not isinstance(markup, dict):
                raise _bad_request("can't parse reply keyboard markup JSON object")
            for row in markup.get("inline_keyboard") or []:
                for button in row:
                    data = button.get("callback_data")
                    size = len(str(data).encode())
                    if data is not None and not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad_request("BUTTON_DATA_INVALID")
            if "inline_keyboard" in markup:
                content["reply_markup"] = markup
        return content

    def _send_message(self, params: Params) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise _bad_request("chat_id is empty")
        message = {
            "message_id": self._new_message_id(chat_id),
            "from": self._bot_user(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **self._content(params),
        }
        self._bot_messages[(chat_id, message["message_id"])] = message
        return message

    def _edit_message_text(self, params: Params) -> dict[str, Any] | bool:
        content = self._content(params)
        if params.get("inline_message_id"):
            return True
        key = (params.get("chat_id"), params.get("message_id"))
        message = self._bot_messages.get(key)  # type: ignore[arg-type]
        if message is None:
            raise _bad_request("message to edit not found")
        fields = ("text", "entities", "reply_markup")
        if all(message.get(f) == content.get(f) for f in fields):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        edited = {k: v for k, v in message.items() if k not in fields}
        edited |= content | {"edit_date": int(time.time())}
        self._bot_messages[key] = edited  # type: ignore[index]
        return edited

    def _get_chat(self, params: Params) -> dict[str, Any]:
        return self._chat(params["chat_id"]) | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        if user_id in self.admins.get(chat_id, set()):
            return {"status": "administrator", "user": self._user(user_id), **_ADMIN_RIGHTS}
        return {"status": "member", "user": self._user(user_id)}

    def _get_chat_member(self, params: Params) -> dict[str, Any]:
        if not isinstance(params.get("user_id"), int):
            raise _bad_request("invalid user_id specified")
        return self._member(params["chat_id"], params["user_id"])

    def _get_chat_administrators(self, params: Params) -> list[dict[str, Any]]:
        chat_id = params["chat_id"]
        if _chat_type(chat_id) == "private":
            raise _bad_request("there are no administrators in the private chat")
        return [self._member(chat_id, user_id) for user_id in sorted(self.admins.get(chat_id, ()))]


class FakeTelegramThread(StartStop):
    """A :class:`FakeTelegram` running in a daemon thread with its own event loop.

    For tests whose bot runs elsewhere (a subprocess, or a loop the test must not block). Every
    method is thread-safe: it runs on the server's loop and returns the result. ``fake`` is the
    server itself; touch it only through :meth:`run`.
    """

    def __init__(
        self, token: str = DEFAULT_TOKEN, bot_username: str = DEFAULT_BOT_USERNAME
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.fake: FakeTelegram | None = None
        self._loop = LoopThread("fake-telegram", owner="FakeTelegramThread")

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop thread and the server; return once it listens."""
        self._loop.start()

        async def start_fake() -> FakeTelegram:
            fake = FakeTelegram(self.token, self.bot_username)
            await fake.start()
            return fake

        try:
            self.fake = self._loop.run(start_fake)
        except BaseException:
            self._loop.stop()
            raise

    def stop(self) -> None:
        """Stop the server (waking parked long polls), the loop and the thread."""
        if not self._loop.running:
            return
        try:
            if self.fake is not None:
                self._loop.run(self.fake.stop)
        finally:
            self._loop.stop()

    def run(self, fn: Callable[[FakeTelegram], T]) -> T:
        """Call ``fn(fake)`` on the server's loop and return its result (the escape hatch)."""
        return self._loop.call(lambda: fn(self._server))

    @property
    def _server(self) -> FakeTelegram:
        if self.fake is None:
            raise RuntimeError("FakeTelegramThread is not running; use it as a context manager")
        return self.fake

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._server.port is not None
        return self._server.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:{port}/bot``, for ``base_url(...)`` or ``AZBY_TELEGRAM_API_URL``."""
        return self._server.base_url

    def env(self, **extra: str) -> dict[str, str]:
        """See :meth:`FakeTelegram.env`."""
        return self._server.env(**extra)

    # --- delegated controls ---------------------------------------------------------------------

    def push_update(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """See :meth:`FakeTelegram.push_update`."""
        return self.run(lambda tg: tg.push_update(update))

    def push_message(self, chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """See :meth:`FakeTelegram.push_message`."""
        return self.run(lambda tg: tg.push_message(chat_id, text, **kwargs))

    def push_command(self, chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """See :meth:`FakeTelegram.push_command`."""
        return self.run(lambda tg: tg.push_command(chat_id, text, **kwargs))

    def push_callback_query(self, chat_id: int, data: str, **kwargs: Any) -> dict[str, Any]:
        """See :meth:`FakeTelegram.push_callback_query`."""
        return self.run(lambda tg: tg.push_callback_query(chat_id, data, **kwargs))

    def pending_updates(self) -> list[dict[str, Any]]:
        """See :attr:`FakeTelegram.pending_updates`."""
        return self.run(lambda tg: tg.pending_updates)

    def inject_failures(
        self, method: str, n: int = 1, error_code: int = 429, **kwargs: Any
    ) -> None:
        """See :meth:`FakeTelegram.inject_failures`."""
        self.run(lambda tg: tg.inject_failures(method, n, error_code, **kwargs))

    def set_blocked(self, chat_id: int, blocked: bool = True) -> None:
        """See :meth:`FakeTelegram.set_blocked`."""
        self.run(lambda tg: tg.set_blocked(chat_id, blocked))

    def set_unknown(self, chat_id: int, unknown: bool = True) -> None:
        """See :meth:`FakeTelegram.set_unknown`."""
        self.run(lambda tg: tg.set_unknown(chat_id, unknown))

    def set_migrated(self, chat_id: int, new_chat_id: int) -> None:
        """See :meth:`FakeTelegram.set_migrated`."""
        self.run(lambda tg: tg.set_migrated(chat_id, new_chat_id))

    def set_admins(self, chat_id: int, user_ids: set[int] | list[int]) -> None:
        """See :meth:`FakeTelegram.set_admins`."""
        self.run(lambda tg: tg.set_admins(chat_id, user_ids))

    def calls(self, method: str | None = None) -> list[Call]:
        """A snapshot of the recorded calls, of ``method`` only if given."""
        return self.run(lambda tg: list(tg.calls) if method is None else tg.calls_to(method))

    def sent_messages(self, chat_id: int | None = None) -> list[Params]:
        """See :meth:`FakeTelegram.sent_messages`."""
        return self.run(lambda tg: tg.sent_messages(chat_id))

    def bot_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """See :meth:`FakeTelegram.bot_messages`."""
        return self.run(lambda tg: tg.bot_messages(chat_id))

    def my_commands(self, scope: Mapping[str, Any] | None = None, language_code: str = "") -> Any:
        """See :meth:`FakeTelegram.my_commands`."""
        return self.run(lambda tg: tg.my_commands(scope, language_code))

    def wait_for_calls(
        self,
        method: str,
        count: int,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,
    ) -> list[Call]:
        """Blocking :meth:`FakeTelegram.wait_for_calls` (``predicate`` runs on the loop)."""
        server = self._server
        return self._loop.run(
            lambda: server.wait_for_calls(method, count, predicate, timeout), None
        )

    def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,
    ) -> Call:
        """Blocking :meth:`FakeTelegram.wait_for_call`; raises ``TimeoutError``."""
        return self.wait_for_calls(method, 1, predicate, timeout)[0]

    async def wait_for_call_async(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> Call:
        """:meth:`wait_for_call` that does not block the calling event loop."""
        server = self._server
        future = self._loop.submit(lambda: server.wait_for_call(method, predicate, timeout))
        return await asyncio.wrap_future(future)
