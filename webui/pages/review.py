"""Review: what your decisions did. For every signal you approved, changed, rejected or
let expire, what it did (or, for a veto, what it would have done by the same entry and
exit rules) against "full auto" — taking every signal as proposed: the totals in words,
your cumulative P&L against full auto's, how the model's stated P(profit) compared with
what happened, and each decision (cards on a phone). Read-only for everyone."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from core.agent.engine import Engine, EngineError, ReviewPeriod, ReviewReport
from webui import charts, review_words, words
from webui.formatting import signed_money, when
from webui.frame import frame, responsive_table
from webui.state import WebState

PERIODS: dict[ReviewPeriod, str] = {"week": "Week", "month": "Month", "all": "All"}
# The columns that matter most come first: on a phone they are the top of each card.
DECISION_COLUMNS = [
    {"name": "symbol", "label": "Symbol", "field": "symbol", "align": "left"},
    {"name": "decision", "label": "Decision", "field": "decision", "align": "left"},
    {"name": "yours", "label": "Your P&L", "field": "yours"},
    {"name": "auto", "label": "Full auto", "field": "auto"},
    {"name": "stated", "label": "Model said", "field": "stated"},
    {"name": "state", "label": "Trade", "field": "state", "align": "left"},
    {"name": "when", "label": "Decided", "field": "when", "align": "left"},
    {"name": "who", "label": "By", "field": "who", "align": "left"},
]


def register(state: WebState) -> None:
    @ui.page("/review")
    async def review_page(period: str = "week") -> None:
        with frame(state, "Review", "/review") as engine:
            if engine is None:
                return
            chosen: ReviewPeriod = next((p for p in PERIODS if p == period), "week")
            ui.toggle(
                PERIODS,
                value=chosen,
                on_change=lambda e: ui.navigate.to(f"/review?period={e.value}"),
            ).props("no-caps unelevated").mark("review-period")
            await _review(engine, state, chosen)


async def _review(engine: Engine, state: WebState, period: ReviewPeriod) -> None:
    try:
        report = await engine.review(period)
    except EngineError as error:
        ui.label(str(error)).classes("text-negative").mark("review-error")
        return
    with ui.card().classes("w-full gap-1").mark("review-totals"):
        for line in review_words.totals(report):
            ui.label(line).classes("text-base").mark("review-total")
        if report.decisions:
            ui.label(review_words.counts(report)).classes("text-sm opacity-80")
    if not report.decisions:
        return
    _chart(report)
    _calibration(report)
    ui.label("Each decision").classes("text-lg font-semibold")
    rows: list[dict[str, Any]] = [
        {
            "id": d.signal_id,
            "symbol": d.symbol,
            "decision": review_words.DECISION_WORDS.get(d.decision, d.decision),
            "yours": signed_money(d.pnl) if d.pnl is not None else "unknown yet",
            "auto": signed_money(d.full_auto_pnl) if d.full_auto_pnl is not None else "unknown",
            "stated": f"P(profit) {d.stated_probability:.2f}"
            + (f" (typical {d.typical:.2f})" if d.typical is not None else ""),
            "state": review_words.STATE_WORDS.get(d.state, d.state),
            "when": when(d.decided_at, state.zone),
            "who": words.actor(d.actor) if d.actor else "nobody (expired)",
        }
        for d in reversed(report.decisions)
    ]
    responsive_table(DECISION_COLUMNS, rows, "id", pagination=25).mark("review-decisions")


def _chart(report: ReviewReport) -> None:
    with ui.card().classes("w-full"):
        ui.label("Your P&L against full auto, added up ($)").classes("font-semibold")
        if not report.daily:
            ui.label("No decision has a known outcome yet.").classes("opacity-70")
            return
        dates = [d for d, _, _ in report.daily]
        ui.echart(
            charts.yours_vs_full_auto(
                dates, [y for _, y, _ in report.daily], [a for _, _, a in report.daily]
            ),
            renderer=charts.RENDERER,
        ).classes("w-full h-64 chart-review").mark("review-chart")


def _calibration(report: ReviewReport) -> None:
    with ui.card().classes("w-full gap-1"):
        ui.label("What the model said, and what happened").classes("font-semibold")
        if not report.calibration:
            ui.label("No decided trade has finished yet.").classes("opacity-70")
            return
        for stated, happened, n in report.calibration:
            ui.label(review_words.calibration_line(stated, happened, n)).classes("text-sm").mark(
                "review-calibration"
            )
        ui.label(
            "A well-calibrated model's trades end in profit about as often as it says; "
            "with few decisions the shares jump around."
        ).classes("text-xs opacity-70")
