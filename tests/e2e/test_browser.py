"""What a person sees: `stockbot demo` in a subprocess, the web page in Debian's
headless Chromium driven by Playwright. Log in, check that charts have drawn, approve a
pending signal and see the history change, with no console errors on the way."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.subprocesses import STOCKBOT, child_env, free_port
from webui.charts import BAR_COLOR, EQUITY_COLOR

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "browser-test-password"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A line drawn by ECharts' SVG renderer: a wide path (an axis is not in the series'
# colour, a legend icon is narrow).
SERIES_DRAWN = """([selector, color]) => {
  const svg = document.querySelector(selector + ' svg');
  if (!svg) return false;
  return Array.from(svg.querySelectorAll('path')).some(
    p => p.getAttribute('stroke') === color && p.getBBox().width > 200);
}"""
BARS_DRAWN = """([selector, color]) => {
  const svg = document.querySelector(selector + ' svg');
  if (!svg) return false;
  return Array.from(svg.querySelectorAll('path')).filter(
    p => p.getAttribute('fill') === color && p.getBBox().width > 0).length >= 5;
}"""

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="Debian chromium is not installed (apt-get install -y chromium; CI installs it)",
)


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"stockbot demo exited early with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"the web page did not come up on port {port}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    """`stockbot demo` with a long decision pause, so a person (the test) can approve."""
    port = free_port()
    env = child_env(
        STOCKBOT_HOME=str(tmp_path / "home"),
        WEBUI_PORT=str(port),
        WEBUI_PASSWORD=PASSWORD,
        PYTHONUNBUFFERED="1",
    )
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        [
            str(STOCKBOT),
            "demo",
            "--seconds-per-session",
            "8",
            "--decision-seconds",
            "7",
            "--no-telegram",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            code = None
        log.close()
        output = (tmp_path / "demo.log").read_text()
        assert code == 0, f"demo did not stop cleanly ({code}):\n{output[-3000:]}"
        assert "Traceback" not in output, output[-3000:]


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _log_in(page: Page, base: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(f"{base}/login?redirect_to=%2F")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/")


def test_dashboard_signals_and_models_in_a_real_browser(
    demo: str, browser: Browser, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, demo)

    # The demo trains first; the page waits, then draws the first sessions.
    expect(page.get_by_text("Run a cycle now")).to_be_visible(timeout=90_000)
    page.wait_for_function(SERIES_DRAWN, arg=[".chart-equity", EQUITY_COLOR], timeout=90_000)
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)

    page.goto(demo + "/signals")
    approve = page.get_by_role("button", name="Approve").first
    expect(approve).to_be_visible(timeout=180_000)
    card = approve.locator("xpath=ancestor::div[contains(@class, 'q-card')]")
    signal_id = card.locator(".signal-id").inner_text()
    page.screenshot(path=tmp_path / "signals.png", full_page=True)
    approve.click()
    expect(page.get_by_text(signal_id, exact=True)).to_have_count(1, timeout=10_000)
    row = page.locator("tr", has_text=signal_id)
    expect(row).to_contain_text("filled", timeout=20_000)
    expect(card).to_have_count(0)

    page.goto(demo + "/models")
    page.wait_for_function(BARS_DRAWN, arg=[".chart-importance", BAR_COLOR], timeout=30_000)
    page.screenshot(path=tmp_path / "models.png", full_page=True)

    target = os.environ.get("STOCKBOT_SCREENSHOTS")
    if target:  # refreshes the README's pictures: STOCKBOT_SCREENSHOTS=docs/images
        for name in ("dashboard.png", "signals.png", "models.png"):
            shutil.copy(tmp_path / name, Path(target) / name)
    assert problems == []
