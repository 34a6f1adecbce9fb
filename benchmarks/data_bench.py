"""Market data figures: 100 symbols × 10 years of simulated daily bars.

Prints generation, cache write, cache read (goal ≤ 1 s) and validation (goal ≤ 0.5 s)
times. Run: .venv/bin/python -m benchmarks.data_bench
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from core.base.calendar import get_calendar
from core.data.cache import CachedProvider
from core.data.simulated import SimulatedMarket
from core.data.validation import validate_bars
from storage.bar_cache import BarKey, read_bars
from storage.database import close_database, open_database

SYMBOLS = [f"SYM{i:03d}" for i in range(100)]
START = datetime(2014, 1, 1, tzinfo=UTC)
END = datetime(2023, 12, 31, tzinfo=UTC)
T = TypeVar("T")


def timed(label: str, goal: float | None, function: Callable[[], T]) -> T:
    began = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - began
    verdict = ""
    if goal is not None:
        verdict = f"  (goal ≤ {goal:.1f} s: {'met' if seconds <= goal else 'MISSED'})"
    print(f"{label:<34} {seconds:7.3f} s{verdict}")
    return result


def main() -> None:
    calendar = get_calendar()
    market = SimulatedMarket()
    frames = timed(
        "generate (simulated market)", None, lambda: market.get_bars(SYMBOLS, START, END)
    )
    rows = sum(len(f) for f in frames.values())
    print(f"{'bars':<34} {rows:,} ({len(SYMBOLS)} symbols × {rows // len(SYMBOLS):,} sessions)")
    with tempfile.TemporaryDirectory() as folder:
        open_database(Path(folder) / "bench.db")
        try:
            cache = CachedProvider(market)
            timed("cache write (fetch + insert)", None, lambda: cache.fill(SYMBOLS, START, END))
            keys = [BarKey("sim", s, "1Day", "all") for s in SYMBOLS]
            read = timed(
                "cache read (100 symbols)",
                1.0,
                lambda: {k.symbol: read_bars(k, START, END) for k in keys},
            )
            assert sum(len(f) for f in read.values()) == rows
            size = (Path(folder) / "bench.db").stat().st_size
            print(f"{'database size':<34} {size / 1e6:7.1f} MB")
        finally:
            close_database()
    results = timed(
        "validation (100 symbols)",
        0.5,
        lambda: [validate_bars(s, f, calendar=calendar, now=END) for s, f in read.items()],
    )
    print(f"{'problems found':<34} {sum(len(r.problems) for r in results)}")


if __name__ == "__main__":
    main()
