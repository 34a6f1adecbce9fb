"""`stockbot doctor`: checks a set-up before it trades, without touching the network."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from core.base.settings import Settings, SettingsError, apply_overrides, load_settings
from core.data.selection import check_provider_with_broker
from storage.database import close_database, open_database
from storage.errors import DATABASE_ERRORS
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


def check_database(settings: Settings) -> Check:
    name = "database"
    path = settings.database_path
    home = settings.home
    if not path.exists():
        probe = home if home.exists() else _nearest_existing_parent(home)
        if os.access(probe, os.W_OK):
            return _ok(name, f"{path} will be created at first start")
        return _fail(name, f"{probe} is not writable; set STOCKBOT_HOME to a writable folder")
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
            f"schema {version} < {LATEST_VERSION}; upgraded at start or by `stockbot db migrate`",
        )
    return _ok(name, f"{path} writable, schema {version} is current")


def _schema_version(connection: sqlite3.Connection) -> int:
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not has_table:
        return 0
    return int(connection.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)


def _nearest_existing_parent(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def check_overrides(settings: Settings) -> Check:
    """Stored runtime overrides must still be valid for this version's rules."""
    name = "runtime settings"
    stored: dict = {}
    if settings.database_path.exists():
        try:
            database = open_database(settings.database_path, migrate_schema=False)
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
    check_database,
    check_overrides,
    check_data_provider,
    check_broker,
    check_telegram,
    check_webui,
)


def run_checks(env_file: Path | str | None = ".env") -> list[Check]:
    try:
        settings = load_settings(env_file)
    except SettingsError as error:
        return [_fail("settings", str(error).replace("\n", "; "))]
    source = settings.env.config_path() or "built-in defaults"
    checks = [_ok("settings", f"valid (trading config: {source})")]
    checks.extend(check(settings) for check in SETTINGS_CHECKS)
    return checks


def exit_code(checks: list[Check]) -> int:
    return 1 if any(check.status is CheckStatus.FAIL for check in checks) else 0
