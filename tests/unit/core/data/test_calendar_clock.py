from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.base.calendar import get_calendar
from core.base.clock import LiveClock, SimulatedClock

CAL = get_calendar()


def test_independence_day_is_closed() -> None:
    assert not CAL.is_session(date(2024, 7, 4))
    assert not CAL.is_open(datetime(2024, 7, 4, 15, 0, tzinfo=UTC))
    assert CAL.next_open(datetime(2024, 7, 3, 21, 0, tzinfo=UTC)) == datetime(
        2024, 7, 5, 13, 30, tzinfo=UTC
    )


def test_day_after_thanksgiving_closes_at_one() -> None:
    # 13:00 New York (EST) is 18:00 UTC.
    assert CAL.session_close(date(2024, 11, 29)) == datetime(2024, 11, 29, 18, 0, tzinfo=UTC)
    assert CAL.is_open(datetime(2024, 11, 29, 17, 59, tzinfo=UTC))
    assert not CAL.is_open(datetime(2024, 11, 29, 18, 1, tzinfo=UTC))
    assert CAL.previous_close(datetime(2024, 11, 29, 20, 0, tzinfo=UTC)) == datetime(
        2024, 11, 29, 18, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("day", "open_utc", "close_utc"),
    [
        (date(2024, 3, 8), 14, 21),  # EST: 09:30 = 14:30 UTC
        (date(2024, 3, 11), 13, 20),  # first session after the spring change: EDT
        (date(2024, 11, 1), 13, 20),
        (date(2024, 11, 4), 14, 21),  # first session after the autumn change
    ],
)
def test_dst_moves_the_session_in_utc(day: date, open_utc: int, close_utc: int) -> None:
    assert CAL.session_open(day) == datetime(day.year, day.month, day.day, open_utc, 30, tzinfo=UTC)
    assert CAL.session_close(day) == datetime(
        day.year, day.month, day.day, close_utc, 0, tzinfo=UTC
    )


def test_sessions_and_last_completed() -> None:
    assert CAL.sessions(date(2024, 7, 1), date(2024, 7, 8)) == [
        date(2024, 7, 1),
        date(2024, 7, 2),
        date(2024, 7, 3),
        date(2024, 7, 5),
        date(2024, 7, 8),
    ]
    assert CAL.last_completed_session(datetime(2024, 7, 5, 19, 59, tzinfo=UTC)) == date(2024, 7, 3)
    assert CAL.last_completed_session(datetime(2024, 7, 5, 20, 0, tzinfo=UTC)) == date(2024, 7, 5)
    assert CAL.previous_sessions(date(2024, 7, 5), 5) == [
        date(2024, 6, 28),
        date(2024, 7, 1),
        date(2024, 7, 2),
        date(2024, 7, 3),
        date(2024, 7, 5),
    ]
    assert CAL.session_of(datetime(2024, 7, 5, 15, tzinfo=UTC)) == date(2024, 7, 5)
    assert CAL.session_of(datetime(2024, 7, 4, 15, tzinfo=UTC)) is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.is_open(datetime(2024, 7, 5, 15, 0))


def test_live_clock_is_aware_utc() -> None:
    assert LiveClock().now().tzinfo is UTC


def test_simulated_clock_set_and_advance() -> None:
    start = datetime(2024, 7, 5, 13, 30, tzinfo=UTC)
    clock = SimulatedClock(start)
    assert clock.now() == start
    assert clock.advance(timedelta(minutes=5)) == start + timedelta(minutes=5)
    clock.set(datetime(2024, 7, 8, tzinfo=UTC))
    assert clock.now() == datetime(2024, 7, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.set(start)


def test_simulated_clock_runs_at_a_speed() -> None:
    real = [100.0]
    clock = SimulatedClock(
        datetime(2024, 1, 2, tzinfo=UTC), speed=3600.0, monotonic=lambda: real[0]
    )
    real[0] += 2.0  # two real seconds = two simulated hours
    assert clock.now() == datetime(2024, 1, 2, 2, 0, tzinfo=UTC)
    clock.advance(timedelta(hours=1))
    real[0] += 1.0
    assert clock.now() == datetime(2024, 1, 2, 4, 0, tzinfo=UTC)


def test_lookups_agree_with_exchange_calendars_minute_by_minute() -> None:
    """The binary-search lookups give exchange_calendars' own answers (open minute in,
    close minute out; next open and previous close strictly after/before), across
    holidays, half days and both DST changes."""
    import random

    import exchange_calendars as xcals
    import pandas as pd

    reference = xcals.get_calendar("XNYS", start="1990-01-01")
    rng = random.Random(7)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    samples = [start + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60)) for _ in range(400)]
    # The edges themselves: every open and close in the range, and a minute either side.
    for day in CAL.sessions(date(2024, 11, 25), date(2024, 12, 31)):
        for edge in (CAL.session_open(day), CAL.session_close(day)):
            samples += [edge - timedelta(minutes=1), edge, edge + timedelta(minutes=1)]
    for when in samples:
        ts = pd.Timestamp(when)
        assert CAL.is_open(when) == reference.is_open_on_minute(ts), when
        assert CAL.next_open(when) == reference.next_open(ts).to_pydatetime(), when
        assert CAL.previous_close(when) == reference.previous_close(ts).to_pydatetime(), when
        expected_session = (
            reference.minute_to_session(ts).date() if reference.is_open_on_minute(ts) else None
        )
        assert CAL.session_of(when) == expected_session, when


def test_asking_for_a_day_that_is_not_a_session_names_it() -> None:
    with pytest.raises(ValueError, match="2024-07-04 is not a XNYS session"):
        CAL.session_open(date(2024, 7, 4))
