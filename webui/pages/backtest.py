"""Backtest: a form that starts a walk-forward replay in a child process, its progress,
the result beside buy-and-hold, and past runs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import Request
from nicegui import ui

from core.agent.engine import BacktestRequest, BacktestRunView, Engine, EngineError, InvalidRequest
from core.base.explain import day, model_name
from webui import charts
from webui.access import Visitor, visitor
from webui.formatting import money, number, percent, when
from webui.frame import frame, show_error
from webui.security import client_origin
from webui.state import WebState

PROVIDERS = ("sim", "csv", "yahoo", "alpaca")
MODELS = ("gbm", "rf", "momentum", "lstm")
COMPARED = (
    ("total_return", "Total return", percent),
    ("cagr", "CAGR", percent),
    ("sharpe", "Sharpe", number),
    ("sortino", "Sortino", number),
    ("max_drawdown", "Max drawdown", percent),
    ("final_equity", "Final equity", money),
)


def register(state: WebState) -> None:
    @ui.page("/backtest")
    async def backtest_page(request: Request, run: str | None = None) -> None:
        with frame(state, "Backtest", "/backtest") as engine:
            if engine is None:
                return
            _form(engine, visitor(), client_origin(request))
            if run:
                await _run_view(engine, run)
            await _past_runs(engine, state)


def _form(engine: Engine, who: Visitor, origin: str) -> None:
    today = date.today()
    with ui.card().classes("w-full"), ui.row().classes("w-full items-start gap-3"):
        symbols = ui.input("Symbols", value="SPY,AAPL,MSFT").classes("w-64").mark("bt-symbols")
        start = (
            ui.input("Start", value=(today - timedelta(days=365 * 2)).isoformat())
            .props("type=date")
            .mark("bt-start")
        )
        end = ui.input("End", value=today.isoformat()).props("type=date").mark("bt-end")
        provider = (
            ui.select(list(PROVIDERS), label="Data", value="sim")
            .classes("w-28")
            .mark("bt-provider")
        )
        models = (
            ui.select(list(MODELS), label="Models", value=["gbm", "rf", "momentum"], multiple=True)
            .classes("w-64")
            .mark("bt-models")
        )
        fields = {
            "symbols": symbols,
            "start": start,
            "end": end,
            "provider": provider,
            "models": models,
        }

        async def submit() -> None:
            for element in fields.values():
                show_error(element, None)
            try:
                request = BacktestRequest(
                    symbols=tuple((symbols.value or "").split(",")),
                    start=_day(start.value, "start"),
                    end=_day(end.value, "end"),
                    provider=provider.value,
                    models=tuple(models.value or ()),
                )
                run_id = await engine.start_backtest(request, who.actor, origin)
            except InvalidRequest as error:
                for key, reason in error.fields.items():
                    if key in fields:
                        show_error(fields[key], reason)
                ui.notify(str(error), type="warning")
                return
            except EngineError as error:
                ui.notify(str(error), type="warning")
                return
            ui.navigate.to(f"/backtest?run={run_id}")

        run = ui.button("Run backtest", icon="play_arrow", on_click=submit).classes("mt-2")
        run.mark("bt-run").set_enabled(not who.read_only)


def _day(text: str | None, field: str) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError as error:
        raise InvalidRequest(
            f"{field} {text!r}: use a date like 2024-01-31", {field: "use a date like 2024-01-31"}
        ) from error


async def _run_view(engine: Engine, run_id: str) -> None:
    try:
        run = await engine.backtest_run(run_id)
    except EngineError as error:
        ui.label(str(error)).classes("text-negative")
        return
    request = run.request
    with ui.card().classes("w-full").mark("bt-result"):
        ui.label(
            f"{', '.join(request.get('symbols', []))}, {_shown_day(request.get('start'))} to "
            f"{_shown_day(request.get('end'))} ({request.get('provider')} data; "
            f"{', '.join(model_name(m) for m in request.get('models', []))})"
        ).classes("font-semibold")
        ui.label(run.id).classes("text-xs opacity-60 break-all")
        body = ui.column().classes("w-full")

    shown = {"status": ""}

    async def update() -> None:
        current = await engine.backtest_run(run_id)
        if current.status == shown["status"] and current.status != "running":
            return
        shown["status"] = current.status
        body.clear()
        with body:
            _result(current)
        if current.status != "running":
            poll.deactivate()

    poll = ui.timer(1.0, update)
    await update()


def _result(run: BacktestRunView) -> None:
    if run.status == "running":
        share = run.done / run.total if run.total else 0.0
        ui.label(
            f"running: {run.done} of {run.total or '?'} sessions (training and replay happen "
            "in a separate process; this page follows it)"
        ).mark("bt-progress-text")
        ui.linear_progress(value=share, show_value=False).mark("bt-progress")
        return
    if run.status == "failed" or run.result is None:
        ui.label(f"failed: {run.error}").classes("text-negative").mark("bt-error")
        return
    result: dict[str, Any] = run.result
    metrics, benchmark = result["metrics"], result["benchmark"]
    by_day = {row["date"]: row["equity"] for row in benchmark.get("equity", [])}
    days = [date.fromisoformat(row["date"]) for row in result["equity"]]
    ui.echart(
        charts.equity_vs_benchmark(
            days,
            [row["equity"] for row in result["equity"]],
            [by_day.get(d.isoformat()) for d in days],
        ),
        renderer=charts.RENDERER,
    ).classes("w-full h-72 chart-backtest").mark("bt-chart")
    rows = [
        {"metric": label, "stockbot": show(metrics.get(key)), "hold": show(benchmark.get(key))}
        for key, label, show in COMPARED
    ]
    ui.table(
        columns=[
            {"name": "metric", "label": "", "field": "metric", "align": "left"},
            {"name": "stockbot", "label": "stockbot", "field": "stockbot"},
            {"name": "hold", "label": "buy and hold", "field": "hold"},
        ],
        rows=rows,
        row_key="metric",
    ).mark("bt-metrics")
    ui.label(
        f"{result.get('sessions')} sessions, {result.get('retrainings')} retrainings, "
        f"{metrics.get('trades')} round trips from {metrics.get('signals')} signals, "
        f"win rate {percent(metrics.get('win_rate'))}, "
        f"exposure {percent(metrics.get('exposure'))}, "
        f"costs {money(metrics.get('costs'))}"
    ).classes("text-sm")
    if result.get("skipped"):
        ui.label(f"left out (bad data): {result['skipped']}").classes("text-sm text-warning")


def _shown_day(value: object) -> str:
    try:
        return day(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


async def _past_runs(engine: Engine, state: WebState) -> None:
    runs = await engine.backtest_runs(20)
    ui.label("Past runs").classes("text-lg font-semibold")
    if not runs:
        ui.label("No backtest has been run from this page yet.").classes("opacity-70")
        return
    with ui.column().classes("w-full gap-1").mark("bt-runs"):
        for run in runs:
            total = (run.result or {}).get("metrics", {}).get("total_return")
            with ui.row().classes("items-center gap-x-4 gap-y-0"):
                ui.link(run.id, f"/backtest?run={run.id}").classes("break-all")
                ui.label(
                    f"{when(run.created_at, state.zone)} · "
                    f"{', '.join(run.request.get('symbols', []))} · "
                    f"{run.status}" + (f" · return {percent(total)}" if total is not None else "")
                ).classes("text-sm")
