"""`stockbot doctor`: print the set-up checks as a table; exit 1 when one fails."""

from __future__ import annotations

import argparse

from core.app.cli.common import env_file_of
from core.app.doctor import Check, exit_code, run_checks

_MARKS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


def format_table(checks: list[Check]) -> str:
    width = max(len(check.name) for check in checks)
    return "\n".join(
        f"{_MARKS[check.status.value]}  {check.name:<{width}}  {check.detail}" for check in checks
    )


def handle(args: argparse.Namespace) -> int:
    checks = run_checks(env_file_of(args))
    print(format_table(checks))
    return exit_code(checks)
