"""Every `stockbot` sub-command's arguments, declared without importing what runs them.

`stockbot --help` and each sub-command's `--help` read only this module (argparse and
the standard library), so they answer at once. Each parser names its handler as
"module:function"; `core.app.cli.main` imports that module only when the command runs,
so TensorFlow, NiceGUI, LightGBM and pandas load only for the commands that use them.

The few lists a help text shows (providers, models, demo symbols) are spelled out here
rather than imported from the modules that own them; a test checks they agree.
"""

from __future__ import annotations

import argparse
from pathlib import Path

PROVIDERS = ("auto", "alpaca", "yahoo", "csv", "sim")
"""`core.base.settings.PROVIDER_NAMES`."""
MODEL_NAMES = ("lstm", "gbm", "rf", "momentum")
"""`ml.models.MODEL_NAMES`."""
DEMO_SYMBOLS = ("PLTR", "SPY", "AAPL", "MSFT", "NVDA", "KO", "XOM", "JPM")
"""`core.app.demo.DEMO_SYMBOLS`."""

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_MISTAKE = 2
EXIT_INTERRUPTED = 130

EPILOG = """\
exit codes:
  0    done
  1    a check failed (doctor, data check), or an unexpected error: its traceback
       is in $STOCKBOT_HOME/logs/stockbot.log
  2    a mistake or a broken state, explained in one line: a wrong argument or
       setting, too little history, no trained model, an unreachable data provider,
       an unwritable STOCKBOT_HOME, a damaged database
  130  interrupted (Ctrl-C)

Run `stockbot COMMAND --help` for a command's options; `stockbot doctor` checks a
set-up. Operations (backup, restore, exit codes): docs/operations.md.
"""

Handler = str
"""'package.module:function', imported when the command runs."""

_CLI = "core.app.cli"


def _set_handler(parser: argparse.ArgumentParser, module: str, function: str) -> None:
    parser.set_defaults(handler=f"{_CLI}.{module}:{function}")


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--symbols", required=True, help="comma-separated, e.g. PLTR,SPY")
    parser.add_argument("--start", help="YYYY-MM-DD (default: ml.history_years back)")
    parser.add_argument("--end", help="YYYY-MM-DD (default: today)")
    parser.add_argument("--provider", choices=PROVIDERS, help="default: STOCKBOT_DATA_PROVIDER")
    parser.add_argument("--data-dir", type=Path, help="folder of TICKER.csv for --provider csv")


# -- run, demo, cycle ----------------------------------------------------------------


def _front_end_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-webui", action="store_true", help="do not serve the web page (WEBUI_HOST:PORT)"
    )
    parser.add_argument(
        "--no-telegram", action="store_true", help="do not start Telegram even with a token"
    )


def add_agent_commands(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="run the agent live (paper by default)")
    _front_end_flags(run)
    _set_handler(run, "agent", "handle_run")

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
        default=60.0,
        help="real seconds the simulated clock waits while a signal waits for you on "
        "Telegram or the open web page (default 60; 0: never wait)",
    )
    demo.add_argument(
        "--symbols",
        default=",".join(DEMO_SYMBOLS),
        help=f"simulated symbols (default {','.join(DEMO_SYMBOLS)})",
    )
    demo.add_argument("--sessions", type=int, help="stop after N sessions (default: never)")
    demo.add_argument("--lstm", action="store_true", help="add the LSTM to the quick model")
    _front_end_flags(demo)
    _set_handler(demo, "agent", "handle_demo")

    cycle = subparsers.add_parser(
        "cycle",
        help="run one trading cycle now, print, exit (exit 2: no trained model)",
    )
    cycle.add_argument("--json", type=Path, help="also write the cycle's outcome as JSON")
    _set_handler(cycle, "agent", "handle_cycle")


# -- doctor, db ------------------------------------------------------------------------


def add_doctor_command(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check settings, home, database, data, broker, Telegram and web UI",
        description="One line per check (ok, WARN, FAIL); exit 1 when a check fails.",
    )
    _set_handler(parser, "doctor", "handle")


