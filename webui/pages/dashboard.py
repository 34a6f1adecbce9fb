"""Dashboard: today's figures, controls (cycle, mode, kill, resume), equity against
buy-and-hold, drawdown, daily P&L and open positions — live. On a phone the figures are
two to a row, the controls wrap, and the positions are cards. A viewer sees the
controls switched off; a mode whose name promises more than an unproven model may do
says so under it."""

from __future__ import annotations

from fastapi import Request
from nicegui import ui

from core.agent.engine import CycleReport, Engine, EngineError, PerformanceSeries
from core.base.types import KillScope, TradingMode, TradingState
from webui import charts
from webui.access import Visitor, visitor
from webui.formatting import money, percent, share_of, shares, signed_money
from webui.frame import error_label, frame, live, responsive_table
from webui.security import client_origin
from webui.state import WebState
from webui.words import trading_sentence

# The columns that matter most come first: on a phone they are the top of each card.
POSITION_COLUMNS = [
    {"name": "symbol", "label": "Symbol", "field": "symbol", "align": "left"},
    {"name": "pnl", "label": "Unrealised P&L", "field": "pnl"},
    {"name": "quantity", "label": "Shares", "field": "quantity"},
    {"name": "last", "label": "Last", "field": "last"},
    {"name": "entry", "label": "Entry", "field": "entry"},
    {"name": "stop", "label": "Stop", "field": "stop"},
    {"name": "trailing", "label": "Trailing stop", "field": "trailing"},
]


def register(state: WebState) -> None:
    @ui.page("/")
    def dashboard(request: Request) -> None:
        with frame(state, "Dashboard", "/") as engine:
            if engine is None:
                return
            origin = client_origin(request)
            live(state, lambda: _figures(state))
            _controls(state, engine, visitor(), origin)
            _charts(state)
            ui.label("Open positions").classes("text-lg font-semibold")
            live(state, lambda: _positions(state))


def _figures(state: WebState) -> None:
    status = state.snapshot.status
    error_label(state.snapshot.error)
    if status is None:
        return
    cards = [
        ("Equity", money(status.equity), None, "equity"),
        ("Cash", money(status.cash), None, "cash"),
        (
            "Today",
            signed_money(status.daily_pnl),
            percent(status.daily_pnl_pct, signed=True),
            "today",
        ),
        (
            "Exposure",
            money(status.exposure),
            f"{share_of(status.exposure, status.equity)} of equity",
            "exposure",
        ),
        ("Open positions", str(status.positions), None, "open-positions"),
        ("Waiting signals", str(status.pending_signals), None, "waiting-signals"),
    ]
    with ui.grid().classes("w-full grid-cols-2 sm:grid-cols-3 lg:grid-cols-6 gap-2 sm:gap-3"):
        for title, value, detail, mark in cards:
            with ui.card().classes("p-3 gap-0 min-w-0"):
                ui.label(title).classes("text-xs opacity-70")
                ui.label(value).classes("text-lg font-semibold break-words").mark(f"figure-{mark}")
                if detail:
                    ui.label(detail).classes("text-xs opacity-70").mark(f"figure-{mark}-detail")
    ui.label(trading_sentence(status.trading, state.zone)).classes("text-sm opacity-80").mark(
        "trading-detail"
    )
    ui.label(f"Model {status.model_run or 'none: run `stockbot train`'}").classes(
        "text-xs opacity-70 break-all"
    ).mark("model-run")


