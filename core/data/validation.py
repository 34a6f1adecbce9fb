"""Bar validation that never invents prices (DESIGN §7).

Each problem is a `DataProblem` naming the symbol, the bar, the rule and what is wrong.
Blocking problems mean no signal is produced from the symbol's data in that cycle;
warnings are reported and the data is used. The only change made to the data is
dropping duplicate timestamps (the last one wins, as providers correct bars by
re-sending them) — never filling, interpolating or clipping a price.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

import numpy as np
import pandas as pd

from core.base.calendar import ExchangeCalendar
from core.data.bars import BAR_COLUMNS, bar_array

# One-bar open gaps matching these ratios look like a split the data was not adjusted
# for (2:1, 3:1, 3:2, 4:1, 5:1, 10:1, 20:1 and their reverses).
SPLIT_RATIOS = (
    1 / 2,
    1 / 3,
    2 / 3,
    1 / 4,
    1 / 5,
    1 / 10,
    1 / 20,
    2.0,
    3.0,
    1.5,
    4.0,
    5.0,
    10.0,
    20.0,
)
SPLIT_TOLERANCE = 0.015
_SPLIT_RATIOS = np.array(SPLIT_RATIOS)
_MAX_LISTED = 20  # per rule and symbol: a broken file should not print 5,000 lines


class _Index(Protocol):
    """What a problem needs of the bars' index: the timestamp at a position."""

    def __getitem__(self, i: int, /) -> pd.Timestamp: ...


@dataclass(frozen=True)
class DataProblem:
    symbol: str
    timestamp: datetime | None
    rule: str
    detail: str
    blocking: bool

    def __str__(self) -> str:
        when = self.timestamp.strftime("%Y-%m-%d") if self.timestamp is not None else "-"
        level = "ERROR" if self.blocking else "warn"
        return f"{level} {self.symbol} {when} {self.rule}: {self.detail}"


@dataclass(frozen=True)
class ValidationResult:
    symbol: str
    bars: pd.DataFrame
    """The bars with duplicate timestamps dropped (last kept); otherwise untouched."""
    problems: tuple[DataProblem, ...]

    @property
    def blocking(self) -> bool:
        return any(p.blocking for p in self.problems)


class _Collector:
    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.problems: list[DataProblem] = []

    def rows(
        self,
        mask: np.ndarray,
        index: _Index,
        rule: str,
        blocking: bool,
        detail: Callable[[int], str],
    ) -> None:
        self.rows_at(np.flatnonzero(mask), index, rule, blocking, detail)

    def rows_at(
        self,
        positions: np.ndarray,
        index: _Index,
        rule: str,
        blocking: bool,
        detail: Callable[[int], str],
    ) -> None:
        for i in positions[:_MAX_LISTED]:
            self.problems.append(
                DataProblem(self.symbol, index[i].to_pydatetime(), rule, detail(i), blocking)
            )
        if positions.size > _MAX_LISTED:
            self.problems.append(
                DataProblem(
                    self.symbol,
                    None,
                    rule,
                    f"{positions.size - _MAX_LISTED} more bars break this rule",
                    blocking,
                )
            )


class _Owners:
    """Rows of several symbols' bars checked in one pass, each problem handed to the
    collector of the symbol that owns the row (per symbol, as one symbol's check lists)."""

    def __init__(self, collectors: list[_Collector], owners: np.ndarray) -> None:
        self._collectors = collectors
        self._owners = owners

    def rows(
        self,
        mask: np.ndarray,
        index: _Index,
        rule: str,
        blocking: bool,
        detail: Callable[[int], str],
    ) -> None:
        positions = np.flatnonzero(mask)
        if positions.size == 0:
            return
        owners = self._owners[positions]
        for owner in np.unique(owners):
            self._collectors[owner].rows_at(
                positions[owners == owner], index, rule, blocking, detail
            )


class _Rows(Protocol):
    def rows(
        self,
        mask: np.ndarray,
        index: _Index,
        rule: str,
        blocking: bool,
        detail: Callable[[int], str],
    ) -> None: ...


@dataclass(frozen=True)
class LastBar:
    """The newest bar of a history already validated: what the checks of the bars after
    it compare with (a split shows in the gap from its close; a missing session between
    it and the next bar)."""

    stamp: int
    """UTC nanoseconds (a daily bar's midnight, `core.data.bars`)."""
    close: float


class _UtcStamps:
    """Nanosecond stamps that become timestamps only where a problem names a bar."""

    def __init__(self, stamps: np.ndarray) -> None:
        self._stamps = stamps

    def __getitem__(self, i: int) -> pd.Timestamp:
        return pd.Timestamp(int(self._stamps[i]), tz="UTC")


