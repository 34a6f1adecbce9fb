"""Price chart PNGs for signal messages and /chart (matplotlib, Agg: files only).

Drawn in one worker thread (pyplot is not safe to use from several at once), so the
~100 ms of drawing never holds up the loop that also runs the web page and handlers."""

from __future__ import annotations

import asyncio
import functools
import io
from concurrent.futures import ThreadPoolExecutor

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd


def price_chart(
    symbol: str, bars: pd.DataFrame, *, stop: float | None = None, entry: float | None = None
) -> bytes:
    """Close with SMA 20/50 (the trend features that matter most) and the stop level."""
    close = bars["close"]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(7, 4.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top.plot(close.index, close.to_numpy(), label="close", linewidth=1.4)
    top.plot(close.index, close.rolling(20).mean().to_numpy(), label="SMA 20", linewidth=0.9)
    top.plot(close.index, close.rolling(50).mean().to_numpy(), label="SMA 50", linewidth=0.9)
    if entry:
        top.axhline(entry, color="tab:blue", linestyle=":", linewidth=0.9, label="entry")
    if stop:
        top.axhline(stop, color="tab:red", linestyle="--", linewidth=0.9, label="stop")
    top.set_title(f"{symbol} — last {len(bars)} sessions")
    top.legend(loc="upper left", fontsize=7)
    bottom.bar(bars.index, bars["volume"].to_numpy(), color="grey", width=1.0)
    bottom.set_ylabel("volume", fontsize=7)
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


_DRAWING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="telegram-chart")


async def render_price_chart(
    symbol: str, bars: pd.DataFrame, *, stop: float | None = None, entry: float | None = None
) -> bytes:
    draw = functools.partial(price_chart, symbol, bars, stop=stop, entry=entry)
    return await asyncio.get_running_loop().run_in_executor(_DRAWING, draw)
