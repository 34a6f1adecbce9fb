"""One trading cycle: predictions → signals → sizing and the pre-trade gate → routing by
mode → persistence → events. The same code runs live, in the demo and in backtests;
only the predictor and the clock differ.

The runtime settings are read once per cycle and passed down as one snapshot, so a
`/set` that lands mid-cycle applies to the next cycle, never to half of this one.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from core.agent.approval import Decision, approve
from core.agent.gate import GateView, check_trade, read_gate_view, sell_quantity
from core.agent.predictor import Predictor
from core.agent.services import Services
from core.agent.signal_policy import (
    Route,
    edge,
    expiry,
    generate_signal,
    route_signal,
    signal_id,
)
from core.base.events import CycleFinished, DataProblemRaised, SignalCreated
from core.base.settings import RuntimeSettings
from core.base.types import ModelPrediction, OrderSide, SignalType, TradingSignal
from ml.registry import is_proven
from risk.sizing import size_long
from risk.stops import StopError, initial_stop

log = logging.getLogger(__name__)


class CycleAction(StrEnum):
    """What the cycle did with one symbol."""

    HOLD = "hold"
    REFUSED = "refused"
    """The pre-trade gate (or sizing) said no; stored REJECTED with the reasons."""
    ASK = "ask"
    """Waiting for a person."""
    EXECUTED = "executed"
    PROBLEM = "problem"
    """Bad or missing data: no signal."""


@dataclass
class SymbolOutcome:
    symbol: str
    probability_up: float | None
    action: CycleAction
    detail: str = ""
    signal_id: str | None = None


@dataclass
class CycleReport:
    at: datetime
    outcomes: list[SymbolOutcome] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    duration_ms: float = 0.0

    def count(self, action: CycleAction | str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)


def _session_close(services: Services, now: datetime) -> datetime | None:
    session = services.calendar.session_of(now)
    return services.calendar.session_close(session) if session else None


def run_cycle(
    services: Services, predictor: Predictor, runtime: RuntimeSettings | None = None
) -> CycleReport:
    began = time.perf_counter()
    now = services.clock.now()
    runtime = runtime or services.runtime.get()
    report = CycleReport(at=now)
    # Reasons are worth computing only where a signal may follow.
    batch = predictor.predict(runtime.symbols, now, explain_edge=runtime.min_edge)
    for problem in batch.problems:
        if problem.blocking:
            services.bus.publish(DataProblemRaised(symbol=problem.symbol, detail=str(problem)))
            report.outcomes.append(
                SymbolOutcome(problem.symbol, None, CycleAction.PROBLEM, str(problem))
            )
    services.store.predictions.save_predictions(batch.predictions, now=now)
    if batch.predictions:
        quotes = services.data.latest_prices([p.symbol for p in batch.predictions])
        view = read_gate_view(services, runtime, now, quotes)
        close = _session_close(services, now)
        proven = is_proven(services.models.manifest)
        for prediction in batch.predictions:
            outcome = _decide(
                services,
                view,
                prediction,
                quotes.get(prediction.symbol),
                batch.atr.get(prediction.symbol, math.nan),
                close,
                report,
                proven=proven,
            )
            report.outcomes.append(outcome)
    report.duration_ms = (time.perf_counter() - began) * 1000
    services.bus.publish(
        CycleFinished(
            symbols=len(runtime.symbols),
            signals=report.count(CycleAction.ASK) + report.count(CycleAction.EXECUTED),
            problems=report.count(CycleAction.PROBLEM),
            duration_ms=report.duration_ms,
        )
    )
    return report


def _size_buy(
    services: Services, view: GateView, quote: float, atr: float
) -> tuple[float | None, int, float, list[str]]:
    """(stop, shares, dollars at risk, reasons it cannot be bought)."""
    try:
        stop = initial_stop(
            quote, atr if math.isfinite(atr) else None, services.settings.trading.stops
        )
    except StopError as error:
        return None, 0, 0.0, [str(error)]
    size = size_long(
        equity=view.account.equity,
        entry=quote,
        stop=stop,
        buying_power=view.account.buying_power,
        rules=view.runtime,
    )
    return stop, size.shares, size.risk_amount, [size.reason] if size.reason else []


def _decide(
    services: Services,
    view: GateView,
    prediction: ModelPrediction,
    quote: float | None,
    atr: float,
    close: datetime | None,
    report: CycleReport,
    *,
    proven: bool,
) -> SymbolOutcome:
    runtime = view.runtime
    symbol = prediction.symbol
    p = prediction.probability_up
    signal_type = generate_signal(prediction, sell_quantity(view, symbol), runtime)
    if signal_type is SignalType.HOLD:
        return SymbolOutcome(symbol, p, CycleAction.HOLD, f"edge {edge(prediction):+.3f}")
    route = route_signal(runtime.mode, prediction, runtime, proven=proven)
    if quote is None:
        return SymbolOutcome(symbol, p, CycleAction.REFUSED, "no latest price")

    stop: float | None = None
    risk_amount = 0.0
    reasons: list[str] = []
    if signal_type is SignalType.BUY:
        stop, shares, risk_amount, reasons = _size_buy(services, view, quote, atr)
        quantity: float = shares
        side = OrderSide.BUY
    else:
        quantity = sell_quantity(view, symbol)
        side = OrderSide.SELL
    if quantity > 0:
        # A signal that asks a person is not refused for the market being closed: the
        # person chooses to send it at the open or in extended hours, and the approval
        # re-checks it then. One that would execute by itself is.
        gate_view = replace(view, market_open=True) if route is Route.ASK else view
        reasons.extend(
            check_trade(
                gate_view,
                symbol=symbol,
                side=side,
                quantity=quantity,
                price=quote,
                stop_price=stop,
                quote=quote,
            )
        )

    signal = TradingSignal(
        id=signal_id(symbol, prediction.timestamp, view.now),
        symbol=symbol,
        signal_type=signal_type,
        # The probability of what the signal claims: P(profit) or P(up) for a buy,
        # P(down) for a sell.
        confidence=p if signal_type is SignalType.BUY else 1.0 - p,
        price=quote,
        quantity=max(int(quantity), 0),
        stop_price=stop,
        risk_amount=risk_amount,
        mode=runtime.mode,
        created_at=view.now,
        expires_at=expiry(view.now, runtime.signal_ttl_minutes, close),
        reasons=tuple(
            f"{f.name}={f.value:.3g} ({f.contribution:+.3f})" for f in prediction.top_features
        ),
        prediction=prediction,
    )
    if reasons:
        # Refused before anyone is bothered: kept in the history with its reasons.
        services.store.signals.save_refused(signal, reasons, actor="risk", now=view.now)
        return SymbolOutcome(symbol, p, CycleAction.REFUSED, "; ".join(reasons), signal.id)
    services.store.signals.save_signal(signal)
    services.bus.publish(SignalCreated(signal=signal, asks=route is Route.ASK))
    if route is Route.ASK:
        return SymbolOutcome(
            symbol,
            p,
            CycleAction.ASK,
            f"waiting for approval until {signal.expires_at:%H:%M} UTC",
            signal.id,
        )
    decision = approve(services, signal.id, "auto", runtime=runtime)
    report.decisions.append(decision)
    return SymbolOutcome(symbol, p, CycleAction.EXECUTED, decision.message, signal.id)