def validate_bars(
    symbol: str,
    bars: pd.DataFrame,
    *,
    calendar: ExchangeCalendar | None = None,
    now: datetime | None = None,
    daily: bool = True,
) -> ValidationResult:
    """Check `bars` of one symbol. With a calendar, missing sessions are found; with
    `now`, a last bar older than the last session completed at `now` is stale."""
    found = _Collector(symbol)
    if bars.empty:
        found.problems.append(DataProblem(symbol, None, "no_data", "no bars at all", True))
        return ValidationResult(symbol, bars, tuple(found.problems))
    bars = _deduplicated(found, bars)
    table = bar_array(bars)
    _check_bars(found, bars.index, table, np.concatenate(([np.nan], table[:-1, 3])))
    if daily and calendar is not None:
        _check_sessions(found, bars.index, calendar)
    if daily and calendar is not None and now is not None:
        _check_stale(found, bars.index[-1], calendar, now)
    return ValidationResult(symbol, bars, tuple(found.problems))


@dataclass(frozen=True)
class NewBars:
    """One symbol's bars that arrived after the newest bar already validated."""

    stamps: np.ndarray
    """UTC nanoseconds, strictly ascending, all after `after` (may be empty)."""
    values: np.ndarray
    """(k, 5) open, high, low, close, volume."""
    after: LastBar


def validate_new_bars(
    new: Mapping[str, NewBars],
    *,
    calendar: ExchangeCalendar | None = None,
    now: datetime | None = None,
    daily: bool = True,
) -> dict[str, tuple[DataProblem, ...]]:
    """Check only the bars that arrived since each symbol's last validation: a live
    cycle re-checks nothing it checked before. Every symbol's new bars are checked in
    one pass over arrays — this runs for every symbol in every cycle, and the per-call
    cost of a frame or of ~40 array expressions per symbol would be most of the cycle.

    The rules and the problems are those `validate_bars` reports for these bars over
    the whole history: a split is looked for from `after`'s close to the first new open,
    missing sessions from `after` on, staleness on the newest bar (`after` itself when
    none arrived). Returns every symbol's problems (empty when clean)."""
    collectors = {symbol: _Collector(symbol) for symbol in new}
    arrived = [symbol for symbol, bars in new.items() if len(bars.stamps)]
    for symbol in arrived:
        stamps = new[symbol].stamps
        if stamps[0] <= new[symbol].after.stamp or not (stamps[1:] > stamps[:-1]).all():
            raise ValueError(
                f"{symbol}: new bars must be in time order and after the last validated "
                "bar; validate the whole history instead"
            )
    if arrived:
        parts = [new[symbol] for symbol in arrived]
        table = np.concatenate([part.values for part in parts]).astype(float, copy=False)
        before = np.concatenate(
            [np.concatenate(([part.after.close], part.values[:-1, 3])) for part in parts]
        )
        owners = np.repeat(np.arange(len(parts)), [len(part.stamps) for part in parts])
        index = _UtcStamps(np.concatenate([part.stamps for part in parts]))
        found = _Owners([collectors[symbol] for symbol in arrived], owners)
        _check_bars(found, index, table, before)
        if daily and calendar is not None:
            expected = _ExpectedSessions(calendar)
            for symbol, part in zip(arrived, parts, strict=True):
                _check_new_sessions(collectors[symbol], part.stamps, part.after.stamp, expected)
    if daily and calendar is not None and now is not None:
        for symbol, bars in new.items():
            newest = int(bars.stamps[-1]) if len(bars.stamps) else bars.after.stamp
            _check_stale(collectors[symbol], pd.Timestamp(newest, tz="UTC"), calendar, now)
    return {symbol: tuple(found.problems) for symbol, found in collectors.items()}


def _deduplicated(found: _Collector, bars: pd.DataFrame) -> pd.DataFrame:
    """The bars with duplicate timestamps dropped (last kept, reported), in time order."""
    duplicated = bars.index.duplicated(keep="last") if bars.index.has_duplicates else None
    if duplicated is not None:
        found.rows(
            duplicated,
            bars.index,
            "duplicate_timestamp",
            False,
            lambda i: "duplicate timestamp; the last copy is kept",
        )
        bars = bars[~duplicated]
    if not bars.index.is_monotonic_increasing:
        bars = bars.sort_index(kind="stable")
    return bars


