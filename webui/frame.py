"""The frame every page shares: navigation, the agent's status bar, and a helper that
re-renders a part of a page whenever the live snapshot changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from nicegui import app, ui
from nicegui.element import Element

from core.agent.engine import Engine, StatusReport
from webui.state import WebState

PAGES = (
    ("/", "Dashboard"),
    ("/signals", "Signals"),
    ("/trades", "Trades"),
    ("/models", "Models"),
    ("/backtest", "Backtest"),
    ("/settings", "Settings"),
    ("/audit", "Audit log"),
)
_STATE_COLORS = {"active": "positive", "reducing": "warning", "halted": "negative"}


def live(state: WebState, render: Callable[[], None], every: float = 1.0) -> None:
    """Draw `render` now and again each time the snapshot has changed."""
    seen = {"version": state.snapshot.version}

    @ui.refreshable
    def part() -> None:
        render()

    part()

    def check() -> None:
        if state.snapshot.version != seen["version"]:
            seen["version"] = state.snapshot.version
            part.refresh()

    ui.timer(every, check)


def _badge(text: str, color: str, mark: str) -> None:
    ui.badge(text, color=color).props("outline").classes("text-sm").mark(mark)


def status_bar(status: StatusReport | None) -> None:
    if status is None:
        ui.label("connecting to the agent…").classes("text-sm opacity-80")
        return
    with ui.row().classes("items-center gap-2 text-sm"):
        _badge(
            status.account_mode.upper(),
            "positive" if status.account_mode == "paper" else "negative",
            "account-mode",
        )
        _badge(f"mode {status.mode.value}", "grey-4", "mode")
        _badge(
            f"trading {status.trading.state.value.upper()}",
            _STATE_COLORS.get(status.trading.state.value, "grey-4"),
            "trading-state",
        )
        telegram = {True: "connected", False: "disconnected", None: "off"}[
            status.telegram_connected
        ]
        _badge(f"Telegram {telegram}", "grey-4", "telegram")
        _badge(f"data {status.data_provider}", "grey-4", "data-provider")
        if not status.reconciled:
            _badge("NOT RECONCILED — orders blocked", "negative", "reconciled")


@contextmanager
def frame(state: WebState, title: str) -> Iterator[Engine | None]:
    """Header, navigation and status bar; yields the Engine (None while starting)."""
    ui.page_title(f"stockbot · {title}")
    with ui.header().classes("items-center justify-between flex-wrap gap-2 bg-slate-800"):
        with ui.row().classes("items-center gap-1"):
            ui.label("stockbot").classes("text-lg font-bold mr-4")
            for path, name in PAGES:
                ui.link(name, path).classes("text-white no-underline px-2").mark(f"nav-{path}")
        live(state, lambda: status_bar(state.snapshot.status))
        ui.button("Log out", on_click=_logout).props("flat color=white size=sm").mark("logout")
    with ui.column().classes("w-full max-w-screen-xl mx-auto p-4 gap-4"):
        ui.label(title).classes("text-2xl font-semibold")
        if state.engine is None:
            ui.label(f"{state.starting}… this page reloads when it is ready.").mark("starting")
            ui.timer(2.0, lambda: ui.navigate.reload() if state.engine is not None else None)
            yield None
            return
        yield state.engine


def _logout() -> None:
    app.storage.user.clear()
    ui.navigate.to("/login")


def show_error(widget: Element, reason: str | None) -> None:
    """Quasar's inline error under a field (set as a prop value, never parsed as markup)."""
    widget.props["error"] = reason is not None
    widget.props["error-message"] = reason or ""
    widget.update()


def error_label(message: str | None) -> None:
    if message:
        ui.label(message).classes("text-negative").mark("error")
