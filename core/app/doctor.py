"""`stockbot doctor`: checks a set-up before it trades, without touching the network
and without changing anything: the home is not created, the database is read
(its integrity checked read-only) and locked for a moment, never written."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from core.base.settings import (
    Settings,
    SettingsError,
    apply_overrides,
    load_settings,
    unknown_env_keys,
)
from storage.database import close_database, open_database
from storage.errors import DATABASE_ERRORS, StorageError
from storage.integrity import damaged_message, quick_check
from storage.migrations import LATEST_VERSION, current_version
from storage.overrides import load_overrides


class CheckStatus(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: CheckStatus
    detail: str


def _ok(name: str, detail: str) -> Check:
    return Check(name, CheckStatus.OK, detail)


def _warn(name: str, detail: str) -> Check:
    return Check(name, CheckStatus.WARN, detail)


def _fail(name: str, detail: str) -> Check:
    return Check(name, CheckStatus.FAIL, detail)


def _blocking_file(path: Path) -> Path | None:
    """The first part of `path` that exists but is not a folder."""
    for part in reversed((path.absolute(), *path.absolute().parents)):
        if part.exists() and not part.is_dir():
            return part
    return None


def _nearest_existing_parent(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def check_home(settings: Settings) -> Check:
    """STOCKBOT_HOME and its logs folder: a folder this user can write, or one it can
    create. Nothing is created here."""
    name = "home"
    home = settings.home
    blocker = _blocking_file(home)
    if blocker is not None:
        return _fail(name, f"{home} cannot be a folder: {blocker} is a file; set STOCKBOT_HOME")
    if not home.exists():
        parent = _nearest_existing_parent(home)
        if _writable(parent):
            return _ok(name, f"{home} will be created at first start")
        return _fail(name, f"{home} cannot be created: {parent} is not writable; set STOCKBOT_HOME")
    if not _writable(home):
        return _fail(name, f"{home} is not writable by this user; fix it or set STOCKBOT_HOME")
    return _ok(name, f"{home} writable")


def check_logs(settings: Settings) -> Check:
    name = "log file"
    logs = settings.logs_dir
    path = logs / "stockbot.log"
    if not logs.exists():
        return _ok(name, f"{path} will be created at first start")
    if not logs.is_dir():
        return _fail(name, f"{logs} is a file, not a folder: the log file cannot be written")
    if not _writable(logs) or (path.exists() and not os.access(path, os.W_OK)):
        return _fail(name, f"{path} cannot be written by this user")
    return _ok(name, f"{path} writable")


def check_database(settings: Settings, *, home_usable: bool = True) -> Check:
    """Integrity (read-only), then a write lock taken and released, then the schema.
    With an unusable home only the integrity is checked: the home's line says the rest."""
    name = "database"
    path = settings.database_path
    if not path.exists():
        if not home_usable:
            return _warn(name, f"{path} cannot be created until the home is fixed")
        return _ok(name, f"{path} will be created at first start")
    try:
        problem = quick_check(path)
    except StorageError as error:
        return _fail(name, str(error))
    if problem is not None:
        return _fail(name, damaged_message(path, problem))
    if not home_usable:
        return _warn(name, f"{path}: integrity ok; not writable until the home is fixed")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=5)
        try:
            # A write lock proves the file is writable without changing anything.
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            version = _schema_version(connection)
        finally:
            connection.close()
    except sqlite3.Error as error:
        return _fail(name, f"{path} cannot be written: {error}")
    if version > LATEST_VERSION:
        return _fail(name, f"schema {version} is newer than this stockbot ({LATEST_VERSION})")
    if version < LATEST_VERSION:
        return _warn(
            name,
            f"integrity ok; schema {version} < {LATEST_VERSION}; upgraded at start or by "
            "`stockbot db migrate`",
        )
    return _ok(name, f"{path} writable, integrity ok, schema {version} is current")


def _schema_version(connection: sqlite3.Connection) -> int:
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not has_table:
        return 0
    return int(connection.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)


def check_overrides(settings: Settings) -> Check:
    """Stored runtime overrides must still be valid for this version's rules."""
    name = "runtime settings"
    stored: dict = {}
    if settings.database_path.exists():
        try:
            # check_database has just checked its integrity.
            database = open_database(
                settings.database_path, migrate_schema=False, check_integrity=False
            )
            if current_version(database) >= 1:
                stored = load_overrides()
        except DATABASE_ERRORS as error:
            return _fail(name, f"cannot read stored overrides: {error}")
        finally:
            close_database()
    try:
        runtime = apply_overrides(settings.trading.runtime, stored)
    except SettingsError as error:
        return _fail(name, str(error).replace("\n", "; "))
    return _ok(
        name,
        f"mode {runtime.mode}, symbols {','.join(runtime.symbols)}, "
        f"risk/trade {runtime.risk_per_trade:.1%}, {len(stored)} stored override(s)",
    )


