"""Dashboard: today's figures, controls (cycle, mode, kill, resume), equity against
buy-and-hold, drawdown, daily P&L and open positions — live."""

from __future__ import annotations

from fastapi import Request
from nicegui import ui

from core.agent.engine import Engine, EngineError, PerformanceSeries
from core.base.types import KillScope, TradingMode
from webui import charts
from webui.formatting import money, percent, signed_money, when
from webui.frame import error_label, frame, live
from webui.security import client_origin
from webui.state import WebState

POSITION_COLUMNS = [
    {"name": "symbol", "label": "Symbol", "field": "symbol", "align": "left"},
    {"name": "quantity", "label": "Qty", "field": "quantity"},
    {"name": "entry", "label": "Entry", "field": "entry"},
    {"name": "last", "label": "Last", "field": "last"},
    {"name": "pnl", "label": "Unrealised P&L", "field": "pnl"},
    {"name": "stop", "label": "Stop", "field": "stop"},
    {"name": "trailing", "label": "Trailing stop", "field": "trailing"},
]


def register(state: WebState) -> None:
    @ui.page("/")
    def dashboard(request: Request) -> None:
        with frame(state, "Dashboard") as engine:
            if engine is None:
                return
            origin = client_origin(request)
            live(state, lambda: _figures(state))
            _controls(state, engine, origin)
            _charts(state)
            ui.label("Open positions").classes("text-lg font-semibold")
            live(state, lambda: _positions(state))


def _figures(state: WebState) -> None:
    status = state.snapshot.status
    error_label(state.snapshot.error)
    if status is None:
        return
    cards = [
        ("Equity", money(status.equity), "equity"),
        ("Cash", money(status.cash), "cash"),
        (
            "Today",
            f"{signed_money(status.daily_pnl)} ({percent(status.daily_pnl_pct, signed=True)})",
            "today",
        ),
        ("Exposure", money(status.exposure), "exposure"),
        ("Open positions", str(status.positions), "open-positions"),
        ("Waiting signals", str(status.pending_signals), "waiting-signals"),
    ]
    with ui.row().classes("w-full gap-3"):
        for title, value, mark in cards:
            with ui.card().classes("min-w-36"):
                ui.label(title).classes("text-xs opacity-70")
                ui.label(value).classes("text-lg font-semibold").mark(f"figure-{mark}")
    trading = status.trading
    # A never-changed state carries the epoch as its time: not worth showing.
    since = f" ({when(trading.changed_at)})" if trading.changed_at.year > 1970 else ""
    ui.label(
        f"Trading {trading.state.value.upper()} — set by {trading.changed_by}: "
        f"{trading.reason}{since}. Model {status.model_run or 'none'}."
    ).classes("text-sm opacity-80").mark("trading-detail")


def _controls(state: WebState, engine: Engine, origin: str) -> None:
    async def run_cycle() -> None:
        cycle_button.disable()
        try:
            report = await engine.run_cycle(state.actor, origin)
            ui.notify(
                f"cycle done in {report.duration_ms:.0f} ms: {len(report.outcomes)} symbols, "
                f"{report.count('ask')} asking you, {report.count('executed')} executed, "
                f"{report.count('problem')} with a problem"
            )
        except EngineError as error:
            ui.notify(str(error), type="warning")
        finally:
            cycle_button.enable()
        state.poke()

    async def set_mode(event: object) -> None:
        chosen = getattr(event, "value", None)
        status = state.snapshot.status
        if not chosen or (status is not None and chosen == status.mode.value):
            return
        try:
            mode = await engine.set_mode(chosen, state.actor, origin)
            ui.notify(f"mode is now {mode.value}")
        except EngineError as error:
            ui.notify(str(error), type="warning")
        await state.refresh()

    async def resume() -> None:
        try:
            status = await engine.resume(state.actor, origin)
            ui.notify(f"trading {status.state.value}")
        except EngineError as error:
            ui.notify(str(error), type="warning")
        await state.refresh()

    with ui.row().classes("items-center gap-3"):
        cycle_button = ui.button("Run a cycle now", icon="play_arrow", on_click=run_cycle).mark(
            "run-cycle"
        )
        current = state.snapshot.status.mode.value if state.snapshot.status else None
        mode_select = (
            ui.select(
                [m.value for m in TradingMode], label="Mode", value=current, on_change=set_mode
            )
            .classes("w-36")
            .mark("mode-select")
        )
        ui.button(
            "Kill",
            icon="dangerous",
            color="negative",
            on_click=lambda: _kill_dialog(state, engine, origin),
        ).mark("kill")
        ui.button("Resume", icon="restart_alt", on_click=resume).props("outline").mark("resume")

    def follow_mode() -> None:
        """A mode set from Telegram shows here too (set_mode ignores an unchanged value)."""
        status = state.snapshot.status
        if status is not None and mode_select.value != status.mode.value:
            mode_select.value = status.mode.value

    ui.timer(1.0, follow_mode)


