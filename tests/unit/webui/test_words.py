"""The page's vocabulary: audit rows as sentences, who and where in words, the trading
state without a 1970 date — no JSON and no `snake_case` reaches the Audit page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from core.base import explain
from core.base.types import TradingState, TradingStatus
from webui import words

NEW_YORK = explain.zone("America/New_York")
SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")

# Every action the agent records today (grep `audit.record` and `engine.audit`), with
# details shaped as they are stored.
ACTIONS = [
    ("signal.approved", {"signal_id": "NVDA-1", "from": "pending"}, "Approved signal NVDA-1"),
    ("signal.expired", {"signal_id": "NVDA-1", "from": "pending"}, "Nobody decided in time on"),
    (
        "signal.refused",
        {"signal_id": "NVDA-1", "reasons": ["5 positions are open; the limit is 5"]},
        "Risk checks refused signal NVDA-1: 5 positions are open; the limit is 5",
    ),
    (
        "signal.modified",
        {"signal_id": "NVDA-1", "quantity": 19, "limit_price": 67.5},
        "Changed signal NVDA-1 before sending it: quantity 19; limit price 67.5",
    ),
    (
        "settings.update",
        {"risk_per_trade": {"old": 0.02, "new": 0.01}, "mode": {"old": None, "new": "manual"}},
        "Changed risk per trade 0.02 → 0.01; mode → manual",
    ),
    ("settings.reset", {"keys": ["risk_per_trade"]}, "Reset to the defaults: risk per trade"),
    (
        "trading_state.change",
        {"from": "active", "to": "halted", "reason": "kill: stop"},
        "Trading active → halted: kill: stop",
    ),
    ("order.cancelled", {"signal_id": "NVDA-1"}, "Cancelled the order of signal NVDA-1"),
    (
        "model.retrain",
        {"run_id": "r2", "new_log_loss": 0.6812, "current_log_loss": 0.69, "promoted": True},
        "Retrained model r2: out-of-sample log loss 0.6812 against 0.69; now trading with it",
    ),
    ("cycle.run", {}, "Ran a cycle now"),
    (
        "backtest.start",
        {"run_id": "b1", "symbols": ["SPY", "AAPL"], "start": "2024-01-02", "end": "2024-03-28"},
        "Started backtest b1: SPY, AAPL, 2024-01-02 to 2024-03-28",
    ),
    ("web.login", {}, "Logged in to the web page"),
    ("web.login_refused", {}, "Wrong password on the web page"),
    (
        "telegram.refused",
        {"why": "user 666 is not allowed", "text": "/status", "attempts": 3},
        "Refused on Telegram (user 666 is not allowed), 3 attempts: '/status'",
    ),
    ("telegram.forged_callback", {"data": "a|x|sig"}, "forged signature"),
    (
        "refused",
        {"action": "approve", "why": "viewers may not change anything"},
        "Refused approve: viewers may not change anything",
    ),
]


@pytest.mark.parametrize(("action", "details", "expected"), ACTIONS)
def test_every_audit_action_reads_as_a_sentence(
    action: str, details: dict[str, object], expected: str
) -> None:
    sentence = words.audit_sentence(action, details)
    assert expected in sentence
    assert "{" not in sentence  # no JSON
    assert '"' not in sentence
    assert not SNAKE.search(sentence), sentence


def test_an_unknown_action_still_reads_as_words() -> None:
    sentence = words.audit_sentence("broker.keys_rotated", {"old_key": "…1234", "ok": True})
    assert sentence == "Broker keys rotated: old key …1234; ok yes"


@pytest.mark.parametrize(
    ("actor", "shown"),
    [
        ("web:owner", "you (web page)"),
        ("telegram:42", "Telegram user 42"),
        ("auto", "the agent (auto mode)"),
        ("risk", "risk checks"),
        ("system", "the agent"),
        ("some_new_actor", "some new actor"),
    ],
)
def test_who_did_it_in_words(actor: str, shown: str) -> None:
    assert words.actor(actor) == shown


def test_where_from_in_words() -> None:
    assert words.origin("web:127.0.0.1") == "web page at 127.0.0.1"
    assert words.origin("chat:42") == "Telegram chat 42"
    assert words.origin(None) == "—"


def test_a_trading_state_never_changed_shows_no_1970_date() -> None:
    never = TradingStatus(
        state=TradingState.ACTIVE,
        changed_by="system",
        reason="initial state",
        changed_at=datetime(1970, 1, 1, tzinfo=UTC),
    )
    sentence = words.trading_sentence(never, NEW_YORK)
    assert "1970" not in sentence
    assert "1969" not in sentence  # the epoch in New York
    assert sentence == "Trading ACTIVE: never stopped since the start."
    halted = never.model_copy(
        update={
            "state": TradingState.HALTED,
            "changed_by": "web:owner",
            "reason": "kill: stop",
            "changed_at": datetime(2025, 12, 26, 20, 45, tzinfo=UTC),
        }
    )
    assert words.trading_sentence(halted, NEW_YORK) == (
        "Trading HALTED since Dec 26, 2025, 3:45 PM EST, set by you (web page): kill: stop."
    )


def test_what_a_model_predicts_in_words() -> None:
    assert words.target({"target": "plan", "horizon": 20}) == (
        "the chance that the plan's trade ends in profit (held up to 20 sessions)"
    )
    assert words.target({"target": "direction", "horizon": 1}) == (
        "the chance that the price is higher 1 session later"
    )
    typical = {"typical": {"base_rate": 0.586, "typical_r": 1.4176, "trades": 3376}}
    assert words.typical_trade(typical) == (
        "59% of all the plan's trades ended in profit, +1.42R on average "
        "(3,376 trades in the training history)"
    )
    assert words.typical_trade({}) is None


def test_a_viewer_is_named_as_one() -> None:
    assert words.actor("web:viewer") == "a viewer (web page)"


TYPICAL = {"typical": {"base_rate": 0.54}, "grade": {"proven": False}}


def test_the_edges_are_explained_against_the_models_typical() -> None:
    assert words.edge_note("min_edge", 0.05, TYPICAL) == (
        "A signal needs P(profit) at least 0.05 above the typical: 0.59 or more against this "
        "model's typical 0.54. The model's own selection bar applies too."
    )
    assert words.edge_note("auto_edge", 0.1, TYPICAL) == (
        "In hybrid mode a signal 0.10 or more above the typical executes without asking "
        "(P(profit) 0.64 or more); this model has no proven edge, so every signal asks you "
        "for now."
    )
    proven = {"grade": {"proven": True}}  # and no typical: an older run
    assert words.edge_note("auto_edge", 0.1, proven) == (
        "In hybrid mode a signal 0.10 or more above the typical executes without asking."
    )


def test_a_grades_tests_read_in_order_whichever_way_they_are_stored() -> None:
    by_letter = {
        "grade": {
            "proven": False,
            "criteria": {
                "b": {"name": "AUC", "passed": False, "explanation": "no better than chance"},
                "a": {"name": "Brier", "passed": True, "explanation": "beats", "threshold": "> 0"},
            },
        }
    }
    tests = words.grade_tests(by_letter)
    assert [(t.key, t.name, t.passed, t.needs) for t in tests] == [
        ("a", "Brier", True, "> 0"),
        ("b", "AUC", False, ""),
    ]
    as_list = {"grade": {"criteria": [{"key": "a", "name": "Brier", "passed": True}]}}
    assert [t.key for t in words.grade_tests(as_list)] == ["a"]
    assert words.grade_headline(by_letter).startswith("No proven edge: it fails 1 of 2 tests")
    assert words.grade_headline({}) == "Not graded: every signal asks you."
    assert words.grade_headline({"grade": {"proven": True}}).startswith("Proven: ")


def test_the_live_record_is_compared_with_the_typical() -> None:
    assert words.live_record(0.2401, 0.2480, 12) == (
        "Live, 12 predictions scored: Brier 0.2401 against 0.2480 for the typical alone "
        "(lower is better): better than the typical so far."
    )
    assert "no better than the typical" in words.live_record(0.26, 0.25, 3)
    assert words.live_record(None, None, 0).startswith("No live prediction")
