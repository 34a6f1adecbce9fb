"""A deterministic simulated market for demos and tests: no account, no network.

Each symbol's daily returns are

    r_t = β·m_t + ε_t + μ + drift_t

- m_t, the market factor, and ε_t, the symbol's own noise, have GARCH(1,1) volatility
  (clustering) and Student-t innovations (fat tails), so symbols are correlated
  through β and calm and stormy spells alternate.
- drift_t is the `predictability` knob: regime-dependent momentum. A hidden two-state
  regime (persistent: it stays with probability 0.97 a day) switches momentum on and
  off; while on, drift_t = predictability × σ_t × tanh(z_t), where z_t is the sum of
  the last twenty momentum-free returns in units of σ√20 — past returns only, so it is
  learnable but never a peek at the future. Twenty sessions is as long as the trade
  plan holds a position (its time exit), so a trend outlasts the entry decision and
  the plan's outcome carries structure a model can find. `predictability=0` removes
  it: a pure random walk (a martingale), on which an honest model can do no better
  than chance.

Opens gap by part of the day's move, highs and lows spread around open and close by the
day's volatility, and volume rises with the size of the move. Sessions are real XNYS
sessions. The same seed gives the same series for a symbol whatever range is asked
for, and a symbol's series does not depend on which other symbols are asked for.

With a clock, only sessions that have closed by `clock.now()` exist, and the latest
price during a session moves from its open towards its close: the market can drive
the paper broker in real time (a live clock) or in replay (a simulated clock).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd

from core.base.calendar import ExchangeCalendar, get_calendar
from core.base.clock import Clock
from core.data.bars import BAR_COLUMNS, Timeframe, clip_range, empty_bars
from core.data.provider import MarketDataError
from core.data.replay import ReplayMarket

DEFAULT_SEED = 7
DEFAULT_PREDICTABILITY = 0.5
DEFAULT_ORIGIN = date(2000, 1, 3)
ANCHOR = pd.Timestamp("2020-01-02", tz="UTC")
"""Each symbol's price level is set here (10 to 300 dollars)."""

_GARCH_ALPHA = 0.08
_GARCH_BETA = 0.90
_MARKET_VOL = 0.010
_REGIME_STAY = 0.97
_MOMENTUM_WINDOW = 20
_T_DOF = 5.0


