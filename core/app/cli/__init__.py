"""The `stockbot` command: a group of subcommands, each in its own module.

A subcommand module exposes `register(subparsers)`, which adds its parser and sets
`handler` to a function taking the parsed arguments and returning the exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.app.cli import agent, backtest, data, db, doctor, ml

SUBCOMMANDS = (agent, doctor, db, data, ml, backtest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stockbot",
        description="A personal AI stock-trading agent you control from Telegram. "
        "Paper trading by default; not financial advice.",
    )
    parser.add_argument(
        "--env-file",
        default=".env",
        help="file of environment variables to read (default: .env in the current folder)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
