"""The page as `stockbot run` serves it — uvicorn on a real socket, in its own process:
`/healthz` over HTTP without a login, and `X-Forwarded-For` headers forged from
127.0.0.1 (where uvicorn believes them by default) neither reset the login throttle nor
reach the audit log."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.subprocesses import STOCKBOT, child_env, free_port

PASSWORD = "served-page-test-password"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run"]


@dataclass
class Served:
    url: str
    home: Path
    output: list[str]

    def audit(self, action_prefix: str) -> list[tuple[str, str]]:
        """(action, origin) rows, read from the agent's database as it runs."""
        with sqlite3.connect(f"file:{self.home / 'stockbot.db'}?mode=ro", uri=True) as db:
            return db.execute(
                "SELECT action, origin FROM audit_events WHERE action LIKE ? ORDER BY id",
                (action_prefix + "%",),
            ).fetchall()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served")
    port = free_port()
    env = child_env(
        STOCKBOT_HOME=str(folder / "home"),
        STOCKBOT_DATA_PROVIDER="sim",
        WEBUI_PORT=str(port),
        WEBUI_PASSWORD=PASSWORD,
        WEBUI_TRUSTED_PROXIES="",
        PYTHONUNBUFFERED="1",
    )
    env.pop("TELEGRAM_BOT_TOKEN", None)
    process = subprocess.Popen(
        [str(STOCKBOT), "run", "--no-telegram"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any("next cycle" in line for line in output):
            assert process.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "".join(output)
            time.sleep(0.1)
        yield Served(f"http://127.0.0.1:{port}", folder / "home", output)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            code = None
        reader.join(5)
    assert code == 0, "".join(output)
    assert "Traceback" not in "".join(output)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_health_answers_over_http_without_a_login_and_says_nothing_else(served: Served) -> None:
    deadline = time.monotonic() + 10
    while (answer := _get(served.url + "/healthz"))[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.2)  # the first snapshot refresh
    status, content_type, body = answer
    assert status == 200
    assert content_type.startswith("text/plain")
    assert re.fullmatch(r"ok heartbeat_age_s=\d+\n", body)


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="Debian chromium is not installed (apt-get install -y chromium; CI installs it)",
)
def test_forged_forwarded_addresses_neither_reset_the_throttle_nor_reach_the_audit(
    served: Served,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    outcome = re.compile("Wrong password.|Too many wrong passwords")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()

            def attempt(password: str, forged: str) -> None:
                page.set_extra_http_headers({"X-Forwarded-For": forged})
                page.goto(served.url + "/login")
                page.get_by_label("Password").fill(password)
                page.get_by_role("button", name="Log in").click()

            for n in range(12):
                attempt("a guess", f"198.51.100.{n}")
                expect(page.get_by_text(outcome)).to_be_visible()
            attempt(PASSWORD, "198.51.100.200")
            expect(page.get_by_text("Too many wrong passwords")).to_be_visible()
            expect(page).to_have_url(re.compile(r"/login"))
        finally:
            browser.close()

    refused = served.audit("web.login")
    assert refused, "wrong passwords are audited"
    assert {action for action, _ in refused} == {"web.login_refused"}
    assert {origin for _, origin in refused} == {"web:127.0.0.1"}  # the socket's peer
