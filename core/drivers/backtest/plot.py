"""The backtest's equity chart beside buy-and-hold (PNG)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.drivers.backtest.config import BacktestResult


def plot_result(result: BacktestResult, path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(
        pd.to_datetime([r["date"] for r in result.equity]),
        [r["equity"] for r in result.equity],
        label="stockbot",
    )
    bench = result.benchmark["equity"]
    ax.plot(
        pd.to_datetime([r["date"] for r in bench]),
        [r["equity"] for r in bench],
        label="buy and hold",
        alpha=0.8,
    )
    ax.set(title=title, ylabel="equity ($)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
