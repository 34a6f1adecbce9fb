"""A fake Telegram Bot API: real HTTP on 127.0.0.1 that python-telegram-bot talks to
through `TELEGRAM_BASE_URL` (DESIGN §10).

Methods: getMe, getUpdates (long poll), deleteWebhook, setMyCommands, sendMessage,
sendPhoto, editMessageText, editMessageCaption, editMessageReplyMarkup,
answerCallbackQuery, getMyCommands. A test injects what a person does (`send_command`,
`send_text`, `press_button`) and reads what the bot did (`calls`, each with the time it arrived and
the result it got) and what each chat now shows (`shown`: text, caption and buttons of
every message the bot sent, after its edits). As Telegram does, editing the caption of
a text message (or the text of a photo) is refused with 400, and so is an edit that
changes nothing. `fail_next` makes the next calls fail (connection drop, an HTTP error,
or "429" with retry_after=1); `stop` releases pending long polls.

`until(predicate)` waits in a test's event loop until the predicate holds, woken by each
call the bot makes (and by `poke`, e.g. from the agent's event bus): no fixed sleeps.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import inspect
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.loopback import JsonHandler, LoopbackServer

BOT_ID = 7_000_001


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    received: float = field(default_factory=time.perf_counter)
    result: Any = None


@dataclass
class Shown:
    """A message the bot sent, as the chat shows it now."""

    chat_id: int
    message_id: int
    photo: bool
    text: str
    markup: dict[str, Any] | None
    edits: int = 0
    silent: bool = False
    """Sent with `disable_notification`: the phone shows it without a sound."""
    reply_to: int | None = None
    """The message it answers (`reply_parameters.message_id`)."""

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of its inline buttons, row by row."""
        rows = (self.markup or {}).get("inline_keyboard") or []
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(body)
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        params: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            params[name] = (
                payload if part.get_filename() else _decode(payload.decode(errors="replace"))
            )
        return params
    return {k: _decode(v[-1]) for k, v in parse_qs(body.decode()).items()}


class _ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


class FakeTelegramServer(LoopbackServer):
    def __init__(self, token: str = "123456:TEST-token-for-the-fake-server-only") -> None:
        self.token = token
        self.calls: list[Call] = []
        self._updates: list[dict[str, Any]] = []
        self._update_id = 100
        self._message_id = 1000
        self._lock = threading.Condition()
        self._stopping = False
        self._failures: list[str] = []
        self.delivered: dict[int, float] = {}
        """update_id → `time.perf_counter()` when getUpdates handed it to the bot."""
        self.shown: dict[tuple[int, int], Shown] = {}
        """(chat id, message id) → what that message shows now."""
        self._watchers: list[Callable[[], None]] = []
        super().__init__()

    # -- control -----------------------------------------------------------------------

    def stop(self) -> None:
        with self._lock:  # wake long polls first, or shutdown waits for their timeout
            self._stopping = True
            self._lock.notify_all()
        super().stop()

    def fail_next(self, kind: str = "drop", times: int = 1) -> None:
        """Make the next calls fail: "drop" (no answer), an HTTP status such as "502", or
        "429" (Telegram's flood control, retry after 1 s)."""
        with self._lock:
            self._failures.extend([kind] * times)

    # -- waiting without sleeping ------------------------------------------------------

    def poke(self) -> None:
        """Wake every `until` (the bot called, or the test knows something changed)."""
        with self._lock:
            watchers = list(self._watchers)
        for wake in watchers:
            wake()

    async def until(
        self,
        predicate: Callable[[], object],
        timeout: float = 10.0,
        what: str = "",
        *,
        tick: float | None = None,
    ) -> None:
        """Return once `predicate()` is true, re-checked whenever the bot calls the API
        or something pokes; fail after `timeout` seconds. `tick` re-checks at least that
        often, for state nothing announces (a row the bot writes in the background)."""
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(changed.set)

        with self._lock:
            self._watchers.append(wake)
        try:
            deadline = loop.time() + timeout
            while True:
                changed.clear()  # before the check: a change after it wakes the wait
                if predicate():
                    return
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise AssertionError(
                        f"not met within {timeout:g} s: {what or _source(predicate)}"
                    )
                wait = remaining if tick is None else min(remaining, tick)
                with suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), wait)
        finally:
            with self._lock:
                self._watchers.remove(wake)

    def _next_message_id(self) -> int:
        with self._lock:
            self._message_id += 1
            return self._message_id

    def _push(self, update: dict[str, Any]) -> int:
        with self._lock:
            self._update_id += 1
            update["update_id"] = self._update_id
            self._updates.append(update)
            self._lock.notify_all()
            return self._update_id

    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}

    @staticmethod
    def _chat(chat_id: int, chat_type: str) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "a group"
        return chat

    def send_command(
        self, user_id: int, text: str, *, chat_id: int | None = None, chat_type: str = "private"
    ) -> int:
        """A person sends `text` (e.g. "/status") in a chat (default: their private chat).
        Returns the update id."""
        chat_id = chat_id if chat_id is not None else user_id
        command = text.split()[0]
        return self._push(
            {
                "message": {
                    "message_id": self._next_message_id(),
                    "date": int(time.time()),
                    "from": self._user(user_id),
                    "chat": self._chat(chat_id, chat_type),
                    "text": text,
                    "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
                }
            }
        )

    def send_text(self, user_id: int, text: str, *, reply_to: int | None = None) -> int:
        """A person sends plain `text` in their private chat — what a reply keyboard's
        button sends (no command entity), or, with `reply_to`, their answer to the bot's
        message of that id (a ForceReply question). Returns the update id."""
        message: dict[str, Any] = {
            "message_id": self._next_message_id(),
            "date": int(time.time()),
            "from": self._user(user_id),
            "chat": self._chat(user_id, "private"),
            "text": text,
        }
        if reply_to is not None:
            shown = self.shown.get((user_id, reply_to))
            message["reply_to_message"] = {
                "message_id": reply_to,
                "date": int(time.time()),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "bot"},
                "chat": self._chat(user_id, "private"),
                "text": shown.text if shown else "",
            }
        return self._push({"message": message})

    def press_button(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int,
        chat_id: int | None = None,
        chat_type: str = "private",
        photo: bool = False,
    ) -> int:
        """Returns the update id of the press."""
        chat_id = chat_id if chat_id is not None else user_id
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "bot"},
        }
        if photo:
            message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
            message["caption"] = "signal"
        else:
            message["text"] = "signal"
        return self._push(
            {
                "callback_query": {
                    "id": f"cq{self._next_message_id()}",
                    "from": self._user(user_id),
                    "chat_instance": "ci",
                    "data": data,
                    "message": message,
                }
            }
        )

    # -- reading what the bot did ----------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[Call]:
        """Messages the bot sent to a chat (text and photo), in arrival order."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method in ("sendMessage", "sendPhoto")
                and int(c.params.get("chat_id", 0)) == chat_id
            ]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {method} call(s), saw {len(self.calls_to(method))}")

    # -- the API ---------------------------------------------------------------------------

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        message = {
            "message_id": self._next_message_id(),
            "date": int(time.time()),
            "chat": self._chat(int(params["chat_id"]), "private"),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "bot"},
            **extra,
        }
        key = (int(params["chat_id"]), message["message_id"])
        reply = params.get("reply_parameters") or {}
        self.shown[key] = Shown(
            *key,
            photo="photo" in extra,
            text=str(extra.get("caption", extra.get("text", ""))),
            markup=params.get("reply_markup") or None,
            silent=bool(params.get("disable_notification")),
            reply_to=reply.get("message_id") if isinstance(reply, dict) else None,
        )
        return message

    def _edit_markup(self, params: dict[str, Any]) -> Any:
        key = (int(params.get("chat_id", 0)), int(params.get("message_id", 0)))
        markup = params.get("reply_markup") or None
        shown = self.shown.get(key)
        if shown is None:
            return True
        if markup == shown.markup:
            raise _ApiError(400, "Bad Request: message is not modified")
        shown.markup = markup
        shown.edits += 1
        return {
            "message_id": key[1],
            "date": int(time.time()),
            "chat": self._chat(key[0], "private"),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "bot"},
            ("caption" if shown.photo else "text"): shown.text,
        }

    def _edit(self, method: str, params: dict[str, Any]) -> Any:
        key = (int(params.get("chat_id", 0)), int(params.get("message_id", 0)))
        caption = method == "editMessageCaption"
        text = str(params.get("caption" if caption else "text", ""))
        shown = self.shown.get(key)
        if shown is not None:  # a press on a message the test made up has nothing to check
            if caption != shown.photo:
                what = "caption" if caption else "text"
                raise _ApiError(400, f"Bad Request: there is no {what} in the message to edit")
            if text == shown.text and (params.get("reply_markup") or None) == shown.markup:
                raise _ApiError(400, "Bad Request: message is not modified")
            shown.text, shown.markup = text, params.get("reply_markup") or None
            shown.edits += 1
        return {
            "message_id": key[1],
            "date": int(time.time()),
            "chat": self._chat(key[0], "private"),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "bot"},
            ("caption" if caption else "text"): text,
        }

    def _answer(self, method: str, params: dict[str, Any], poll_deadline: float) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "stockbot",
                "username": "stockbot_test_bot",
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            with self._lock:
                while not self._stopping:
                    ready = [u for u in self._updates if u["update_id"] >= offset]
                    if ready or time.monotonic() >= poll_deadline:
                        for update in ready:
                            self.delivered.setdefault(update["update_id"], time.perf_counter())
                        return ready
                    self._lock.wait(timeout=0.05)
            return []
        with self._lock:
            if method == "sendMessage":
                return self._message(params, text=params.get("text", ""))
            if method == "sendPhoto":
                return self._message(
                    params,
                    caption=params.get("caption", ""),
                    photo=[{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
                )
            if method in ("editMessageText", "editMessageCaption"):
                return self._edit(method, params)
            if method == "editMessageReplyMarkup":
                return self._edit_markup(params)
        if method == "getMyCommands":
            return []
        return True  # setMyCommands, deleteWebhook, answerCallbackQuery

    def _handler_class(self) -> type[JsonHandler]:
        fake = self

        class _Handler(JsonHandler):
            def do_POST(self) -> None:
                path = urlparse(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                params = parse_body(self.headers.get("Content-Type", ""), self.rfile.read(length))
                prefix = f"/bot{fake.token}/"
                if not path.startswith(prefix):
                    self.send_json(
                        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    )
                    return
                method = path[len(prefix) :]
                call = Call(method, params)
                with fake._lock:
                    failure = fake._failures.pop(0) if fake._failures else None
                    if method != "getUpdates":
                        fake.calls.append(call)
                if failure is not None:
                    fake.poke()
                if failure == "drop":
                    self.drop_connection()
                    return
                if failure == "429":
                    self.send_error_json(
                        _ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
                    )
                    return
                if failure is not None:
                    self.send_error_json(_ApiError(int(failure), "Bad Gateway"))
                    return
                poll = min(float(params.get("timeout") or 0), 1.0)
                try:
                    call.result = fake._answer(method, params, time.monotonic() + poll)
                except _ApiError as error:
                    call.result = error
                    self.send_error_json(error)
                    return
                finally:
                    if method != "getUpdates":
                        fake.poke()
                self.send_json(200, {"ok": True, "result": call.result})

            def send_error_json(self, error: _ApiError) -> None:
                payload: dict[str, Any] = {
                    "ok": False,
                    "error_code": error.status,
                    "description": error.description,
                }
                if error.retry_after is not None:
                    payload["parameters"] = {"retry_after": error.retry_after}
                self.send_json(error.status, payload)

            do_GET = do_POST

        return _Handler


def _source(predicate: Callable[[], object]) -> str:
    """The predicate's line of code, for a failure message a person can read."""
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)


@contextmanager
def running_fake_telegram() -> Iterator[FakeTelegramServer]:
    server = FakeTelegramServer().start()
    try:
        yield server
    finally:
        server.stop()