def check_data_provider(settings: Settings) -> Check:
    name = "data provider"
    env = settings.env
    provider = env.stockbot_data_provider
    if provider == "alpaca" and not env.alpaca_keys_set:
        return _fail(name, "alpaca chosen but ALPACA_API_KEY / ALPACA_SECRET_KEY are not set")
    if provider == "csv":
        if env.stockbot_data_dir is None:
            return _fail(name, "csv chosen but STOCKBOT_DATA_DIR is not set")
        if not env.stockbot_data_dir.is_dir():
            return _fail(name, f"csv chosen but {env.stockbot_data_dir} is not a folder")
    if provider == "sim":
        # The rule is about the simulated market only; importing it loads every data
        # provider (alpaca-py, pandas: a second or more), so only when it can apply.
        from core.data.selection import check_provider_with_broker

        try:
            check_provider_with_broker(provider, settings.trading.broker.kind)
        except SettingsError as error:
            return _fail(name, str(error))
    if provider == "auto":
        if env.alpaca_keys_set:
            return _ok(name, "auto → alpaca (API keys are set)")
        return _ok(name, "auto → yahoo if reachable at start, else the simulated market")
    return _ok(name, provider)


def check_broker(settings: Settings) -> Check:
    name = "broker"
    env = settings.env
    broker = settings.trading.broker
    if broker.kind == "paper":
        return _ok(
            name, f"paper (built-in simulated exchange, ${settings.trading.initial_capital:,.0f})"
        )
    if not env.alpaca_keys_set:
        return _fail(name, "alpaca chosen but ALPACA_API_KEY / ALPACA_SECRET_KEY are not set")
    if env.alpaca_paper:
        return _ok(name, "alpaca paper account")
    if not broker.allow_live:
        return _fail(name, "ALPACA_PAPER=false but broker.allow_live is false: live refused")
    return _warn(name, "alpaca LIVE account: real money")


def check_telegram(settings: Settings) -> Check:
    name = "telegram"
    env = settings.env
    if env.telegram_bot_token is None:
        return _warn(
            name, "not configured (TELEGRAM_BOT_TOKEN unset); signals wait on the web page"
        )
    if not env.telegram_allowed_users:
        return _fail(
            name, "token set but TELEGRAM_ALLOWED_USERS is empty: nobody could use the bot"
        )
    return _ok(name, f"configured for {len(env.telegram_allowed_users)} allowed user(s)")


def check_webui(settings: Settings) -> Check:
    name = "web ui bind"
    env = settings.env
    where = f"{env.webui_host}:{env.webui_port}"
    if not env.webui_is_loopback and env.webui_password is None:
        return _fail(name, f"{where} is reachable from the network but WEBUI_PASSWORD is unset")
    if not env.webui_is_loopback:
        return _warn(name, f"{where} is reachable from the network (password set)")
    return _ok(name, f"{where} (loopback only)")


SETTINGS_CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_data_provider,
    check_broker,
    check_telegram,
    check_webui,
)
"""The checks that read only the settings."""


def check_settings(settings: Settings, env_file: Path | str | None) -> Check:
    source = settings.env.config_path() or "built-in defaults"
    unknown = unknown_env_keys(env_file)
    if unknown:
        return _warn("settings", f"valid (trading config: {source}); " + "; ".join(unknown))
    return _ok("settings", f"valid (trading config: {source})")


def run_checks(env_file: Path | str | None = ".env") -> list[Check]:
    try:
        settings = load_settings(env_file)
    except SettingsError as error:
        return [_fail("settings", str(error).replace("\n", "; "))]
    home = check_home(settings)
    home_usable = home.status is not CheckStatus.FAIL
    database = check_database(settings, home_usable=home_usable)
    checks = [check_settings(settings, env_file), home]
    if home_usable:
        checks.append(check_logs(settings))
    checks.append(database)
    if database.status is CheckStatus.FAIL:
        checks.append(_warn("runtime settings", "not checked: the database cannot be used"))
    elif not home_usable:
        checks.append(_warn("runtime settings", "not checked until the home is fixed"))
    else:
        checks.append(check_overrides(settings))
    checks.extend(check(settings) for check in SETTINGS_CHECKS)
    return checks


def exit_code(checks: list[Check]) -> int:
    return 1 if any(check.status is CheckStatus.FAIL for check in checks) else 0
