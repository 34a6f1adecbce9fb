"""Models: the trading run's manifest, its out-of-sample figures beside the baselines,
reliability, feature importance, and how live predictions have scored since."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from core.agent.engine import Engine, ModelReport
from webui import charts
from webui.formatting import number, percent
from webui.frame import frame
from webui.state import WebState

METRICS = ("accuracy", "auc", "brier", "log_loss", "ece", "n")
BASELINES = ("always_up", "momentum_baseline")


def register(state: WebState) -> None:
    @ui.page("/models")
    async def models_page() -> None:
        with frame(state, "Models") as engine:
            if engine is None:
                return
            await _report(engine)


async def _report(engine: Engine) -> None:
    report = await engine.model_report()
    if report.run_id is None:
        ui.label("No model is trading yet: run `stockbot train`.").mark("no-model")
        return
    manifest = report.manifest
    _summary(report, manifest)
    _metrics(manifest.get("oos_metrics") or {})
    curves = manifest.get("reliability") or {}
    importance = manifest.get("feature_importance") or {}
    with ui.grid().classes("w-full grid-cols-1 lg:grid-cols-2 gap-4"):
        _chart_card(
            "Reliability (out of sample)",
            charts.reliability(curves) if curves else None,
            "This run was trained without a walk-forward evaluation.",
            "reliability",
        )
        _chart_card(
            "Feature importance (LightGBM gain)",
            charts.feature_importance(importance) if importance else None,
            "No LightGBM model in this run.",
            "importance",
        )
    with ui.card().classes("w-full"):
        ui.label(
            "Live predictions scored against outcomes: "
            f"{percent(report.live_accuracy)} right of {report.live_scored}"
        ).classes("font-semibold").mark("live-accuracy")
        if report.live_by_week:
            ui.echart(charts.live_accuracy(report.live_by_week), renderer=charts.RENDERER).classes(
                "w-full h-56"
            ).mark("live-accuracy-chart")
        else:
            ui.label("No prediction has been scored yet (outcomes arrive a session later).")


def _chart_card(title: str, options: dict[str, Any] | None, empty: str, name: str) -> None:
    with ui.card():
        ui.label(title).classes("font-semibold")
        if options is None:
            ui.label(empty).classes("opacity-70")
            return
        ui.echart(options, renderer=charts.RENDERER).classes(f"w-full h-80 chart-{name}").mark(
            f"{name}-chart"
        )


def _summary(report: ModelReport, manifest: dict[str, Any]) -> None:
    window = manifest.get("training_window") or {}
    weights = manifest.get("weights") or {}
    rows = [
        ("Run", report.run_id or "—"),
        ("Created", str(manifest.get("created_at", "—"))),
        ("Models and weights", ", ".join(f"{k} {v:.2f}" for k, v in weights.items()) or "—"),
        ("Training window", f"{window.get('start', '—')} to {window.get('end', '—')}"),
        ("Symbols", ", ".join(manifest.get("symbols") or []) or "—"),
        ("Lookback / horizon", f"{manifest.get('lookback')} bars / {manifest.get('horizon')} day"),
        ("Features", str(len(manifest.get("feature_names") or []))),
        ("Data fingerprint", str(manifest.get("data_fingerprint", "—"))[:16]),
        (
            "Libraries",
            ", ".join(f"{k} {v}" for k, v in (manifest.get("libraries") or {}).items()),
        ),
    ]
    with (
        ui.card().classes("w-full").mark("manifest"),
        ui.grid(columns="auto 1fr").classes("gap-x-6 gap-y-1"),
    ):
        for name, value in rows:
            ui.label(name).classes("opacity-70")
            ui.label(value)


def _metrics(metrics: dict[str, dict[str, Any]]) -> None:
    if not metrics:
        ui.label("No out-of-sample figures in this run's manifest.").classes("opacity-70")
        return
    names = [n for n in metrics if n not in BASELINES] + [n for n in BASELINES if n in metrics]
    columns = [{"name": "model", "label": "Model", "field": "model", "align": "left"}] + [
        {"name": m, "label": m, "field": m} for m in METRICS
    ]
    rows = [
        {
            "model": name + (" (baseline)" if name in BASELINES else ""),
            **{
                m: str(metrics[name].get(m)) if m == "n" else number(metrics[name].get(m))
                for m in METRICS
            },
        }
        for name in names
    ]
    ui.label(
        "Out of sample, walk-forward. Lower Brier and log loss are better; an AUC near 0.5 "
        "means no ranking skill. Compare with the baselines before trusting a model."
    ).classes("text-sm opacity-80")
    ui.table(columns=columns, rows=rows, row_key="model").classes("w-full").mark("metrics-table")
