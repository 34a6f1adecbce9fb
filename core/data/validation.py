"""Bar validation that never invents prices (DESIGN §7).

Each problem is a `DataProblem` naming the symbol, the bar, the rule and what is wrong.
Blocking problems mean no signal is produced from the symbol's data in that cycle;
warnings are reported and the data is used. The only change made to the data is
dropping duplicate timestamps (the last one wins, as providers correct bars by
re-sending them) — never filling, interpolating or clipping a price.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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
_MAX_LISTED = 20  # per rule and symbol: a broken file should not print 5,000 lines


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
        index: pd.Index,
        rule: str,
        blocking: bool,
        detail: Callable[[int], str],
    ) -> None:
        positions = np.flatnonzero(mask)
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

    index = bars.index
    table = bar_array(bars)
    values = {c: table[:, i] for i, c in enumerate(BAR_COLUMNS)}
    o, h, low, c, v = (values[k] for k in BAR_COLUMNS)

    finite = np.ones(len(bars), dtype=bool)
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

    if len(bars) > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = o[1:] / c[:-1]
        suspect = np.zeros(len(bars), dtype=bool)
        for ratio in SPLIT_RATIOS:
            suspect[1:] |= np.abs(gap / ratio - 1.0) < SPLIT_TOLERANCE
        found.rows(
            suspect,
            index,
            "suspected_split",
            True,
            lambda i: (
                f"opened at {o[i]} after closing at {c[i - 1]} (×{o[i] / c[i - 1]:.3f}): "
                "looks like a split the prices are not adjusted for"
            ),
        )

    if daily and calendar is not None:
        _check_sessions(found, index, calendar)
    if daily and calendar is not None and now is not None:
        last_completed = calendar.last_completed_session(now)
        last_bar = index[-1].date()
        if last_bar < last_completed:
            found.problems.append(
                DataProblem(
                    symbol,
                    index[-1].to_pydatetime(),
                    "stale",
                    f"last bar is {last_bar}, but session {last_completed} has closed",
                    True,
                )
            )
    return ValidationResult(symbol, bars, tuple(found.problems))


def _describe_value(name: str, column: np.ndarray) -> Callable[[int], str]:
    return lambda i: f"{name} is {column[i]}"


def _check_sessions(found: _Collector, index: pd.Index, calendar: ExchangeCalendar) -> None:
    # Daily bars are stamped at midnight UTC (core.data.bars): compare the raw stamps.
    stamps = pd.DatetimeIndex(index)
    expected = calendar.sessions_index(stamps[0].date(), stamps[-1].date())
    have = stamps.as_unit("ns").asi8
    missing = np.setdiff1d(expected.asi8, have, assume_unique=True)
    extra = np.setdiff1d(have, expected.asi8, assume_unique=True)
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
