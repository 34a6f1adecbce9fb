"""Each page's logic through NiceGUI's simulated user, against a real agent."""

from __future__ import annotations

import pytest

from core.base.types import OrderStatus, TradingState
from storage.models import AuditEvent, Order, SettingOverride
from tests.integration.webui.conftest import PASSWORD, Web, eventually


async def _pending_signal(web: Web) -> str:
    """A signal that asks (hybrid, an edge between min_edge and auto_edge)."""
    web.predictor.probabilities = {"AAA": 0.57}
    web.agent.engine.run_cycle_now()
    pending = await web.agent.engine.pending_signals()
    assert [s.symbol for s in pending] == ["AAA"]
    await web.state.refresh()
    return pending[0].id


# -- login ---------------------------------------------------------------------------


async def test_unauthenticated_pages_lead_to_the_login(web: Web) -> None:
    for path in ("/", "/signals", "/trades", "/models", "/backtest", "/settings", "/audit"):
        await web.user.open(path)
        await web.user.should_see(marker="password")
        await web.user.should_not_see(marker="run-cycle")


async def test_unauthenticated_csv_export_is_refused(web: Web) -> None:
    response = await web.user.http_client.get("/export/trades.csv")
    assert response.status_code == 401


async def test_wrong_password_is_refused_and_audited(web: Web) -> None:
    await web.user.open("/login")
    web.user.find(marker="password").type("guess")
    web.user.find(marker="login").click()
    await web.user.should_see("Wrong password.")
    await web.user.open("/")
    await web.user.should_see(marker="password")
    refused = AuditEvent.select().where(AuditEvent.action == "web.login_refused").count()
    assert refused == 1


async def test_repeated_wrong_passwords_lock_the_login_even_for_the_right_one(web: Web) -> None:
    await web.user.open("/login")
    for _ in range(web.state.throttle.max_failures):
        web.user.find(marker="password").type("guess")
        web.user.find(marker="login").click()
    web.user.find(marker="password").type(PASSWORD)
    web.user.find(marker="login").click()
    await web.user.should_see("Too many wrong passwords")
    await web.user.open("/")
    await web.user.should_see(marker="password")


async def test_right_password_opens_the_page_asked_for(web: Web) -> None:
    await web.log_in(redirect_to="/signals")
    await web.user.should_see("Waiting for you")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
async def test_redirect_to_another_site_is_ignored(web: Web, target: str) -> None:
    await web.log_in(redirect_to=target)
    await web.user.should_see(marker="run-cycle")  # the dashboard, on this site
    assert web.user.back_history[-1] == "/"


async def test_logged_in_csv_export_has_the_fills(web: Web) -> None:
    signal_id = await _pending_signal(web)
    await web.agent.engine.approve(signal_id, "test")
    await web.log_in()
    response = await web.user.http_client.get("/export/trades.csv")
    assert response.status_code == 200
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("at,symbol,side,quantity,price")
    assert len(lines) == 2
    assert ",AAA,buy," in lines[1]


# -- signals -------------------------------------------------------------------------


async def test_approve_from_the_page_sends_exactly_one_order(web: Web) -> None:
    signal_id = await _pending_signal(web)
    await web.log_in(redirect_to="/signals")
    await web.user.should_see(marker=f"approve-{signal_id}")
    web.user.find(marker=f"approve-{signal_id}").click()
    await web.user.should_not_see(marker=f"approve-{signal_id}", retries=50)
    orders = list(Order.select().where(Order.signal == signal_id))
    assert len(orders) == 1
    assert (orders[0].side, orders[0].symbol) == ("buy", "AAA")
    decided = await web.agent.engine.signal(signal_id)
    assert decided.status in (OrderStatus.FILLED, OrderStatus.SUBMITTED)
    # The card stays, saying what went out; the list says nothing else waits.
    outcome = web.user.find(marker=f"outcome-{signal_id}").elements.pop()
    assert outcome.text.startswith(f"buy {orders[0].quantity:g} AAA")
    await web.user.should_see("No signal is waiting.", retries=30)


async def test_reject_from_the_page_sends_no_order(web: Web) -> None:
    signal_id = await _pending_signal(web)
    await web.log_in(redirect_to="/signals")
    web.user.find(marker=f"reject-{signal_id}").click()
    await web.user.should_not_see(marker=f"reject-{signal_id}", retries=50)
    assert Order.select().count() == 0
    assert (await web.agent.engine.signal(signal_id)).status is OrderStatus.REJECTED


# -- dashboard -----------------------------------------------------------------------


async def test_kill_from_the_page_halts_trading(web: Web) -> None:
    await web.log_in()
    web.user.find(marker="kill").click()
    await web.user.should_see(marker="kill-confirm")
    web.user.find(marker="kill-confirm").click()

    async def halted() -> bool:
        return (await web.agent.engine.status()).trading.state is TradingState.HALTED

    await eventually(halted)
    status = await web.agent.engine.status()
    assert status.trading.changed_by == "web:owner"
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert event.origin is not None
    assert event.origin.startswith("web:")


