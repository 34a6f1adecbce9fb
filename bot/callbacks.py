"""Signed callback data for inline buttons (≤ 64 bytes, Telegram's limit).

`<action>|<arg>|<arg>…|<signature>`: the signature is an HMAC-SHA256 (truncated to 72
bits, base64url) over the action, the arguments and the chat id, keyed from the bot's
secret. A button copied to another chat, or data forged by a client, fails to verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

MAX_BYTES = 64
SEPARATOR = "|"


class ForgedCallback(ValueError):
    """Callback data that does not verify; refused and audited."""


@dataclass(frozen=True)
class Callback:
    action: str
    args: tuple[str, ...]


class CallbackSigner:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"stockbot-callback:" + secret.encode()).digest()

    def _signature(self, payload: str, chat_id: int) -> str:
        mac = hmac.new(self._key, f"{payload}{SEPARATOR}{chat_id}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:9]).decode()

    def sign(self, action: str, *args: str, chat_id: int) -> str:
        payload = SEPARATOR.join((action, *args))
        data = f"{payload}{SEPARATOR}{self._signature(payload, chat_id)}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data {data!r} is longer than {MAX_BYTES} bytes")
        return data

    def verify(self, data: str, chat_id: int) -> Callback:
        payload, _, signature = data.rpartition(SEPARATOR)
        expected = self._signature(payload, chat_id)
        if not payload or not hmac.compare_digest(signature, expected):
            raise ForgedCallback("callback data does not verify")
        action, *args = payload.split(SEPARATOR)
        return Callback(action, tuple(args))
