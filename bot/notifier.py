"""Engine events → Telegram messages for the owner, through the outbox.

Signals that ask get a chart, the time left to decide and their buttons, ahead of other
news, and one reminder before they expire; decisions and expiries edit every message
that carries the signal's buttons. Stops, halts and critical alerts are sent one by
one; fills, orders, mode changes, summaries and other alerts are notices, summarised
when several wait ("12 fills: …"). Each kind goes out as the owner chose
(`bot.notify_levels`: on, silent or off; critical news never off). During quiet hours
only critical news is sent. A failed send is logged and never stops trading.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot import formatting
from bot.charts import render_price_chart
from bot.context import BotContext
from bot.countdowns import Countdowns
from bot.notify_levels import for_event, is_critical, level_of
from bot.outbox import Priority
from bot.signal_messages import announce, closed_text, expired_note, refresh, remind
from core.agent.engine import EngineError, OrderChoices
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
from core.base.explain import day, money, percent, shares, signal_title, signed_money
from core.base.types import TradingSignal

__all__ = ["Notifier", "in_quiet_hours", "is_critical"]

log = logging.getLogger(__name__)


def in_quiet_hours(now: datetime, quiet: str | None, timezone: str) -> bool:
    if not quiet:
        return False
    start_text, end_text = quiet.split("-")
    start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    local = now.astimezone(ZoneInfo(timezone)).time()
    return start <= local < end if start <= end else local >= start or local < end


class Notifier:
    def __init__(self, ctx: BotContext, timezone: str) -> None:
        self.ctx = ctx
        self.timezone = timezone
        self.countdowns = Countdowns(
            deadline=ctx.engine.decision_deadline,
            waiting=self._still_waiting,
            remind=self._remind,
            moved=self._moved,
        )
        ctx.countdowns = self.countdowns

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

    def quiet_now(self) -> bool:
        runtime = self.ctx.engine.settings()
        return in_quiet_hours(self.ctx.engine.now(), runtime.quiet_hours, self.timezone)

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
        how = for_event(self.ctx.engine.settings(), event)
        if how is None or (not critical and self.quiet_now()):
            return
        silent = how == "silent"
        topic, line = self.brief(event)
        for chat_id in self.ctx.chats:
            if critical:
                self.ctx.outbox.send(chat_id, text, priority=Priority.URGENT, silent=silent)
            else:
                self.ctx.outbox.notice(chat_id, text, topic=topic, line=line, silent=silent)

    @staticmethod
    def text(event: Event) -> str | None:
        match event:
            case SignalCreated(signal=s):
                return f"Executing: {signal_title(s)} (mode {s.mode.value})"
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
            case ModeChanged(mode=mode, actor=actor, caveat=caveat):
                text = f"Mode is now {mode.value} (by {actor})"
                return f"{text}: {caveat}" if caveat else text
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

    # -- signals that ask ------------------------------------------------------------------

    async def announce(self, signal: TradingSignal) -> None:
        """The signal with its chart, time left and buttons, to the owner; then its
        countdown. With signals off, only /signals shows it."""
        engine = self.ctx.engine
        level = level_of(engine.settings(), "signals")
        if level == "off":
            return
        try:
            bars = await engine.bars(signal.symbol)
            png = await render_price_chart(
                signal.symbol, bars, stop=signal.stop_price, entry=signal.price
            )
        except EngineError:
            png = None
        try:
            choices = await engine.order_choices(signal.id)
        except EngineError:
            choices = None  # Approve and Reject still work
        deadline = self.countdowns.watch(signal)
        caption = await signal_caption(
            self.ctx, signal, deadline, self.countdowns.now(), closed_until(choices)
        )
        for chat_id in self.ctx.chats:
            announce(self.ctx, signal, chat_id, caption, png, choices, silent=level == "silent")

    async def _moved(self, signal: TradingSignal, deadline: datetime) -> None:
        """The deadline came earlier (the demo's window opened): every message of the
        signal is edited to show it, buttons kept."""
        now = self.countdowns.now()
        await refresh(self.ctx, signal, await signal_caption(self.ctx, signal, deadline, now))

    def _still_waiting(self, signal_id: str) -> bool:
        return signal_id not in self.ctx.outcomes and signal_id not in self.ctx.tapped

    async def _remind(self, signal: TradingSignal, deadline: datetime) -> None:
        """Once, before the signal expires: not during quiet hours, not with signals off,
        not for a signal already decided (the outbox asks again just before sending)."""
        level = level_of(self.ctx.engine.settings(), "signals")
        if level == "off" or self.quiet_now():
            return
        await remind(self.ctx, signal, deadline, self.countdowns.now(), silent=level == "silent")

    async def _close_signal(self, event: SignalDecided | SignalExpired) -> None:
        """Edit every message that shows the signal's buttons (but the one whose press
        is being decided: its handler states the outcome)."""
        engine = self.ctx.engine
        self.countdowns.stop(event.signal_id)
        tapped = self.ctx.tapped.pop(event.signal_id, None)
        signal = await engine.signal(event.signal_id)
        if isinstance(event, SignalExpired):
            note = expired_note(event.at, self.ctx.zone)
            self.ctx.note_outcome(event.signal_id, "expired")
        else:
            note = f"{event.status.value.upper()} by {event.actor}"
            self.ctx.note_outcome(event.signal_id, signal.status.value)
        self.ctx.note_closing(event.signal_id, note)
        text = closed_text(self.ctx, signal, note)
        for chat_id, message_id in await engine.messages_for(event.signal_id):
            # Unknown after a restart: the caption first, the outbox falls back to text.
            photo = self.ctx.photo_messages.pop((chat_id, message_id), True)
            if (chat_id, message_id) != tapped:
                self.ctx.outbox.edit(chat_id, message_id, text, caption=photo)


def closed_until(choices: OrderChoices | None) -> datetime | None:
    """The next open, when the market is closed now (the message says so)."""
    return choices.next_open if choices is not None and not choices.market_open else None


async def signal_caption(
    ctx: BotContext,
    signal: TradingSignal,
    deadline: datetime | None,
    wall_now: datetime,
    opens: datetime | None = None,
) -> str:
    """A waiting signal's text with what the owner holds, the model's record, the time
    left and, outside market hours, when the market opens."""
    engine = ctx.engine
    status = await engine.status()
    held = {p.symbol: (p.quantity, p.entry) for p in await engine.positions()}
    return formatting.signal(
        signal,
        ctx.zone,
        equity=status.equity,
        held=held.get(signal.symbol),
        proven=model_proven(ctx),
        deadline=deadline,
        wall_now=wall_now,
        opens=opens,
    )


def model_proven(ctx: BotContext) -> bool:
    """The model's record, from its grade (an in-memory read)."""
    return ctx.engine.model_proven()
