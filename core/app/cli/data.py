"""`stockbot data fetch` (fill the bar cache) and `stockbot data check` (validate)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from core.app.cli.common import (
    UsageError,
    check_output,
    date_range,
    make_provider,
    no_bars_line,
    parse_symbols,
    run_guarded,
    wrote,
)
from core.app.cli.progress import Progress
from core.base.settings import Settings

if TYPE_CHECKING:
    from core.data.validation import ValidationResult

_FETCH_CHUNK = 10  # symbols per provider request: progress moves, requests stay few


def handle_fetch(args: argparse.Namespace) -> int:
    from core.base.calendar import get_calendar
    from core.base.clock import LiveClock
    from core.data.cache import CachedProvider
    from storage.database import close_database, open_database

    def body(settings: Settings) -> int:
        symbols = parse_symbols(args.symbols)
        start, end = date_range(args, settings)
        provider = make_provider(args, settings)
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
            empty: list[str] = []
            progress = Progress(f"fetch {provider.name}", unit="symbol", total=len(symbols))
            with progress:
                for i in range(0, len(symbols), _FETCH_CHUNK):
                    chunk = symbols[i : i + _FETCH_CHUNK]
                    written += cache.fill(chunk, start, end)
                    cached = cache.get_bars(chunk, start, end)
                    empty += [symbol for symbol in chunk if cached[symbol].empty]
                    progress.update(i + len(chunk), chunk[-1])
        finally:
            close_database()
        print(
            f"{written:,} bars written to the cache for {len(symbols)} symbol(s) "
            f"from {provider.name}, {start:%Y-%m-%d}..{end:%Y-%m-%d}"
        )
        if empty:
            raise UsageError("; ".join(no_bars_line(provider, s, start, end) for s in empty))
        return 0

    return run_guarded(args, body)


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
    from core.base.calendar import get_calendar
    from core.data.validation import validate_bars

    def body(settings: Settings) -> int:
        symbols = parse_symbols(args.symbols)
        start, end = date_range(args, settings)
        check_output(args.json, "--json")
        provider = make_provider(args, settings)
        calendar = get_calendar()
        # Stale means: older than the last session closed by --end (or by now).
        as_of = min(end, datetime.now(UTC))
        bars = provider.get_bars(symbols, start, end)
        results = [validate_bars(s, bars[s], calendar=calendar, now=as_of) for s in symbols]
        for result in results:
            if bars[result.symbol].empty:
                print(no_bars_line(provider, result.symbol, start, end, "BLOCKING, "))
                continue
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
            wrote(args.json)
        return 1 if any(r.blocking for r in results) else 0

    return run_guarded(args, body)
