"""Cached bars: bulk write, fast read, and the fetched-range bookkeeping.

Raw SQL through peewee's connection on purpose: reading 100 symbols × 10 years must
take well under a second, and building a model object per bar would not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from storage.database import database_proxy
from storage.fields import to_utc_text

_COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class BarKey:
    provider: str
    symbol: str
    timeframe: str
    adjustment: str

    def params(self) -> tuple[str, str, str, str]:
        return (self.provider, self.symbol, self.timeframe, self.adjustment)


def _epoch_seconds(index: pd.DatetimeIndex) -> np.ndarray:
    return index.as_unit("s").asi8


def write_bars(key: BarKey, frame: pd.DataFrame) -> int:
    """Insert or replace the frame's bars; returns how many rows were written."""
    if frame.empty:
        return 0
    seconds = _epoch_seconds(pd.DatetimeIndex(frame.index).tz_convert(UTC))
    values = frame.loc[:, list(_COLUMNS)].to_numpy(dtype=float)
    rows = [
        (*key.params(), int(ts), *map(float, row)) for ts, row in zip(seconds, values, strict=True)
    ]
    with database_proxy.atomic():
        database_proxy.obj.connection().executemany(
            "INSERT OR REPLACE INTO bars (provider, symbol, timeframe, adjustment, ts, "
            "open, high, low, close, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def read_bars(key: BarKey, start: datetime, end: datetime) -> pd.DataFrame:
    cursor = database_proxy.execute_sql(
        "SELECT ts, open, high, low, close, volume FROM bars WHERE provider = ? AND symbol = ? "
        "AND timeframe = ? AND adjustment = ? AND ts BETWEEN ? AND ? ORDER BY ts",
        (*key.params(), int(start.timestamp()), int(end.timestamp())),
    )
    data = np.array(cursor.fetchall(), dtype=float).reshape(-1, 6)
    stamps = pd.to_datetime(data[:, 0].astype(np.int64), unit="s", utc=True)
    index = pd.DatetimeIndex(stamps, name="timestamp").as_unit("ns")
    return pd.DataFrame(data[:, 1:], index=index, columns=list(_COLUMNS))


def coverage(key: BarKey) -> tuple[datetime, datetime] | None:
    row = database_proxy.execute_sql(
        "SELECT start_ts, end_ts FROM bar_coverage WHERE provider = ? AND symbol = ? "
        "AND timeframe = ? AND adjustment = ?",
        key.params(),
    ).fetchone()
    if row is None:
        return None
    return (datetime.fromtimestamp(row[0], UTC), datetime.fromtimestamp(row[1], UTC))


def set_coverage(key: BarKey, start: datetime, end: datetime) -> None:
    database_proxy.execute_sql(
        "INSERT OR REPLACE INTO bar_coverage (provider, symbol, timeframe, adjustment, "
        "start_ts, end_ts, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            *key.params(),
            int(start.timestamp()),
            int(end.timestamp()),
            to_utc_text(datetime.now(UTC)),
        ),
    )
