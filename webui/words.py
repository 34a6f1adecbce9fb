"""The page's vocabulary: who did something, from where, what an audit row means, what a
model or a metric is called — sentences and labels instead of `snake_case` and JSON.
Plain text; anything not known here still reads as words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from core.base.explain import chance, never_set, plural, when
from core.base.types import TradingStatus

_SIGNAL_STATUS_VERBS = {
    "approved": "Approved",
    "rejected": "Rejected",
    "expired": "Nobody decided in time on",
    "submitted": "Sent the order for",
    "filled": "Filled",
    "partially_filled": "Partly filled",
    "cancelled": "Cancelled",
    "failed": "Could not send the order for",
    "pending": "Put back to waiting",
}


def words(name: str) -> str:
    """`trading_state.change` → `trading state change`: the last resort for a name."""
    return re.sub(r"[_.]+", " ", name).strip()


def actor(who: str) -> str:
    """`web:owner` → `you (web page)`; `web:viewer` → `a viewer (web page)`;
    `telegram:42` → `Telegram user 42`."""
    kind, _, rest = who.partition(":")
    if who == "web:owner":
        return "you (web page)"
    if who == "web:viewer":
        return "a viewer (web page)"
    if kind == "telegram":
        return f"Telegram user {rest}" if rest and rest != "unknown" else "Telegram"
    if kind == "web":
        return f"web page ({rest})" if rest else "web page"
    return {
        "auto": "the agent (auto mode)",
        "risk": "risk checks",
        "system": "the agent",
    }.get(who, words(who))


def origin(where: str | None) -> str:
    """`web:127.0.0.1` → `web page at 127.0.0.1`; `chat:42` → `Telegram chat 42`."""
    if not where:
        return "—"
    kind, _, rest = where.partition(":")
    if kind == "web":
        return f"web page at {rest}" if rest else "web page"
    if kind == "chat":
        return f"Telegram chat {rest}"
    return words(where)


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) or "none"
    if isinstance(value, Mapping):
        return "; ".join(f"{words(str(k))} {_value(v)}" for k, v in value.items())
    return str(value)


def _pairs(details: Mapping[str, Any], skip: tuple[str, ...] = ()) -> str:
    return "; ".join(f"{words(k)} {_value(v)}" for k, v in details.items() if k not in skip)


def _settings_changes(details: Mapping[str, Any]) -> str:
    parts = []
    for key, change in details.items():
        if isinstance(change, Mapping) and "new" in change:
            # No old value: the setting had no override yet (its default applied).
            old = change.get("old")
            was = f" {_value(old)}" if old is not None else ""
            parts.append(f"{words(key)}{was} → {_value(change['new'])}")
        else:
            parts.append(f"{words(key)} {_value(change)}")
    return "Changed " + ("; ".join(parts) or "nothing")


def audit_sentence(action: str, details: Mapping[str, Any]) -> str:
    """What an audit row says, as a sentence a person reads."""
    d = dict(details)
    signal = d.get("signal_id")
    kind, _, verb = action.partition(".")
    if kind == "signal" and verb in _SIGNAL_STATUS_VERBS:
        return f"{_SIGNAL_STATUS_VERBS[verb]} signal {signal}"
    if action == "signal.refused":
        why = "; ".join(str(r) for r in d.get("reasons") or []) or "no reason given"
        return f"Risk checks refused signal {signal}: {why}"
    if action == "signal.modified":
        rest = _pairs(d, skip=("signal_id",))
        return f"Changed signal {signal} before sending it" + (f": {rest}" if rest else "")
    if action == "settings.update":
        return _settings_changes(d)
    if action == "settings.reset":
        keys = ", ".join(words(str(k)) for k in d.get("keys") or []) or "nothing"
        return f"Reset to the defaults: {keys}"
    if action == "trading_state.change":
        sentence = f"Trading {d.get('from', '?')} → {d.get('to', '?')}"
        return sentence + (f": {d['reason']}" if d.get("reason") else "")
    if action == "order.cancelled":
        return f"Cancelled the order of signal {signal} before the open"
    if action == "model.retrain":
        verdict = "now trading with it" if d.get("promoted") else "kept the current model"
        return (
            f"Retrained model {d.get('run_id', '?')}: out-of-sample log loss "
            f"{_value(d.get('new_log_loss'))} against {_value(d.get('current_log_loss'))}; "
            f"{verdict}"
        )
    if action == "cycle.run":
        return "Ran a cycle now"
    if action == "backtest.start":
        symbols = _value(d.get("symbols"))
        return (
            f"Started backtest {d.get('run_id', '?')}: {symbols}, "
            f"{d.get('start', '?')} to {d.get('end', '?')}"
        )
    if action == "web.login":
        return "Logged in to the web page"
    if action == "web.login_refused":
        return "Wrong password on the web page"
    if action == "telegram.refused":
        attempts = int(d.get("attempts") or 1)
        said = d.get("text") or d.get("callback")
        return (
            f"Refused on Telegram ({d.get('why', 'not allowed')}), "
            f"{plural(attempts, 'attempt')}" + (f": {said!r}" if said else "")
        )
    if action == "telegram.forged_callback":
        return "Refused a Telegram button press with a forged signature"
    if action == "refused":
        return f"Refused {words(str(d.get('action', 'a change')))}: {d.get('why', 'not allowed')}"
    rest = _pairs(d)
    return words(action).capitalize() + (f": {rest}" if rest else "")


# -- the Models page ------------------------------------------------------------------

METRIC_LABELS = {
    "accuracy": "Accuracy",
    "auc": "AUC",
    "brier": "Brier score",
    "log_loss": "Log loss",
    "ece": "Calibration error",
    "n": "Samples",
}


def target(manifest: Mapping[str, Any]) -> str:
    """What the model predicts, in words."""
    horizon = manifest.get("horizon")
    sessions = plural(int(horizon), "session") if isinstance(horizon, int) else "the horizon"
    if manifest.get("target") == "plan":
        return f"the chance that the plan's trade ends in profit (held up to {sessions})"
    if manifest.get("target") == "direction":
        return f"the chance that the price is higher {sessions} later"
    return f"the chance that the price is higher {sessions} later (an older run)"


def typical_trade(manifest: Mapping[str, Any]) -> str | None:
    typical = manifest.get("typical") or {}
    if not isinstance(typical, Mapping) or typical.get("base_rate") is None:
        return None
    text = f"{chance(typical['base_rate'])} of all the plan's trades ended in profit"
    if typical.get("typical_r") is not None:
        text += f", {typical['typical_r']:+.2f}R on average"
    if typical.get("trades"):
        text += f" ({typical['trades']:,} trades in the training history)"
    return text


def _typical(manifest: Mapping[str, Any]) -> float | None:
    typical = manifest.get("typical") or {}
    rate = typical.get("base_rate") if isinstance(typical, Mapping) else None
    return float(rate) if isinstance(rate, int | float) else None


def proven(manifest: Mapping[str, Any]) -> bool:
    """Whether the run's grade says it earned autonomy (an ungraded run has not)."""
    grade = manifest.get("grade") or {}
    return bool(isinstance(grade, Mapping) and grade.get("proven"))


