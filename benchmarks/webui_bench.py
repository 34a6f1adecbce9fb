"""Web page figures: what the one background refresh costs (status, positions, pending
signals; and the performance series against buy-and-hold), on a year of history.

Run: .venv/bin/python -m benchmarks.webui_bench [--symbols N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.app.composition import build_agent
from core.base.calendar import get_calendar
from core.base.clock import SimulatedClock
from core.base.settings import RuntimeSettings, Settings, TradingConfig, load_env_settings
from core.data.simulated import SimulatedMarket
from storage import equity
from storage.database import close_database
from webui.security import WebCredentials
from webui.state import WebState

SESSIONS = 252
RUNS = 20


def _p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def _measure(state: WebState) -> tuple[list[float], list[float]]:
    with_series, without = [], []
    for _ in range(RUNS):
        state.poke(series=True)
        began = time.perf_counter()
        await state.refresh()
        with_series.append(time.perf_counter() - began)
        began = time.perf_counter()
        await state.refresh()  # the series is fresh: the usual 2-second refresh
        without.append(time.perf_counter() - began)
    return with_series, without


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=20)
    args = parser.parse_args()
    names = tuple(f"S{i:03d}" for i in range(args.symbols))
    calendar = get_calendar()
    end = datetime(2024, 7, 5, 20, 0, tzinfo=UTC)
    days = calendar.sessions((end - timedelta(days=400)).date(), end.date())[-SESSIONS:]
    with tempfile.TemporaryDirectory() as folder:
        env = load_env_settings(None).model_copy(
            update={"stockbot_home": Path(folder), "stockbot_data_provider": "sim"}
        )
        settings = Settings(env=env, trading=TradingConfig(runtime=RuntimeSettings(symbols=names)))
        clock = SimulatedClock(end)
        agent = build_agent(settings, clock=clock, data=SimulatedMarket(clock=clock))
        try:
            for number, day in enumerate(days):
                equity.record_snapshot(
                    at=calendar.session_close(day),
                    equity=10_000.0 + number,
                    cash=5_000.0,
                    exposure=5_000.0 + number,
                    daily_pnl=1.0,
                )
            state = WebState(WebCredentials("x", "y", None), agent.engine)
            with_series, without = asyncio.run(_measure(state))
        finally:
            close_database()
    print(f"symbols={args.symbols} sessions={SESSIONS} runs={RUNS}")
    print(f"refresh_with_series_p50_ms={_p50_ms(with_series):.1f}")
    print(f"refresh_p50_ms={_p50_ms(without):.1f}")


if __name__ == "__main__":
    main()
