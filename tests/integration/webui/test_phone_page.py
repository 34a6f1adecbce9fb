"""The page's parts a phone relies on, through NiceGUI's simulated user against a real
agent: the menu drawer, buttons that are off when they cannot act, a waiting signal's
dollars, times without 1970, and an open tab counted as someone who can answer."""

from __future__ import annotations

from nicegui import ui

from core.base.types import TradingState
from tests.integration.webui.conftest import Web, eventually
from tests.integration.webui.test_pages import _pending_signal
from webui.frame import PAGES


def _one(web: Web, marker: str):  # type: ignore[no-untyped-def]
    return web.user.find(marker=marker).elements.pop()


async def test_the_menu_button_opens_a_drawer_with_every_page(web: Web) -> None:
    await web.log_in()
    drawer = _one(web, "nav-drawer")
    assert drawer.value is False  # closed until asked for
    web.user.find(marker="menu").click()
    await eventually(lambda: drawer.value is True)
    for path, name, _ in PAGES:
        link = _one(web, f"menu-{path}")
        assert isinstance(link, ui.link)
        assert link.props["href"] == path, name
    await web.user.should_see(marker="menu-logout")


async def test_kill_is_off_while_halted_and_resume_while_active(web: Web) -> None:
    await web.log_in()
    kill, resume = _one(web, "kill"), _one(web, "resume")
    await eventually(lambda: kill.enabled and not resume.enabled)

    await web.agent.engine.kill("stop", "telegram:42", "chat:42")  # from the phone
    await web.state.refresh()
    await eventually(lambda: resume.enabled and not kill.enabled)
    detail = _one(web, "trading-detail")
    assert detail.text.startswith("Trading HALTED since ")
    assert "set by Telegram user 42" in detail.text

    await web.agent.engine.resume("telegram:42", "chat:42")
    await web.state.refresh()
    await eventually(lambda: kill.enabled and not resume.enabled)
    assert (await web.agent.engine.status()).trading.state is TradingState.ACTIVE


async def test_a_trading_state_never_changed_shows_no_1970(web: Web) -> None:
    await web.log_in()
    detail = _one(web, "trading-detail")
    assert detail.text == "Trading ACTIVE: never stopped since the start."


async def test_a_waiting_signal_says_what_it_costs_and_what_the_stop_would_lose(
    web: Web,
) -> None:
    signal_id = await _pending_signal(web)
    await web.log_in(redirect_to="/signals")
    await web.user.should_see(marker=f"approve-{signal_id}")
    money = sorted(label.text for label in web.user.find(marker="pending-money").elements)
    cost, stop = money  # "Costs about …" sorts before "If the stop …"
    assert cost.startswith("Costs about $")
    assert cost.endswith("of equity)")
    assert stop.startswith("If the stop at $")
    assert "is hit: −$" in stop
    outlook = _one(web, "pending-outlook").text
    # The scripted model predicts the next session's direction (no plan target).
    assert outlook.startswith("P(higher after the next session) 0.57 (typical 0.50)")
    assert outlook.endswith("model record: proven edge")
    # Approve and Reject share one row, the changes the next (each row wraps).
    labels = {c.props["label"] for c in _one(web, "pending-actions") if isinstance(c, ui.button)}
    assert labels == {"Approve", "Reject"}
    changes = {c.props["label"] for c in _one(web, "modify-actions") if isinstance(c, ui.button)}
    assert changes == {"½ size", "Limit…", "Tighter stop"}


async def test_an_open_page_counts_as_someone_who_can_answer(web: Web) -> None:
    assert web.agent.engine.page_viewers == 0
    await web.log_in()
    await eventually(lambda: web.agent.engine.page_viewers >= 1)
    assert web.agent.engine.someone_can_answer()
