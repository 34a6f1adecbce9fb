"""What every command shares: settings, home and log file before the command's body
(`run_guarded`), and the helpers of the commands that read market data.

Light at import (the standard library only): the modules behind these helpers load
when a command calls them.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from core.app.cli.context import current

if TYPE_CHECKING:
    import pandas as pd

    from core.base.settings import Settings
    from core.data.provider import MarketDataProvider

__all__ = [
    "StateError",
    "UsageError",
    "check_output",
    "date_range",
    "env_file_of",
    "load_cli_settings",
    "load_valid_bars",
    "make_provider",
    "parse_day",
    "parse_symbols",
    "prepare_home",
    "run_guarded",
    "setup_file_logging",
    "wrote",
]

DEFAULT_ENV_FILE = Path(".env")
ALPACA_DATA_URL = "https://data.alpaca.markets"
"""alpaca-py's market data endpoint when ALPACA_DATA_URL is unset."""
YAHOO_URL = "https://query1.finance.yahoo.com"
SYMBOL_RULE = "1 to 10 capital letters, digits or '.', starting with a letter"


class UsageError(ValueError):
    """A command-line value is wrong; printed as one line, exit code 2."""


class StateError(RuntimeError):
    """The machine is in a state the command cannot work in (an unwritable home, no
    trained model, an unreachable provider); printed as one line, exit code 2."""


# -- settings, home, log file ------------------------------------------------------------


def env_file_of(args: argparse.Namespace) -> Path:
    """`--env-file`, which must exist when given; else `.env`, which need not."""
    given = getattr(args, "env_file", None)
    if given is None:
        return DEFAULT_ENV_FILE
    env_file = Path(given)
    if not env_file.is_file():
        what = "is a folder, not a file" if env_file.is_dir() else "does not exist"
        raise UsageError(f"--env-file {given} {what}")
    return env_file


def load_cli_settings(args: argparse.Namespace, *, warn: bool = True) -> Settings:
    """Settings from the env file and the environment; unknown stockbot-looking keys
    are warned about."""
    from core.base.settings import load_settings, unknown_env_keys

    env_file = env_file_of(args)
    settings = load_settings(env_file)
    if warn:
        for warning in unknown_env_keys(env_file):
            print(f"warning: {warning}", file=sys.stderr)
    return settings


def _blocking_file(path: Path) -> Path | None:
    """The first part of `path` that exists but is not a folder (a file in the way)."""
    for part in reversed((path.absolute(), *path.absolute().parents)):
        if part.exists() and not part.is_dir():
            return part
    return None


def prepare_home(settings: Settings) -> Path:
    """STOCKBOT_HOME created if missing and proven writable, or one line saying why not."""
    home = settings.home
    blocker = _blocking_file(home)
    if blocker is not None:
        raise StateError(
            f"STOCKBOT_HOME {home} cannot be a folder: {blocker} is a file; "
            "set STOCKBOT_HOME to a folder"
        )
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StateError(
            f"STOCKBOT_HOME {home} cannot be created ({error.strerror or error}); "
            "set STOCKBOT_HOME to a folder this user can write"
        ) from error
    try:
        with tempfile.TemporaryFile(dir=home):
            pass
    except OSError as error:
        raise StateError(
            f"STOCKBOT_HOME {home} is not writable ({error.strerror or error}); "
            "make it writable for this user or set STOCKBOT_HOME to a folder that is"
        ) from error
    return home


def setup_file_logging(settings: Settings, *, console: bool = False) -> None:
    from core.base.logs import configure_logging

    configure_logging(
        logs_dir=settings.logs_dir,
        level=settings.env.stockbot_log_level,
        fmt=settings.env.stockbot_log_format,
        secrets=settings.env.secret_values(),
        console=console,
    )


def run_guarded(args: argparse.Namespace, body: Callable[[Settings], int]) -> int:
    """Settings loaded, home writable, log file open; then `body`. What goes wrong is
    explained by `core.app.cli.boundary.run_command`."""
    settings = load_cli_settings(args)
    prepare_home(settings)
    setup_file_logging(settings)
    current.settings = settings  # from here on, the log file is this command's
    return body(settings)


def check_output(path: Path | None, flag: str) -> None:
    """A file the command will write: refused now, in one line, rather than after the
    work when the write fails."""
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"{flag} {path} is a folder; give a file name")
    folder = path.absolute().parent
    blocker = _blocking_file(folder)
    if blocker is not None:
        raise UsageError(f"{flag} {path}: {blocker} is a file, not a folder")
    if not folder.is_dir():
        raise UsageError(f"{flag} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: the folder {folder} is not writable")