def _controls(state: WebState, engine: Engine, who: Visitor, origin: str) -> None:
    async def run_cycle() -> None:
        cycle_button.disable()
        try:
            report = await engine.run_cycle(who.actor, origin)
            ui.notify(
                f"cycle done in {report.duration_ms:.0f} ms: {len(report.outcomes)} symbols, "
                f"{_count(report, 'ask')} asking you, {_count(report, 'executed')} executed, "
                f"{_count(report, 'problem')} with a problem"
            )
        except EngineError as error:
            ui.notify(str(error), type="warning")
        finally:
            cycle_button.set_enabled(not who.read_only)
        state.poke()

    async def set_mode(event: object) -> None:
        chosen = getattr(event, "value", None)
        status = state.snapshot.status
        if not chosen or (status is not None and chosen == status.mode.value):
            return
        try:
            mode = await engine.set_mode(chosen, who.actor, origin)
            caveat = engine.mode_caveat(mode)
            ui.notify(f"mode is now {mode.value}" + (f": {caveat}" if caveat else ""))
        except EngineError as error:
            ui.notify(str(error), type="warning")
        await state.refresh()

    async def resume() -> None:
        try:
            status = await engine.resume(who.actor, origin)
            ui.notify(f"trading {status.state.value}")
        except EngineError as error:
            ui.notify(str(error), type="warning")
        await state.refresh()

    # On a phone: the mode and a cycle on one line, Kill and Resume together on the next.
    with ui.row().classes("w-full items-center gap-2 sm:gap-3"):
        current = state.snapshot.status.mode.value if state.snapshot.status else None
        mode_select = (
            ui.select(
                [m.value for m in TradingMode], label="Mode", value=current, on_change=set_mode
            )
            .classes("w-32")
            .mark("mode-select")
        )
        cycle_button = ui.button("Run a cycle now", icon="play_arrow", on_click=run_cycle).mark(
            "run-cycle"
        )
        with ui.row().classes("items-center gap-2 no-wrap"):
            kill_button = ui.button(
                "Kill",
                icon="dangerous",
                color="negative",
                on_click=lambda: _kill_dialog(state, engine, who, origin),
            ).mark("kill")
            resume_button = (
                ui.button("Resume", icon="restart_alt", on_click=resume)
                .props("outline")
                .mark("resume")
            )
    caveat = ui.label("").classes("text-sm text-amber-900 w-full").mark("mode-caveat")
    for control in (mode_select, cycle_button):
        control.set_enabled(not who.read_only)

    def follow() -> None:
        """A mode or a kill from Telegram shows here too (set_mode ignores an unchanged
        value). Kill is off while halted, Resume while active: nothing to do. Everything
        is off for a viewer."""
        status = state.snapshot.status
        if status is None:
            return
        if mode_select.value != status.mode.value:
            mode_select.value = status.mode.value
        trading = status.trading.state
        kill_button.set_enabled(trading is not TradingState.HALTED and not who.read_only)
        resume_button.set_enabled(trading is not TradingState.ACTIVE and not who.read_only)
        why = engine.mode_caveat(status.mode)
        caveat.set_text(f"Mode {status.mode.value}: {why}." if why else "")
        caveat.set_visibility(why is not None)

    follow()
    ui.timer(1.0, follow)


def _count(report: CycleReport, action: str) -> int:
    """Outcomes of one kind. By value: the front end names the kinds as text."""
    return sum(1 for outcome in report.outcomes if outcome.action == action)


def _kill_dialog(state: WebState, engine: Engine, who: Visitor, origin: str) -> None:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
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
                status = await engine.kill(scope.value, who.actor, origin)
                ui.notify(f"trading {status.state.value.upper()} ({scope.value})", type="negative")
            except EngineError as error:
                ui.notify(str(error), type="warning")
            await state.refresh()

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat").mark("kill-cancel")
            ui.button("Kill", color="negative", on_click=confirm).mark("kill-confirm")
    dialog.open()


def _charts(state: WebState) -> None:
    with ui.grid().classes("w-full grid-cols-1 lg:grid-cols-2 gap-4"):
        with ui.card().classes("lg:col-span-2"):
            ui.label("Equity vs buy and hold ($)").classes("font-semibold")
            equity = (
                ui.echart(_equity_options(None), renderer=charts.RENDERER)
                .classes("w-full h-72 chart-equity")
                .mark("equity-chart")
            )
        with ui.card():
            ui.label("Drawdown (% below the peak)").classes("font-semibold")
            drawdown = (
                ui.echart(charts.drawdown([], []), renderer=charts.RENDERER)
                .classes("w-full h-56 chart-drawdown")
                .mark("drawdown-chart")
            )
        with ui.card():
            ui.label("Daily P&L ($)").classes("font-semibold")
            pnl = (
                ui.echart(charts.daily_pnl([], []), renderer=charts.RENDERER)
                .classes("w-full h-56 chart-pnl")
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
            "quantity": shares(p.quantity),
            "entry": money(p.entry),
            "last": money(p.last),
            "pnl": _pnl(p.unrealized_pnl, p.entry * p.quantity),
            "stop": money(p.stop),
            "trailing": money(p.trailing_stop),
        }
        for p in state.snapshot.positions
    ]
    if not rows:
        ui.label("No open positions.").classes("opacity-70").mark("no-positions")
        return
    responsive_table(POSITION_COLUMNS, rows, "symbol").mark("positions-table")


def _pnl(pnl: float | None, cost: float) -> str:
    """`+$12.30 (+1.2%)`: the share of what the position cost."""
    if pnl is None:
        return "—"
    return f"{signed_money(pnl)} ({percent(pnl / cost if cost else None, signed=True, digits=1)})"
