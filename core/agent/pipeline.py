"""One trading cycle: predictions → signals → sizing and pre-trade checks → routing by
mode → persistence → events. The same code runs live, in the demo and in backtests;
only the predictor and the clock differ.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime

from core.agent.account import account_view
from core.agent.approval import Decision, approve
from core.base.events import CycleFinished, DataProblemRaised, SignalCreated
from core.agent.predictor import Predictor
from core.agent.services import Services
from core.agent.signal_policy import Route, expiry, generate_signal, route_signal, signal_id
from core.base.types import (
    ModelPrediction,
    OrderSide,
    OrderStatus,
    SignalType,
    TradingSignal,
    TradingState,
)
from risk.checks import AccountView, MarketView, TradeRequest, validate_trade
from risk.sizing import size_long
from risk.stops import StopError, initial_stop
from storage import audit
from storage.bot_state import load_trading_status
from storage.predictions import save_predictions
from storage.signals import save_signal, transition

log = logging.getLogger(__name__)


@dataclass
class SymbolOutcome:
    symbol: str
    probability_up: float | None
    action: str
    """hold, drop, refused, ask, executed, or problem."""
    detail: str = ""
    signal_id: str | None = None


@dataclass
class CycleReport:
    at: datetime
    outcomes: list[SymbolOutcome] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    duration_ms: float = 0.0

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)


def _session_close(services: Services, now: datetime) -> datetime | None:
    session = services.calendar.session_of(now)
    return services.calendar.session_close(session) if session else None


def run_cycle(services: Services, predictor: Predictor) -> CycleReport:
    began = time.perf_counter()
    now = services.clock.now()
    runtime = services.runtime.get()
    report = CycleReport(at=now)
    batch = predictor.predict(runtime.symbols, now, explain_from=runtime.min_confidence)
    for problem in batch.problems:
        if problem.blocking:
            services.bus.publish(DataProblemRaised(symbol=problem.symbol, detail=str(problem)))
            report.outcomes.append(SymbolOutcome(problem.symbol, None, "problem", str(problem)))
    save_predictions(batch.predictions, now=now)
    if batch.predictions:
        quotes = services.data.latest_prices([p.symbol for p in batch.predictions])
        account = account_view(services.broker, services.calendar, now, quotes)
        state = load_trading_status().state
        market_open = services.market_is_open()
        close = _session_close(services, now)
        for prediction in batch.predictions:
            outcome = _decide(
                services,
                prediction,
                quotes.get(prediction.symbol),
                batch.atr.get(prediction.symbol, math.nan),
                account,
                state,
                market_open,
                close,
                now,
                report,
            )
            report.outcomes.append(outcome)
    report.duration_ms = (time.perf_counter() - began) * 1000
    services.bus.publish(
        CycleFinished(
            symbols=len(runtime.symbols),
            signals=report.count("ask") + report.count("executed"),
            problems=report.count("problem"),
            duration_ms=report.duration_ms,
        )
    )
    return report


def _decide(
    services: Services,
    prediction: ModelPrediction,
    quote: float | None,
    atr: float,
    account: AccountView,
    state: TradingState,
    market_open: bool,
    close: datetime | None,
    now: datetime,
    report: CycleReport,
) -> SymbolOutcome:
    runtime = services.runtime.get()
    symbol = prediction.symbol
    held = account.positions.get(symbol)
    signal_type = generate_signal(prediction, held.quantity if held else 0.0)
    if signal_type is SignalType.HOLD:
        return SymbolOutcome(symbol, prediction.probability_up, "hold")
    route = route_signal(runtime.mode, prediction.confidence, runtime)
    if route is Route.DROP:
        return SymbolOutcome(
            symbol,
            prediction.probability_up,
            "drop",
            f"confidence {prediction.confidence:.2f} below the mode's threshold",
        )
    if quote is None:
        return SymbolOutcome(symbol, prediction.probability_up, "refused", "no latest price")

    stop: float | None = None
    risk_amount = 0.0
    reasons: list[str] = []
    if signal_type is SignalType.BUY:
        try:
            stop = initial_stop(
                quote, atr if math.isfinite(atr) else None, services.settings.trading.stops
            )
        except StopError as error:
            reasons.append(str(error))
        quantity = 0
        if stop is not None:
            size = size_long(
                equity=account.equity,
                entry=quote,
                stop=stop,
                buying_power=account.buying_power,
                rules=runtime,
            )
            quantity, risk_amount = size.shares, size.risk_amount
            if size.reason:
                reasons.append(size.reason)
        side = OrderSide.BUY
    else:
        quantity = int(held.quantity) if held else 0
        side = OrderSide.SELL
    if quantity > 0:
        check = validate_trade(
            TradeRequest(
                symbol=symbol, side=side, quantity=quantity, price=quote, now=now, stop_price=stop
            ),
            account=account,
            market=MarketView(is_open=market_open, latest_quote=quote),
            rules=runtime,
            trading_state=state,
            commission_per_share=services.settings.trading.broker.commission_per_share,
        )
        reasons.extend(check.reasons)

    signal = TradingSignal(
        id=signal_id(symbol, prediction.timestamp, now),
        symbol=symbol,
        signal_type=signal_type,
        confidence=prediction.confidence,
        price=quote,
        quantity=max(int(quantity), 0),
        stop_price=stop,
        risk_amount=risk_amount,
        mode=runtime.mode,
        created_at=now,
        expires_at=expiry(now, runtime.signal_ttl_minutes, close),
        reasons=tuple(
            f"{f.name}={f.value:.3g} ({f.contribution:+.3f})" for f in prediction.top_features
        ),
        prediction=prediction,
    )
    save_signal(signal)
    if reasons:
        # Refused before anyone is bothered: kept in the history with its reasons.
        transition(signal.id, OrderStatus.PENDING, OrderStatus.REJECTED, "risk", now=now)
        audit.record("risk", "signal.refused", {"signal_id": signal.id, "reasons": reasons}, at=now)
        return SymbolOutcome(
            symbol, prediction.probability_up, "refused", "; ".join(reasons), signal.id
        )
    services.bus.publish(SignalCreated(signal=signal, asks=route is Route.ASK))
    if route is Route.ASK:
        return SymbolOutcome(
            symbol,
            prediction.probability_up,
            "ask",
            f"waiting for approval until {signal.expires_at:%H:%M} UTC",
            signal.id,
        )
    decision = approve(services, signal.id, "auto")
    report.decisions.append(decision)
    return SymbolOutcome(symbol, prediction.probability_up, "executed", decision.message, signal.id)
