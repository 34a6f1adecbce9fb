"""Do backtests honour their stops? Run `stockbot backtest` over real histories and scan
every trade against the bars (issue 14).

Fails (exit 1) if any trade stayed open past a session whose low crossed its stop at
entry, or lost more than its planned risk plus the gap through the stop (and costs).

    python -m benchmarks.stop_scan [--data-dir ../shared/data] [--json out.json]

Without `--json` it runs the backtest itself:
`stockbot backtest --provider csv --data-dir DIR --symbols PLTR,SPY,AAPL,MSFT,NVDA
--start 2018-01-01 --end 2024-09-12 --json out.json`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.data.csv_folder import CsvProvider

SYMBOLS = "PLTR,SPY,AAPL,MSFT,NVDA"
START, END = "2018-01-01", "2024-09-12"
STOCKBOT = Path(sys.executable).with_name("stockbot")
SLIPPAGE = 5 / 10_000  # the paper broker's default, against every fill
TOLERANCE = 0.011  # a cent of stop rounding plus float noise


@dataclass
class Finding:
    symbol: str
    entry: str
    problem: str


def run_backtest(data_dir: Path, out: Path) -> float:
    began = time.perf_counter()
    subprocess.run(
        [
            str(STOCKBOT),
            "backtest",
            "--provider",
            "csv",
            "--data-dir",
            str(data_dir),
            "--symbols",
            SYMBOLS,
            "--start",
            START,
            "--end",
            END,
            "--json",
            str(out),
        ],
        check=True,
    )
    return time.perf_counter() - began


def scan(trades: list[dict], bars: dict[str, pd.DataFrame]) -> tuple[list[Finding], list[float]]:
    """(violations, loss of each stopped trade in units of its planned risk)."""
    findings: list[Finding] = []
    losses_in_r: list[float] = []
    for trade in trades:
        stop = trade["stop_at_entry"]
        if stop is None:
            continue
        frame = bars[trade["symbol"]]
        entry_day = pd.Timestamp(trade["entry_time"][:10], tz="UTC")
        exit_day = pd.Timestamp(trade["exit_time"][:10], tz="UTC")
        held = frame.loc[entry_day:exit_day]
        for day, bar in held.iterrows():
            if bar["low"] <= stop - TOLERANCE and day < exit_day:
                findings.append(
                    Finding(
                        trade["symbol"],
                        trade["entry_time"][:10],
                        f"low {bar['low']:.2f} crossed the stop {stop:.2f} on {day.date()} "
                        f"but the trade stayed open until {exit_day.date()}",
                    )
                )
                break
        risk = trade["entry_price"] - stop
        if risk <= 0 or trade["exit_reason"] == "open at end":
            continue
        exit_open = float(frame.loc[exit_day, "open"]) if exit_day in frame.index else stop
        gap = max(0.0, stop - exit_open)
        worst = (risk + gap) * trade["qty"] + trade["exit_price"] * trade["qty"] * SLIPPAGE * 2
        if -trade["pnl"] > worst + TOLERANCE * trade["qty"]:
            findings.append(
                Finding(
                    trade["symbol"],
                    trade["entry_time"][:10],
                    f"lost ${-trade['pnl']:.2f}, more than the planned risk plus the gap "
                    f"(${worst:.2f})",
                )
            )
        if trade["exit_reason"] in ("stop", "trailing_stop"):
            losses_in_r.append(-trade["pnl"] / (risk * trade["qty"]))
    return findings, losses_in_r


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--json", type=Path, help="scan this backtest result instead")
    args = parser.parse_args()
    out = args.json or Path("stop_scan_backtest.json")
    seconds = None if args.json else run_backtest(args.data_dir, out)
    result = json.loads(out.read_text(encoding="utf-8"))
    provider = CsvProvider(args.data_dir)
    bars = provider.get_bars(
        SYMBOLS.split(","),
        pd.Timestamp("2010-01-01", tz="UTC").to_pydatetime(),
        pd.Timestamp("2024-12-31", tz="UTC").to_pydatetime(),
    )
    trades = result["trades"]
    findings, losses = scan(trades, bars)
    reasons: dict[str, int] = {}
    for trade in trades:
        reasons[trade["exit_reason"]] = reasons.get(trade["exit_reason"], 0) + 1
    metrics, bench = result["metrics"], result["benchmark"]
    print(f"backtest {SYMBOLS} {START}..{END}" + (f" in {seconds:.0f} s" if seconds else ""))
    print(f"trades {len(trades)}: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    print(
        f"total return {metrics['total_return']:.1%} vs buy-and-hold "
        f"{bench['total_return']:.1%}; max drawdown {metrics['max_drawdown']:.1%} vs "
        f"{bench['max_drawdown']:.1%}"
    )
    if losses:
        print(f"stopped-out trades lost {min(losses):.2f}..{max(losses):.2f} R (planned: 1 R)")
    for finding in findings:
        print(f"VIOLATION {finding.symbol} entered {finding.entry}: {finding.problem}")
    print("ok: no position held through its stop" if not findings else f"{len(findings)} found")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