def edge_note(name: str, edge: float, manifest: Mapping[str, Any]) -> str:
    """What `min_edge` or `auto_edge` means with the trading model's own typical:
    "A signal needs P(profit) at least 0.05 above the typical: 0.59 or more against this
    model's typical 0.54." An edge is in probability points, never a bare probability."""
    typical = _typical(manifest)
    if name == "min_edge":
        text = f"A signal needs P(profit) at least {edge:.2f} above the typical"
        if typical is not None:
            text += f": {typical + edge:.2f} or more against this model's typical {typical:.2f}"
        return text + ". The model's own selection bar applies too."
    text = f"In hybrid mode a signal {edge:.2f} or more above the typical executes without asking"
    if typical is not None:
        text += f" (P(profit) {typical + edge:.2f} or more)"
    if not proven(manifest):
        return text + "; this model has no proven edge, so every signal asks you for now."
    return text + "."


@dataclass(frozen=True)
class Test:
    """One criterion of a model's grade, as the Models page shows it."""

    key: str
    name: str
    passed: bool
    explanation: str
    needs: str


def grade_tests(manifest: Mapping[str, Any]) -> list[Test]:
    """The grade's criteria in order (stored by letter; a list with keys is read too)."""
    grade = manifest.get("grade") or {}
    criteria = grade.get("criteria") if isinstance(grade, Mapping) else None
    if isinstance(criteria, Mapping):
        items = [(str(k), v) for k, v in criteria.items()]
    elif isinstance(criteria, list):
        items = [(str(c.get("key", "")), c) for c in criteria if isinstance(c, Mapping)]
    else:
        items = []
    return [
        Test(
            key=key,
            name=str(c.get("name") or words(key)),
            passed=bool(c.get("passed")),
            explanation=str(c.get("explanation") or ""),
            needs=str(c.get("threshold") or ""),
        )
        for key, c in sorted(items)
        if isinstance(c, Mapping)
    ]


def grade_headline(manifest: Mapping[str, Any]) -> str:
    """Whether the model acts alone, and why, in one sentence."""
    if proven(manifest):
        return (
            "Proven: out of sample it beat taking every trade of the plan on every test, "
            "so auto and hybrid may act without asking."
        )
    tests = grade_tests(manifest)
    if not tests:
        return "Not graded: every signal asks you."
    failed = sum(not t.passed for t in tests)
    return (
        f"No proven edge: it fails {failed} of {len(tests)} tests against taking every "
        "trade of the plan, so every signal asks you."
    )


def live_record(brier: float | None, typical_brier: float | None, scored: int) -> str:
    """How the live predictions scored against the typical (lower Brier is better)."""
    if brier is None or not scored:
        return "No live prediction has been scored yet (outcomes arrive after the trade's horizon)."
    text = f"Live, {plural(scored, 'prediction')} scored: Brier {brier:.4f}"
    if typical_brier is None:
        return text + " (lower is better)."
    verdict = "better than" if brier < typical_brier else "no better than"
    return (
        f"{text} against {typical_brier:.4f} for the typical alone (lower is better): "
        f"{verdict} the typical so far."
    )


# -- the trading state ----------------------------------------------------------------


def trading_sentence(status: TradingStatus, tz: ZoneInfo) -> str:
    """`Trading HALTED since Dec 26, 2025, 3:45 PM EST by you (web page): kill stop.`;
    a state never changed says so instead of showing the epoch it carries."""
    state = status.state.value.upper()
    if never_set(status.changed_at):
        return f"Trading {state}: never stopped since the start."
    reason = f": {status.reason}" if status.reason else ""
    return (
        f"Trading {state} since {when(status.changed_at, tz)}, set by "
        f"{actor(status.changed_by)}{reason}."
    )
