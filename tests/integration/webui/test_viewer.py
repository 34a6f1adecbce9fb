"""The read-only password (WEBUI_VIEWER_PASSWORD): every page readable, every control
off, and a request forged past a disabled control reaches the Engine as `web:viewer`,
which refuses it and writes the refusal in the audit log."""

from __future__ import annotations

from core.base.types import OrderStatus, TradingState
from storage import audit
from storage.models import Order, SettingOverride
from tests.integration.webui.conftest import VIEWER_PASSWORD, Web, eventually
from tests.integration.webui.test_pages import _pending_signal
from webui.frame import PAGES


def _one(web: Web, marker: str):  # type: ignore[no-untyped-def]
    return web.user.find(marker=marker).elements.pop()


def _refusals(action: str) -> list[audit.AuditEvent]:
    return [
        e
        for e in audit.recent(100, action_prefix="refused")
        if e.actor == "web:viewer" and e.details.get("action") == action
    ]


async def test_a_viewer_logs_in_reads_every_page_and_is_audited_as_a_viewer(web: Web) -> None:
    await web.log_in(password=VIEWER_PASSWORD)
    await web.user.should_see(marker="read-only")
    logins = audit.recent(10, action_prefix="web.login")
    assert [(e.actor, e.action) for e in logins] == [("web:viewer", "web.login")]
    for path, name, _ in PAGES:
        await web.user.open(path)
        await web.user.should_see(marker="read-only")
        await web.user.should_not_see(marker="password")  # not sent back to the login
        await web.user.should_see(name if path != "/audit" else "Audit log")


async def test_every_dashboard_control_is_off_for_a_viewer(web: Web) -> None:
    await web.agent.engine.kill("stop", "telegram:42")  # so Resume would be on for the owner
    await web.state.refresh()
    await web.log_in(password=VIEWER_PASSWORD)
    for marker in ("kill", "resume", "run-cycle", "mode-select"):
        element = _one(web, marker)
        await eventually(lambda e=element: not e.enabled)
    # Forged past the disabled button: the Engine still says no, and says so in the log.
    resume = _one(web, "resume")
    resume.enable()
    web.user.find(marker="resume").click()
    await eventually(lambda: len(_refusals("resume")) == 1)
    assert (await web.agent.engine.status()).trading.state is TradingState.HALTED


async def test_a_viewers_forged_approval_is_refused_and_audited(web: Web) -> None:
    signal_id = await _pending_signal(web)
    await web.log_in(redirect_to="/signals", password=VIEWER_PASSWORD)
    await web.user.should_see(marker=f"pending-{signal_id}")
    for marker in (f"approve-{signal_id}", f"reject-{signal_id}", f"half-{signal_id}"):
        assert not _one(web, marker).enabled
    _one(web, f"approve-{signal_id}").enable()  # what a forged websocket event would reach
    web.user.find(marker=f"approve-{signal_id}").click()
    await eventually(lambda: len(_refusals("approve")) == 1)
    refused = _refusals("approve")[0]
    assert refused.origin is not None
    assert refused.origin.startswith("web:")
    assert Order.select().count() == 0
    assert (await web.agent.engine.signal(signal_id)).status is OrderStatus.PENDING
    assert not _one(web, f"approve-{signal_id}").enabled  # off again after the refusal
    # The limit dialog, forced open: its prices and its Approve are off as well.
    _one(web, f"limit-{signal_id}").enable()
    web.user.find(marker=f"limit-{signal_id}").click()
    await web.user.should_see(marker="limit-approve")
    for marker in ("limit-approve", "limit-suggested-0", "limit-suggested-2"):
        assert not _one(web, marker).enabled, marker


async def test_a_viewer_cannot_save_settings_even_forged(web: Web) -> None:
    await web.log_in(redirect_to="/settings", password=VIEWER_PASSWORD)
    field = _one(web, "setting-max_open_positions")
    save = _one(web, "settings-save")
    assert not field.enabled
    assert not save.enabled
    field.enable()
    save.enable()
    web.user.find(marker="setting-max_open_positions").clear().type("3")
    web.user.find(marker="settings-save").click()
    await eventually(lambda: len(_refusals("settings")) == 1)
    assert web.agent.engine.settings().max_open_positions != 3
    assert SettingOverride.select().count() == 0


async def test_a_viewer_cannot_start_a_backtest(web: Web) -> None:
    await web.log_in(redirect_to="/backtest", password=VIEWER_PASSWORD)
    assert not _one(web, "bt-run").enabled
