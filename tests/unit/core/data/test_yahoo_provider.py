"""The Yahoo provider through an injected download function shaped like yfinance's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from core.data.provider import NoData, ProviderUnavailable
from core.data.yahoo import YahooProvider

START = datetime(2024, 3, 1, tzinfo=UTC)
END = datetime(2024, 3, 8, tzinfo=UTC)


def yf_frame(symbols: list[str], days: list[str]) -> pd.DataFrame:
    """What yfinance.download(..., group_by='ticker', auto_adjust=True) returns: a
    (Ticker, Price) column MultiIndex over a New York-midnight index."""
    index = pd.DatetimeIndex(pd.to_datetime(days), name="Date")
    columns = pd.MultiIndex.from_product(
        [symbols, ["Open", "High", "Low", "Close", "Volume"]], names=["Ticker", "Price"]
    )
    data = np.tile([10.0, 11.0, 9.5, 10.5, 1e6], (len(days), len(symbols)))
    return pd.DataFrame(data, index=index, columns=columns)


class RecordingDownload:
    def __init__(self, *results: Any) -> None:
        self.results = list(results)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, tickers: list[str], **kwargs: Any) -> pd.DataFrame | None:
        self.calls.append({"tickers": tickers, **kwargs})
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


class YFRateLimitError(Exception):
    """Same name as yfinance's, which is how the provider recognises it."""


def test_bars_are_normalised_and_adjusted() -> None:
    days = ["2024-03-01", "2024-03-04", "2024-03-05"]
    download = RecordingDownload(yf_frame(["PLTR", "SPY"], days))
    bars = YahooProvider(download=download).get_bars(["PLTR", "SPY"], START, END)
    assert list(bars["PLTR"].columns) == ["open", "high", "low", "close", "volume"]
    assert str(bars["PLTR"].index.tz) == "UTC"
    assert bars["SPY"].index[0] == pd.Timestamp("2024-03-01", tz="UTC")
    call = download.calls[0]
    assert call["auto_adjust"] is True
    assert call["end"] == "2024-03-09"  # Yahoo's end is exclusive


def test_symbol_rows_of_nan_are_dropped() -> None:
    frame = yf_frame(["PLTR", "NEW"], ["2024-03-01", "2024-03-04"])
    frame.loc[pd.Timestamp("2024-03-01"), "NEW"] = np.nan  # listed a day later
    bars = YahooProvider(download=RecordingDownload(frame)).get_bars(["PLTR", "NEW"], START, END)
    assert len(bars["PLTR"]) == 2
    assert len(bars["NEW"]) == 1


def test_rate_limit_is_retried_with_backoff() -> None:
    sleeps: list[float] = []
    download = RecordingDownload(
        YFRateLimitError("Too Many Requests"), yf_frame(["KO"], ["2024-03-04"])
    )
    bars = YahooProvider(download=download, sleep=sleeps.append).get_bars(["KO"], START, END)
    assert len(bars["KO"]) == 1
    assert sleeps == [2.0]


def test_rate_limit_that_never_ends_is_unavailable() -> None:
    download = RecordingDownload(*[YFRateLimitError("Too Many Requests")] * 5)
    with pytest.raises(ProviderUnavailable, match="rate-limiting"):
        YahooProvider(download=download, retries=2, sleep=lambda s: None).get_bars(
            ["KO"], START, END
        )


@pytest.mark.parametrize("answer", [None, pd.DataFrame()])
def test_empty_answer_is_a_clear_no_data(answer: pd.DataFrame | None) -> None:
    with pytest.raises(NoData, match="Yahoo returned no data for ZZZZ"):
        YahooProvider(download=RecordingDownload(answer)).get_bars(["ZZZZ"], START, END)


def test_other_failures_are_unavailable() -> None:
    download = RecordingDownload(ConnectionError("boom"))
    with pytest.raises(ProviderUnavailable, match="Yahoo failed: boom"):
        YahooProvider(download=download).get_bars(["KO"], START, END)


def test_latest_prices_take_the_last_minute() -> None:
    frame = yf_frame(["KO"], ["2024-03-04 15:58", "2024-03-04 15:59"])
    frame.loc[:, ("KO", "Close")] = [60.0, 60.5]
    assert YahooProvider(download=RecordingDownload(frame)).latest_prices(["KO"]) == {"KO": 60.5}
