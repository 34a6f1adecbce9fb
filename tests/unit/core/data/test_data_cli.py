from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from core.app.cli import main
from core.data.simulated import SimulatedMarket
from tests.fakes.alpaca_server import FakeAlpacaServer

GOOD = "date,open,high,low,close,volume\n2024-03-04,10,11,9,10,5\n2024-03-05,10,11,9,10.5,6\n"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "GOOD.csv").write_text(GOOD, encoding="utf-8")
    (folder / "BAD.csv").write_text(GOOD + "2024-03-06,10,9,11,10,5\n", encoding="utf-8")
    (folder / "BROKEN.csv").write_text("date,open\n2024-03-04,1\n", encoding="utf-8")
    return folder


def run(*args: str) -> int:
    return main(list(args))


def test_check_clean_data_exits_zero(data_dir: Path, tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.json"
    code = run(
        "data",
        "check",
        "--provider",
        "csv",
        "--data-dir",
        str(data_dir),
        "--symbols",
        "GOOD",
        "--start",
        "2024-03-01",
        "--end",
        "2024-03-05",
        "--json",
        str(report),
    )
    assert code == 0, capsys.readouterr()
    assert "GOOD: ok, 2 bars 2024-03-04..2024-03-05" in capsys.readouterr().out
    assert json.loads(report.read_text())["symbols"]["GOOD"]["blocking"] is False


def test_check_blocking_problem_exits_one(data_dir: Path, tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.json"
    code = run(
        "data",
        "check",
        "--provider",
        "csv",
        "--data-dir",
        str(data_dir),
        "--symbols",
        "GOOD,BAD",
        "--start",
        "2024-03-01",
        "--end",
        "2024-03-06",
        "--json",
        str(report),
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "ERROR BAD 2024-03-06 high_below_low: high 9.0 is below low 11.0" in out
    problems = json.loads(report.read_text())["symbols"]["BAD"]["problems"]
    assert problems[0]["rule"] == "high_below_low"


def test_malformed_file_is_one_line_not_a_traceback(data_dir: Path, capsys) -> None:
    code = run(
        "data",
        "check",
        "--provider",
        "csv",
        "--data-dir",
        str(data_dir),
        "--symbols",
        "BROKEN",
        "--end",
        "2024-03-05",
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "BROKEN.csv: line 1: missing column(s) high, low, close, volume" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--symbols", "pl tr"], "'PL TR' is not a ticker"),
        (["--symbols", "PLTR", "--start", "2024-13-01"], "--start: '2024-13-01' is not a date"),
        (["--symbols", "PLTR", "--start", "2024-03-02", "--end", "2024-03-01"], "is after --end"),
    ],
)
def test_bad_arguments_are_explained(data_dir: Path, capsys, args: list[str], message: str) -> None:
    assert run("data", "check", "--provider", "csv", "--data-dir", str(data_dir), *args) == 2
    assert message in capsys.readouterr().err


def test_fetch_fills_the_cache_from_alpaca(
    fake_alpaca: FakeAlpacaServer, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from datetime import UTC, datetime

    bars = SimulatedMarket().get_bars(
        ["PLTR", "SPY"], datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 28, tzinfo=UTC)
    )
    fake_alpaca.set_bars(bars)
    monkeypatch.setenv("ALPACA_API_KEY", fake_alpaca.api_key)
    monkeypatch.setenv("ALPACA_SECRET_KEY", fake_alpaca.secret_key)
    monkeypatch.setenv("ALPACA_DATA_URL", fake_alpaca.url)
    args = [
        "data",
        "fetch",
        "--symbols",
        "PLTR,SPY",
        "--start",
        "2024-01-01",
        "--end",
        "2024-03-28",
    ]
    assert run(*args) == 0
    expected = len(bars["PLTR"]) + len(bars["SPY"])
    assert (
        f"{expected:,} bars written to the cache for 2 symbol(s) from alpaca"
        in capsys.readouterr().out
    )
    calls = len(fake_alpaca.requests_to("/v2/stocks/bars"))
    assert run(*args) == 0  # everything cached: no new request
    assert len(fake_alpaca.requests_to("/v2/stocks/bars")) == calls
    assert "0 bars written" in capsys.readouterr().out


def test_an_unknown_symbol_is_named_not_zero_bars_of_none(data_dir: Path, capsys) -> None:
    args = ["--provider", "csv", "--data-dir", str(data_dir), "--start", "2024-03-01"]
    code = run("data", "check", *args, "--symbols", "GOOD,FOO", "--end", "2024-03-05")
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[1] == (
        f"FOO: BLOCKING, no bars from csv for 2024-03-01..2024-03-05 (there is no "
        f"{data_dir}/FOO.csv) — is FOO a symbol csv knows?"
    )
    assert "None" not in out


def test_fetching_an_unknown_symbol_is_a_mistake(data_dir: Path, capsys) -> None:
    args = ["--provider", "csv", "--data-dir", str(data_dir), "--start", "2024-03-01"]
    assert run("data", "fetch", *args, "--symbols", "FOO", "--end", "2024-03-05") == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "fetch csv: 1/1 symbols (100%), FOO",  # not a terminal: plain progress lines
        f"error: FOO: no bars from csv for 2024-03-01..2024-03-05 (there is no "
        f"{data_dir}/FOO.csv) — is FOO a symbol csv knows?",
    ]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: refused


def test_an_unreachable_yahoo_is_said_as_such(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    port = closed_port()
    monkeypatch.setattr("core.app.cli.common.YAHOO_URL", f"http://127.0.0.1:{port}")
    assert run("data", "check", "--provider", "yahoo", "--symbols", "AAPL") == 2
    assert capsys.readouterr().err == (
        f"error: cannot reach Yahoo Finance at 127.0.0.1:{port} (Connection refused): check "
        "the network, or use --provider csv --data-dir DIR, or --provider sim\n"
    )


def test_every_file_written_is_told(data_dir: Path, tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.json"
    args = ["--provider", "csv", "--data-dir", str(data_dir), "--symbols", "GOOD"]
    assert run("data", "check", *args, "--end", "2024-03-05", "--json", str(report)) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {report}"


def test_a_report_into_a_missing_folder_is_refused_before_the_work(
    data_dir: Path, tmp_path: Path, capsys
) -> None:
    report = tmp_path / "nowhere" / "report.json"
    args = ["--provider", "csv", "--data-dir", str(data_dir), "--symbols", "GOOD"]
    assert run("data", "check", *args, "--json", str(report)) == 2
    assert capsys.readouterr().err == (
        f"error: --json {report}: the folder {tmp_path}/nowhere does not exist\n"
    )
