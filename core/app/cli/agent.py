"""`stockbot run`, `stockbot demo` and `stockbot cycle`: the agent itself.

The web page, Telegram and the agent's parts are imported by the handler that uses
them: `cycle` never loads NiceGUI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from core.app.cli.common import StateError, UsageError, parse_symbols, run_guarded, wrote
from core.app.console import describe
from core.base.events import Event
from core.base.settings import Settings


def _print_event(event: Event) -> None:
    line = describe(event)
    if line:
        print(line, flush=True)


def handle_run(args: argparse.Namespace) -> int:
    from core.app.cli.runtime import AgentRuntime, run_until_signalled, web_state
    from core.app.composition import build_agent, setup_logging
    from core.base.clock import LiveClock
    from storage.database import close_database
    from webui.server import serve

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
    from core.app.cli.runtime import DemoUnderWeb, demo_front_ends, web_state
    from core.app.composition import setup_logging
    from core.app.demo import DemoOptions, run_demo
    from storage.database import close_database
    from webui.server import serve, shutdown

    def body(settings: Settings) -> int:
        if args.seconds_per_session <= 0 or args.decision_seconds < 0:
            raise UsageError("--seconds-per-session must be > 0 and --decision-seconds ≥ 0")
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
    from core.app.composition import build_agent, setup_logging
    from core.base.clock import LiveClock
    from storage.database import close_database

    def body(settings: Settings) -> int:
        setup_logging(settings, console=False)
        agent = build_agent(settings, clock=LiveClock())
        try:
            if agent.services.models.run_id is None:
                symbols = ",".join(agent.services.runtime.get().symbols)
                raise StateError(
                    f"no trained model in {settings.models_dir}: run "
                    f"`stockbot train --symbols {symbols}` first, then `stockbot cycle` again"
                )
            agent.services.bus.add_listener(_print_event)
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
            wrote(args.json)
        return 0

    return run_guarded(args, body)
