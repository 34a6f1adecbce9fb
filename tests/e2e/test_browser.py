"""What a person sees: `stockbot demo` in a subprocess, the web page in Debian's
headless Chromium driven by Playwright. On a desktop: log in, check that charts have
drawn, approve a pending signal and see the card show the order and the history change.
On a phone (390×844, and every page at 360×740 too): no page scrolls sideways, the
navigation is behind the menu button, chart labels do not overlap, a waiting signal is a
card with its buttons and its changes (½ size approved here), and the Review page draws
your P&L against full auto. No console errors on the way. One demo serves both tests
(starting it is most of the time).

`STOCKBOT_SCREENSHOTS=docs/images` refreshes the README's pictures."""

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
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.subprocesses import STOCKBOT, child_env, free_port
from webui.charts import BAR_COLOR, EQUITY_COLOR, YOURS_COLOR

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
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
# The same for a series that may be a single day: its dots count as drawn.
SERIES_DRAWN_ANY = """([selector, color]) => {
  const svg = document.querySelector(selector + ' svg');
  if (!svg) return false;
  return Array.from(svg.querySelectorAll('path')).some(
    p => (p.getAttribute('stroke') === color || p.getAttribute('fill') === color)
      && p.getBBox().width > 0);
}"""
BARS_DRAWN = """([selector, color]) => {
  const svg = document.querySelector(selector + ' svg');
  if (!svg) return false;
  return Array.from(svg.querySelectorAll('path')).filter(
    p => p.getAttribute('fill') === color && p.getBBox().width > 0).length >= 5;
}"""

# Every label of a chart's SVG (axis labels, legend) that is drawn: inside the chart and
# overlapping no other. Text under a clip path (a scrolled legend) is cut to fit anyway.
LABEL_PROBLEMS = """(selector) => {
  const svg = document.querySelector(selector + ' svg');
  if (!svg) return ['no chart at ' + selector];
  const box = svg.getBoundingClientRect();
  const labels = Array.from(svg.querySelectorAll('text'))
    .filter(t => t.textContent.trim() && !t.closest('[clip-path]'))
    .map(t => ({text: t.textContent.trim(), r: t.getBoundingClientRect()}))
    .filter(t => t.r.width > 0 && t.r.height > 0);
  if (labels.length < 3) return ['only ' + labels.length + ' labels at ' + selector];
  const problems = [];
  for (const a of labels) {
    if (a.r.left < box.left - 1 || a.r.right > box.right + 1 ||
        a.r.top < box.top - 1 || a.r.bottom > box.bottom + 1) {
      problems.push(selector + ': "' + a.text + '" is cut off');
    }
  }
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const a = labels[i].r, b = labels[j].r;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 1) {
        problems.push(selector + ': "' + labels[i].text + '" overlaps "' + labels[j].text + '"');
      }
    }
  }
  return problems;
}"""
SIDEWAYS = "[document.scrollingElement.scrollWidth, window.innerWidth]"
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
PAGES = ("/", "/signals", "/review", "/trades", "/models", "/backtest", "/settings", "/audit")

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


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`stockbot demo` with a long decision pause, so a person (the test) can approve:
    while a page is open and a signal waits, the demo holds its clock."""
    tmp_path = tmp_path_factory.mktemp("demo")
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
            "15",
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


@pytest.fixture(scope="module")
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


def _ask_for_every_signal(page: Page) -> None:
    """Manual mode, chosen on the dashboard as a person would: every signal then waits
    for a decision (in hybrid the demo's confident model decides most by itself)."""
    expect(page.get_by_text("Run a cycle now")).to_be_visible(timeout=90_000)
    page.get_by_label("Mode").click()
    page.get_by_role("option", name="manual").click()
    # The status bar follows the agent: its badge says so once the mode is set.
    expect(page.get_by_role("status").filter(has_text="manual").first).to_be_visible(timeout=10_000)


def _keep_screenshots(taken: Path, *names: str) -> None:
    """Refresh the README's pictures when asked: STOCKBOT_SCREENSHOTS=docs/images (a
    relative folder is the repository's: tests run in a temporary working directory)."""
    target = os.environ.get("STOCKBOT_SCREENSHOTS")
    if target:
        folder = ROOT / target
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy(taken / name, folder / name)


def _card_of(element: Locator) -> Locator:
    return element.locator("xpath=ancestor::div[contains(@class, 'q-card')][1]")


def _newest_approve(page: Page) -> Locator:
    """The Approve button of the newest waiting signal (cards are added in the order
    signals arrive): it has the most of its decision window left — an older card may
    run out while the test looks at it, and the demo's clock then moves on."""
    return page.get_by_role("button", name="Approve").last


def _card_with(page: Page, signal_id: str) -> Locator:
    """A waiting signal's card, found by the id it shows."""
    # The first: on a phone the history's rows are cards too, further down.
    return page.locator("div.q-card", has=page.get_by_text(signal_id, exact=True)).first


def _no_sideways_scroll(page: Page, where: str) -> None:
    scroll_width, inner_width = page.evaluate(SIDEWAYS)
    assert scroll_width <= inner_width, f"{where} scrolls sideways: {scroll_width} > {inner_width}"


def _labels_apart(page: Page, *selectors: str) -> None:
    for selector in selectors:
        problems = page.evaluate(LABEL_PROBLEMS, selector)
        assert problems == [], problems


def test_dashboard_signals_and_models_in_a_real_browser(
    demo: str, browser: Browser, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, demo)

    # The demo trains first; the page waits, then draws the first sessions.
    _ask_for_every_signal(page)
    page.wait_for_function(SERIES_DRAWN, arg=[".chart-equity", EQUITY_COLOR], timeout=90_000)
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)

    page.goto(demo + "/signals")
    expect(page.get_by_role("button", name="Approve").first).to_be_visible(timeout=180_000)
    page.screenshot(path=tmp_path / "signals.png", full_page=True)
    approve = _newest_approve(page)
    signal_id = _card_of(approve).locator(".signal-id").inner_text()
    card = _card_with(page, signal_id)  # by id: "the newest Approve" moves on once decided
    card.get_by_role("button", name="Approve").click()
    # The card stays and shows the order that went out; the history has it filled.
    expect(card.get_by_role("button", name="Approve")).to_have_count(0, timeout=10_000)
    expect(card).to_contain_text("buy ", timeout=10_000)
    row = page.locator("tr", has_text=signal_id)
    expect(row).to_contain_text("filled", timeout=20_000)

    page.goto(demo + "/models")
    page.wait_for_function(BARS_DRAWN, arg=[".chart-importance", BAR_COLOR], timeout=30_000)
    page.screenshot(path=tmp_path / "models.png", full_page=True)

    _keep_screenshots(tmp_path, "dashboard.png", "signals.png", "models.png")
    assert problems == []


