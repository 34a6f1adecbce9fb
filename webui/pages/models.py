"""Models: whether the trading run has earned autonomy (its grade, each test passed or
failed, in words), the typical trade it must beat, its manifest, its out-of-sample
figures beside the baselines, reliability, feature importance, and how live predictions
have scored since (live Brier against the typical's)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from nicegui import ui

from core.agent.engine import Engine, ModelReport
from core.base.explain import chance, day, model_name, percent, plural, when
from webui import charts, words
from webui.formatting import number
from webui.frame import frame, responsive_table
from webui.state import WebState

BASELINES = ("always_up", "momentum_baseline")
METRICS: dict[str, Callable[[Any], str]] = {
    "auc": lambda v: number(v),
    "brier": lambda v: number(v),
    "accuracy": lambda v: percent(v, digits=1),
    "log_loss": lambda v: number(v),
    "ece": lambda v: percent(v, digits=1),
    "n": lambda v: "—" if v is None else f"{int(v):,}",
}
"""Shown in this order (ranking skill first); each formatted for people."""


def register(state: WebState) -> None:
    @ui.page("/models")
    async def models_page() -> None:
        with frame(state, "Models", "/models") as engine:
            if engine is None:
                return
            await _report(engine, state.zone)


async def _report(engine: Engine, zone: ZoneInfo) -> None:
    report = await engine.model_report()
    if report.run_id is None:
        ui.label("No model is trading yet: run `stockbot train`.").mark("no-model")
        return
    manifest = report.manifest
    _grade(manifest)
    _summary(report, manifest, zone)
    _metrics(manifest.get("oos_metrics") or {})
    curves = manifest.get("reliability") or {}
    importance = manifest.get("feature_importance") or {}
    with ui.grid().classes("w-full grid-cols-1 lg:grid-cols-2 gap-4"):
        _chart_card(
            "Reliability: forecast chance (across) vs how often it happened (up)",
            charts.reliability(curves) if curves else None,
            "This run was trained without a walk-forward evaluation.",
            "reliability",
        )
        _chart_card(
            f"What LightGBM leans on most (top {charts.FEATURES_SHOWN}, by gain)",
            charts.feature_importance(importance) if importance else None,
            "No LightGBM model in this run.",
            "importance",
        )
    with ui.card().classes("w-full"):
        ui.label(
            words.live_record(report.live_brier, report.live_typical_brier, report.live_scored)
        ).classes("font-semibold").mark("live-record")
        if not report.live_scored:
            return  # the record's sentence has said that nothing is scored yet
        ui.label(
            f"{percent(report.live_accuracy, digits=1)} of {report.live_scored:,} on the right "
            "side of the typical"
        ).classes("text-sm opacity-80").mark("live-accuracy")
        if report.live_by_week:
            ui.echart(charts.live_accuracy(report.live_by_week), renderer=charts.RENDERER).classes(
                "w-full h-56 chart-live"
            ).mark("live-accuracy-chart")


def _grade(manifest: Mapping[str, Any]) -> None:
    """Earned autonomy: the verdict, then each test with what it found."""
    proven = words.proven(manifest)
    with ui.card().classes("w-full gap-2").mark("grade"):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("verified" if proven else "help_outline").classes(
                "text-2xl " + ("text-positive" if proven else "text-amber-800")
            )
            ui.label(words.grade_headline(manifest)).classes("font-semibold").mark("grade-headline")
        for test in words.grade_tests(manifest):
            with ui.row().classes("w-full items-start gap-2 no-wrap").mark(f"test-{test.key}"):
                ui.icon("check_circle" if test.passed else "cancel").classes(
                    "text-xl pt-0.5 " + ("text-positive" if test.passed else "text-negative")
                )
                with ui.column().classes("gap-0 min-w-0"):
                    verdict = "passed" if test.passed else "failed"
                    ui.label(f"{test.key}. {test.name}: {verdict}").classes("font-medium")
                    ui.label(test.explanation).classes("text-sm break-words").mark("test-why")
                    if test.needs:
                        ui.label(f"Needs: {test.needs}").classes("text-xs opacity-70 break-words")


def _chart_card(title: str, options: dict[str, Any] | None, empty: str, name: str) -> None:
    with ui.card().classes("min-w-0"):
        ui.label(title).classes("font-semibold")
        if options is None:
            ui.label(empty).classes("opacity-70")
            return
        ui.echart(options, renderer=charts.RENDERER).classes(f"w-full h-80 chart-{name}").mark(
            f"{name}-chart"
        )


def _summary(report: ModelReport, manifest: dict[str, Any], zone: ZoneInfo) -> None:
    window = manifest.get("training_window") or {}
    weights = manifest.get("weights") or {}
    features = len(manifest.get("feature_names") or [])
    context = " with the market's context" if manifest.get("market_context") else ""
    selection = manifest.get("selection") or {}
    rows = [
        ("Model run", report.run_id or "—"),
        ("Trained", _created(manifest.get("created_at"), zone)),
        ("Predicts", words.target(manifest)),
        (
            "Models and weights",
            ", ".join(f"{model_name(k)} {chance(v)}" for k, v in weights.items()) or None,
        ),
        ("Trained on", ", ".join(manifest.get("symbols") or []) or None),
        ("Training window", f"{_day(window.get('start'))} to {_day(window.get('end'))}"),
        ("Typical trade", words.typical_trade(manifest)),
        (
            "Takes a trade from",
            f"P(profit) {selection['threshold']:.2f} or more"
            if isinstance(selection, Mapping) and selection.get("threshold") is not None
            else None,
        ),
        ("Horizon", _sessions(manifest.get("horizon"))),
        ("Lookback", _sessions(manifest.get("lookback"), "bar")),
        ("Features", f"{features}{context}" if features else None),
        ("Data fingerprint", str(manifest.get("data_fingerprint", ""))[:16] or None),
        (
            "Libraries",
            ", ".join(f"{k} {v}" for k, v in (manifest.get("libraries") or {}).items()) or None,
        ),
    ]
    with (
        ui.card().classes("w-full").mark("manifest"),
        ui.grid(columns="auto 1fr").classes("w-full gap-x-4 gap-y-1 text-sm sm:text-base"),
    ):
        for name, value in rows:
            if value is None:
                continue
            ui.label(name).classes("opacity-70")
            ui.label(value).classes("break-words min-w-0")


def _created(value: Any, zone: ZoneInfo) -> str:
    try:
        return when(datetime.fromisoformat(str(value)), zone)
    except ValueError:
        return str(value or "—")


def _day(value: Any) -> str:
    try:
        return day(date.fromisoformat(str(value)))
    except ValueError:
        return "—"


def _sessions(value: Any, unit: str = "session") -> str | None:
    return plural(int(value), unit) if isinstance(value, int) else None


def _metrics(metrics: dict[str, dict[str, Any]]) -> None:
    if not metrics:
        ui.label("No out-of-sample figures in this run's manifest.").classes("opacity-70")
        return
    names = [n for n in metrics if n not in BASELINES] + [n for n in BASELINES if n in metrics]
    columns = [{"name": "model", "label": "Model", "field": "model", "align": "left"}] + [
        {"name": m, "label": words.METRIC_LABELS.get(m, m), "field": m} for m in METRICS
    ]
    rows = [
        {
            "model": model_name(name),
            **{m: show(metrics[name].get(m)) for m, show in METRICS.items()},
        }
        for name in names
    ]
    ui.label(
        "Out of sample, walk-forward. An AUC near 0.5 means no ranking skill; lower Brier "
        "score, log loss and calibration error are better. Compare with the baselines "
        "before trusting a model."
    ).classes("text-sm opacity-80")
    responsive_table(columns, rows, "model").mark("metrics-table")
