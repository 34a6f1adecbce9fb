"""Engine events → Telegram messages for the allowed users, through the outbox.

Signals that ask get a chart and Approve/Reject buttons, ahead of other news; decisions
and expiries edit every message that carries the signal's buttons. Stops, halts and
critical alerts are sent one by one; fills, orders, mode changes, summaries and other
alerts are notices, summarised when several wait ("12 fills: …"). During quiet hours
only critical news is sent. A failed send is logged and never stops trading.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot import formatting
from bot.charts import render_price_chart
from bot.context import BotContext
from bot.outbox import Priority
from bot.signal_messages import EXPIRED_NOTE, announce, closed_text
from core.agent.engine import EngineError
from core.base.events import (
    Alert,
    DailySummary,
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
from core.base.explain import chance, day, money, percent, shares, signal_title, signed_money
from core.base.types import TradingSignal, TradingState

log = logging.getLogger(__name__)


def in_quiet_hours(now: datetime, quiet: str | None, timezone: str) -> bool:
    if not quiet:
        return False
    start_text, end_text = quiet.split("-")
    start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    local = now.astimezone(ZoneInfo(timezone)).time()
    return start <= local < end if start <= end else local >= start or local < end


def is_critical(event: Event) -> bool:
    match event:
        case Alert(severity="critical") | StopTriggered():
            return True
        case TradingStateChanged(status=status):
            return status.state is not TradingState.ACTIVE
    return False


class Notifier:
    def __init__(self, ctx: BotContext, timezone: str) -> None:
        self.ctx = ctx
        self.timezone = timezone

    async def run(self) -> None:
        queue = self.ctx.engine.subscribe()
        try:
            while True:
                event = await queue.get()
                try:
                    await self.handle(event)
                except Exception:
                    log.exception("notification failed", extra={"event": event.kind})
        finally:
            self.ctx.engine.unsubscribe(queue)

    async def handle(self, event: Event) -> None:
        if isinstance(event, SignalCreated) and event.asks:
            await self.announce(event.signal)
            return
        if isinstance(event, SignalDecided | SignalExpired):
            await self._close_signal(event)
            return
        text = self.text(event)
        if text is None:
            return
        critical = is_critical(event)
        runtime = self.ctx.engine.settings()
        if not critical and in_quiet_hours(
            self.ctx.engine.now(), runtime.quiet_hours, self.timezone
        ):
            return
        topic, line = self.brief(event)
        for chat_id in self.ctx.chats:
            if critical:
                self.ctx.outbox.send(chat_id, text, priority=Priority.URGENT)
            else:
                self.ctx.outbox.notice(chat_id, text, topic=topic, line=line)

    @staticmethod
    def text(event: Event) -> str | None:
        match event:
            case SignalCreated(signal=s):
                return (
                    f"Executing: {signal_title(s)} "
                    f"(confidence {chance(s.confidence)}, mode {s.mode.value})"
                )
            case OrderFilled(symbol=symbol, side=side, quantity=qty, price=price):
                return f"Filled: {side.value} {shares(qty)} {symbol} @ {money(price)}"
            case OrderFailed(symbol=symbol, reason=reason):
                return f"Order failed: {symbol}: {reason}"
            case StopTriggered(symbol=symbol, reason=reason, price=price, quantity=qty):
                return (
                    f"{reason.replace('_', ' ').capitalize()} hit: selling {shares(qty)} "
                    f"{symbol} near {money(price)}"
                )
            case TradingStateChanged(status=status):
                return (
                    f"Trading {status.state.value.upper()} — {status.reason} "
                    f"(by {status.changed_by})"
                )
            case ModeChanged(mode=mode, actor=actor):
                return f"Mode is now {mode.value} (by {actor})"
            case DailySummary(session=session, equity=equity, pnl=pnl, pnl_pct=pct, trades=n):
                return (
                    f"{day(session)}: equity {money(equity)}, P&L {signed_money(pnl)} "
                    f"({percent(pct, signed=True)}), fills {n}"
                )
            case Alert(severity=severity, message=message):
                return f"⚠️ {severity}: {message}"
        return None

    @staticmethod
    def brief(event: Event) -> tuple[str, str]:
        """(topic, one line) of a notice, for a summary of several."""
        match event:
            case SignalCreated(signal=s):
                return "orders sent", f"{s.signal_type.value} {shares(s.quantity)} {s.symbol}"
            case OrderFilled(symbol=symbol, side=side, quantity=qty, price=price):
                return "fills", f"{side.value} {shares(qty)} {symbol} @ {money(price)}"
            case OrderFailed(symbol=symbol, reason=reason):
                return "failed orders", f"{symbol} ({reason})"
            case TradingStateChanged(status=status):
                return "trading changes", f"{status.state.value.upper()} by {status.changed_by}"
            case ModeChanged(mode=mode, actor=actor):
                return "mode changes", f"{mode.value} by {actor}"
            case Alert(severity=severity, message=message):
                return "alerts", f"{severity}: {message}"
        return "notices", Notifier.text(event) or event.kind

    async def announce(self, signal: TradingSignal) -> None:
        """The signal with its chart and buttons, to every allowed user."""
        engine = self.ctx.engine
        try:
            bars = await engine.bars(signal.symbol)
            png = await render_price_chart(
                signal.symbol, bars, stop=signal.stop_price, entry=signal.price
            )
        except EngineError:
            png = None
        status = await engine.status()
        held = {p.symbol: (p.quantity, p.entry) for p in await engine.positions()}
        caption = formatting.signal(
            signal, self.ctx.zone, equity=status.equity, held=held.get(signal.symbol)
        )
        for chat_id in self.ctx.chats:
            announce(self.ctx, signal, chat_id, caption, png)

    async def _close_signal(self, event: SignalDecided | SignalExpired) -> None:
        """Edit every message that shows the signal's buttons (but the one whose press
        is being decided: its handler states the outcome)."""
        engine = self.ctx.engine
        tapped = self.ctx.tapped.pop(event.signal_id, None)
        signal = await engine.signal(event.signal_id)
        if isinstance(event, SignalExpired):
            note = EXPIRED_NOTE
        else:
            note = f"{event.status.value.upper()} by {event.actor}"
        self.ctx.note_closing(event.signal_id, note)
        text = closed_text(self.ctx, signal, note)
        for chat_id, message_id in await engine.messages_for(event.signal_id):
            # Unknown after a restart: the caption first, the outbox falls back to text.
            photo = self.ctx.photo_messages.pop((chat_id, message_id), True)
            if (chat_id, message_id) != tapped:
                self.ctx.outbox.edit(chat_id, message_id, text, caption=photo)
