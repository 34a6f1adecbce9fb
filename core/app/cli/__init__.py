"""The `stockbot` command: sub-commands declared in `commands` (standard library only),
each handled by a function in its own module, imported when that command runs.

A handler takes the parsed arguments and returns the exit code (see `commands.EPILOG`);
`boundary.run_command` turns what it raises into one line, or, for the unexpected, a
traceback in the log file and one line saying where it is.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from core.app.cli.boundary import run_command
from core.app.cli.commands import build_parser
from core.app.cli.quiet import quiet_third_parties


def main(argv: Sequence[str] | None = None) -> int:
    quiet_third_parties()  # before anything imports TensorFlow, yfinance or pandas
    args = build_parser().parse_args(argv)
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
