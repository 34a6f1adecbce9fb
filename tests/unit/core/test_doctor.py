from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.app.cli import main
from core.app.doctor import CheckStatus, run_checks
from storage.database import close_database, open_database
from storage.migrations import LATEST_VERSION
from storage.overrides import save_overrides
from tests.broken_states import damaged_database


def statuses(env_file: str | None = None) -> dict[str, CheckStatus]:
    return {check.name: check.status for check in run_checks(env_file)}


def test_no_env_at_all_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("settings", "database", "data provider", "broker", "telegram", "web ui bind"):
        assert name in out
    assert "FAIL" not in out


def test_doctor_runs_as_the_installed_command(isolated_env: Path) -> None:
    """The console script itself, in a fresh process, with no .env present."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALPACA_", "TELEGRAM_"))}
    exe = Path(sys.executable).with_name("stockbot")
    result = subprocess.run(
        [str(exe), "doctor"], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "web ui bind" in result.stdout


def test_unsafe_web_bind_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBUI_HOST", "0.0.0.0")
    checks = {c.name: c for c in run_checks(None)}
    assert checks["web ui bind"].status is CheckStatus.FAIL
    assert "WEBUI_PASSWORD" in checks["web ui bind"].detail
    assert main(["doctor"]) == 1


def test_non_loopback_with_password_only_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBUI_HOST", "192.0.2.10")
    monkeypatch.setenv("WEBUI_PASSWORD", "correct horse")
    assert statuses()["web ui bind"] is CheckStatus.WARN


def test_invalid_setting_fails_with_its_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WEBUI_PORT", "0")
    assert main(["doctor"]) == 1
    assert "WEBUI_PORT = '0'" in capsys.readouterr().out


def test_live_trading_requires_explicit_opt_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("broker:\n  kind: alpaca\n", encoding="utf-8")
    monkeypatch.setenv("STOCKBOT_CONFIG", str(config))
    assert statuses()["broker"] is CheckStatus.FAIL  # no keys
    monkeypatch.setenv("ALPACA_API_KEY", "id")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "key")
    assert statuses()["broker"] is CheckStatus.OK  # paper account
    monkeypatch.setenv("ALPACA_PAPER", "false")
    assert statuses()["broker"] is CheckStatus.FAIL  # live without allow_live
    config.write_text("broker:\n  kind: alpaca\n  allow_live: true\n", encoding="utf-8")
    assert statuses()["broker"] is CheckStatus.WARN


def test_simulated_data_with_a_real_broker_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("broker:\n  kind: alpaca\n", encoding="utf-8")
    monkeypatch.setenv("STOCKBOT_CONFIG", str(config))
    monkeypatch.setenv("STOCKBOT_DATA_PROVIDER", "sim")
    assert statuses()["data provider"] is CheckStatus.FAIL


def test_telegram_token_without_users_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert statuses()["telegram"] is CheckStatus.FAIL
    monkeypatch.setenv("TELEGRAM_ALLOWED_USERS", "42")
    assert statuses()["telegram"] is CheckStatus.OK


def test_invalid_stored_override_fails(isolated_env: Path) -> None:
    open_database(isolated_env / "stockbot.db")
    save_overrides({"risk_per_trade": 0.9}, actor="system")
    close_database()
    checks = {c.name: c for c in run_checks(None)}
    assert checks["runtime settings"].status is CheckStatus.FAIL
    assert "risk_per_trade = 0.9" in checks["runtime settings"].detail
    assert checks["database"].status is CheckStatus.OK


def test_db_migrate_and_backup_commands(
    isolated_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "migrate"]) == 0
    assert f"schema 0 → {LATEST_VERSION}" in capsys.readouterr().out
    assert main(["db", "migrate"]) == 0
    assert "is current" in capsys.readouterr().out
    assert main(["db", "backup", str(tmp_path / "b.db")]) == 0
    assert (tmp_path / "b.db").stat().st_size > 0
    assert main(["db", "backup", str(tmp_path / "b.db")]) == 2
    assert "exists" in capsys.readouterr().err


def test_a_home_under_a_regular_file_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    monkeypatch.setenv("STOCKBOT_HOME", str(tmp_path / "afile" / "home"))
    checks = {c.name: c for c in run_checks(None)}
    assert checks["home"].status is CheckStatus.FAIL
    assert checks["home"].detail == (
        f"{tmp_path}/afile/home cannot be a folder: {tmp_path}/afile is a file; set STOCKBOT_HOME"
    )
    assert checks["database"].status is CheckStatus.WARN  # the home's line says why
    assert "will be created" not in checks["database"].detail


def test_a_missing_home_is_not_created_by_the_doctor(isolated_env: Path) -> None:
    checks = {c.name: c for c in run_checks(None)}
    assert checks["home"].detail == f"{isolated_env} will be created at first start"
    assert not isolated_env.exists()


def test_a_damaged_database_fails_and_is_left_as_it_was(isolated_env: Path) -> None:
    path = isolated_env / "stockbot.db"
    damaged = damaged_database(path)
    checks = {c.name: c for c in run_checks(None)}
    assert checks["database"].status is CheckStatus.FAIL
    assert checks["database"].detail.startswith(f"database {path} is damaged (PRAGMA quick_check")
    assert "docs/operations.md" in checks["database"].detail
    assert checks["runtime settings"].detail == "not checked: the database cannot be used"
    assert path.read_bytes() == damaged


def test_a_misspelled_key_is_a_warning_naming_the_right_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEBUI_PASWORD", "secret")
    checks = {c.name: c for c in run_checks(None)}
    assert checks["settings"].status is CheckStatus.WARN
    assert "WEBUI_PASWORD is not a stockbot setting" in checks["settings"].detail
    assert "did you mean WEBUI_PASSWORD?" in checks["settings"].detail
