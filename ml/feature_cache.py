"""Feature rows kept per symbol between live cycles, extended by the new bars only.

A live cycle reads about a year and a half of bars for every symbol, but only the
newest bar is new. Each symbol's entry keeps the indicator state (`FeatureStream`), the
bars it has seen (to notice a changed history) and its newest feature rows (what a
prediction reads), so a cycle computes one row per symbol instead of the whole history.

Same numbers as a full recompute: the rows equal `feature_matrix` over the history
from the entry's first bar (its origin) to the newest, bit for bit (the streams carry
TA-Lib's exact state; `tests/unit/ml/test_incremental_features.py` checks every cut
point). The origin is where the entry was (re)built; a full recompute over a window
that starts later differs by the warm-up's start-up effect only (`ml.features`).

A changed history rebuilds the entry: the bars a cycle fetches must equal, bar for bar
and value for value, the bars the entry saw at the same times — a corrected bar, a
split-adjusted history or a removed bar fails that and the symbol is recomputed from
the bars as they are now.

Bounded: an entry keeps the bars of the last fetch and `keep_rows` feature rows; at
most `max_symbols` entries, the least recently used dropped first.

Not thread-safe: the one live predictor that owns it serialises its cycles.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.dataset import Samples
from ml.feature_stream import FeatureStream
from ml.features import WARMUP_BARS, FeatureError, assemble, check_finite, feature_names
from ml.indicators import INDICATOR_NAMES

_ATR = INDICATOR_NAMES.index("atr")


@dataclass
class SymbolFeatures:
    """One symbol's cached state at its newest bar."""

    stamps: np.ndarray
    """int64 nanoseconds (UTC) of the bars of the last fetch, ascending."""
    bars: np.ndarray
    """(n, 5) open, high, low, close, volume of those bars."""
    rows: np.ndarray
    """The newest feature rows (float64), oldest first; the last is the newest bar's."""
    atr: float
    """ATR(14) at the newest bar in price units: the features' own value."""
    count: int
    """Bars since the origin (the first bar the stream saw)."""
    stream: FeatureStream

    @property
    def last_stamp(self) -> int:
        return int(self.stamps[-1])

    @property
    def last_close(self) -> float:
        return float(self.bars[-1, 3])


