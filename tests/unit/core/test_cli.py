"""The command line's own parts: light parsers, the error boundary, progress lines and
the backtest summary."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.app.cli import commands, main
from core.app.cli.backtest import format_summary, profit_factor_text
from core.app.cli.progress import Progress

HEAVY = ("pandas", "numpy", "tensorflow", "nicegui", "lightgbm", "sklearn", "pydantic", "yaml")


def test_help_and_parsers_import_nothing_heavy() -> None:
    """`stockbot --help` and every parser come from the standard library alone."""
    code = (
        "import sys, json; from core.app.cli.commands import build_parser; "
        "from core.app.cli import main; build_parser(); "
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []


def test_the_lists_shown_in_help_agree_with_their_owners() -> None:
    from core.app.demo import DEMO_SYMBOLS
    from core.base.settings import MODEL_NAMES, PROVIDER_NAMES
    from ml.models import MODEL_NAMES as ML_MODEL_NAMES

    assert commands.PROVIDERS == PROVIDER_NAMES
    assert commands.MODEL_NAMES == MODEL_NAMES == ML_MODEL_NAMES
    assert commands.DEMO_SYMBOLS == DEMO_SYMBOLS


def test_every_command_names_a_handler_that_exists() -> None:
    import argparse
    import importlib

    parser = commands.build_parser()
    found = []
    stack = [parser]
    while stack:
        current = stack.pop()
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())
        handler = current.get_default("handler")
        if handler:
            module, _, function = handler.partition(":")
            assert callable(getattr(importlib.import_module(module), function)), handler
            found.append(handler)
    assert len(found) == 11  # run demo cycle doctor migrate backup fetch check train evaluate bt


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for line in ("  0    done", "  1    a check failed", "  2    a mistake", "  130  interrupted"):
        assert line in out


def test_an_unexpected_error_is_one_line_and_its_traceback_goes_to_the_log(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the replay lost its clock")

    monkeypatch.setattr("core.app.cli.data.date_range", broken)
    assert main(["data", "check", "--provider", "sim", "--symbols", "AAA"]) == 1
    log = isolated_env / "logs" / "stockbot.log"
    assert capsys.readouterr().err == (
        f"error: unexpected RuntimeError: the replay lost its clock — the traceback is in {log}\n"
    )
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert 'raise RuntimeError(\\"the replay lost its clock\\")' in text


def test_interrupted_is_130(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("core.app.cli.data.date_range", interrupted)
    assert main(["data", "check", "--provider", "sim", "--symbols", "AAA"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_off_a_terminal_is_plain_periodic_lines() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress("backtest", unit="session", stream=stream, every=10, clock=clock)
    for done in range(1, 101):
        clock.now += 0.5
        progress.update(done, f"day {done}", total=100)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert lines[0] == "backtest: 20/100 sessions (20%), day 20"
    assert lines[-1] == "backtest: 100/100 sessions (100%), day 100"
    assert len(lines) == 5  # every 10 s of 50, the last one included


def test_profit_factor_for_people() -> None:
    assert profit_factor_text([100.0, -50.0, 25.0]) == "2.50"
    assert profit_factor_text([100.0, 20.0]) == "∞ (no losing trade)"
    assert profit_factor_text([]) == "n/a (no closed gain or loss)"


def test_the_backtest_summary_shows_percentages_and_money() -> None:
    metrics = {
        "total_return": 0.244,
        "cagr": 0.121,
        "sharpe": 1.234,
        "sortino": None,
        "max_drawdown": 0.087,
        "final_equity": 12_440.0,
        "win_rate": 0.6,
        "trades": 5,
        "signals": 9,
        "exposure": 0.43,
        "turnover": 5.2,
        "costs": 1234.5,
    }
    benchmark = {"total_return": -0.05, "max_drawdown": 0.2, "final_equity": 9_500.0}
    text = format_summary(metrics, benchmark, [10.0, 20.0], sessions=250, retrainings=12)
    lines = text.splitlines()
    assert lines[0] == "250 sessions, 12 retrainings, 5 trades, 9 signals"
    assert lines[2].split() == ["total", "return", "+24.4%", "-5.0%"]
    assert lines[4].split() == ["Sharpe", "1.23", "-"]
    assert lines[6].split() == ["max", "drawdown", "8.7%", "20.0%"]
    assert lines[7].split() == ["final", "equity", "$12,440.00", "$9,500.00"]
    assert lines[8] == (
        "win rate 60%, profit factor ∞ (no losing trade), exposure 43% of equity on average, "
        "turnover 5.2× equity, costs $1,234.50"
    )
    assert "total_return" not in text


def test_a_broken_installation_is_one_line_with_the_log_too(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the command's own set-up (here: its module cannot even be imported, as
    LightGBM's cannot without libgomp), the log file is set up to hold the traceback."""

    def missing_library(handler: str) -> None:
        raise OSError("libgomp.so.1: cannot open shared object file: No such file or directory")

    monkeypatch.setattr("core.app.cli.boundary._resolve", missing_library)
    assert main(["backtest", "--symbols", "AAA"]) == 1
    log = isolated_env / "logs" / "stockbot.log"
    assert capsys.readouterr().err == (
        "error: unexpected OSError: libgomp.so.1: cannot open shared object file: No such "
        f"file or directory — the traceback is in {log}\n"
    )
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")
