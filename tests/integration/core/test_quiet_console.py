"""A fresh run's console shows stockbot's lines only: no TensorFlow/absl notices, no
Python warnings, no library log lines, no carriage-return bars off a terminal. What
libraries say goes to the log file. Offline, on the simulated market."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.subprocesses import STOCKBOT, child_env

CHATTER = (
    "Warning",
    "WARNING",
    "warnings.warn",
    "absl",
    "oneDNN",
    "tensorflow",
    "TF_ENABLE",
    "cuda",
    "I0000",
    "W0000",
    "E0000",
    "yfinance",
    "Cookie",
    "Traceback",
    "level=",
)


def _stockbot(home: Path, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(STOCKBOT), *args],
        cwd=work,
        env=child_env(STOCKBOT_HOME=str(home), STOCKBOT_DATA_PROVIDER="sim"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _assert_quiet(result: subprocess.CompletedProcess[str], *, bars: bool = False) -> None:
    console = result.stdout + result.stderr
    assert result.returncode == 0, console
    assert [word for word in CHATTER if word in console] == [], console
    if not bars:
        assert "\r" not in console, console


@pytest.mark.slow
def test_train_cycle_backtest_and_fetch_print_only_stockbot(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "run"
    work.mkdir()
    fetch = _stockbot(home, work, "data", "fetch", "--provider", "sim", "--symbols", "AAA,BBB")
    _assert_quiet(fetch)
    backtest = _stockbot(
        home,
        work,
        *("backtest", "--provider", "sim", "--symbols", "AAA", "--models", "momentum"),
        *("--start", "2023-01-03", "--end", "2023-03-31"),
    )
    _assert_quiet(backtest)
    assert "total return" in backtest.stdout
    # The LSTM on: TensorFlow is loaded by training and by the cycle that uses the model.
    train = _stockbot(
        home,
        work,
        *("train", "--provider", "sim", "--symbols", "PLTR", "--models", "lstm,momentum"),
        *("--folds", "0", "--context", "none", "--start", "2020-01-02", "--end", "2023-12-29"),
    )
    # core.app.cli.ml still draws its own tqdm bar (carriage returns) off a terminal.
    _assert_quiet(train, bars=True)
    assert "made current" in train.stdout
    cycle = _stockbot(home, work, "cycle")
    _assert_quiet(cycle)
    assert cycle.stdout.startswith("PLTR     p(up) ")


CHATTY_COMMAND = """
import logging, sys, warnings
import core.app.cli.common as common
import core.app.cli.data as data
from core.app.cli import main

load = common.load_cli_settings

def early(*args, **kwargs):  # before the log file is open
    logging.getLogger("yfinance").error("1 Failed download: early")
    return load(*args, **kwargs)

common.load_cli_settings = early
real = data.date_range

def chatty(*args):
    warnings.warn("the inplace keyword is deprecated", FutureWarning)
    logging.getLogger("yfinance").error("Cookie/crumb fetch failed")
    logging.getLogger("absl").warning("All log messages before absl::InitializeLog()")
    return real(*args)

data.date_range = chatty
sys.exit(main(["data", "check", "--provider", "sim", "--symbols", "AAA",
               "--start", "2024-01-02", "--end", "2024-01-31"]))
"""


def test_library_warnings_and_log_lines_go_to_the_log_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-c", CHATTY_COMMAND],
        cwd=tmp_path,
        env=child_env(STOCKBOT_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("AAA: ok, 21 bars")
    log = (home / "logs" / "stockbot.log").read_text(encoding="utf-8")
    assert "FutureWarning: the inplace keyword is deprecated" in log
    assert "Cookie/crumb fetch failed" in log
    assert "absl::InitializeLog" in log
