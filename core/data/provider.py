"""The market data protocol and its errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import pandas as pd

from core.data.bars import Timeframe


class MarketDataError(RuntimeError):
    """Market data could not be had. The cycle skips the symbols concerned and raises an
    alert; nothing is traded on missing data."""


class ProviderUnavailable(MarketDataError):
    """The provider did not answer (network, rate limit exhausted, outage). Retried on
    the next cycle."""


class NoData(MarketDataError):
    """The provider answered, but with no bars for a symbol (unknown ticker, delisted,
    range before listing). Told to the user with the symbol."""


class MarketDataProvider(Protocol):
    """What every provider offers. Blocking: callers on the event loop use a thread."""

    name: str
    """alpaca, yahoo, csv or sim — shown by `doctor` and in /status."""

    def get_bars(
        self,
        symbols: Sequence[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.DAY,
    ) -> dict[str, pd.DataFrame]:
        """Bars with start ≤ timestamp ≤ end for each symbol (see `core.data.bars`).

        A symbol with no data maps to an empty frame; the caller decides if that matters.
        """
        ...

    def latest_prices(self, symbols: Sequence[str]) -> dict[str, float]:
        """The latest trade price per symbol; symbols without one are left out."""
        ...