def test_every_page_on_a_phone(demo: str, browser: Browser, tmp_path: Path) -> None:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, demo)
    _ask_for_every_signal(page)
    assert page.evaluate("window.innerWidth") == PHONE["width"]  # laid out for the phone

    # The dashboard: links behind the menu button, charts drawn with their labels apart.
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("link", name="Trades")).to_be_hidden()
    page.wait_for_function(SERIES_DRAWN, arg=[".chart-equity", EQUITY_COLOR], timeout=90_000)
    _labels_apart(page, ".chart-equity", ".chart-drawdown", ".chart-pnl")
    _no_sideways_scroll(page, "/ at 390")
    page.screenshot(path=tmp_path / "phone-dashboard.png")

    # The signals page, reached through the menu; a waiting signal is a card.
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Signals").click()
    expect(page).to_have_url(f"{demo}/signals")
    expect(page.get_by_role("button", name="Approve").first).to_be_visible(timeout=120_000)
    card = _card_with(page, _card_of(_newest_approve(page)).locator(".signal-id").inner_text())
    approve = card.get_by_role("button", name="Approve")
    expect(card.get_by_role("button", name="Reject")).to_be_visible()
    expect(card).to_contain_text("If the stop at $")
    half = card.get_by_role("button", name="½ size")
    for change in (half, card.get_by_role("button", name="Limit…")):
        expect(change).to_be_visible()
    card_box, button_box = card.bounding_box(), approve.bounding_box()
    assert card_box is not None
    assert button_box is not None
    assert card_box["x"] + card_box["width"] <= PHONE["width"]
    assert button_box["height"] >= 36  # a thumb can hit it
    _no_sideways_scroll(page, "/signals at 390")
    half.evaluate("button => button.scrollIntoView({block: 'center'})")  # changes in sight
    page.screenshot(path=tmp_path / "phone-signals.png")

    # Approve at half size: the card shows the smaller order that went out.
    half.click()
    expect(card.get_by_role("button", name="½ size")).to_have_count(0, timeout=10_000)
    expect(card).to_contain_text("buy ", timeout=10_000)

    # The Review page, through the menu: your P&L against full auto, drawn.
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Review").click()
    expect(page).to_have_url(f"{demo}/review")
    page.get_by_role("button", name="All").click()
    expect(page.get_by_text("You vs full auto:")).to_be_visible(timeout=30_000)
    page.wait_for_function(SERIES_DRAWN_ANY, arg=[".chart-review", YOURS_COLOR], timeout=30_000)
    _labels_apart(page, ".chart-review")
    _no_sideways_scroll(page, "/review at 390")
    page.screenshot(path=tmp_path / "phone-review.png")

    # Every page, at 390 and at 360 wide: nothing scrolls sideways.
    for path in PAGES:
        page.set_viewport_size(PHONE)
        page.goto(demo + path)
        expect(page.get_by_role("button", name="Menu")).to_be_visible()
        page.wait_for_timeout(500)  # tables fill and charts draw after the page loads
        _no_sideways_scroll(page, f"{path} at 390")
        if path == "/models":
            page.wait_for_function(BARS_DRAWN, arg=[".chart-importance", BAR_COLOR], timeout=30_000)
            _labels_apart(page, ".chart-importance", ".chart-reliability")
        page.set_viewport_size(SMALL_PHONE)
        page.wait_for_timeout(300)
        _no_sideways_scroll(page, f"{path} at 360")
    context.close()

    _keep_screenshots(tmp_path, "phone-dashboard.png", "phone-signals.png", "phone-review.png")
    assert problems == []
