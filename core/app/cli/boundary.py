"""Where a command's outcome becomes an exit code and, on failure, one line.

Standard library only: it is imported by `stockbot --help`. The errors a person or a
machine can cause are recognised by class without importing the modules that define
them: if such an error was raised, its module is already loaded.

- a mistake or a broken state (a wrong argument or setting, too little history, no
  model, an unreachable provider, an unwritable home, a damaged database): one line
  on stderr, exit 2;
- Ctrl-C: "interrupted", exit 130;
- anything else is unexpected (a bug, or a broken installation): its traceback goes to
  the log file, and one line on stderr says what happened and where the traceback is;
  exit 1.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.app.cli.commands import EXIT_CHECK_FAILED, EXIT_INTERRUPTED, EXIT_MISTAKE
from core.app.cli.context import current, one_line, reset

log = logging.getLogger("stockbot.cli")

# (module, class): errors whose message is already fit to show a person, in one line.
EXPECTED: tuple[tuple[str, str], ...] = (
    ("core.app.cli.common", "UsageError"),
    ("core.app.cli.common", "StateError"),
    ("core.base.settings", "SettingsError"),
    ("core.base.logs", "LogSetupError"),
    ("storage.errors", "StorageError"),
    ("core.data.provider", "MarketDataError"),
    ("ml.registry", "RegistryError"),
)
# Errors that mean "this history is too short for what was asked".
TOO_SHORT: tuple[tuple[str, str], ...] = (
    ("ml.splits", "SplitError"),
    ("ml.features", "FeatureError"),
    ("ml.dataset", "SampleError"),
)


def _loaded_class(module: str, name: str) -> type[BaseException] | None:
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None) if loaded is not None else None
    return cls if isinstance(cls, type) and issubclass(cls, BaseException) else None


def _is(error: BaseException, classes: tuple[tuple[str, str], ...]) -> bool:
    return any(
        (cls := _loaded_class(module, name)) is not None and isinstance(error, cls)
        for module, name in classes
    )


def explain(error: BaseException, args: argparse.Namespace) -> str | None:
    """The line for an expected error; None for a bug."""
    if _is(error, TOO_SHORT):
        from core.app.cli.history import explain_short_history

        return explain_short_history(error, args, current)
    if _is(error, EXPECTED):
        return one_line(str(error))
    return None


def command_name(args: argparse.Namespace) -> str:
    """`data check`, `db backup`, `train`: the words the person typed."""
    action = getattr(args, "data_command", None) or getattr(args, "db_command", None)
    return f"{args.command} {action}" if action else str(args.command)


def _resolve(handler: str) -> Callable[[argparse.Namespace], int]:
    module, _, function = handler.partition(":")
    return getattr(importlib.import_module(module), function)


def run_command(args: argparse.Namespace) -> int:
    reset()
    try:
        return int(_resolve(args.handler)(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        line = explain(error, args)
        if line is not None:
            log.info("command refused", extra={"command": command_name(args), "why": line})
            print(f"error: {line}", file=sys.stderr)
            return EXIT_MISTAKE
        return report_unexpected(error, args)


def _log_file() -> Path | None:
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_stockbot", False) and isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def _open_log_file(args: argparse.Namespace) -> Path | None:
    """This command's log file; set up now if the command failed before its own set-up
    (`run_guarded` records the settings once it has set the log file up)."""
    if current.settings is None:
        try:
            from core.app.cli.common import setup_file_logging

            setup_file_logging(_load_settings(args))
        except Exception:  # no usable log file: the traceback goes to the console instead
            return None
    return _log_file()


def _load_settings(args: argparse.Namespace) -> Any:
    from core.app.cli.common import load_cli_settings

    return load_cli_settings(args, warn=False)


def report_unexpected(error: BaseException, args: argparse.Namespace) -> int:
    summary = one_line(f"{type(error).__name__}: {error}") or type(error).__name__
    path = _open_log_file(args)
    if path is not None:
        log.error("unexpected error in `stockbot %s`", command_name(args), exc_info=error)
        for handler in logging.getLogger().handlers:
            handler.flush()
        summary = _redacted(summary)
        where = f"the traceback is in {path}"
    else:
        traceback.print_exception(error, file=sys.stderr)
        where = "the traceback is above"
    print(f"error: unexpected {summary} — {where}", file=sys.stderr)
    return EXIT_CHECK_FAILED


def _redacted(text: str) -> str:
    logs = sys.modules.get("core.base.logs")
    return logs.redact(text) if logs is not None else text
