"""`stockbot run` as a user starts it: with the web page (NiceGUI owns the loop) and
without it (asyncio.run). Both reconcile, schedule, serve, and stop cleanly on SIGINT."""

from __future__ import annotations

import signal
import socket
import subprocess
import urllib.request
from pathlib import Path

from core.app.cli import main
from tests.subprocesses import STOCKBOT, Output, child_env, free_port, wait_for_port


def _start(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    clean = child_env(STOCKBOT_HOME=str(tmp_path / "home"), STOCKBOT_DATA_PROVIDER="sim", **env)
    return subprocess.Popen(
        [str(STOCKBOT), "run", *args],
        cwd=tmp_path,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str], output: Output, sig: int = signal.SIGINT) -> str:
    process.send_signal(sig)
    out = output.rest()
    assert process.returncode == 0, out
    assert "Traceback" not in out
    return out


def test_run_serves_the_login_page_and_stops_in_order(tmp_path: Path) -> None:
    port = free_port()
    process = _start(tmp_path, "--no-telegram", WEBUI_PORT=str(port))
    output = Output(process)
    try:
        output.wait_for("next cycle")
        # The server accepting connections, not a line about it, says the page is up.
        wait_for_port(port, alive=lambda: process.poll() is None)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/trades", timeout=30) as response:
            assert response.url.endswith("/login?redirect_to=%2Ftrades")
            assert response.status == 200
    finally:
        out = _stop(process, output, signal.SIGTERM)  # as `docker stop` does
    assert "reconciled with paper: ok" in out
    assert f"http://127.0.0.1:{port}" in out
    assert "stopping: scheduler first, then Telegram, then the database" in out
    # The generated password is kept for the owner, never printed.
    password = (tmp_path / "home" / "webui-password").read_text().strip()
    assert password not in out


def test_run_without_the_web_page(tmp_path: Path) -> None:
    process = _start(tmp_path, "--no-webui", "--no-telegram")
    output = Output(process)
    try:
        output.wait_for("next cycle")
        assert "web page" not in output.text
    finally:
        out = _stop(process, output)
    assert "stopping: scheduler first" in out


def test_run_refuses_a_network_bind_without_a_password(monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setenv("WEBUI_HOST", "0.0.0.0")
    monkeypatch.setenv("STOCKBOT_DATA_PROVIDER", "sim")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "WEBUI_PASSWORD" in err
    assert not (tmp_path / "home" / "stockbot.db").exists()  # refused before anything started


def test_run_says_when_the_web_port_is_taken(monkeypatch, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("WEBUI_PORT", str(taken.getsockname()[1]))
        monkeypatch.setenv("STOCKBOT_DATA_PROVIDER", "sim")
        assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "cannot listen on 127.0.0.1" in err
    assert "WEBUI_PORT" in err
