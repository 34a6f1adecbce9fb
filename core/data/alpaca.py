"""The `alpaca` provider: alpaca-py's `StockHistoricalDataClient`.

Split- and dividend-adjusted bars (`adjustment=all`), the IEX feed by default (SIP for
paid plans), `ALPACA_DATA_URL` as the endpoint when set. alpaca-py follows
`next_page_token` itself; we add a timeout on every request, a client-side limit of
200 requests a minute, and retries with backoff on 429, 5xx, timeouts and dropped
connections (reads only: retrying a read cannot place an order twice).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

import pandas as pd
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.enums import Adjustment, DataFeed
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest, StockLatestTradeRequest
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

from core.data.bars import Timeframe, clip_range, empty_bars, normalize_bars
from core.data.http import RateLimiter, call_with_retries, configure_alpaca_client
from core.data.provider import MarketDataError, ProviderUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_TIMEFRAMES = {
    Timeframe.DAY: TimeFrame(1, TimeFrameUnit.Day),
    Timeframe.HOUR: TimeFrame(1, TimeFrameUnit.Hour),
    Timeframe.MINUTE_15: TimeFrame(15, TimeFrameUnit.Minute),
    Timeframe.MINUTE_5: TimeFrame(5, TimeFrameUnit.Minute),
    Timeframe.MINUTE: TimeFrame(1, TimeFrameUnit.Minute),
}


class AlpacaDataProvider:
    """The `alpaca` provider."""

    name = "alpaca"

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        data_url: str | None = None,
        feed: Literal["iex", "sip"] = "iex",
        timeout: float = 10.0,
        retries: int = 5,
        rate_limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = StockHistoricalDataClient(
            api_key, secret_key, raw_data=True, url_override=data_url
        )
        configure_alpaca_client(self._client, timeout)
        self._feed = DataFeed(feed)
        self._retries = retries
        self._limiter = rate_limiter or RateLimiter()
        self._sleep = sleep

    def _call(self, what: str, function: Callable[..., Any], *args: Any) -> Any:
        """alpaca-py's client runs with raw_data=True: its answers are plain JSON (dicts
        and lists), whatever its type hints say; callers read them as such."""

        def retryable(error: Exception) -> str | None:
            if isinstance(error, APIError):
                if error.status_code not in _RETRY_STATUS:
                    raise MarketDataError(
                        f"Alpaca refused {what}: HTTP {error.status_code}: {error}"
                    ) from error
                return f"HTTP {error.status_code}"
            if isinstance(error, requests.exceptions.JSONDecodeError):
                raise ProviderUnavailable(
                    f"Alpaca sent an unreadable answer to {what}: {error}"
                ) from error
            if isinstance(error, requests.Timeout | requests.ConnectionError):
                return type(error).__name__
            return None

        return call_with_retries(
            what,
            function,
            *args,
            limiter=self._limiter,
            retries=self._retries,
            sleep=self._sleep,
            retryable=retryable,
            exhausted=lambda problem: ProviderUnavailable(
                f"Alpaca did not answer {what} ({problem}); retries exhausted"
            ),
        )

    def get_bars(
        self,
        symbols: Sequence[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.DAY,
    ) -> dict[str, pd.DataFrame]:
        # Daily bars are stamped at midnight New York (04:00/05:00 UTC): reach past
        # `end` by a day so the last session is included, then clip after normalising.
        request_end = end + timedelta(days=1) if timeframe.is_daily else end
        request = StockBarsRequest(
            symbol_or_symbols=list(symbols),
            timeframe=_TIMEFRAMES[timeframe],
            start=start,
            end=request_end,
            adjustment=Adjustment.ALL,
            feed=self._feed,
        )
        # raw_data=True: alpaca-py answers with plain dicts, not its model objects.
        raw: dict[str, Any] = self._call("bars", self._client.get_stock_bars, request)
        out = {}
        for symbol in symbols:
            rows = raw.get(symbol) or []
            if not rows:
                out[symbol] = empty_bars()
                continue
            frame = pd.DataFrame(rows)
            frame.index = pd.to_datetime(frame["t"], utc=True)
            frame = frame.rename(
                columns={"o": "open", "h": "high", "l": "low", "c": "close", "v": "volume"}
            )
            out[symbol] = clip_range(normalize_bars(frame, timeframe), start, end)
        return out

    def latest_prices(self, symbols: Sequence[str]) -> dict[str, float]:
        request = StockLatestTradeRequest(symbol_or_symbols=list(symbols), feed=self._feed)
        raw: dict[str, Any] = self._call(
            "latest trades", self._client.get_stock_latest_trade, request
        )
        return {symbol: float(trade["p"]) for symbol, trade in raw.items() if trade.get("p")}
