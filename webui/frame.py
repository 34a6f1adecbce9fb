"""The frame every page shares: navigation, the agent's status bar, and a helper that
re-renders a part of a page whenever the live snapshot changes.

On a phone (narrower than Quasar's `md`, 1024 px) the navigation is a drawer behind a
menu button and the status bar shows short badges (PAPER · hybrid · ACTIVE); on a wider
screen the links sit in the header and the badges say everything. Tables become cards on
a phone (`responsive_table`). Visibility follows CSS classes (`gt-sm`, `lt-md`), so
turning a phone sideways needs no round trip to the server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nicegui import app, ui
from nicegui.element import Element

from core.agent.engine import Engine, StatusReport
from webui.access import READ_ONLY_NOTE, visitor
from webui.state import WebState

PAGES = (
    ("/", "Dashboard", "dashboard"),
    ("/signals", "Signals", "notifications_active"),
    ("/review", "Review", "rate_review"),
    ("/trades", "Trades", "receipt_long"),
    ("/models", "Models", "insights"),
    ("/backtest", "Backtest", "history"),
    ("/settings", "Settings", "tune"),
    ("/audit", "Audit log", "fact_check"),
)
_STATE_COLORS = {"active": "positive", "reducing": "warning", "halted": "negative"}
WIDE = "gt-sm"
"""Shown from 1024 px (Quasar's `md`) up."""
NARROW = "lt-md"
"""Shown below 1024 px: phones and small tablets."""
CARDS_BELOW = "Quasar.Screen.lt.sm"
"""A table is a list of cards below 600 px (Quasar's `sm`): a phone held upright."""
CARD_CSS = """
.q-table__grid-item-card { padding: 10px 14px; }
.q-table__grid-item-row { display: flex; justify-content: space-between; gap: 1rem;
  align-items: baseline; padding: 1px 0; }
.q-table__grid-item-row + .q-table__grid-item-row { margin-top: 0; }
.q-table__grid-item-title { font-size: 0.8rem; opacity: 0.7; flex: none; }
.q-table__grid-item-value { text-align: right; min-width: 0; overflow-wrap: anywhere; }
.q-table__grid-item-row:first-child .q-table__grid-item-value { font-weight: 600; }
.q-table__grid-item { padding: 4px 0; }
"""
"""A table row as a card on a phone: one line per column, its label left and value
right, the first (most important) column in bold. Constant CSS, no data."""


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


def _badge(long: str, short: str, color: str, mark: str, *, phone: bool = True) -> None:
    """A badge saying `long` on a wide screen and `short` on a phone (or nothing there,
    unless `phone`)."""
    badge = ui.badge(color=color).props("outline").classes("text-sm").mark(mark)
    if not phone:
        badge.classes(WIDE)
    badge.tooltip(long)
    with badge:
        ui.label(long).classes(WIDE)
        ui.label(short).classes(NARROW)


def status_bar(status: StatusReport | None) -> None:
    if status is None:
        ui.label("connecting to the agent…").classes("text-sm opacity-80")
        return
    with ui.row().classes("items-center gap-1 sm:gap-2 text-sm").mark("status-bar"):
        account = status.account_mode.upper()
        _badge(
            account,
            account,
            "positive" if status.account_mode == "paper" else "negative",
            "account-mode",
        )
        _badge(f"mode {status.mode.value}", status.mode.value, "grey-4", "mode")
        state = status.trading.state.value.upper()
        _badge(
            f"trading {state}",
            state,
            _STATE_COLORS.get(status.trading.state.value, "grey-4"),
            "trading-state",
        )
        telegram = {True: "connected", False: "disconnected", None: "off"}[
            status.telegram_connected
        ]
        # Disconnected matters on a phone too; connected or off only on a wide screen.
        _badge(
            f"Telegram {telegram}",
            "Telegram down",
            "grey-4" if status.telegram_connected is not False else "warning",
            "telegram",
            phone=status.telegram_connected is False,
        )
        _badge(
            f"data {status.data_provider}",
            status.data_provider,
            "grey-4",
            "data-provider",
            phone=False,
        )
        if not status.reconciled:
            _badge("NOT RECONCILED — orders blocked", "orders blocked", "negative", "reconciled")


def _navigation(current: str) -> Element:
    """The drawer and the header; returns the header's place for the status bar."""
    with (
        ui.left_drawer(value=False)
        .props("overlay behavior=mobile bordered")
        .classes("bg-slate-50 p-0")
        .mark("nav-drawer") as drawer,
        ui.column().classes("w-full gap-0 py-2"),
    ):
        for path, name, icon in PAGES:
            here = path == current
            with (
                ui.link(target=path)
                .classes(
                    "w-full flex items-center gap-4 px-5 py-3 no-underline text-base "
                    + ("bg-blue-100 text-blue-900 font-semibold" if here else "text-slate-900")
                )
                .mark(f"menu-{path}")
            ):
                ui.icon(icon).classes("text-xl")
                ui.label(name)
        ui.separator().classes("my-2")
        ui.button("Log out", icon="logout", on_click=_logout).props("flat no-caps").classes(
            "mx-3 text-slate-700"
        ).mark("menu-logout")
    with ui.header().classes("items-center gap-x-2 gap-y-1 bg-slate-800 px-2 py-2 sm:px-4"):
        ui.button(icon="menu", on_click=drawer.toggle).props(
            "flat round dense color=white aria-label=Menu"
        ).classes(NARROW).mark("menu")
        ui.label("stockbot").classes("text-lg font-bold mr-2")
        with ui.row().classes(f"{WIDE} items-center gap-1 mr-2"):
            for path, name, _ in PAGES:
                ui.link(name, path).classes(
                    "text-white no-underline px-2"
                    + (" font-semibold underline" if path == current else "")
                ).mark(f"nav-{path}")
        ui.space()
        status_place = ui.row().classes("items-center")
        ui.button("Log out", on_click=_logout).props("flat color=white size=sm").classes(WIDE).mark(
            "logout"
        )
    return status_place


@contextmanager
def frame(state: WebState, title: str, path: str = "/") -> Iterator[Engine | None]:
    """Header, navigation and status bar; yields the Engine (None while starting)."""
    ui.page_title(f"stockbot · {title}")
    ui.add_css(CARD_CSS)
    _count_this_tab(state)
    status_place = _navigation(path)
    with status_place:
        live(state, lambda: status_bar(state.snapshot.status))
    with ui.column().classes("w-full max-w-screen-xl mx-auto p-0 sm:p-4 gap-4"):
        ui.label(title).classes("text-2xl font-semibold")
        if visitor().read_only:
            with ui.row().classes("items-center gap-2 text-sm text-slate-700").mark("read-only"):
                ui.icon("visibility")
                ui.label(READ_ONLY_NOTE)
        if state.engine is None:
            ui.label(f"{state.starting}… this page reloads when it is ready.").mark("starting")
            ui.timer(2.0, lambda: ui.navigate.reload() if state.engine is not None else None)
            yield None
            return
        yield state.engine


def responsive_table(
    columns: list[dict[str, Any]], rows: list[dict[str, Any]], row_key: str, **kwargs: Any
) -> ui.table:
    """A table on a wide screen, a list of cards (each row's columns as label: value) on
    a phone held upright. The columns come in the order that matters most on a phone."""
    table = ui.table(columns=columns, rows=rows, row_key=row_key, **kwargs).classes("w-full")
    table.props(f'flat bordered :grid="{CARDS_BELOW}"')
    return table


def _count_this_tab(state: WebState) -> None:
    """While this tab is connected it counts as someone who could answer a signal."""
    client = ui.context.client
    client.on_connect(lambda: state.page_opened(client.id))
    client.on_disconnect(lambda: state.page_closed(client.id))
    client.on_delete(lambda: state.page_closed(client.id))


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
