"""The `csv` provider: a folder of TICKER.csv daily files.

Accepts the usual spellings of the header (Date/date/timestamp/Datetime, Open/open,
…, `Adj Close`/adj_close, Volume, optional Dividends and Stock Splits). When an
adjusted close is present, open/high/low are scaled by adj_close/close so the bar stays
consistent and returns include dividends. Every error names the file, the line and
what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.bars import Timeframe, clip_range, empty_bars, normalize_bars
from core.data.provider import MarketDataError, NoData

_ALIASES = {
    "date": "date",
    "datetime": "date",
    "timestamp": "date",
    "time": "date",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "adj close": "adj_close",
    "adj_close": "adj_close",
    "adjclose": "adj_close",
    "adjusted close": "adj_close",
    "volume": "volume",
    "dividends": "dividends",
    "stock splits": "splits",
    "stock_splits": "splits",
}
_REQUIRED = ("date", "open", "high", "low", "close", "volume")


class CsvFormatError(MarketDataError):
    """A CSV file cannot be read as bars; the message names the file, line and problem."""


def _canonical(header: str) -> str | None:
    return _ALIASES.get(header.strip().lower().replace("-", " "))


def read_bars_csv(path: Path) -> pd.DataFrame:
    """Parse one file into normalised daily bars (see `core.data.bars`)."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError as error:
        raise CsvFormatError(f"{path}: line 1: the file is empty") from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise CsvFormatError(f"{path}: {error}") from error
    columns: dict[str, str] = {}
    for header in raw.columns:
        name = _canonical(str(header))
        if name is not None and name not in columns:
            columns[name] = header
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        raise CsvFormatError(
            f"{path}: line 1: missing column(s) {', '.join(missing)} "
            f"(header is {', '.join(map(str, raw.columns))})"
        )
    if raw.empty:
        raise CsvFormatError(f"{path}: line 2: no data rows")

    def line_of(row: int) -> int:
        return row + 2  # header is line 1

    dates = pd.to_datetime(raw[columns["date"]], errors="coerce", utc=True, format="mixed")
    bad_dates = np.flatnonzero(dates.isna().to_numpy())
    if bad_dates.size:
        row = int(bad_dates[0])
        value = raw[columns["date"]].iloc[row]
        raise CsvFormatError(f"{path}: line {line_of(row)}: date {value!r} is not a date")
    numbers = {}
    for name in ("open", "high", "low", "close", "volume", "adj_close"):
        if name not in columns:
            continue
        text = raw[columns[name]]
        values = pd.to_numeric(text, errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() & (text.str.strip() != "").to_numpy())
        empty = np.flatnonzero((text.str.strip() == "").to_numpy())
        if bad.size:
            row = int(bad[0])
            raise CsvFormatError(
                f"{path}: line {line_of(row)}: {name} {text.iloc[row]!r} is not a number"
            )
        if empty.size:
            row = int(empty[0])
            raise CsvFormatError(f"{path}: line {line_of(row)}: {name} is empty")
        numbers[name] = values.to_numpy(dtype=float)
    frame = pd.DataFrame(
        {name: numbers[name] for name in ("open", "high", "low", "close", "volume")},
        index=pd.DatetimeIndex(dates.dt.tz_convert(None)),
    )
    if "adj_close" in numbers:
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = numbers["adj_close"] / numbers["close"]
        for name in ("open", "high", "low"):
            frame[name] = frame[name] * factor
        frame["close"] = numbers["adj_close"]
    return normalize_bars(frame, Timeframe.DAY)


class CsvProvider:
    """The `csv` provider."""

    name = "csv"

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise MarketDataError(f"CSV data folder {folder} does not exist")
        self.folder = folder
        self._loaded: dict[str, pd.DataFrame] = {}

    def path_for(self, symbol: str) -> Path:
        return self.folder / f"{symbol}.csv"

    def load(self, symbol: str) -> pd.DataFrame:
        if symbol not in self._loaded:
            path = self.path_for(symbol)
            if not path.is_file():
                raise NoData(f"{symbol}: no file {path}")
            self._loaded[symbol] = read_bars_csv(path)
        return self._loaded[symbol]

    def get_bars(
        self,
        symbols: Sequence[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.DAY,
    ) -> dict[str, pd.DataFrame]:
        if not timeframe.is_daily:
            raise MarketDataError(f"CSV files hold daily bars only, not {timeframe}")
        out = {}
        for symbol in symbols:
            try:
                out[symbol] = clip_range(self.load(symbol), start, end)
            except NoData:
                out[symbol] = empty_bars()
        return out

    def latest_prices(self, symbols: Sequence[str]) -> dict[str, float]:
        prices = {}
        for symbol in symbols:
            try:
                bars = self.load(symbol)
            except NoData:
                continue
            if not bars.empty:
                prices[symbol] = float(bars["close"].iloc[-1])
        return prices
