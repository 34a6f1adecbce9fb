"""Notifications you choose (critical news never off), and `/model`'s one message that
explains the grade in words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import notify_levels
from bot.model_words import model_message
from core.agent.engine import ModelReport
from core.base.events import (
    Alert,
    DailySummary,
    ModeChanged,
    OrderFilled,
    StopTriggered,
    TradingStateChanged,
)
from core.base.settings import NOTIFY_KINDS, RuntimeSettings
from core.base.types import OrderSide, TradingMode, TradingState, TradingStatus

NOW = datetime(2024, 7, 5, tzinfo=UTC)
FILL = OrderFilled(client_order_id="c", symbol="AAA", side=OrderSide.BUY, quantity=1, price=1.0)
STOP = StopTriggered(symbol="AAA", reason="stop", price=1.0, quantity=1)
HALT = TradingStateChanged(
    status=TradingStatus(state=TradingState.HALTED, changed_by="risk", reason="x", changed_at=NOW),
    previous=TradingState.ACTIVE,
)
RECONCILIATION = Alert(
    severity="critical", message="Reconciliation failed", source="reconciliation"
)


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (FILL, "fills"),
        (STOP, "stops"),
        (HALT, "changes"),
        (ModeChanged(mode=TradingMode.AUTO, actor="x"), "changes"),
        (DailySummary(session=NOW.date(), equity=1, pnl=0, pnl_pct=0, trades=0), "summary"),
        (RECONCILIATION, "alerts"),
    ],
)
def test_every_kind_of_news_has_its_kind(event, kind: str) -> None:  # type: ignore[no-untyped-def]
    assert notify_levels.kind_of(event) == kind
    assert kind in NOTIFY_KINDS


@pytest.mark.parametrize(
    ("setting", "event", "delivery"),
    [
        ({"notify_fills": "on"}, FILL, "on"),
        ({"notify_fills": "silent"}, FILL, "silent"),
        ({"notify_fills": "off"}, FILL, None),
        ({"notify_stops": "off"}, STOP, "silent"),  # critical: off means silent
        ({"notify_changes": "off"}, HALT, "silent"),
        ({"notify_alerts": "off"}, RECONCILIATION, "silent"),
        ({"notify_alerts": "off"}, Alert(severity="info", message="m", source="model"), None),
        ({"notify_changes": "off"}, ModeChanged(mode=TradingMode.AUTO, actor="x"), None),
    ],
)
def test_off_silences_critical_news_and_drops_the_rest(setting, event, delivery) -> None:  # type: ignore[no-untyped-def]
    assert notify_levels.for_event(RuntimeSettings(**setting), event) == delivery


def test_notify_shows_every_kind_and_parses_a_change() -> None:
    text = notify_levels.levels_text(RuntimeSettings(notify_fills="silent", notify_stops="off"))
    assert "fills: silent — " in text
    assert "stops: off — stop exits (stop exits are critical news: they still arrive" in text
    for kind in NOTIFY_KINDS:
        assert f"{kind}: " in text
    assert notify_levels.parse(["FILLS", "Silent"]) == ("fills", "silent")
    with pytest.raises(ValueError, match="'trades' is not a kind of news"):
        notify_levels.parse(["trades", "off"])
    with pytest.raises(ValueError, match="'loud' is not a level"):
        notify_levels.parse(["fills", "loud"])
    with pytest.raises(ValueError, match="Usage: /notify"):
        notify_levels.parse(["fills"])


GRADE = {
    "proven": False,
    "summary": "NOT PROVEN: fails a (Brier vs base rate)",
    "criteria": {
        "a": {
            "name": "Brier vs base rate",
            "passed": False,
            "explanation": "its probabilities do not beat the base rate: Brier 0.2509 vs 0.2498",
        },
        "b": {"name": "AUC", "passed": True, "explanation": "it ranks trades better than chance"},
    },
}


def test_model_explains_the_grade_the_typical_and_the_live_record_in_one_message() -> None:
    report = ModelReport(
        run_id="run-1",
        manifest={
            "models": ["gbm", "momentum"],
            "symbols": ["AAA", "BBB"],
            "training_window": {"start": "2020-01-02", "end": "2024-06-28"},
            "grade": GRADE,
            "typical": {"base_rate": 0.54, "typical_r": 0.15, "trades": 1234},
        },
        live_accuracy=0.5,
        live_scored=120,
        live_brier=0.2512,
        live_typical_brier=0.2490,
    )
    lines = model_message(report).splitlines()
    assert lines == [
        "Model run run-1: LightGBM, momentum rule",
        "Trained on AAA, BBB, Jan 2, 2020 to Jun 28, 2024",
        "Record: NO PROVEN EDGE out of sample — every signal asks you, in every mode.",
        "✗ failed: Brier vs base rate — its probabilities do not beat the base rate: "
        "Brier 0.2509 vs 0.2498",
        "✓ passed: AUC — it ranks trades better than chance",
        "Typical (taking every trade of the plan over the training history): "
        "P(profit) 0.54, mean +0.15 R over 1,234 trades.",
        "Live record: Brier 0.2512 vs the typical's 0.2490 on 120 scored predictions "
        "(no better than the typical; lower is better).",
    ]


def test_a_proven_model_and_one_never_graded() -> None:
    proven = ModelReport("run-2", {"grade": {**GRADE, "proven": True}}, None, 0)
    assert "Record: PROVEN edge out of sample" in model_message(proven)
    assert "Live record: nothing scored yet." in model_message(proven)
    ungraded = ModelReport("run-3", {}, None, 0)
    assert "not graded" in model_message(ungraded)
