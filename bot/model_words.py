"""What the model claims, against the honest baseline, in the words the owner reads
(issue 16): a signal's "P(profit) 0.58 (typical 0.54) · expected +0.15 R = +$30
(typical +0.15 R) · model record: no proven edge", and `/model`'s one message that
explains the grade criterion by criterion.

"Typical" is what taking every trade of the same plan gave over the model's training
history: a probability means something only by how far it beats that. Nothing here says
"confidence": a model of daily stock trades is rarely far from its typical, and a bare
"0.80 confident" promised what none can deliver.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from core.agent.engine import ModelReport
from core.base import explain
from core.base.types import ModelPrediction, SignalType, TradingSignal

EVEN_ODDS = 0.5
"""The typical of a direction prediction (and of a plan one from a run without one)."""


def typical_probability(prediction: ModelPrediction) -> float:
    """What the probability must beat: the plan's base rate, or even odds."""
    if prediction.target == "plan" and prediction.base_rate is not None:
        return prediction.base_rate
    return EVEN_ODDS


def record_words(proven: bool | None) -> str:
    if proven is None:
        return "model record: unknown"
    return "model record: proven edge" if proven else "model record: no proven edge"


def profit_line(signal: TradingSignal, proven: bool | None) -> str:
    """`P(profit) 0.58 (typical 0.54) · expected +0.15 R = +$30 (typical +0.15 R) ·
    model record: no proven edge`. The dollars are the expected R times the trade's
    planned risk (what the stop would lose)."""
    parts = [f"{explain.claim_label(signal)} {signal.confidence:.2f}"]
    prediction = signal.prediction
    if prediction is not None:
        typical = typical_probability(prediction)
        if signal.signal_type is SignalType.SELL and prediction.target != "plan":
            typical = 1.0 - typical
        parts[0] += f" (typical {typical:.2f})"
        if (expected := explain.expected_words(prediction, signal.risk_amount)) is not None:
            parts.append(expected)
    parts.append(record_words(proven))
    return " · ".join(parts)


# -- /model ---------------------------------------------------------------------------


def _criteria(grade: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The grade's criteria in order, whether stored as {"a": {...}} or a list."""
    raw = grade.get("criteria") or []
    if isinstance(raw, Mapping):
        return [{"key": key, **value} for key, value in sorted(raw.items())]
    return [c for c in raw if isinstance(c, Mapping)]


def grade_lines(manifest: Mapping[str, Any]) -> list[str]:
    """Proven or not, what that means for the modes, then each criterion in words."""
    grade = manifest.get("grade")
    if not isinstance(grade, Mapping):
        return ["Record: not graded — treated as no proven edge: every signal asks you."]
    if grade.get("proven"):
        lines = ["Record: PROVEN edge out of sample — auto and hybrid may trade without asking."]
    else:
        lines = ["Record: NO PROVEN EDGE out of sample — every signal asks you, in every mode."]
    for criterion in _criteria(grade):
        mark = "✓ passed" if criterion.get("passed") else "✗ failed"
        name = str(criterion.get("name") or criterion.get("key") or "criterion")
        why = str(criterion.get("explanation") or criterion.get("threshold") or "")
        lines.append(f"{mark}: {name} — {why}" if why else f"{mark}: {name}")
    return lines


def typical_lines(manifest: Mapping[str, Any]) -> list[str]:
    typical = manifest.get("typical")
    if not isinstance(typical, Mapping) or typical.get("base_rate") is None:
        return ["Typical: not recorded for this run (probabilities are read against 0.50)."]
    line = (
        "Typical (taking every trade of the plan over the training history): "
        f"P(profit) {float(typical['base_rate']):.2f}"
    )
    if typical.get("typical_r") is not None:
        line += f", mean {float(typical['typical_r']):+.2f} R"
    if typical.get("trades"):
        line += f" over {int(typical['trades']):,} trades"
    return [line + "."]


def live_line(report: ModelReport) -> str:
    if report.live_brier is None or report.live_typical_brier is None:
        return "Live record: nothing scored yet."
    better = report.live_brier < report.live_typical_brier
    verdict = "better than" if better else "no better than"
    return (
        f"Live record: Brier {report.live_brier:.4f} vs the typical's "
        f"{report.live_typical_brier:.4f} on {report.live_scored:,} scored predictions "
        f"({verdict} the typical; lower is better)."
    )


def _day(value: object) -> str:
    try:
        return explain.day(date.fromisoformat(str(value)))
    except ValueError:
        return "?"


def model_message(report: ModelReport) -> str:
    """`/model`: the whole verdict in one message."""
    if report.run_id is None:
        return "No model yet: train one with `stockbot train`."
    manifest = report.manifest
    window = manifest.get("training_window") or {}
    names = ", ".join(explain.model_name(m) for m in manifest.get("models", [])) or "?"
    lines = [
        f"Model run {report.run_id}: {names}",
        f"Trained on {', '.join(manifest.get('symbols', [])) or '?'}, "
        f"{_day(window.get('start'))} to {_day(window.get('end'))}",
        *grade_lines(manifest),
        *typical_lines(manifest),
        live_line(report),
    ]
    return "\n".join(lines)
