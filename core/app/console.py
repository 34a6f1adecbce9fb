"""Events as one readable line each, for the terminal of `stockbot demo` and `run`."""

from __future__ import annotations

from core.base.events import (
    Alert,
    CycleFinished,
    DailySummary,
    DataProblemRaised,
    Event,
    ModeChanged,
    OrderFailed,
    OrderFilled,
    SignalCreated,
    SignalDecided,
    SignalExpired,
    StopTriggered,
    TradingStateChanged,
)
from core.base.explain import claim_label


def describe(event: Event) -> str | None:
    """The line to print, or None for events not worth a line."""
    match event:
        case SignalCreated(signal=s, asks=asks):
            verb = "asks for approval" if asks else "will execute"
            return (
                f"SIGNAL  {s.signal_type.value.upper()} {s.quantity} {s.symbol} @ {s.price:.2f} "
                f"{claim_label(s)} {s.confidence:.2f} stop {s.stop_price or 0:.2f} — {verb} "
                f"[{s.id}]"
            )
        case SignalDecided(symbol=symbol, status=status, actor=actor):
            return f"DECIDED {symbol} {status.value} by {actor}"
        case SignalExpired(symbol=symbol, signal_id=sid):
            return f"EXPIRED {symbol} [{sid}] — nobody decided in time"
        case OrderFilled(symbol=symbol, side=side, quantity=qty, price=price):
            return f"FILL    {side.value} {qty:g} {symbol} @ {price:.2f}"
        case OrderFailed(symbol=symbol, reason=reason):
            return f"FAILED  {symbol}: {reason}"
        case StopTriggered(symbol=symbol, reason=reason, price=price):
            return f"STOP    {symbol} {reason.replace('_', ' ')} at {price:.2f}"
        case TradingStateChanged(status=status):
            state = status.state.value.upper()
            return f"STATE   trading {state} by {status.changed_by}: {status.reason}"
        case ModeChanged(mode=mode, actor=actor, caveat=caveat):
            return f"MODE    {mode.value} by {actor}" + (f" ({caveat})" if caveat else "")
        case DailySummary(session=day, equity=equity, pnl=pnl, pnl_pct=pct, trades=trades):
            return (
                f"DAY     {day} equity ${equity:,.2f}  P&L {pnl:+,.2f} ({pct:+.2%})  fills {trades}"
            )
        case Alert(severity=severity, message=message):
            return f"ALERT   {severity}: {message}"
        case DataProblemRaised(symbol=symbol, detail=detail):
            return f"DATA    {symbol}: {detail}"
        case CycleFinished():
            return None
    return None
