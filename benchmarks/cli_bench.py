"""How fast the command line answers: `stockbot --help` (goal ≤ 0.5 s), every
sub-command's `--help`, and `stockbot doctor` (goal ≤ 2 s), each the median of 5 runs
of the installed console script in a fresh process, in an empty folder with a fresh
STOCKBOT_HOME; then the slowest imports of `--help` and `doctor` (`python -X importtime`).

Run: .venv/bin/python -m benchmarks.cli_bench [--runs N]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STOCKBOT = Path(sys.executable).with_name("stockbot")
COMMANDS: list[tuple[list[str], float | None]] = [
    (["--help"], 0.5),
    (["run", "--help"], 0.5),
    (["demo", "--help"], 0.5),
    (["cycle", "--help"], 0.5),
    (["doctor", "--help"], 0.5),
    (["db", "migrate", "--help"], 0.5),
    (["db", "backup", "--help"], 0.5),
    (["data", "fetch", "--help"], 0.5),
    (["data", "check", "--help"], 0.5),
    (["train", "--help"], 0.5),
    (["evaluate", "--help"], 0.5),
    (["backtest", "--help"], 0.5),
    (["doctor"], 2.0),
]
TOP_IMPORTS = 10


def _environment(folder: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STOCKBOT_", "ALPACA_", "TELEGRAM_", "WEBUI_"))
    }
    env["STOCKBOT_HOME"] = str(folder / "home")
    return env


def median_seconds(args: list[str], runs: int, folder: Path) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(
            [str(STOCKBOT), *args],
            cwd=folder,
            env=_environment(folder),
            capture_output=True,
            check=False,
        )
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def top_imports(args: list[str], folder: Path) -> list[tuple[float, str]]:
    """(cumulative seconds, module) of the slowest imports two levels deep (a module
    imported by another is indented under it)."""
    code = f"import sys; from core.app.cli import main; sys.exit(main({args!r}))"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=folder,
        env=_environment(folder),
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) <= 3:  # 1 space: by the program; 3: one level in
            rows.append((int(match.group(1)) / 1e6, match.group(2)[1:] + match.group(3)))
    return sorted(rows, key=lambda row: row[0], reverse=True)[:TOP_IMPORTS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        print(f"median of {runs} runs, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        for args, goal in COMMANDS:
            seconds = median_seconds(args, runs, folder)
            verdict = ""
            if goal is not None:
                verdict = f"  (goal ≤ {goal:.1f} s: {'met' if seconds <= goal else 'MISSED'})"
            print(f"stockbot {' '.join(args):<24} {seconds:6.2f} s{verdict}")
        for args in (["--help"], ["doctor"]):
            print(f"\nslowest imports of `stockbot {' '.join(args)}` (cumulative):")
            for seconds, module in top_imports(args, folder):
                print(f"  {seconds:6.3f} s  {module}")


if __name__ == "__main__":
    main()
