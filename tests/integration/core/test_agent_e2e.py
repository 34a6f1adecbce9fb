"""The agent end to end on the simulated market with the paper broker: every mode,
decisions through the Engine, expiry, stops, the daily loss limit, kill and resume —
each visible in storage, events and the audit log."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.agent.jobs.daily_loss import check_daily_loss
from core.base.errors import AlreadyDecided, InvalidRequest, SignalExpiredError
from core.base.events import (
    ModeChanged,
    OrderFilled,
    SignalCreated,
    SignalExpired,
    StopTriggered,
    TradingStateChanged,
)
from core.base.types import KillScope, OrderStatus, TradingMode, TradingState
from risk.daily_loss import session_of
from storage import audit, book, orders
from storage.bot_state import load_trading_status, save_session_start
from storage.models import PaperOrder, Signal
from storage.orders import PROTECT
from storage.signals import get_signal


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def actions(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {o.symbol: o.action for o in report.outcomes}


@pytest.mark.parametrize(
    ("mode", "confident", "middling"),
    [
        (TradingMode.AUTO, "executed", "executed"),
        (TradingMode.MANUAL, "ask", "ask"),
        (TradingMode.HYBRID, "executed", "ask"),
    ],
)
def test_every_mode_routes_signals(agent, events, mode, confident, middling) -> None:
    agent, predictor = agent
    engine = agent.engine
    run(engine.set_mode(mode.value, "telegram:1"))
    # Edges over the typical (0.5 for a direction model): 0.42 and 0.07, either side of
    # auto_edge 0.10 and above min_edge 0.05.
    predictor.probabilities = {"AAA": 0.92, "BBB": 0.57}
    report = run(engine.run_cycle("web:owner"))
    assert actions(report) == {"AAA": confident, "BBB": middling}
    created = {e.signal.symbol: e.asks for e in events if isinstance(e, SignalCreated)}
    assert created["AAA"] is (confident == "ask")
    assert created["BBB"] is (middling == "ask")
    if confident == "executed":
        assert any(isinstance(e, OrderFilled) and e.symbol == "AAA" for e in events)
        assert book.open_position("AAA").quantity > 0
        assert get_signal(report.outcomes[0].signal_id).status is OrderStatus.FILLED
    assert any(isinstance(e, ModeChanged) and e.mode is mode for e in events)
    assert audit.recent(action_prefix="settings.update")[0].actor == "telegram:1"


def test_approval_and_rejection_through_the_engine(agent, events) -> None:
    agent, predictor = agent
    engine = agent.engine
    run(engine.set_mode("manual", "telegram:1"))
    predictor.probabilities = {"AAA": 0.75, "BBB": 0.72}
    run(engine.run_cycle())
    pending = {s.symbol: s for s in run(engine.pending_signals())}
    assert set(pending) == {"AAA", "BBB"}

    decision = run(engine.approve(pending["AAA"].id, "telegram:1", origin="chat:1"))
    assert decision.status is OrderStatus.FILLED
    entries = PaperOrder.select().where(PaperOrder.order_type == "market")
    assert entries.count() == 1
    with pytest.raises(AlreadyDecided, match="already filled"):
        run(engine.approve(pending["AAA"].id, "web:owner"))
    assert entries.count() == 1, "a double tap never sends twice"

    rejected = run(engine.reject(pending["BBB"].id, "web:owner"))
    assert rejected.status is OrderStatus.REJECTED
    assert entries.count() == 1
    trail = [(e.actor, e.action) for e in audit.recent(action_prefix="signal.")]
    assert ("telegram:1", "signal.approved") in trail
    assert ("web:owner", "signal.rejected") in trail
    assert audit.recent(action_prefix="signal.approved")[0].origin == "chat:1"


def test_a_waiting_signal_expires(agent, clock, events) -> None:
    agent, predictor = agent
    engine = agent.engine
    run(engine.set_mode("manual", "system"))
    predictor.probabilities = {"AAA": 0.75}
    run(engine.run_cycle())
    [signal] = run(engine.pending_signals())
    clock.advance(timedelta(minutes=16))  # past the 15-minute TTL (and the close)
    assert agent.session.expire() == 1
    assert get_signal(signal.id).status is OrderStatus.EXPIRED
    assert any(isinstance(e, SignalExpired) for e in events)
    with pytest.raises(SignalExpiredError):
        run(engine.approve(signal.id, "telegram:1"))


def working_stops(symbol: str) -> list:
    return orders.working(symbol=symbol, purpose=PROTECT)


def test_an_entry_is_protected_at_the_broker_and_its_stop_exits(agent, events) -> None:
    agent, predictor = agent
    run(agent.engine.set_mode("auto", "system"))
    predictor.probabilities = {"AAA": 0.95}
    report = run(agent.engine.run_cycle())
    signal = get_signal(report.outcomes[0].signal_id)
    position = book.open_position("AAA")
    [stop] = working_stops("AAA")
    # The planned risk per share, kept from the actual fill, rounded up to the cent.
    planned = position.avg_entry_price - (signal.price - signal.stop_price)
    assert stop.stop_price == pytest.approx(planned, abs=0.01)
    assert stop.stop_price >= planned
    assert stop.quantity == position.quantity
    assert stop.time_in_force == "gtc"
    resting = PaperOrder.get(PaperOrder.client_order_id == stop.client_order_id)
    assert (resting.order_type, resting.status) == ("stop", "submitted")

    agent.services.data.shocks["AAA"] = stop.stop_price * 0.97  # the price falls through it
    agent.session.on_watch()
    assert book.open_position("AAA") is None
    closed = book.last_position("AAA")
    assert closed.exit_reason == "stop"
    assert any(isinstance(e, StopTriggered) and e.symbol == "AAA" for e in events)
    assert working_stops("AAA") == []


def test_daily_loss_halts_trading(agent, events) -> None:
    agent, predictor = agent
    equity = agent.services.broker.get_account().equity
    save_session_start(session_of(agent.services.clock.now()).isoformat(), equity / 0.94)
    check_daily_loss(agent.services)
    status = load_trading_status()
    assert status.state is TradingState.HALTED
    assert status.changed_by == "risk"
    assert any(isinstance(e, TradingStateChanged) for e in events)
    assert audit.recent(action_prefix="trading_state")[0].actor == "risk"
    predictor.probabilities = {"AAA": 0.95}
    run(agent.engine.set_mode("auto", "system"))
    report = run(agent.engine.run_cycle())
    assert actions(report)["AAA"] == "refused"
    assert "HALTED" in report.outcomes[0].detail


def test_kill_both_scopes_and_resume(agent, events) -> None:
    agent, predictor = agent
    engine = agent.engine
    run(engine.set_mode("auto", "system"))
    predictor.probabilities = {"AAA": 0.95, "BBB": 0.95}
    run(engine.run_cycle())
    assert len(book.open_positions()) == 2

    status = run(engine.kill("stop", "telegram:1"))
    assert status.state is TradingState.HALTED
    assert len(book.open_positions()) == 2, "stop keeps positions"
    assert len(working_stops("AAA")) == len(working_stops("BBB")) == 1, "and their stops"
    status = run(engine.kill(KillScope.FLATTEN, "telegram:1"))
    assert book.open_positions() == []
    assert run(engine.positions()) == []
    assert orders.working() == [], "flatten cancels the stops, then closes"
    resumed = run(engine.resume("web:owner"))
    assert resumed.state is TradingState.ACTIVE
    changes = [
        (e.status.state, e.status.changed_by) for e in events if isinstance(e, TradingStateChanged)
    ]
    assert changes == [
        (TradingState.HALTED, "telegram:1"),
        (TradingState.HALTED, "telegram:1"),
        (TradingState.ACTIVE, "web:owner"),
    ]
    assert [e.details["to"] for e in reversed(audit.recent(action_prefix="trading_state"))] == [
        "halted",
        "halted",
        "active",
    ]
    with pytest.raises(InvalidRequest, match="use stop or flatten"):
        run(engine.kill("everything", "telegram:1"))


def test_settings_are_validated_persisted_and_applied_live(agent) -> None:
    agent, _ = agent
    engine = agent.engine
    with pytest.raises(
        InvalidRequest, match=r"risk_per_trade = 0\.5: Input should be less than or equal to 0\.05"
    ):
        run(engine.update_settings({"risk_per_trade": 0.5}, "telegram:1"))
    updated = run(engine.update_settings({"risk_per_trade": "0.01", "symbols": "AAA"}, "web:o"))
    assert updated.risk_per_trade == 0.01
    assert engine.settings().symbols == ("AAA",)
    status = run(engine.status())
    assert status.mode is TradingMode.HYBRID
    assert status.broker == "paper"
    assert status.pending_signals == 0
    assert Signal.select().count() == 0


@pytest.mark.parametrize("mode", [TradingMode.AUTO, TradingMode.HYBRID])
def test_a_model_without_a_proven_edge_asks_in_every_mode(agent, events, mode) -> None:
    """Earned autonomy: AUTO and HYBRID execute alone only for a model graded proven;
    until then every signal waits for the owner, and the mode change says why."""
    agent, predictor = agent
    engine = agent.engine
    agent.services.models.manifest = {"grade": {"proven": False, "summary": "no edge"}}
    run(engine.set_mode(mode.value, "telegram:1"))
    [changed] = [e for e in events if isinstance(e, ModeChanged)]
    assert changed.caveat is not None
    assert "no proven edge" in changed.caveat
    assert engine.mode_caveat() == changed.caveat
    predictor.probabilities = {"AAA": 0.92, "BBB": 0.57}
    report = run(engine.run_cycle())
    assert actions(report) == {"AAA": "ask", "BBB": "ask"}
    assert not PaperOrder.select().where(PaperOrder.order_type == "market").exists()
    assert {e.signal.symbol for e in events if isinstance(e, SignalCreated) and e.asks} == {
        "AAA",
        "BBB",
    }


def test_a_proven_model_has_no_caveat_and_manual_never_has_one(agent) -> None:
    agent, _ = agent
    assert agent.engine.mode_caveat(TradingMode.AUTO) is None
    agent.services.models.manifest = {}
    assert agent.engine.mode_caveat(TradingMode.MANUAL) is None
    assert agent.engine.mode_caveat(TradingMode.HYBRID) is not None