class FeatureCache:
    def __init__(self, *, keep_rows: int, max_symbols: int = 1024) -> None:
        if keep_rows < 1 or max_symbols < 1:
            raise ValueError("keep_rows and max_symbols must be at least 1")
        self.keep_rows = keep_rows
        self.max_symbols = max_symbols
        self._entries: OrderedDict[str, SymbolFeatures] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._entries

    def get(self, symbol: str) -> SymbolFeatures | None:
        entry = self._entries.get(symbol)
        if entry is not None:
            self._entries.move_to_end(symbol)
        return entry

    def drop(self, symbol: str) -> None:
        self._entries.pop(symbol, None)

    def new_bars_from(self, symbol: str, stamps: np.ndarray, bars: np.ndarray) -> int | None:
        """Where the new bars start in a fetch (`stamps` strictly ascending, `bars` their
        values), when every fetched bar the entry saw too is unchanged; None when there is
        no entry or the history changed (rebuild it)."""
        entry = self._entries.get(symbol)
        if entry is None or len(stamps) == 0 or stamps[0] < entry.stamps[0]:
            return None
        first = int(np.searchsorted(entry.stamps, stamps[0]))
        shared = len(entry.stamps) - first
        if len(stamps) < shared:
            return None  # bars the entry saw have gone
        # Bytes, not ==: the same test bit for bit (a NaN fetched where the entry has a
        # validated number differs too), at a fraction of np.array_equal's cost.
        if stamps[:shared].tobytes() != entry.stamps[first:].tobytes():
            return None
        if bars[:shared].tobytes() != entry.bars[first:].tobytes():
            return None
        return shared

    def rebuild(
        self, symbol: str, stamps: np.ndarray, bars: np.ndarray, index: pd.Index
    ) -> SymbolFeatures:
        """A new entry from validated bars (more than the warm-up); `index` names bars in
        errors. Raises `FeatureError` (and keeps no entry) if a feature is not finite."""
        self.drop(symbol)
        stream, columns = FeatureStream.open(bars)
        matrix = assemble(_named(columns[WARMUP_BARS:]))
        check_finite(matrix, index, symbol, first=WARMUP_BARS)
        entry = SymbolFeatures(
            # Copies: a provider's frame may be changed in place later, and a cached view
            # would change with it and hide the correction.
            stamps=stamps.copy(),
            bars=bars.copy(),
            rows=matrix[-self.keep_rows :],
            atr=float(columns[-1, _ATR]),
            count=len(bars),
            stream=stream,
        )
        self._store(symbol, entry)
        return entry

    def extend(
        self, updates: Mapping[str, tuple[np.ndarray, np.ndarray, int]]
    ) -> dict[str, FeatureError]:
        """Feed each symbol's validated new bars: {symbol: (fetched stamps, fetched bars,
        position of the first new bar)}. The rows of all symbols are assembled in one pass
        (the per-call cost of ~40 array expressions would otherwise be paid per symbol).
        Returns the symbols whose new rows cannot be computed or are not finite; their
        entries are dropped (the next cycle rebuilds them from the whole history)."""
        failed: dict[str, FeatureError] = {}
        fed: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}
        columns: list[np.ndarray] = []
        for symbol, (stamps, bars, first) in updates.items():
            try:
                columns.append(self._entries[symbol].stream.extend(bars[first:]))
            except Exception as error:  # TA-Lib raises a bare Exception
                # The stream may be part-way through the bars: the entry cannot be trusted.
                failed[symbol] = FeatureError(f"{symbol}: indicators refused a new bar: {error}")
                self.drop(symbol)
                continue
            fed[symbol] = (stamps, bars, first)
        if not columns:
            return failed
        matrix = assemble(_named(np.vstack(columns)))
        start = 0
        for (symbol, (stamps, bars, first)), block in zip(fed.items(), columns, strict=True):
            rows = matrix[start : start + len(block)]
            start += len(block)
            entry = self._entries[symbol]
            if not np.isfinite(rows).all():  # named lazily: stamps become dates only here
                try:
                    check_finite(rows, pd.to_datetime(stamps, utc=True), symbol, first=first)
                except FeatureError as error:
                    failed[symbol] = error
                    self.drop(symbol)
                    continue
            if len(block):
                entry.rows = np.concatenate((entry.rows, rows))[-self.keep_rows :]
                entry.atr = float(block[-1, _ATR])
                entry.count += len(block)
            # The fetch is the window the next one is compared with (copied: see rebuild).
            entry.stamps, entry.bars = stamps.copy(), bars.copy()
        return failed

    def samples(self, symbols: Sequence[str], *, lookback: int, horizon: int) -> Samples:
        """The newest sample of each symbol — what `build_samples(...).latest()` gives
        for the same rows: float32 matrix, one `lookback` window per symbol, ordered by
        time then symbol, labels unknown."""
        if lookback > self.keep_rows:
            raise ValueError(f"lookback {lookback} needs more than {self.keep_rows} kept rows")
        entries = [(s, self._entries[s]) for s in symbols]
        blocks = [entry.rows[-lookback:] for _, entry in entries]
        if any(len(block) < lookback for block in blocks):
            raise FeatureError(f"a sample needs {lookback} feature rows")
        stamps = np.array([entry.last_stamp for _, entry in entries], dtype=np.int64)
        names = np.array([symbol for symbol, _ in entries], dtype=object)
        order = np.lexsort((names, stamps))  # by time, then symbol
        n = len(entries)
        index = pd.DataFrame(
            {
                "symbol": names[order],
                "position": (order + 1) * lookback - 1,
                "timestamp": pd.to_datetime(stamps[order], utc=True),
                "label": np.full(n, np.nan),
                "r": np.full(n, np.nan),
                "market_trend": np.full(n, np.nan),
            }
        )
        matrix = (
            np.concatenate(blocks).astype(np.float32)
            if blocks
            else np.empty((0, len(feature_names(context=False))), dtype=np.float32)
        )
        return Samples(matrix, index, lookback, horizon, feature_names(context=False))

    def _store(self, symbol: str, entry: SymbolFeatures) -> None:
        self._entries[symbol] = entry
        self._entries.move_to_end(symbol)
        while len(self._entries) > self.max_symbols:
            self._entries.popitem(last=False)


def _named(columns: np.ndarray) -> dict[str, np.ndarray]:
    return {name: columns[:, i] for i, name in enumerate(INDICATOR_NAMES)}