async def test_mode_from_the_page_and_from_telegram_agree(web: Web) -> None:
    await web.log_in()
    select = web.user.find(marker="mode-select").elements.pop()
    select.value = "manual"
    await eventually(lambda: web.agent.engine.settings().mode.value == "manual")
    await web.agent.engine.set_mode("auto", "telegram:42")  # changed elsewhere
    await web.state.refresh()
    await eventually(lambda: select.value == "auto")
    assert web.agent.engine.settings().mode.value == "auto"
    by_page = AuditEvent.select().where(
        (AuditEvent.actor == "web:owner") & (AuditEvent.action == "settings.update")
    )
    assert by_page.count() == 1  # following the change did not write it back


async def test_dashboard_shows_figures_and_positions(web: Web) -> None:
    signal_id = await _pending_signal(web)
    await web.agent.engine.approve(signal_id, "test")
    await web.state.refresh()
    await web.log_in()
    await web.user.should_see(marker="figure-equity")
    await web.user.should_see(marker="positions-table")
    await web.user.should_see(marker="equity-chart")


# -- settings ------------------------------------------------------------------------


async def test_invalid_setting_is_shown_inline_and_nothing_is_saved(web: Web) -> None:
    before = web.agent.engine.settings()
    await web.log_in(redirect_to="/settings")
    web.user.find(marker="setting-risk_per_trade").clear().type("0.5")
    web.user.find(marker="setting-max_open_positions").clear().type("3")
    web.user.find(marker="settings-save").click()
    field = web.user.find(marker="setting-risk_per_trade").elements.pop()
    await eventually(lambda: field.props.get("error") is True)
    assert "0.05" in field.props["error-message"]
    assert web.agent.engine.settings() == before  # the valid change was not saved either
    assert SettingOverride.select().count() == 0


async def test_valid_setting_is_saved_applied_and_audited(web: Web) -> None:
    await web.log_in(redirect_to="/settings")
    web.user.find(marker="setting-max_open_positions").clear().type("3")
    web.user.find(marker="settings-save").click()
    await eventually(lambda: web.agent.engine.settings().max_open_positions == 3)
    assert AuditEvent.select().where(AuditEvent.actor == "web:owner").count() >= 1


# -- other pages ---------------------------------------------------------------------


async def test_backtest_form_refuses_dates_in_the_wrong_order(web: Web) -> None:
    await web.log_in(redirect_to="/backtest")
    web.user.find(marker="bt-start").clear().type("2024-06-01")
    web.user.find(marker="bt-end").clear().type("2024-01-01")
    web.user.find(marker="bt-run").click()
    field = web.user.find(marker="bt-start").elements.pop()
    await eventually(lambda: field.props.get("error") is True)
    assert "must be before" in field.props["error-message"]
    assert await web.agent.engine.backtest_runs() == []


async def test_models_page_says_when_no_model_trades(web: Web) -> None:
    await web.log_in(redirect_to="/models")
    await web.user.should_see(marker="no-model")


async def test_audit_page_lists_who_did_what_in_sentences(web: Web) -> None:
    await web.agent.engine.set_mode("manual", "telegram:42", "chat:42")
    await web.log_in(redirect_to="/audit")
    table = web.user.find(marker="audit-table").elements.pop()
    await eventually(lambda: any(row["actor"] == "Telegram user 42" for row in table.rows))
    row = next(r for r in table.rows if r["actor"] == "Telegram user 42")
    assert row["origin"] == "Telegram chat 42"
    assert row["what"] == "Changed mode → manual"
    shown = [str(r[c["field"]]) for r in table.rows for c in table.props["columns"]]
    assert not any("{" in cell or "_" in cell for cell in shown)  # no JSON, no snake_case
    # The filter still finds rows by the stored names.
    web.user.find(marker="audit-filter").type("telegram:42")
    await eventually(lambda: [r["actor"] for r in table.rows] == ["Telegram user 42"])


async def test_backtest_from_the_page_runs_and_shows_the_comparison(web: Web) -> None:
    await web.log_in(redirect_to="/backtest")
    web.user.find(marker="bt-symbols").clear().type("AAA,BBB")
    web.user.find(marker="bt-start").clear().type("2024-01-02")
    web.user.find(marker="bt-end").clear().type("2024-03-28")
    models = web.user.find(marker="bt-models").elements.pop()
    models.value = ["momentum"]
    web.user.find(marker="bt-run").click()
    await web.user.should_see(marker="bt-result", retries=100)
    await web.user.should_see(marker="bt-metrics", retries=1200)  # up to a minute
    table = web.user.find(marker="bt-metrics").elements.pop()
    assert [row["metric"] for row in table.rows][:2] == ["Total return", "CAGR"]
    assert all(row["hold"] != "—" for row in table.rows)
    runs = await web.agent.engine.backtest_runs()
    assert [r.status for r in runs] == ["done"]
