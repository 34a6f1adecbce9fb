"""Arguments and helpers shared by the commands that read market data."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd

from core.base.calendar import get_calendar
from core.base.clock import LiveClock
from core.base.settings import Settings, SettingsError, load_settings
from core.base.types import SYMBOL_PATTERN
from core.data.provider import MarketDataError, MarketDataProvider
from core.data.selection import build_provider
from core.data.validation import validate_bars
from storage.database import StorageError

PROVIDERS = ("auto", "alpaca", "yahoo", "csv", "sim")


class UsageError(ValueError):
    """A command-line value is wrong; printed as one line, exit code 2."""


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--symbols", required=True, help="comma-separated, e.g. PLTR,SPY")
    parser.add_argument("--start", help="YYYY-MM-DD (default: ml.history_years back)")
    parser.add_argument("--end", help="YYYY-MM-DD (default: today)")
    parser.add_argument("--provider", choices=PROVIDERS, help="default: STOCKBOT_DATA_PROVIDER")
    parser.add_argument("--data-dir", type=Path, help="folder of TICKER.csv for --provider csv")


def parse_symbols(text: str) -> list[str]:
    symbols = [s.strip().upper() for s in text.split(",") if s.strip()]
    if not symbols:
        raise UsageError("--symbols: give at least one symbol, e.g. --symbols PLTR,SPY")
    for symbol in symbols:
        if not re.fullmatch(SYMBOL_PATTERN, symbol):
            raise UsageError(f"--symbols: {symbol!r} is not a ticker (letters, digits, '.')")
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


def make_provider(args: argparse.Namespace, settings: Settings) -> MarketDataProvider:
    return build_provider(
        settings.env,
        broker_kind=settings.trading.broker.kind,
        clock=LiveClock(),
        data_dir=args.data_dir,
        timeout=settings.trading.broker.request_timeout_seconds,
        name=args.provider,
    )


def load_valid_bars(
    provider: MarketDataProvider, symbols: Sequence[str], start: datetime, end: datetime
) -> dict[str, pd.DataFrame]:
    """Bars that pass validation; symbols with blocking problems are left out, loudly."""
    calendar = get_calendar()
    bars = provider.get_bars(symbols, start, end)
    usable = {}
    for symbol in symbols:
        result = validate_bars(symbol, bars[symbol], calendar=calendar)
        blocking = [p for p in result.problems if p.blocking]
        if blocking:
            print(f"skipping {symbol}: {blocking[0]}", file=sys.stderr)
            continue
        usable[symbol] = result.bars
    if not usable:
        raise MarketDataError("no symbol has usable bars; see `stockbot data check`")
    return usable


def run_guarded(args: argparse.Namespace, body: Callable[[Settings], int]) -> int:
    """Load settings, run `body`; expected failures become one line on stderr, exit 2."""
    try:
        settings = load_settings(args.env_file)
        return body(settings)
    except (UsageError, SettingsError, MarketDataError, StorageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