def wrote(path: Path) -> None:
    """Every file a command writes is told."""
    print(f"wrote {path}")


# -- command-line values -------------------------------------------------------------------


def parse_symbols(text: str) -> list[str]:
    symbols = [s.strip().upper() for s in text.split(",") if s.strip()]
    if not symbols:
        raise UsageError("--symbols: give at least one symbol, e.g. --symbols PLTR,SPY")
    for symbol in symbols:
        if not re.fullmatch(r"[A-Z][A-Z0-9.]{0,9}", symbol):
            raise UsageError(f"--symbols: {symbol!r} is not a ticker ({SYMBOL_RULE})")
    return symbols


def parse_day(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise UsageError(f"{flag}: {text!r} is not a date (YYYY-MM-DD)") from error


def date_range(args: argparse.Namespace, settings: Settings) -> tuple[datetime, datetime]:
    end_day = parse_day(args.end, "--end") or datetime.now(UTC).date()
    years = settings.trading.ml.history_years
    start_day = parse_day(args.start, "--start") or end_day - timedelta(days=round(365.25 * years))
    if start_day > end_day:
        raise UsageError(f"--start {start_day} is after --end {end_day}")
    start = datetime.combine(start_day, time(), tzinfo=UTC)
    end = datetime.combine(end_day, time(23, 59, 59), tzinfo=UTC)
    return start, end


# -- market data ---------------------------------------------------------------------------


def _require_reachable(label: str, url: str, timeout: float = 3.0) -> None:
    """A TCP connect to the provider's host: "no network" said as such, before a fetch
    that would retry for a while and then blame the data."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise StateError(
            f"cannot reach {label} at {host}:{port} ({reason}): check the network, or use "
            "--provider csv --data-dir DIR, or --provider sim"
        ) from error


def make_provider(args: argparse.Namespace, settings: Settings) -> MarketDataProvider:
    from core.base.clock import LiveClock
    from core.data.selection import build_provider

    provider = build_provider(
        settings.env,
        broker_kind=settings.trading.broker.kind,
        clock=LiveClock(),
        data_dir=args.data_dir,
        timeout=settings.trading.broker.request_timeout_seconds,
        name=args.provider,
    )
    if provider.name == "yahoo":
        _require_reachable("Yahoo Finance", YAHOO_URL)
    elif provider.name == "alpaca":
        _require_reachable("Alpaca's market data", settings.env.alpaca_data_url or ALPACA_DATA_URL)
    return provider


def no_bars_line(
    provider: MarketDataProvider, symbol: str, start: datetime, end: datetime, verdict: str = ""
) -> str:
    """What to say about a symbol the provider has nothing for: most often a typo."""
    where = ""
    path_for = getattr(provider, "path_for", None)
    if callable(path_for) and not path_for(symbol).is_file():
        where = f" (there is no {path_for(symbol)})"
    span = f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"
    return (
        f"{symbol}: {verdict}no bars from {provider.name} for {span}{where} — "
        f"is {symbol} a symbol {provider.name} knows?"
    )


def load_valid_bars(
    provider: MarketDataProvider, symbols: Sequence[str], start: datetime, end: datetime
) -> dict[str, pd.DataFrame]:
    """Bars that pass validation; symbols with blocking problems are left out, loudly.
    A symbol with no bars at all is a mistake (a typo, most often): one line, exit 2."""
    from core.base.calendar import get_calendar
    from core.data.validation import validate_bars

    calendar = get_calendar()
    bars = provider.get_bars(symbols, start, end)
    missing = [symbol for symbol in symbols if bars[symbol].empty]
    if missing:
        raise UsageError(no_bars_line(provider, missing[0], start, end))
    usable = {}
    for symbol in symbols:
        result = validate_bars(symbol, bars[symbol], calendar=calendar)
        blocking = [p for p in result.problems if p.blocking]
        if blocking:
            print(f"skipping {symbol}: {blocking[0]}", file=sys.stderr)
            continue
        usable[symbol] = result.bars
        days = result.bars.index
        current.bars[symbol] = (f"{days[0]:%Y-%m-%d}", f"{days[-1]:%Y-%m-%d}", len(days))
    if not usable:
        raise StateError("no symbol has usable bars; see `stockbot data check`")
    return usable
