"""`stockbot db migrate` and `stockbot db backup PATH`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.base.settings import Settings, SettingsError, load_settings
from storage.backup import backup_database
from storage.database import StorageError, close_database, open_database
from storage.migrations import LATEST_VERSION, current_version, migrate


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database maintenance")
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    migrate_parser = actions.add_parser("migrate", help="bring the schema up to date")
    migrate_parser.set_defaults(handler=handle_migrate)
    backup_parser = actions.add_parser(
        "backup", help="copy the database to PATH (safe while the agent runs)"
    )
    backup_parser.add_argument("path", type=Path)
    backup_parser.add_argument("--overwrite", action="store_true", help="replace PATH")
    backup_parser.set_defaults(handler=handle_backup)


def _settings(args: argparse.Namespace) -> Settings | None:
    try:
        return load_settings(args.env_file)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def handle_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings is None:
        return 2
    try:
        database = open_database(settings.database_path, migrate_schema=False)
        before = current_version(database)
        applied = migrate(database)
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        close_database()
    if applied:
        print(f"{settings.database_path}: schema {before} → {LATEST_VERSION} (applied {applied})")
    else:
        print(f"{settings.database_path}: schema {before} is current")
    return 0


def handle_backup(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings is None:
        return 2
    try:
        size = backup_database(settings.database_path, args.path, overwrite=args.overwrite)
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"backed up {settings.database_path} to {args.path} ({size:,} bytes)")
    return 0
