"""Every mistake a person can make and every broken state a machine can be in, run
through the real `stockbot` command in its own process: one line on stderr, no
traceback, the documented exit code (0 done, 1 a check failed, 2 a mistake or broken
state). Permission cases run the child without the power to ignore file permissions
(CI runs as root)."""

from __future__ import annotations

import math
import os
import re
import socket
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from core.base.calendar import get_calendar
from tests.broken_states import damaged_database, filled_database
from tests.subprocesses import STOCKBOT, child_env, unprivileged_prefix

SYMBOL_RULE = "1 to 10 capital letters, digits or '.', starting with a letter"


@dataclass
class Place:
    """The folders of one case: a home, a working folder, a CSV folder."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def csv(self) -> Path:
        return self.root / "csv"

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.work / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path


def write_csv(folder: Path, symbol: str, first: date, last: date) -> int:
    """Daily bars on every exchange session from first to last: a smooth, valid walk."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["date,open,high,low,close,volume"]
    for i, day in enumerate(get_calendar().sessions(first, last)):
        close = 50 + 10 * math.sin(i / 15) + i * 0.02
        open_ = close * (1 + 0.004 * math.cos(i / 3))
        high, low = max(open_, close) * 1.01, min(open_, close) * 0.99
        rows.append(f"{day},{open_:.2f},{high:.2f},{low:.2f},{close:.2f},{100_000 + 7 * i}")
    (folder / f"{symbol}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(rows) - 1


def read_only(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Case:
    name: str
    args: Callable[[Place], list[str]]
    code: int
    line: Callable[[Place], str]
    """The one stderr line (for a check that failed: the FAIL line on stdout)."""
    setup: Callable[[Place], None] = lambda place: None
    unprivileged: bool = False
    untouched: Callable[[Place], Path] | None = None
    """A file that must be byte-identical afterwards."""


def _yaml(text: str | bytes) -> Callable[[Place], None]:
    def setup(place: Place) -> None:
        place.env["STOCKBOT_CONFIG"] = str(place.write("config.yaml", text))

    return setup


def _env(**values: str) -> Callable[[Place], None]:
    def setup(place: Place) -> None:
        place.env.update(values)

    return setup


def _home(path: Callable[[Place], Path]) -> Callable[[Place], None]:
    def setup(place: Place) -> None:
        place.env["STOCKBOT_HOME"] = str(path(place))

    return setup


def _under_a_file(place: Place) -> None:
    place.write("afile", "not a folder")
    place.env["STOCKBOT_HOME"] = str(place.work / "afile" / "home")


def _read_only_home(place: Place) -> None:
    filled_database(place.home / "stockbot.db", rows=10)
    read_only(place.home)


def _read_only_logs(place: Place) -> None:
    read_only(place.home / "logs")


def _in_a_read_only_folder(place: Place) -> None:
    read_only(place.root / "locked")
    place.env["STOCKBOT_HOME"] = str(place.root / "locked" / "home")


def _damaged(place: Place) -> None:
    place.home.mkdir(parents=True)
    damaged_database(place.home / "stockbot.db")


def _database(place: Place) -> None:
    filled_database(place.home / "stockbot.db", rows=10)


def _database_and_a_file(place: Place) -> None:
    _database(place)
    place.write("afile", "not a folder")


def _database_and_a_locked_folder(place: Place) -> None:
    _database(place)
    read_only(place.root / "locked")


def _short_history(bars_from: date, bars_to: date) -> Callable[[Place], None]:
    def setup(place: Place) -> None:
        write_csv(place.csv, "AAA", bars_from, bars_to)

    return setup


def _unreachable_alpaca(place: Place) -> None:
    place.env.update(
        ALPACA_API_KEY="id",
        ALPACA_SECRET_KEY="secret",
        ALPACA_DATA_URL=f"http://127.0.0.1:{closed_port()}",
    )


def _alpaca_broker(place: Place) -> None:
    _yaml("broker:\n  kind: alpaca\n")(place)
    place.env.update(ALPACA_API_KEY="id", ALPACA_SECRET_KEY="secret", ALPACA_BASE_URL="not a url")


def _misspelled(place: Place) -> None:
    place.write("my.env", "STOCKBOT_HOEM=/data\n")


SIM = ["--provider", "sim", "--symbols", "AAA", "--start", "2024-01-02", "--end", "2024-01-31"]
DATES_2024 = ["--start", "2024-01-02", "--end", "2024-03-28"]
H1_2021 = ["--start", "2021-01-01", "--end", "2021-06-30"]
H1_2022 = ["--start", "2022-01-03", "--end", "2022-06-30"]
PROGRESS = re.compile(r"^[\w ]+: [\d,]+/[\d,]+ \w+ \(\d+%\)")
"""A progress line (output off a terminal), not a message."""
DAMAGED = "is damaged (PRAGMA quick_check: "
RESTORE = (
    'restore a backup as "Backup and restore" in docs/operations.md says: stop the agent, '
    "move stockbot.db (with any stockbot.db-wal and stockbot.db-shm) aside, copy the backup "
    "in as stockbot.db, run `stockbot doctor`"
)


def _csv(place: Place) -> list[str]:
    return ["--provider", "csv", "--data-dir", str(place.csv)]


CASES = [
    Case(
        "config file not UTF-8",
        lambda p: ["data", "check", *SIM],
        2,
        lambda p: (
            f"error: {p.work}/config.yaml: not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8"
        ),
        _yaml(b"runtime:\n  mode: caf\xe9\n"),
    ),
    Case(
        "malformed YAML",
        lambda p: ["data", "check", *SIM],
        2,
        lambda p: (
            f"error: {p.work}/config.yaml: not valid YAML at line 3, column 7: "
            "expected ',' or ']', but got ':'"
        ),
        _yaml("runtime:\n  symbols: [PLTR\n  mode: x\n"),
    ),
    Case(
        "bad symbol in the YAML",
        lambda p: ["data", "check", *SIM],
        2,
        lambda p: (
            f"error: {p.work}/config.yaml: runtime.symbols.0 = 'pl-tr': not a ticker "
            f"({SYMBOL_RULE})"
        ),
        _yaml("runtime:\n  symbols: [pl-tr]\n"),
    ),
    Case(
        "bad symbol on the command line",
        lambda p: ["data", "check", "--provider", "sim", "--symbols", "pl tr"],
        2,
        lambda p: f"error: --symbols: 'PL TR' is not a ticker ({SYMBOL_RULE})",
    ),
    Case(
        "a date that is not a date",
        lambda p: ["backtest", "--provider", "sim", "--symbols", "AAA", "--start", "2024-02-30"],
        2,
        lambda p: "error: --start: '2024-02-30' is not a date (YYYY-MM-DD)",
    ),
    Case(
        "an unknown model",
        lambda p: [
            "backtest",
            *SIM,
            "--models",
            "gbm,xgboost",
        ],
        2,
        lambda p: "error: --models: xgboost not known; choose from lstm,gbm,rf,momentum",
    ),
    Case(
        "ALPACA_BASE_URL that is not a URL",
        lambda p: ["cycle"],
        2,
        lambda p: (
            "error: environment: ALPACA_BASE_URL = 'not a url': not a URL: give http:// "
            "or https:// and a host, e.g. https://host:8443"
        ),
        _alpaca_broker,
    ),
    Case(
        "ALPACA_PAPER that is not a boolean",
        lambda p: ["cycle"],
        2,
        lambda p: (
            "error: environment: ALPACA_PAPER = 'maybe': Input should be a valid boolean, "
            "unable to interpret input"
        ),
        _env(ALPACA_PAPER="maybe"),
    ),
    Case(
        "a missing --env-file",
        lambda p: ["--env-file", "missing.env", "doctor"],
        2,
        lambda p: "error: --env-file missing.env does not exist",
    ),
    Case(
        "a misspelled key in the env file (a warning; the command works)",
        lambda p: ["--env-file", "my.env", "data", "check", *SIM],
        0,
        lambda p: (
            "warning: my.env: STOCKBOT_HOEM is not a stockbot setting, ignored; "
            "did you mean STOCKBOT_HOME?"
        ),
        _misspelled,
    ),
    Case(
        "a read-only home",
        lambda p: ["cycle"],
        2,
        lambda p: (
            f"error: STOCKBOT_HOME {p.home} is not writable (Permission denied); make it "
            "writable for this user or set STOCKBOT_HOME to a folder that is"
        ),
        _read_only_home,
        unprivileged=True,
        untouched=lambda p: p.home / "stockbot.db",
    ),
    Case(
        "doctor: a read-only home",
        lambda p: ["doctor"],
        1,
        lambda p: (
            f"FAIL  home              {p.home} is not writable by this user; fix it or "
            "set STOCKBOT_HOME"
        ),
        _read_only_home,
        unprivileged=True,
    ),
    Case(
        "a home under a regular file",
        lambda p: ["cycle"],
        2,
        lambda p: (
            f"error: STOCKBOT_HOME {p.work}/afile/home cannot be a folder: {p.work}/afile "
            "is a file; set STOCKBOT_HOME to a folder"
        ),
        _under_a_file,
    ),
    Case(
        "doctor: a home under a regular file",
        lambda p: ["doctor"],
        1,
        lambda p: (
            f"FAIL  home              {p.work}/afile/home cannot be a folder: "
            f"{p.work}/afile is a file; set STOCKBOT_HOME"
        ),
        _under_a_file,
    ),
    Case(
        "a home in an unwritable folder",
        lambda p: ["data", "check", *SIM],
        2,
        lambda p: (
            f"error: STOCKBOT_HOME {p.root}/locked/home cannot be created (Permission "
            "denied); set STOCKBOT_HOME to a folder this user can write"
        ),
        _in_a_read_only_folder,
        unprivileged=True,
    ),
    Case(
        "an unwritable logs folder",
        lambda p: ["data", "check", *SIM],
        2,
        lambda p: (
            f"error: cannot write the log file {p.home}/logs/stockbot.log: Permission "
            f"denied; make {p.home}/logs writable for this user or set STOCKBOT_HOME to a folder "
            "that is"
        ),
        _read_only_logs,
        unprivileged=True,
    ),
    Case(
        "db backup under a regular file",
        lambda p: ["db", "backup", str(p.work / "afile" / "b.db")],
        2,
        lambda p: (
            f"error: cannot write the backup to {p.work}/afile/b.db: {p.work}/afile is a file"
        ),
        _database_and_a_file,
    ),
    Case(
        "db backup into an unwritable folder",
        lambda p: ["db", "backup", str(p.root / "locked" / "b.db")],
        2,
        lambda p: (
            f"error: cannot write the backup to {p.root}/locked/b.db: the folder "
            f"{p.root}/locked is not writable by this user"
        ),
        _database_and_a_locked_folder,
        unprivileged=True,
    ),
    Case(
        "db backup with no database",
        lambda p: ["db", "backup", "b.db"],
        2,
        lambda p: f"error: no database at {p.home}/stockbot.db",
    ),
    Case(
        "cycle on a damaged database",
        lambda p: ["cycle"],
        2,
        lambda p: f"error: database {p.home}/stockbot.db {DAMAGED}",
        _damaged,
        untouched=lambda p: p.home / "stockbot.db",
    ),
    Case(
        "db migrate on a damaged database",
        lambda p: ["db", "migrate"],
        2,
        lambda p: f"error: database {p.home}/stockbot.db {DAMAGED}",
        _damaged,
        untouched=lambda p: p.home / "stockbot.db",
    ),
    Case(
        "doctor on a damaged database",
        lambda p: ["doctor"],
        1,
        lambda p: f"FAIL  database          database {p.home}/stockbot.db {DAMAGED}",
        _damaged,
        untouched=lambda p: p.home / "stockbot.db",
    ),
    Case(
        "cycle with no trained model",
        lambda p: ["cycle"],
        2,
        lambda p: (
            f"error: no trained model in {p.home}/models: run `stockbot train --symbols "
            "PLTR` first, then `stockbot cycle` again"
        ),
        _env(STOCKBOT_DATA_PROVIDER="sim"),
    ),
    Case(
        "an unknown symbol",
        lambda p: ["train", *_csv(p), "--symbols", "FOO", *DATES_2024],
        2,
        lambda p: (
            f"error: FOO: no bars from csv for 2024-01-02..2024-03-28 (there is no "
            f"{p.csv}/FOO.csv) — is FOO a symbol csv knows?"
        ),
        _short_history(date(2024, 1, 2), date(2024, 3, 28)),
    ),
    Case(
        "an unknown symbol (data fetch)",
        lambda p: ["data", "fetch", *_csv(p), "--symbols", "FOO", *DATES_2024],
        2,
        lambda p: (
            f"error: FOO: no bars from csv for 2024-01-02..2024-03-28 (there is no "
            f"{p.csv}/FOO.csv) — is FOO a symbol csv knows?"
        ),
        _short_history(date(2024, 1, 2), date(2024, 3, 28)),
    ),
    Case(
        "an unreachable provider",
        lambda p: ["data", "fetch", "--provider", "alpaca", "--symbols", "AAA"],
        2,
        lambda p: (
            f"error: cannot reach Alpaca's market data at "
            f"{p.env['ALPACA_DATA_URL'].removeprefix('http://')} (Connection refused): check the "
            "network, or use --provider csv --data-dir DIR, or --provider sim"
        ),
        _unreachable_alpaca,
    ),
    Case(
        "train on too little history",
        lambda p: ["train", *_csv(p), "--symbols", "AAA", "--context", "none", *H1_2021],
        2,
        lambda p: (
            "error: too little history for train: AAA has 124 bars (2021-01-04..2021-06-30); "
            "train needs about "
        ),
        _short_history(date(2021, 1, 4), date(2021, 6, 30)),
    ),
    Case(
        "backtest on too little history",
        lambda p: ["backtest", *_csv(p), "--symbols", "AAA", "--models", "momentum", *H1_2022],
        2,
        lambda p: (
            "error: too little history for backtest: AAA has 441 bars "
            "(2020-09-30..2022-06-30); a backtest needs 309 bars of warm-up and lookback, then "
            "enough labelled sessions to fit and calibrate its first model, before --start: "
            "the earliest --start that works is "
        ),
        _short_history(date(2020, 9, 30), date(2022, 6, 30)),
    ),
    Case(
        "a report into a missing folder",
        lambda p: ["backtest", *SIM, "--json", "nowhere/out.json"],
        2,
        lambda p: f"error: --json nowhere/out.json: the folder {p.work}/nowhere does not exist",
    ),
]


def _run(place: Place, case: Case) -> subprocess.CompletedProcess[str]:
    prefix: tuple[str, ...] = ()
    if case.unprivileged:
        found = unprivileged_prefix()
        if found is None:
            pytest.skip("no way to run the child without the power to ignore permissions")
        prefix = found
    env = {"STOCKBOT_HOME": str(place.home), **place.env}
    return subprocess.run(
        [*prefix, str(STOCKBOT), *case.args(place)],
        cwd=place.work,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_mistake_is_one_line_and_its_exit_code(tmp_path: Path, case: Case) -> None:
    place = Place(tmp_path / "case")
    place.work.mkdir(parents=True)
    try:
        case.setup(place)
        before = case.untouched(place).read_bytes() if case.untouched else None
        result = _run(place, case)
    finally:
        for folder in (place.home, place.home / "logs", place.root / "locked"):
            if folder.exists():
                folder.chmod(0o755)
    expected = case.line(place)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == case.code, result.stdout + result.stderr
    if case.code == 1:  # a check failed: the doctor's FAIL line, nothing on stderr
        assert result.stderr == ""
        lines = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    else:
        lines = [line for line in result.stderr.splitlines() if not PROGRESS.match(line)]
    assert len(lines) == 1, lines
    assert lines[0].startswith(expected), f"\n{lines[0]}\n{expected}"
    if case.untouched is not None:
        assert case.untouched(place).read_bytes() == before
    if DAMAGED in expected:
        assert lines[0].endswith(RESTORE)


def test_the_unprivileged_child_really_is_refused(tmp_path: Path) -> None:
    """Guards the permission cases: without it they could pass as root for the wrong
    reason."""
    prefix = unprivileged_prefix()
    if prefix is None:
        pytest.skip("no way to run the child without the power to ignore permissions")
    read_only(tmp_path / "locked")
    probe = f"open({str(tmp_path / 'locked' / 'x')!r}, 'w')"
    result = subprocess.run(
        [*prefix, str(STOCKBOT.with_name("python")), "-c", probe],
        capture_output=True,
        text=True,
        check=False,
    )
    (tmp_path / "locked").chmod(0o755)
    assert "PermissionError" in result.stderr
    assert os.geteuid() != 0 or prefix
