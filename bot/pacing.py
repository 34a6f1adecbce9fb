"""How fast the bot may talk (Telegram's limits), as plain arithmetic on a clock.

Telegram allows about one message per second in a chat (short bursts are tolerated),
20 per minute in a group, and about 30 per second over all chats; above that it answers
429 "retry after". The outbox asks a `Pace` how long to wait before the next message
and tells it when one was sent. No asyncio here, so the rules are tested as functions.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

CHAT_RATE = 1.0
"""Messages per second to one chat, sustained."""
CHAT_BURST = 3
"""Messages one chat may get at once after a quiet spell."""
GROUP_LIMIT = (20, 60.0)
"""At most 20 messages per 60 seconds in a group (negative chat ids)."""
GLOBAL_LIMIT = (25, 1.0)
"""At most 25 messages per second over all chats (Telegram's is about 30)."""


@dataclass
class TokenBucket:
    """`burst` tokens, refilled at `rate` per second; a message takes one."""

    rate: float
    burst: float
    tokens: float | None = None
    stamp: float = 0.0

    def _refill(self, now: float) -> float:
        if self.tokens is None:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return self.tokens

    def delay(self, now: float) -> float:
        tokens = self._refill(now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        assert self.tokens is not None
        self.tokens -= 1.0


@dataclass
class SlidingWindow:
    """At most `limit` messages in any `seconds`-long window."""

    limit: int
    seconds: float
    sent: deque[float] = field(default_factory=deque)

    def _prune(self, now: float) -> None:
        while self.sent and self.sent[0] <= now - self.seconds:
            self.sent.popleft()

    def used(self, now: float) -> int:
        self._prune(now)
        return len(self.sent)

    def delay(self, now: float, limit: int | None = None) -> float:
        """Seconds until a message fits; `limit` may be lower than the window's (a reserve)."""
        self._prune(now)
        allowed = self.limit if limit is None else limit
        if len(self.sent) < allowed:
            return 0.0
        return self.sent[len(self.sent) - allowed] + self.seconds - now

    def take(self, now: float) -> None:
        self._prune(now)
        self.sent.append(now)


@dataclass
class Pace:
    """Every limit of one chat together: the wait is the longest of theirs."""

    bucket: TokenBucket
    window: SlidingWindow | None = None
    paused_until: float = 0.0
    """Set by a 429 "retry after" from Telegram."""

    def delay(self, now: float) -> float:
        waits = [self.bucket.delay(now), self.paused_until - now]
        if self.window is not None:
            waits.append(self.window.delay(now))
        return max(0.0, *waits)

    def take(self, now: float) -> None:
        self.bucket.take(now)
        if self.window is not None:
            self.window.take(now)


def chat_pace(chat_id: int) -> Pace:
    """A private chat: 1 a second after a burst of 3; a group also 20 a minute."""
    window = SlidingWindow(*GROUP_LIMIT) if chat_id < 0 else None
    return Pace(TokenBucket(CHAT_RATE, CHAT_BURST), window)


def global_window() -> SlidingWindow:
    return SlidingWindow(*GLOBAL_LIMIT)
