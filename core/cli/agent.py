"""`stockbot run`, `stockbot demo` and `stockbot cycle`: the agent itself."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from bot.app import TelegramFrontEnd
from core.app import Agent, build_agent, setup_logging
from core.cli.common import UsageError, parse_symbols, run_guarded
from core.clock import LiveClock
from core.console import describe
from core.demo import DEMO_SYMBOLS, DemoOptions, run_demo
from core.events import Event
from core.scheduler import AgentScheduler
from core.settings import Settings
from storage.database import close_database


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="run the agent live (paper by default)")
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
    demo.set_defaults(handler=handle_demo)

    cycle = subparsers.add_parser("cycle", help="run one trading cycle now, print, exit")
    cycle.add_argument("--json", type=Path, help="also write the cycle's outcome as JSON")
    cycle.set_defaults(handler=handle_cycle)


def start_telegram(agent: Agent) -> TelegramFrontEnd | None:
    """The Telegram front end, when a token is configured (it retries in the background)."""
    settings = agent.services.settings
    if settings.env.telegram_bot_token is None:
        return None
    front_end = TelegramFrontEnd(settings, agent.engine)
    front_end.start_in_background()
    return front_end


def _print_event(event: Event) -> None:
    line = describe(event)
    if line:
        print(line, flush=True)


async def _serve(agent: Agent) -> None:
    """Reconcile, start the schedule, run until SIGINT/SIGTERM, stop the schedule first."""
    report = await asyncio.to_thread(agent.services.orders.reconcile)
    print(
        f"reconciled with {agent.services.broker.name}: "
        f"{'ok' if report.ok else 'FAILED — new orders blocked: ' + str(report.error)}"
    )
    scheduler = AgentScheduler(agent)
    scheduler.start()
    agent.engine.next_runs = scheduler.next_runs
    telegram = start_telegram(agent)
    for job, when in sorted(scheduler.next_runs().items()):
        print(f"next {job:<11} {when:%Y-%m-%d %H:%M %Z}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        print("stopping: scheduler first, then Telegram, then the database")
        scheduler.shutdown()
        if telegram is not None:
            await telegram.stop()


def handle_run(args: argparse.Namespace) -> int:
    def body(settings: Settings) -> int:
        setup_logging(settings)
        agent = build_agent(settings, clock=LiveClock())
        agent.services.bus.add_listener(_print_event)
        print(
            f"stockbot running: data {agent.services.data.name}, broker "
            f"{agent.services.broker.name} ({agent.services.mode_label}), "
            f"model {agent.services.models.run_id or 'none — run `stockbot train`'}"
        )
        try:
            asyncio.run(_serve(agent))
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
        setup_logging(settings, console=False)
        try:
            asyncio.run(run_demo(settings, options, on_ready=start_telegram))
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
            report = agent.services.orders.reconcile()
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
