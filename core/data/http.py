"""HTTP plumbing for REST clients we do not own (alpaca-py): a timeout on every request,
our own retry with exponential backoff, and a client-side rate limit.

alpaca-py sends requests through a `requests.Session` with no timeout and retries any
method on 429/504 by itself. We mount an adapter that adds the timeout and switch its
retry off, so one place (here) decides what is retried — and an order submission
never is (execution decides that).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from requests import PreparedRequest, Response, Session
from requests.adapters import HTTPAdapter

ALPACA_REQUESTS_PER_MINUTE = 200
T = TypeVar("T")
log = logging.getLogger(__name__)


class TimeoutAdapter(HTTPAdapter):
    """Applies `timeout` to every request that does not set its own."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


def install_timeout(session: Session, timeout: float) -> None:
    adapter = TimeoutAdapter(timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)


def configure_alpaca_client(client: Any, timeout: float) -> None:
    """Timeout on every call, alpaca-py's own retry off (it lives on private fields:
    alpaca-py exposes no setting for either, and `retry_attempts=0` means "default")."""
    install_timeout(client._session, timeout)
    client._retry = 0


class RateLimiter:
    """At most `limit` calls in any `period` seconds; `acquire` waits for a free slot."""

    def __init__(
        self,
        limit: int = ALPACA_REQUESTS_PER_MINUTE,
        period: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limit = limit
        self._period = period
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take a slot; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._calls and now - self._calls[0] >= self._period:
                    self._calls.popleft()
                if len(self._calls) < self._limit:
                    self._calls.append(now)
                    return waited
                delay = self._period - (now - self._calls[0])
            self._sleep(delay)
            waited += delay


def backoff_delays(
    attempts: int, *, base: float = 0.5, factor: float = 2.0, cap: float = 30.0
) -> Iterator[float]:
    """Delays before each retry: 0.5, 1, 2, 4 … seconds, at most `cap`."""
    delay = base
    for _ in range(attempts):
        yield min(delay, cap)
        delay *= factor


def call_with_retries(
    what: str,
    function: Callable[..., T],
    *args: Any,
    limiter: RateLimiter,
    retries: int,
    sleep: Callable[[float], None],
    retryable: Callable[[Exception], str | None],
    exhausted: Callable[[str], Exception],
) -> T:
    """Call `function` (a read) within the rate limit, retrying with backoff.

    `retryable(error)` says why an error is worth retrying, returns None to let it
    propagate, or raises the caller's own error instead. When the retries run out,
    `exhausted(problem)` is raised.
    """
    delays = backoff_delays(retries)
    while True:
        limiter.acquire()
        try:
            return function(*args)
        except Exception as error:
            problem = retryable(error)
            if problem is None:
                raise
        delay = next(delays, None)
        if delay is None:
            raise exhausted(problem)
        log.warning("read retry", extra={"what": what, "problem": problem, "delay_s": delay})
        sleep(delay)
