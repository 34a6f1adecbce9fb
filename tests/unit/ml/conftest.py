from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from core.data.simulated import SimulatedMarket


def simulated_bars(
    symbols: list[str], *, years: int = 6, predictability: float = 0.5, seed: int = 7
) -> dict[str, pd.DataFrame]:
    market = SimulatedMarket(seed=seed, predictability=predictability)
    end = datetime(2023, 12, 29, tzinfo=UTC)
    start = datetime(end.year - years, 1, 1, tzinfo=UTC)
    return market.get_bars(symbols, start, end)


@pytest.fixture(scope="session")
def small_universe() -> dict[str, pd.DataFrame]:
    return simulated_bars(["AAA", "BBB", "CCC", "DDD"], years=4)
