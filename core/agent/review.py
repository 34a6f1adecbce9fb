"""The decision review: what the owner's decisions did against "full auto".

For every signal a person decided — approved, approved with changes, rejected — or let
expire, two trades are walked through the daily bars by the plan's own exit rules
(`ml.labels.follow_trade`: the protective stop, the trailing stop, the time exit, the
broker's costs):

- **full auto**: the signal as proposed — its shares, bought at its price, its stop;
- **yours**: what the decision made — the order's actual fill (size, price, a tighter
  stop) for an approval; nothing for a rejection, an expiry or an order that never
  filled.

Both sides use the same exit model, so the difference is the decision alone (a real
exit that differed from the daily-bar walk — a fill inside a bar — would otherwise blur
it). A trade whose time limit has not passed is marked at the last close ("open").
Signals the agent executed by itself, or the risk checks refused, are not decisions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import pandas as pd

from core.agent.services import Services
from core.base.types import OrderStatus, SignalType, TradingSignal
from ml.labels import BarArrays, PlanRules, follow_trade
from risk.stops import LongStop, StopError
from storage.records import OrderRecord

ReviewPeriod = Literal["week", "month", "all"]
Decision = Literal["approved", "modified", "rejected", "expired"]
TradeState = Literal["closed", "open", "unknown"]

PERIOD_DAYS: dict[str, int | None] = {"week": 7, "month": 31, "all": None}
ATR_RUN_IN = timedelta(days=400)
"""Bars before the first signal, so the Wilder ATR of the trailing stop equals the one
computed on the full history."""
NOT_DECISIONS = frozenset({"auto", "risk", "system"})
"""Actors that are not people: the agent itself and the pre-trade checks."""
CALIBRATION_WIDTH = 0.05


@dataclass(frozen=True)
class Outcome:
    pnl: float
    r: float
    state: TradeState


@dataclass(frozen=True)
class ReviewedDecision:
    signal_id: str
    symbol: str
    decided_at: datetime
    decision: Decision
    actor: str | None
    stated_probability: float
    """What the signal claimed: P(profit) for a plan model."""
    typical: float | None
    pnl: float | None
    """Dollars your decision made (0 for no trade); None while the bars are missing."""
    r: float | None
    full_auto_pnl: float | None
    """Dollars the signal as proposed would have made."""
    state: TradeState
    simulated: bool
    """True when no order of yours traded: `pnl` is then 0 and the full-auto side is
    what the signal would have done."""


@dataclass
class ReviewReport:
    period: ReviewPeriod
    since: datetime | None
    decisions: list[ReviewedDecision] = field(default_factory=list)
    rejections_avoided_losses: float = 0.0
    """Losses full auto would have taken on the signals you rejected or let expire."""
    rejections_missed_gains: float = 0.0
    """Gains full auto would have made on them."""
    modifications_effect: float = 0.0
    """What your changes (½ size, a limit, a tighter stop) did to P&L."""
    fills_effect: float = 0.0
    """What plain approvals' real fills (a price or a moment other than the signal's)
    did to P&L. With the two above, it adds up to `yours_minus_full_auto`:
    (avoided − missed) + modifications + fills."""
    yours_minus_full_auto: float = 0.0
    calibration: list[tuple[float, float, int]] = field(default_factory=list)
    """(mean stated probability, share that ended in profit, count) per 0.05 bin."""
    daily: list[tuple[date, float, float]] = field(default_factory=list)
    """(day decided, your cumulative P&L, full auto's cumulative P&L)."""


def review(services: Services, period: ReviewPeriod) -> ReviewReport:
    if period not in PERIOD_DAYS:
        raise ValueError(f"period {period!r}: use week, month or all")
    now = services.clock.now()
    days = PERIOD_DAYS[period]
    since = now - timedelta(days=days) if days is not None else None
    report = ReviewReport(period=period, since=since)
    candidates = [
        s for s in services.store.signals.history(limit=100_000, since=since) if _asked(s)
    ]
    if not candidates:
        return report
    rules = PlanRules.from_config(services.settings.trading)
    start = min(s.created_at for s in candidates) - ATR_RUN_IN
    bars = services.data.get_bars(sorted({s.symbol for s in candidates}), start, now)
    for signal in sorted(candidates, key=lambda s: s.created_at):
        reviewed = _review_one(services, signal, bars.get(signal.symbol), rules)
        if reviewed is not None:
            report.decisions.append(reviewed)
    _totals(report)
    return report


def _asked(signal: TradingSignal) -> bool:
    return signal.signal_type is SignalType.BUY and signal.status is not OrderStatus.PENDING


def _review_one(
    services: Services, signal: TradingSignal, frame: pd.DataFrame | None, rules: PlanRules
) -> ReviewedDecision | None:
    actor = services.store.signals.decided_by(signal.id)
    order = services.store.orders.get_by_signal(signal.id)
    decision = _decision(signal, actor, order)
    if decision is None:
        return None
    full_auto = _walk(frame, signal, signal.price, signal.quantity, signal.stop_price, rules)
    # A rejection, an expiry or an approval whose order never filled (a limit not
    # reached) traded nothing.
    yours: Outcome | None = Outcome(0.0, 0.0, full_auto.state if full_auto else "unknown")
    traded = order is not None and order.filled_quantity > 0
    if decision in ("approved", "modified") and order is not None and traded:
        fill_price = order.filled_avg_price or signal.price
        stop = order.planned_stop or signal.stop_price
        yours = _walk(frame, signal, fill_price, order.filled_quantity, stop, rules)
    prediction = signal.prediction
    return ReviewedDecision(
        signal_id=signal.id,
        symbol=signal.symbol,
        decided_at=signal.created_at,
        decision=decision,
        actor=actor,
        stated_probability=signal.confidence,
        typical=prediction.base_rate if prediction is not None else None,
        pnl=yours.pnl if yours else None,
        r=yours.r if yours else None,
        full_auto_pnl=full_auto.pnl if full_auto else None,
        state=(yours.state if yours else "unknown"),
        simulated=not (decision in ("approved", "modified") and traded),
    )


def _decision(
    signal: TradingSignal, actor: str | None, order: OrderRecord | None
) -> Decision | None:
    if signal.status is OrderStatus.EXPIRED:
        return "expired"
    if actor is None or actor in NOT_DECISIONS:
        return None
    if signal.status is OrderStatus.REJECTED:
        return "rejected"
    if order is None:
        return None
    changed = (
        order.quantity < signal.quantity
        or order.limit_price is not None
        or (order.planned_stop is not None and order.planned_stop != signal.stop_price)
    )
    return "modified" if changed else "approved"


def _walk(
    frame: pd.DataFrame | None,
    signal: TradingSignal,
    price: float,
    quantity: float,
    stop: float | None,
    rules: PlanRules,
) -> Outcome | None:
    """The trade bought at `price` in the signal's session, walked from the next
    session by the plan's exits; None without bars or a stop."""
    if frame is None or frame.empty or stop is None or quantity <= 0:
        return None
    session = pd.Timestamp(signal.created_at.date(), tz=UTC)
    t = int(frame.index.searchsorted(session))
    if t >= len(frame) or frame.index[t] != session:
        return None
    slip = rules.slippage_bps / 10_000.0
    fill = price * (1.0 + slip)
    try:
        # The planned risk per share is kept from the actual fill, as the approval does.
        state = LongStop.open(fill, fill - (signal.price - stop))
    except StopError:
        return None
    bars = BarArrays.of(frame, rules)
    state_name: TradeState
    # The session bought in counts as the first held: the time exit is at the close of
    # the horizon-th one.
    last = t + max(rules.horizon - 1, 1)
    if last < len(frame):
        exit_price, _, _ = follow_trade(state, bars, first=t + 1, last=last, rules=rules)
        sold, state_name = exit_price * (1.0 - slip), "closed"
    elif t + 1 < len(frame):
        exit_price, _, reason = follow_trade(
            state, bars, first=t + 1, last=len(frame) - 1, rules=rules
        )
        closed = reason != "time"  # the walk ran out of bars: marked at the last close
        sold, state_name = exit_price * (1.0 - slip), ("closed" if closed else "open")
    else:
        sold, state_name = float(bars.closes[t]), "open"
    commission = 2.0 * rules.commission_per_share * quantity
    pnl = (sold - fill) * quantity - commission
    risk = state.risk_per_share * quantity
    return Outcome(pnl=pnl, r=pnl / risk if risk > 0 else math.nan, state=state_name)


def _totals(report: ReviewReport) -> None:
    yours_total = auto_total = 0.0
    by_day: dict[date, tuple[float, float]] = {}
    for d in report.decisions:
        if d.pnl is None or d.full_auto_pnl is None:
            continue
        if d.decision in ("rejected", "expired"):
            report.rejections_avoided_losses += max(0.0, -d.full_auto_pnl)
            report.rejections_missed_gains += max(0.0, d.full_auto_pnl)
        elif d.decision == "modified":
            report.modifications_effect += d.pnl - d.full_auto_pnl
        else:
            report.fills_effect += d.pnl - d.full_auto_pnl
        yours_total += d.pnl
        auto_total += d.full_auto_pnl
        by_day[d.decided_at.date()] = (yours_total, auto_total)
    report.yours_minus_full_auto = yours_total - auto_total
    report.daily = [(day, *totals) for day, totals in sorted(by_day.items())]
    report.calibration = _calibration(
        (d.stated_probability, d.full_auto_pnl)
        for d in report.decisions
        if d.full_auto_pnl is not None and d.state == "closed"
    )


def _calibration(pairs: Iterable[tuple[float, float]]) -> list[tuple[float, float, int]]:
    bins: dict[int, list[tuple[float, float]]] = {}
    for probability, pnl in pairs:
        bins.setdefault(int(probability / CALIBRATION_WIDTH), []).append((probability, pnl))
    out = []
    for key in sorted(bins):
        members = bins[key]
        stated = sum(p for p, _ in members) / len(members)
        profitable = sum(1 for _, pnl in members if pnl > 0) / len(members)
        out.append((stated, profitable, len(members)))
    return out
