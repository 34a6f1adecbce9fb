"""`stockbot data fetch` (fill the bar cache) and `stockbot data check` (validate)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from tqdm import tqdm

from core.calendar import get_calendar
from core.clock import LiveClock
from core.data.cache import CachedProvider
from core.data.provider import MarketDataError, MarketDataProvider
from core.data.selection import build_provider
from core.data.validation import ValidationResult, validate_bars
from core.settings import Settings, SettingsError, load_settings
from core.types import SYMBOL_PATTERN
from storage.database import StorageError, close_database, open_database

_FETCH_CHUNK = 10  # symbols per provider request: progress moves, requests stay few
_PROVIDERS = ("auto", "alpaca", "yahoo", "csv", "sim")


class UsageError(ValueError):
    """A command-line value is wrong; printed as one line, exit code 2."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="market data: fetch into the cache, validate")
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    for name, handler, help_text in (
        ("fetch", handle_fetch, "download bars into the cache (only what is missing)"),
        ("check", handle_check, "validate bars; exit 1 when a blocking problem is found"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--symbols", required=True, help="comma-separated, e.g. PLTR,SPY")
        action.add_argument("--start", help="YYYY-MM-DD (default: ml.history_years back)")
        action.add_argument("--end", help="YYYY-MM-DD (default: today)")
        action.add_argument(
            "--provider", choices=_PROVIDERS, help="default: STOCKBOT_DATA_PROVIDER"
        )
        action.add_argument("--data-dir", type=Path, help="folder of TICKER.csv for --provider csv")
        if name == "check":
            action.add_argument("--json", type=Path, help="also write the report as JSON here")
        action.set_defaults(handler=handler)


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


def _range(args: argparse.Namespace, settings: Settings) -> tuple[datetime, datetime]:
    end_day = parse_day(args.end, "--end") or datetime.now(UTC).date()
    years = settings.trading.ml.history_years
    start_day = parse_day(args.start, "--start") or end_day - timedelta(days=round(365.25 * years))
    if start_day > end_day:
        raise UsageError(f"--start {start_day} is after --end {end_day}")
    start = datetime.combine(start_day, time(), tzinfo=UTC)
    end = datetime.combine(end_day, time(23, 59, 59), tzinfo=UTC)
    return start, end


def _provider(args: argparse.Namespace, settings: Settings) -> MarketDataProvider:
    return build_provider(
        settings.env,
        broker_kind=settings.trading.broker.kind,
        clock=LiveClock(),
        data_dir=args.data_dir,
        timeout=settings.trading.broker.request_timeout_seconds,
        name=args.provider,
    )


def _run(args: argparse.Namespace, body: Callable[[Settings], int]) -> int:
    try:
        settings = load_settings(args.env_file)
        return body(settings)
    except (UsageError, SettingsError, MarketDataError, StorageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def handle_fetch(args: argparse.Namespace) -> int:
    def body(settings: Settings) -> int:
        symbols = parse_symbols(args.symbols)
        start, end = _range(args, settings)
        provider = _provider(args, settings)
        calendar = get_calendar()
        clock = LiveClock()
        open_database(settings.database_path)
        try:
            cache = CachedProvider(
                provider,
                completed_through=lambda: datetime.combine(
                    calendar.last_completed_session(clock.now()), time(), tzinfo=UTC
                ),
            )
            written = 0
            with tqdm(total=len(symbols), unit="symbol", desc=f"fetch {provider.name}") as bar:
                for i in range(0, len(symbols), _FETCH_CHUNK):
                    chunk = symbols[i : i + _FETCH_CHUNK]
                    written += cache.fill(chunk, start, end)
                    bar.update(len(chunk))
        finally:
            close_database()
        print(
            f"{written:,} bars written to the cache for {len(symbols)} symbol(s) "
            f"from {provider.name}, {start:%Y-%m-%d}..{end:%Y-%m-%d}"
        )
        return 0

    return _run(args, body)


def _report(result: ValidationResult) -> dict:
    bars = result.bars
    return {
        "bars": len(bars),
        "first": bars.index[0].date().isoformat() if len(bars) else None,
        "last": bars.index[-1].date().isoformat() if len(bars) else None,
        "blocking": result.blocking,
        "problems": [
            {
                "timestamp": p.timestamp.isoformat() if p.timestamp else None,
                "rule": p.rule,
                "detail": p.detail,
                "blocking": p.blocking,
            }
            for p in result.problems
        ],
    }


def handle_check(args: argparse.Namespace) -> int:
    def body(settings: Settings) -> int:
        symbols = parse_symbols(args.symbols)
        start, end = _range(args, settings)
        provider = _provider(args, settings)
        calendar = get_calendar()
        # Stale means: older than the last session closed by --end (or by now).
        as_of = min(end, datetime.now(UTC))
        bars = provider.get_bars(symbols, start, end)
        results = [validate_bars(s, bars[s], calendar=calendar, now=as_of) for s in symbols]
        for result in results:
            summary = _report(result)
            verdict = "BLOCKING" if result.blocking else "ok"
            print(
                f"{result.symbol}: {verdict}, {summary['bars']} bars "
                f"{summary['first']}..{summary['last']}, {len(result.problems)} problem(s)"
            )
            for problem in result.problems:
                print(f"  {problem}")
        if args.json:
            report = {
                "provider": provider.name,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "symbols": {r.symbol: _report(r) for r in results},
            }
            args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        return 1 if any(r.blocking for r in results) else 0

    return _run(args, body)