def add_db_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database maintenance")
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    migrate = actions.add_parser(
        "migrate", help="check the database's integrity, bring the schema up to date"
    )
    _set_handler(migrate, "db", "handle_migrate")
    backup = actions.add_parser(
        "backup", help="copy the database to PATH (safe while the agent runs)"
    )
    backup.add_argument("path", type=Path)
    backup.add_argument("--overwrite", action="store_true", help="replace PATH")
    _set_handler(backup, "db", "handle_backup")


# -- data ------------------------------------------------------------------------------


def add_data_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="market data: fetch into the cache, validate")
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    fetch = actions.add_parser("fetch", help="download bars into the cache (only what is missing)")
    add_data_arguments(fetch)
    _set_handler(fetch, "data", "handle_fetch")
    check = actions.add_parser("check", help="validate bars; exit 1 on a blocking problem")
    add_data_arguments(check)
    check.add_argument("--json", type=Path, help="also write the report as JSON here")
    _set_handler(check, "data", "handle_check")


# -- train, evaluate (handled by core.app.cli.ml) ------------------------------------


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--models", help=f"comma-separated from {','.join(MODEL_NAMES)} (default: ml.models)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--target",
        choices=("plan", "direction"),
        default="plan",
        help="plan: P(the plan's trade ends in profit) (default); direction: next-day "
        "direction, a diagnostic",
    )
    parser.add_argument(
        "--context",
        default="SPY",
        help="market context symbol for the context features and the trend filter "
        "(default SPY; none: without)",
    )


def add_ml_commands(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser("train", help="train the ensemble; it becomes the current model")
    add_data_arguments(train)
    _add_model_arguments(train)
    train.add_argument(
        "--folds",
        type=int,
        help="newest N yearly walk-forward folds for the OOS record and grade "
        "(0: none, ungraded; default: all)",
    )
    _set_handler(train, "ml", "handle_train")
    evaluate = subparsers.add_parser("evaluate", help="walk-forward out-of-sample evaluation")
    add_data_arguments(evaluate)
    _add_model_arguments(evaluate)
    evaluate.add_argument("--folds", type=int, help="newest N yearly folds only (default: all)")
    evaluate.add_argument("--json", type=Path, help="write every figure as JSON here")
    evaluate.add_argument(
        "--plots", type=Path, help="write reliability, R-by-decile, R-by-year PNGs here"
    )
    evaluate.add_argument(
        "--no-controls", action="store_true", help="skip the positive and negative controls"
    )
    _set_handler(evaluate, "ml", "handle_evaluate")


# -- backtest --------------------------------------------------------------------------


def add_backtest_command(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backtest", help="replay the pipeline over history with the paper broker"
    )
    add_data_arguments(parser)
    parser.add_argument(
        "--models",
        default="gbm,rf,momentum",
        help=f"from {','.join(MODEL_NAMES)} (default gbm,rf,momentum)",
    )
    parser.add_argument(
        "--retrain-every",
        type=int,
        default=21,
        help="sessions between retrainings (default 21, about monthly)",
    )
    parser.add_argument(
        "--train-years",
        type=float,
        default=3.0,
        help="rolling training window in years (default 3)",
    )
    parser.add_argument(
        "--approve-policy",
        choices=("approve", "reject"),
        default="approve",
        help="answer to signals that would ask a person (default approve)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write metrics, benchmark, trades, equity")
    parser.add_argument("--plot", type=Path, help="write the equity chart (PNG)")
    _set_handler(parser, "backtest", "handle_backtest")


COMMANDS = (
    add_agent_commands,
    add_doctor_command,
    add_db_commands,
    add_data_commands,
    add_ml_commands,
    add_backtest_command,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stockbot",
        description="A personal AI stock-trading agent you control from Telegram. "
        "Paper trading by default; not financial advice.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--env-file",
        help="file of environment variables to read (default: .env in the current folder, "
        "if there is one)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser
