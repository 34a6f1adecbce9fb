"""A fake Telegram Bot API: real HTTP on 127.0.0.1 that python-telegram-bot talks to
through `TELEGRAM_BASE_URL` (DESIGN §10).

Methods: getMe, getUpdates (long poll), deleteWebhook, setMyCommands, sendMessage,
sendPhoto, editMessageText, editMessageCaption, editMessageReplyMarkup,
answerCallbackQuery, getMyCommands. A test injects what a person does (`send_command`,
`press_button`) and reads what the bot did (`calls`). `fail_next` makes the next calls
fail (connection drop or HTTP error); `stop` releases pending long polls.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
        super().__init__()

    # -- control -----------------------------------------------------------------------

    def stop(self) -> None:
        with self._lock:  # wake long polls first, or shutdown waits for their timeout
            self._stopping = True
            self._lock.notify_all()
        super().stop()

    def fail_next(self, kind: str = "drop", times: int = 1) -> None:
        """Make the next calls fail: "drop" (no answer) or an HTTP status such as "502"."""
        with self._lock:
            self._failures.extend([kind] * times)

    def _next_message_id(self) -> int:
        self._message_id += 1
        return self._message_id

    def _push(self, update: dict[str, Any]) -> None:
        with self._lock:
            self._update_id += 1
            update["update_id"] = self._update_id
            self._updates.append(update)
            self._lock.notify_all()

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
    ) -> None:
        """A person sends `text` (e.g. "/status") in a chat (default: their private chat)."""
        chat_id = chat_id if chat_id is not None else user_id
        command = text.split()[0]
        self._push(
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
        self._push(
            {
                "callback_query": {
                    "id": f"cq{self._update_id}",
                    "from": self._user(user_id),
                    "chat_instance": "ci",
                    "data": data,
                    "message": message,
                }
            }
        )
        return self._update_id

    # -- reading what the bot did ----------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

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
        return {
            "message_id": self._next_message_id(),
            "date": int(time.time()),
            "chat": self._chat(int(params["chat_id"]), "private"),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "bot"},
            **extra,
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
        if method == "sendMessage":
            return self._message(params, text=params.get("text", ""))
        if method == "sendPhoto":
            return self._message(
                params,
                caption=params.get("caption", ""),
                photo=[{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
            )
        if method in ("editMessageText", "editMessageCaption"):
            return {
                "message_id": int(params.get("message_id", 0)),
                "date": int(time.time()),
                "chat": self._chat(int(params.get("chat_id", 0)), "private"),
                "text": params.get("text", params.get("caption", "")),
            }
        if method == "getMyCommands":
            return []
        return True  # setMyCommands, deleteWebhook, answerCallbackQuery, editMessageReplyMarkup

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
                with fake._lock:
                    failure = fake._failures.pop(0) if fake._failures else None
                    if method != "getUpdates":
                        fake.calls.append(Call(method, params))
                if failure == "drop":
                    self.drop_connection()
                    return
                if failure is not None:
                    self.send_json(
                        int(failure),
                        {"ok": False, "error_code": int(failure), "description": "Bad Gateway"},
                    )
                    return
                poll = min(float(params.get("timeout") or 0), 1.0)
                result = fake._answer(method, params, time.monotonic() + poll)
                self.send_json(200, {"ok": True, "result": result})

            do_GET = do_POST

        return _Handler


@contextmanager
def running_fake_telegram() -> Iterator[FakeTelegramServer]:
    server = FakeTelegramServer().start()
    try:
        yield server
    finally:
        server.stop()
