"""The `yahoo` provider: yfinance, split- and dividend-adjusted (`auto_adjust=True`).

The download function is injected so tests feed real-shaped frames without a network;
users get `yfinance.download`. Yahoo rate-limits without warning: those errors are
retried with backoff, and an empty answer is a clear `NoData`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from core.data.bars import Timeframe, clip_range, empty_bars, normalize_bars
from core.data.http import backoff_delays
from core.data.provider import NoData, ProviderUnavailable

log = logging.getLogger(__name__)

Download = Callable[..., pd.DataFrame | None]

_INTERVALS = {
    Timeframe.DAY: "1d",
    Timeframe.HOUR: "1h",
    Timeframe.MINUTE_15: "15m",
    Timeframe.MINUTE_5: "5m",
    Timeframe.MINUTE: "1m",
}
_RENAME = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}


def _yfinance_download(*args: Any, **kwargs: Any) -> pd.DataFrame | None:
    import yfinance

    return yfinance.download(*args, **kwargs)


def _is_rate_limit(error: Exception) -> bool:
    return type(error).__name__ == "YFRateLimitError" or "Too Many Requests" in str(error)


class YahooProvider:
    """The `yahoo` provider."""

    name = "yahoo"

    def __init__(
        self,
        *,
        download: Download = _yfinance_download,
        retries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 10.0,
    ) -> None:
        self._download = download
        self._retries = retries
        self._sleep = sleep
        self._timeout = timeout

    def _fetch(self, symbols: Sequence[str], **kwargs: Any) -> pd.DataFrame:
        delays = backoff_delays(self._retries, base=2.0)
        while True:
            try:
                frame = self._download(
                    list(symbols),
                    auto_adjust=True,
                    actions=False,
                    group_by="ticker",
                    progress=False,
                    threads=False,
                    timeout=self._timeout,
                    multi_level_index=True,
                    **kwargs,
                )
            except Exception as error:
                if not _is_rate_limit(error):
                    raise ProviderUnavailable(f"Yahoo failed: {error}") from error
                delay = next(delays, None)
                if delay is None:
                    raise ProviderUnavailable(
                        "Yahoo is rate-limiting us; retries exhausted, try again later"
                    ) from error
                log.warning("yahoo rate limit; backing off", extra={"delay_s": delay})
                self._sleep(delay)
                continue
            if frame is None or frame.empty:
                raise NoData(f"Yahoo returned no data for {', '.join(symbols)}")
            return frame

    @staticmethod
    def _one(frame: pd.DataFrame, symbol: str, timeframe: Timeframe) -> pd.DataFrame:
        if isinstance(frame.columns, pd.MultiIndex):
            if symbol not in frame.columns.get_level_values(0):
                return empty_bars()
            frame = pd.DataFrame(frame[symbol])
        bars = frame.rename(columns=_RENAME)
        if not set(_RENAME.values()) <= set(bars.columns):
            return empty_bars()
        # yfinance aligns all tickers on one index: a row of NaN means "no bar here".
        bars = bars.dropna(how="all", subset=list(_RENAME.values()))
        return normalize_bars(bars, timeframe)

    def get_bars(
        self,
        symbols: Sequence[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.DAY,
    ) -> dict[str, pd.DataFrame]:
        frame = self._fetch(
            symbols,
            start=start.date().isoformat(),
            # Yahoo's end is exclusive.
            end=(end.date() + timedelta(days=1)).isoformat(),
            interval=_INTERVALS[timeframe],
        )
        out = {s: clip_range(self._one(frame, s, timeframe), start, end) for s in symbols}
        empty = [s for s, bars in out.items() if bars.empty]
        if len(empty) == len(symbols):
            raise NoData(
                f"Yahoo returned no bars for {', '.join(empty)} in {start:%Y-%m-%d}..{end:%Y-%m-%d}"
            )
        return out

    def latest_prices(self, symbols: Sequence[str]) -> dict[str, float]:
        frame = self._fetch(symbols, period="5d", interval="1m")
        prices = {}
        for symbol in symbols:
            bars = self._one(frame, symbol, Timeframe.MINUTE)
            if not bars.empty:
                prices[symbol] = float(bars["close"].iloc[-1])
        return prices