def _kill_dialog(state: WebState, engine: Engine, origin: str) -> None:
    with ui.dialog() as dialog, ui.card():
        ui.label("Stop trading?").classes("text-lg font-semibold")
        scope = ui.radio(
            {
                KillScope.STOP.value: "Stop: halt, cancel open orders; positions keep their stops",
                KillScope.FLATTEN.value: "Flatten: halt, cancel, and close every position now",
            },
            value=KillScope.STOP.value,
        ).mark("kill-scope")

        async def confirm() -> None:
            dialog.close()
            try:
                status = await engine.kill(scope.value, state.actor, origin)
                ui.notify(f"trading {status.state.value.upper()} ({scope.value})", type="negative")
            except EngineError as error:
                ui.notify(str(error), type="warning")
            await state.refresh()

        with ui.row():
            ui.button("Cancel", on_click=dialog.close).props("flat").mark("kill-cancel")
            ui.button("Kill", color="negative", on_click=confirm).mark("kill-confirm")
    dialog.open()


def _charts(state: WebState) -> None:
    with ui.grid().classes("w-full grid-cols-1 lg:grid-cols-2 gap-4"):
        with ui.card().classes("lg:col-span-2"):
            ui.label("Equity vs buy and hold").classes("font-semibold")
            equity = (
                ui.echart(_equity_options(None), renderer=charts.RENDERER)
                .classes("w-full h-72 chart-equity")
                .mark("equity-chart")
            )
        with ui.card():
            ui.label("Drawdown").classes("font-semibold")
            drawdown = (
                ui.echart(charts.drawdown([], []), renderer=charts.RENDERER)
                .classes("w-full h-56")
                .mark("drawdown-chart")
            )
        with ui.card():
            ui.label("Daily P&L").classes("font-semibold")
            pnl = (
                ui.echart(charts.daily_pnl([], []), renderer=charts.RENDERER)
                .classes("w-full h-56")
                .mark("pnl-chart")
            )
    shown: dict[str, PerformanceSeries | None] = {"series": None}

    def update() -> None:
        series = state.snapshot.series
        if series is None or series is shown["series"]:
            return
        shown["series"] = series
        for chart, options in (
            (equity, _equity_options(series)),
            (drawdown, charts.drawdown(series.dates, series.drawdown)),
            (pnl, charts.daily_pnl(series.dates, series.daily_pnl)),
        ):
            chart.options.clear()
            chart.options.update(options)
            chart.update()

    update()
    ui.timer(1.0, update)


def _equity_options(series: PerformanceSeries | None) -> dict:
    if series is None:
        return charts.equity_vs_benchmark([], [], [])
    return charts.equity_vs_benchmark(series.dates, series.equity, series.benchmark)


def _positions(state: WebState) -> None:
    rows = [
        {
            "symbol": p.symbol,
            "quantity": f"{p.quantity:g}",
            "entry": money(p.entry),
            "last": money(p.last),
            "pnl": signed_money(p.unrealized_pnl),
            "stop": money(p.stop),
            "trailing": money(p.trailing_stop),
        }
        for p in state.snapshot.positions
    ]
    if not rows:
        ui.label("No open positions.").classes("opacity-70").mark("no-positions")
        return
    ui.table(columns=POSITION_COLUMNS, rows=rows, row_key="symbol").classes("w-full").mark(
        "positions-table"
    )
