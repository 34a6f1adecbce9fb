"""`stockbot db migrate` and `stockbot db backup PATH`."""

from __future__ import annotations

import argparse

from core.app.cli.common import run_guarded
from core.base.settings import Settings


def handle_migrate(args: argparse.Namespace) -> int:
    from storage.database import close_database, open_database
    from storage.migrations import current_version

    def body(settings: Settings) -> int:
        path = settings.database_path
        try:
            # Checks the file's integrity (read-only) before anything writes to it.
            before = current_version(open_database(path, migrate_schema=False))
            close_database()
            after = current_version(open_database(path, check_integrity=False))
        finally:
            close_database()
        if after != before:
            print(f"{path}: integrity ok; schema {before} → {after}")
        else:
            print(f"{path}: integrity ok; schema {before} is current")
        return 0

    return run_guarded(args, body)


def handle_backup(args: argparse.Namespace) -> int:
    from storage.backup import backup_database

    def body(settings: Settings) -> int:
        size = backup_database(settings.database_path, args.path, overwrite=args.overwrite)
        print(f"wrote {args.path} ({size:,} bytes): a checked copy of {settings.database_path}")
        return 0

    return run_guarded(args, body)