def _check_bars(found: _Rows, index: _Index, table: np.ndarray, before: np.ndarray) -> None:
    """The rules each bar must meet on its own, and the split check against the close
    before it (`before`, per bar; NaN for the first bar of a history)."""
    values = {c: table[:, i] for i, c in enumerate(BAR_COLUMNS)}
    o, h, low, c, v = (values[k] for k in BAR_COLUMNS)

    finite = np.ones(len(table), dtype=bool)
    for name, column in values.items():
        bad = ~np.isfinite(column)
        finite &= ~bad
        found.rows(bad, index, "not_finite", True, _describe_value(name, column))
    prices_positive = (o > 0) & (h > 0) & (low > 0) & (c > 0)
    found.rows(
        finite & ~prices_positive,
        index,
        "non_positive_price",
        True,
        lambda i: f"open/high/low/close {o[i]}/{h[i]}/{low[i]}/{c[i]} must all be > 0",
    )
    found.rows(
        finite & (h < low),
        index,
        "high_below_low",
        True,
        lambda i: f"high {h[i]} is below low {low[i]}",
    )
    found.rows(
        finite & (h >= low) & ((o < low) | (o > h)),
        index,
        "open_outside_range",
        True,
        lambda i: f"open {o[i]} is outside [{low[i]}, {h[i]}]",
    )
    found.rows(
        finite & (h >= low) & ((c < low) | (c > h)),
        index,
        "close_outside_range",
        True,
        lambda i: f"close {c[i]} is outside [{low[i]}, {h[i]}]",
    )
    found.rows(finite & (v < 0), index, "negative_volume", True, lambda i: f"volume {v[i]} < 0")
    found.rows(finite & (v == 0), index, "zero_volume", False, lambda i: "volume is 0")

    with np.errstate(divide="ignore", invalid="ignore"):
        gap = o / before
        # Every ratio in one expression: (bars, ratios), the same arithmetic per element.
        suspect = (np.abs(gap[:, None] / _SPLIT_RATIOS - 1.0) < SPLIT_TOLERANCE).any(axis=1)
    found.rows(
        suspect,
        index,
        "suspected_split",
        True,
        lambda i: (
            f"opened at {o[i]} after closing at {before[i]} (×{o[i] / before[i]:.3f}): "
            "looks like a split the prices are not adjusted for"
        ),
    )


def _check_stale(
    found: _Collector, newest: pd.Timestamp, calendar: ExchangeCalendar, now: datetime
) -> None:
    last_completed = calendar.last_completed_session(now)
    last_bar = newest.date()
    if last_bar < last_completed:
        found.problems.append(
            DataProblem(
                found.symbol,
                newest.to_pydatetime(),
                "stale",
                f"last bar is {last_bar}, but session {last_completed} has closed",
                True,
            )
        )


def _describe_value(name: str, column: np.ndarray) -> Callable[[int], str]:
    return lambda i: f"{name} is {column[i]}"


def _check_sessions(found: _Collector, index: pd.Index, calendar: ExchangeCalendar) -> None:
    # Daily bars are stamped at midnight UTC (core.data.bars): compare the raw stamps.
    stamps = pd.DatetimeIndex(index)
    expected = calendar.sessions_index(stamps[0].date(), stamps[-1].date())
    have = stamps.as_unit("ns").asi8
    missing = np.setdiff1d(expected.asi8, have, assume_unique=True)
    extra = np.setdiff1d(have, expected.asi8, assume_unique=True)
    _report_sessions(found, missing, extra)


def _report_sessions(found: _Collector, missing: np.ndarray, extra: np.ndarray) -> None:
    """Sessions without a bar and bars on days without a session (sorted ns stamps)."""
    for stamp in missing[:_MAX_LISTED]:
        found.problems.append(
            DataProblem(
                found.symbol,
                pd.Timestamp(stamp, tz="UTC").to_pydatetime(),
                "missing_session",
                "no bar for this session",
                False,
            )
        )
    if len(missing) > _MAX_LISTED:
        found.problems.append(
            DataProblem(
                found.symbol,
                None,
                "missing_session",
                f"{len(missing) - _MAX_LISTED} more sessions missing",
                False,
            )
        )
    for stamp in extra[:_MAX_LISTED]:
        found.problems.append(
            DataProblem(
                found.symbol,
                pd.Timestamp(stamp, tz="UTC").to_pydatetime(),
                "not_a_session",
                "a bar on a day the exchange was closed",
                False,
            )
        )


class _ExpectedSessions:
    """Session stamps between two days, asked once per pair: in a cycle every symbol
    usually asks the same question."""

    def __init__(self, calendar: ExchangeCalendar) -> None:
        self._calendar = calendar
        self._known: dict[tuple[int, int], frozenset[int]] = {}

    def after(self, stamp: int, last: int) -> frozenset[int]:
        """Sessions after the day of `stamp`, to the day of `last`, as bar stamps."""
        key = (stamp, last)
        if key not in self._known:
            days = self._calendar.sessions(_day(stamp) + timedelta(days=1), _day(last))
            self._known[key] = frozenset(_midnight(day) for day in days)
        return self._known[key]


def _check_new_sessions(
    found: _Collector, stamps: np.ndarray, after: int, expected: _ExpectedSessions
) -> None:
    """`_check_sessions` for new bars: sessions from the day after `after` to the newest
    bar that have no bar, and bars on days without a session."""
    sessions = expected.after(after, int(stamps[-1]))
    have = set(stamps.tolist())
    if have == sessions:
        return
    missing = np.array(sorted(sessions - have), dtype=np.int64)
    extra = np.array(sorted(have - sessions), dtype=np.int64)
    _report_sessions(found, missing, extra)


_NS_PER_DAY = 86_400 * 10**9
_EPOCH = date(1970, 1, 1)


def _day(stamp: int) -> date:
    return _EPOCH + timedelta(days=stamp // _NS_PER_DAY)


def _midnight(day: date) -> int:
    return (day - _EPOCH).days * _NS_PER_DAY
