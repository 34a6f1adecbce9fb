"""`stockbot run`, `stockbot demo` and `stockbot cycle`: the agent itself."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from core.app.cli.common import UsageError, parse_symbols, run_guarded
from core.app.cli.runtime import (
    AgentRuntime,
    DemoUnderWeb,
    demo_front_ends,
    run_until_signalled,
    web_state,
)
from core.app.composition import build_agent, setup_logging
from core.app.console import describe
from core.app.demo import DEMO_SYMBOLS, DemoOptions, run_demo
from core.base.clock import LiveClock
from core.base.events import Event
from core.base.settings import Settings
from storage.database import close_database
from webui.server import serve, shutdown


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="run the agent live (paper by default)")
    _front_end_flags(run)
    run.set_defaults(handler=handle_run)

    demo = subparsers.add_parser(
        "demo", help="the whole agent on a simulated market, replayed fast; no accounts"
    )
    demo.add_argument(
        "--seconds-per-session",
        type=float,
        default=5.0,
        help="real seconds per simulated session (default 5)",
    )
    demo.add_argument(
        "--decision-seconds",
        type=float,
        default=3.0,
        help="pause at each cycle for approvals (default 3)",
    )
    demo.add_argument(
        "--symbols",
        default=",".join(DEMO_SYMBOLS),
        help=f"simulated symbols (default {','.join(DEMO_SYMBOLS)})",
    )
    demo.add_argument("--sessions", type=int, help="stop after N sessions (default: never)")
    demo.add_argument("--lstm", action="store_true", help="add the LSTM to the quick model")
    _front_end_flags(demo)
    demo.set_defaults(handler=handle_demo)

    cycle = subparsers.add_parser("cycle", help="run one trading cycle now, print, exit")
    cycle.add_argument("--json", type=Path, help="also write the cycle's outcome as JSON")
    cycle.set_defaults(handler=handle_cycle)


def _front_end_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-webui", action="store_true", help="do not serve the web page (WEBUI_HOST:PORT)"
    )
    parser.add_argument(
        "--no-telegram", action="store_true", help="do not start Telegram even with a token"
    )


def _print_event(event: Event) -> None:
    line = describe(event)
    if line:
        print(line, flush=True)


def handle_run(args: argparse.Namespace) -> int:
    def body(settings: Settings) -> int:
        state = None if args.no_webui else web_state(settings)  # may refuse: before all else
        setup_logging(settings)
        agent = build_agent(settings, clock=LiveClock())
        agent.services.bus.add_listener(_print_event)
        print(
            f"stockbot running: data {agent.services.data.name}, broker "
            f"{agent.services.broker.name} ({agent.services.mode_label}), "
            f"model {agent.services.models.run_id or 'none — run `stockbot train`'}"
        )
        runtime = AgentRuntime(agent, telegram=not args.no_telegram)
        try:
            if state is None:
                asyncio.run(run_until_signalled(runtime.start, runtime.stop))
            else:
                state.attach(agent.engine)
                serve(state, settings.env, on_startup=runtime.start, on_shutdown=runtime.stop)
        finally:
            close_database()
        return 0

    return run_guarded(args, body)


def handle_demo(args: argparse.Namespace) -> int:
    def body(settings: Settings) -> int:
        if args.seconds_per_session <= 0 or args.decision_seconds < 0:
            raise UsageError("--seconds-per-session must be > 0 and --decision-seconds ≥ 0")
        if args.decision_seconds > args.seconds_per_session:
            raise UsageError("--decision-seconds cannot exceed --seconds-per-session")
        options = DemoOptions(
            seconds_per_session=args.seconds_per_session,
            decision_seconds=args.decision_seconds,
            symbols=parse_symbols(args.symbols),
            lstm=args.lstm,
            sessions=args.sessions,
        )
        state = None if args.no_webui else web_state(settings)  # may refuse: before all else
        setup_logging(settings, console=False)
        ready = demo_front_ends(state, telegram=not args.no_telegram)
        try:
            if state is None:
                asyncio.run(run_demo(settings, options, on_ready=ready))
            else:
                state.starting = "training the demo model"
                demo = DemoUnderWeb(
                    lambda: run_demo(settings, options, on_ready=ready), on_end=shutdown
                )
                serve(state, settings.env, on_startup=demo.start, on_shutdown=demo.stop)
            print("demo stopped")
        except KeyboardInterrupt:
            print("demo stopped")
        finally:
            close_database()
        return 0

    return run_guarded(args, body)


def handle_cycle(args: argparse.Namespace) -> int:
    def body(settings: Settings) -> int:
        setup_logging(settings, console=False)
        agent = build_agent(settings, clock=LiveClock())
        agent.services.bus.add_listener(_print_event)
        try:
            report = agent.session.start()
            if not report.ok:
                print(f"reconciliation failed — orders blocked: {report.error}", file=sys.stderr)
            cycle = agent.engine.run_cycle_now()
        finally:
            close_database()
        for outcome in cycle.outcomes:
            p = f"{outcome.probability_up:.3f}" if outcome.probability_up is not None else "  -  "
            print(f"{outcome.symbol:<8} p(up) {p}  {outcome.action:<9} {outcome.detail}")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "at": cycle.at.isoformat(),
                        "duration_ms": cycle.duration_ms,
                        "outcomes": [vars(o) for o in cycle.outcomes],
                    },
                    indent=2,
                    default=str,
                ),
                encoding="utf-8",
            )
        return 0

    return run_guarded(args, body)
