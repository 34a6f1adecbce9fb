"""The countdown's schedule, on a fake wall clock whose sleeps return at once: one
reminder at half-time, none for a signal decided, a deadline that comes earlier (the
demo's window opening) re-shown, one that moves later (the window closing) ignored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.countdowns import Countdowns
from core.base.types import SignalType, TradingMode, TradingSignal

START = datetime(2025, 1, 2, 15, 0, tzinfo=UTC)


def _signal() -> TradingSignal:
    return TradingSignal(
        id="AAA-20250102T1500-abcdef",
        symbol="AAA",
        signal_type=SignalType.BUY,
        confidence=0.6,
        price=10.0,
        quantity=10,
        mode=TradingMode.MANUAL,
        created_at=START,
        expires_at=START + timedelta(minutes=15),
    )


class World:
    """A wall clock that sleeping moves, a deadline a test can move, and what the
    countdown did, each with the wall time it happened."""

    def __init__(self, deadline: datetime) -> None:
        self.now = START
        self.deadline = deadline
        self.decided: set[str] = set()
        self.reminders: list[tuple[datetime, datetime]] = []
        self.moves: list[tuple[datetime, datetime]] = []
        self.at: dict[datetime, datetime] = {}
        """wall time → a new deadline from then on (a window opening or closing)."""

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=max(seconds, 0.0))
        for when in sorted(self.at):
            if self.now >= when:
                self.deadline = self.at.pop(when)
        await asyncio.sleep(0)

    async def remind(self, signal: TradingSignal, deadline: datetime) -> None:
        self.reminders.append((self.now, deadline))

    async def moved(self, signal: TradingSignal, deadline: datetime) -> None:
        self.moves.append((self.now, deadline))

    def countdowns(self) -> Countdowns:
        return Countdowns(
            deadline=lambda _signal: self.deadline,
            waiting=lambda signal_id: signal_id not in self.decided,
            remind=self.remind,
            moved=self.moved,
            wall=lambda: self.now,
            sleep=self.sleep,
        )


async def _run_out(countdowns: Countdowns, signal: TradingSignal) -> None:
    countdowns.watch(signal)
    while countdowns.watching():
        await asyncio.sleep(0)


async def test_one_reminder_at_half_time_then_nothing_until_the_deadline() -> None:
    world = World(START + timedelta(minutes=15))
    await _run_out(world.countdowns(), _signal())
    assert world.reminders == [(START + timedelta(minutes=7, seconds=30), world.deadline)]
    assert world.moves == []
    assert world.now == START + timedelta(minutes=15), "it counted down to the deadline"


async def test_a_signal_decided_before_half_time_gets_no_reminder() -> None:
    world = World(START + timedelta(seconds=60))
    signal = _signal()
    countdowns = world.countdowns()
    countdowns.watch(signal)
    while world.now < START + timedelta(seconds=20):
        await asyncio.sleep(0)
    world.decided.add(signal.id)  # the owner decides at 20 s
    while countdowns.watching():
        await asyncio.sleep(0)
    assert world.reminders == []
    assert world.now < START + timedelta(seconds=30)


async def test_stop_cancels_the_countdown_at_once() -> None:
    world = World(START + timedelta(seconds=60))
    countdowns = world.countdowns()
    signal = _signal()
    countdowns.watch(signal)
    await asyncio.sleep(0)
    countdowns.stop(signal.id)
    await asyncio.sleep(0)
    assert countdowns.watching() == []
    assert world.reminders == []


async def test_the_demo_window_opening_after_the_message_is_shown_and_counts() -> None:
    """The message went out showing 15 minutes; a moment later the demo opened its
    60-second window: the messages are edited, and half-time is of the window."""
    world = World(START + timedelta(minutes=15))
    window_end = START + timedelta(seconds=61)
    world.at[START + timedelta(seconds=1)] = window_end
    # The window closes just before the signal expires: the deadline jumps back later.
    world.at[window_end] = START + timedelta(minutes=15)
    await _run_out(world.countdowns(), _signal())
    assert [deadline for _, deadline in world.moves] == [window_end]
    assert world.moves[0][0] <= START + timedelta(seconds=3), "seen within a re-check"
    [(reminded_at, deadline)] = world.reminders
    assert deadline == window_end
    assert START + timedelta(seconds=30) <= reminded_at <= START + timedelta(seconds=32)
    assert world.now == window_end, "stopped at the window's end, not at the later deadline"


async def test_watching_twice_keeps_one_countdown_and_one_deadline() -> None:
    world = World(START + timedelta(seconds=60))
    countdowns = world.countdowns()
    signal = _signal()
    first = countdowns.watch(signal)
    world.deadline = START + timedelta(seconds=90)
    assert countdowns.watch(signal) == first
    assert countdowns.deadline(signal) == first
    assert len(countdowns.watching()) == 1
    await countdowns.close()
    assert countdowns.watching() == []
