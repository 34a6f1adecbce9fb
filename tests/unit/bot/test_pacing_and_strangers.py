"""The arithmetic of Telegram's limits and of what a refused sender costs."""

from __future__ import annotations

import itertools

import pytest

from bot.pacing import CHAT_BURST, GLOBAL_LIMIT, SlidingWindow, TokenBucket, chat_pace
from bot.strangers import Row, StrangerLimiter


def sends(pace, seconds: float, step: float = 0.01) -> list[float]:  # type: ignore[no-untyped-def]
    """When a sender that sends as soon as `pace` allows would send, for `seconds`."""
    times, now = [], 0.0
    while now < seconds:
        while pace.delay(now) <= 0:
            pace.take(now)
            times.append(now)
        now = round(now + step, 6)
    return times


def test_a_private_chat_gets_a_burst_then_one_a_second() -> None:
    times = sends(chat_pace(42), 10.0)
    assert times[:CHAT_BURST] == [0.0] * CHAT_BURST
    after = times[CHAT_BURST:]
    assert all(b - a >= 0.99 for a, b in itertools.pairwise(after))
    assert len(times) == CHAT_BURST + 9  # one a second after the burst: at 1 s … 9 s


def test_a_group_gets_at_most_twenty_a_minute() -> None:
    times = sends(chat_pace(-100123), 180.0, step=0.1)
    for start in range(0, 120):
        assert sum(start <= t < start + 60 for t in times) <= 20


def test_the_global_window_allows_its_limit_per_second_and_no_more() -> None:
    limit, seconds = GLOBAL_LIMIT
    window = SlidingWindow(limit, seconds)
    for _ in range(limit):
        assert window.delay(5.0) == 0
        window.take(5.0)
    assert window.delay(5.0) == pytest.approx(seconds)
    assert window.delay(5.5, limit=limit // 2) == pytest.approx(0.5)  # a reserve waits too
    assert window.delay(6.0) == 0


def test_a_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    bucket = TokenBucket(rate=1.0, burst=2)
    bucket.take(0.0)
    bucket.take(0.0)
    assert bucket.delay(0.0) == pytest.approx(1.0)
    assert bucket.delay(100.0) == 0
    bucket.take(100.0)
    bucket.take(100.0)
    assert bucket.delay(100.0) == pytest.approx(1.0)  # 100 s of quiet still buys 2


def attempt(user: str = "666", text: str = "/status") -> Row:
    return Row(user, 1, f"user {user} is not allowed", {"text": text}, f"telegram:{user}", "chat:1")


def test_a_stranger_gets_one_reply_and_one_row_an_hour_and_no_count_is_lost() -> None:
    now = [0.0]
    limiter = StrangerLimiter(window=3600.0, clock=lambda: now[0])
    first = limiter.attempt(attempt())
    assert first.reply
    assert first.row is not None
    assert first.row.attempts == 1
    for _ in range(199):
        now[0] += 1.0
        later = limiter.attempt(attempt())
        assert (later.reply, later.row) == (False, None)
    assert limiter.attempt(attempt("777")).reply  # another user is not held back by this one

    now[0] = 3600.0
    back = limiter.attempt(attempt(text="/help"))
    assert back.reply
    assert back.row is not None
    assert (back.row.attempts, back.row.detail) == (200, {"text": "/help"})


def test_the_sweep_writes_counts_of_an_hour_that_is_over_and_forgets_quiet_users() -> None:
    now = [0.0]
    limiter = StrangerLimiter(window=3600.0, clock=lambda: now[0])
    limiter.attempt(attempt("1"))
    limiter.attempt(attempt("1"))
    limiter.attempt(attempt("1"))
    limiter.attempt(attempt("2"))
    now[0] = 1800.0
    assert limiter.due() == []  # within the hour: no second row
    now[0] = 3600.0
    [row] = limiter.due()
    assert (row.user, row.attempts) == ("1", 2)
    now[0] = 7200.0
    assert limiter.due() == []
    assert limiter.tracked() == 0


def test_stopping_writes_every_count_not_yet_written() -> None:
    limiter = StrangerLimiter(clock=lambda: 0.0)
    for _ in range(5):
        limiter.attempt(attempt("1"))
    limiter.attempt(attempt("2"))
    assert [(r.user, r.attempts) for r in limiter.flush()] == [("1", 4)]
    assert limiter.flush() == []