def _stable_int(text: str) -> int:
    """A hash that is the same in every process (Python's `hash` is salted)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _student_t(rng: np.random.Generator, size: int) -> np.ndarray:
    """Unit-variance Student-t draws: fat tails without changing the volatility scale."""
    return rng.standard_t(_T_DOF, size) / math.sqrt(_T_DOF / (_T_DOF - 2.0))


def _garch_path(shocks: np.ndarray, long_run_vol: float) -> tuple[np.ndarray, np.ndarray]:
    """Returns and their conditional volatility for unit shocks under GARCH(1,1)."""
    omega = long_run_vol**2 * (1.0 - _GARCH_ALPHA - _GARCH_BETA)
    variance = long_run_vol**2
    returns = np.empty_like(shocks)
    vols = np.empty_like(shocks)
    for t, shock in enumerate(shocks):
        vol = math.sqrt(variance)
        vols[t] = vol
        returns[t] = vol * shock
        variance = omega + _GARCH_ALPHA * returns[t] ** 2 + _GARCH_BETA * variance
    return returns, vols


class SimulatedMarket:
    """The `sim` provider."""

    name = "sim"

    def __init__(
        self,
        *,
        seed: int = DEFAULT_SEED,
        predictability: float = DEFAULT_PREDICTABILITY,
        clock: Clock | None = None,
        calendar: ExchangeCalendar | None = None,
        origin: date = DEFAULT_ORIGIN,
    ) -> None:
        if not 0.0 <= predictability <= 1.0:
            raise ValueError(f"predictability must be in [0, 1], got {predictability}")
        self.seed = seed
        self.predictability = predictability
        self._calendar = calendar or get_calendar()
        self._index = self._calendar.sessions_index(origin, self._calendar.last_session)
        rng = np.random.default_rng([seed, _stable_int("market")])
        self._market, _ = _garch_path(_student_t(rng, len(self._index)), _MARKET_VOL)
        self._series: dict[str, pd.DataFrame] = {}
        self._replay = (
            ReplayMarket(self.history, clock=clock, calendar=self._calendar, name=self.name)
            if clock is not None
            else None
        )

    # -- the provider protocol ---------------------------------------------------

    def get_bars(
        self,
        symbols: Sequence[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.DAY,
    ) -> dict[str, pd.DataFrame]:
        if not timeframe.is_daily:
            raise MarketDataError(f"the simulated market has daily bars only, not {timeframe}")
        if self._replay is not None:
            return self._replay.get_bars(symbols, start, end, timeframe)
        return {s: clip_range(self.history(s), start, end) for s in symbols}

    def latest_prices(self, symbols: Sequence[str]) -> dict[str, float]:
        if self._replay is not None:
            return self._replay.latest_prices(symbols)
        return {s: float(self.history(s)["close"].iloc[-1]) for s in symbols}

    # -- the series ----------------------------------------------------------------

    def history(self, symbol: str) -> pd.DataFrame:
        """Every session of `symbol` from the origin to the calendar's end (cached)."""
        if symbol not in self._series:
            self._series[symbol] = self._generate(symbol)
        return self._series[symbol]

    def _generate(self, symbol: str) -> pd.DataFrame:
        n = len(self._index)
        if n == 0:
            return empty_bars()
        rng = np.random.default_rng([self.seed, _stable_int(symbol)])
        beta = rng.uniform(0.7, 1.4)
        idio_vol = rng.uniform(0.010, 0.022)
        anchor_price = 10 ** rng.uniform(1.0, 2.5)
        base_volume = 10 ** rng.uniform(5.5, 7.5)
        drift = rng.uniform(0.00005, 0.0004)

        idio, idio_vols = _garch_path(_student_t(rng, n), idio_vol)
        total_vol = np.sqrt((beta * _MARKET_VOL) ** 2 + idio_vols**2)
        regime_on = self._regimes(rng, n)
        returns = beta * self._market + idio + drift
        if self.predictability > 0:
            returns = self._add_momentum(returns, total_vol, regime_on)

        # Anchor the level at a fixed session so prices stay stock-like around today
        # whatever the drift did over the decades before.
        path = np.cumsum(returns)
        anchor = min(int(self._index.searchsorted(ANCHOR)), n - 1)
        log_close = np.log(anchor_price) + path - path[anchor]
        start_price = float(np.exp(log_close[0] - returns[0]))
        close = np.exp(log_close)
        previous = np.exp(np.concatenate(([np.log(start_price)], log_close[:-1])))
        gap = 0.25 * returns + rng.normal(0.0, 0.2, n) * total_vol
        open_ = previous * np.exp(gap)
        high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.5, n)) * total_vol)
        low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.5, n)) * total_vol)
        volume = np.round(
            base_volume * np.exp(rng.normal(0, 0.3, n)) * (1 + 2 * np.abs(returns) / total_vol)
        )
        frame = pd.DataFrame(
            {"open": open_, "high": high, "low": low, "close": close, "volume": volume},
            index=self._index,
        )
        return frame.loc[:, list(BAR_COLUMNS)]

    @staticmethod
    def _regimes(rng: np.random.Generator, n: int) -> np.ndarray:
        switches = rng.random(n) > _REGIME_STAY
        # The regime flips at each switch: a persistent on/off sequence.
        return (np.cumsum(switches) % 2).astype(bool)

    def _add_momentum(
        self, returns: np.ndarray, vol: np.ndarray, regime_on: np.ndarray
    ) -> np.ndarray:
        # z uses the returns before momentum, so trends cannot feed on themselves and
        # explode; the observed past returns still carry it, which is what can be learnt.
        window_sums = np.convolve(returns, np.ones(_MOMENTUM_WINDOW), mode="full")[: len(returns)]
        past = np.concatenate(([0.0], window_sums[:-1]))
        z = past / (vol * math.sqrt(_MOMENTUM_WINDOW))
        z[:_MOMENTUM_WINDOW] = 0.0
        return returns + np.where(regime_on, self.predictability * vol * np.tanh(z), 0.0)
