"""The shape of bar data every provider returns.

A frame per symbol: a UTC `DatetimeIndex` named `timestamp`, sorted, and float columns
open, high, low, close, volume. Daily bars are stamped at midnight UTC of their
session date, whatever the source's convention, so all providers agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd

BAR_COLUMNS = ("open", "high", "low", "close", "volume")


class Timeframe(StrEnum):
    DAY = "1Day"
    HOUR = "1Hour"
    MINUTE_15 = "15Min"
    MINUTE_5 = "5Min"
    MINUTE = "1Min"

    @property
    def is_daily(self) -> bool:
        return self is Timeframe.DAY


# One resolution everywhere, so frames from different sources compare equal.
TIME_UNIT: Literal["ns"] = "ns"


@dataclass(frozen=True)
class SessionBar:
    """One session's prices, as a replayed exchange works its orders against them."""

    opens_at: datetime
    open: float
    high: float
    low: float
    close: float


def empty_bars() -> pd.DataFrame:
    index = pd.DatetimeIndex([], tz=UTC, name="timestamp").as_unit(TIME_UNIT)
    return pd.DataFrame({c: np.array([], dtype=float) for c in BAR_COLUMNS}, index=index)


def session_timestamp(day: date) -> pd.Timestamp:
    return pd.Timestamp(datetime.combine(day, time(), tzinfo=UTC))


def to_daily_index(
    index: pd.DatetimeIndex, exchange_tz: str = "America/New_York"
) -> pd.DatetimeIndex:
    """Stamp each bar at midnight UTC of its session date.

    A naive index is read as dates; an aware one is converted to exchange time first,
    so Alpaca's 04:00/05:00 UTC stamps and Yahoo's New York midnights give one date.
    """
    if index.tz is not None:
        index = index.tz_convert(exchange_tz).tz_localize(None)
    return pd.DatetimeIndex(index.normalize(), name="timestamp").tz_localize(UTC)


def normalize_bars(frame: pd.DataFrame, timeframe: Timeframe = Timeframe.DAY) -> pd.DataFrame:
    """Select and order the bar columns as float64, index them as the module says."""
    out = frame.loc[:, list(BAR_COLUMNS)].astype("float64")
    index = pd.DatetimeIndex(out.index)
    if timeframe.is_daily:
        index = to_daily_index(index)
    elif index.tz is None:
        index = index.tz_localize(UTC)
    else:
        index = index.tz_convert(UTC)
    out.index = pd.DatetimeIndex(index, name="timestamp").as_unit(TIME_UNIT)
    return out.sort_index(kind="stable")


def clip_range(frame: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    """Rows with start ≤ timestamp ≤ end (both aware); the index is sorted."""
    index = frame.index
    first = index.searchsorted(pd.Timestamp(start), side="left")
    last = index.searchsorted(pd.Timestamp(end), side="right")
    return frame.iloc[first:last]


def bar_array(frame: pd.DataFrame) -> np.ndarray:
    """(n, 5) float array of open, high, low, close, volume; cheap for normalised frames."""
    if tuple(frame.columns) == BAR_COLUMNS:
        return frame.to_numpy(dtype=float)
    return frame.loc[:, list(BAR_COLUMNS)].to_numpy(dtype=float)
