"""Engine events → Telegram messages for the allowed users.

Signals that ask get a chart and Approve/Reject buttons; decisions and expiries edit
those messages; fills, stops, state and mode changes, summaries and alerts are short
texts. During quiet hours only critical news is sent. A failed send is logged and never
stops trading; a signal message that may have been delivered (a timeout) is not sent
again, so nobody gets two sets of buttons for one signal — /signals shows them again.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram.error import BadRequest, NetworkError, TimedOut

from bot import formatting, keyboards
from bot.charts import price_chart
from bot.context import BotContext
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
    def __init__(self, bot: Bot, ctx: BotContext, timezone: str) -> None:
        self.bot = bot
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
            await self._edit_signal(event)
            return
        text = self.text(event)
        if text is None:
            return
        runtime = self.ctx.engine.settings()
        if not is_critical(event) and in_quiet_hours(
            self.ctx.engine.now(), runtime.quiet_hours, self.timezone
        ):
            return
        for chat_id in self.ctx.chats:
            await self._send_text(chat_id, text)

    @staticmethod
    def text(event: Event) -> str | None:
        match event:
            case SignalCreated(signal=s):
                return (
                    f"Executing: {s.signal_type.value} {s.quantity} {s.symbol} @ {s.price:.2f} "
                    f"(confidence {s.confidence:.2f}, mode {s.mode.value})"
                )
            case OrderFilled(symbol=symbol, side=side, quantity=qty, price=price):
                return f"Filled: {side.value} {qty:g} {symbol} @ {price:.2f}"
            case OrderFailed(symbol=symbol, reason=reason):
                return f"Order failed: {symbol}: {reason}"
            case StopTriggered(symbol=symbol, reason=reason, price=price, quantity=qty):
                return (
                    f"{reason.replace('_', ' ').capitalize()} hit: selling {qty:g} {symbol} "
                    f"near {price:.2f}"
                )
            case TradingStateChanged(status=status):
                return (
                    f"Trading {status.state.value.upper()} — {status.reason} "
                    f"(by {status.changed_by})"
                )
            case ModeChanged(mode=mode, actor=actor):
                return f"Mode is now {mode.value} (by {actor})"
            case DailySummary(session=day, equity=equity, pnl=pnl, pnl_pct=pct, trades=n):
                return (
                    f"{day}: equity {formatting.money(equity)}, P&L {pnl:+,.2f} "
                    f"({pct:+.2%}), fills {n}"
                )
            case Alert(severity=severity, message=message):
                return f"⚠️ {severity}: {message}"
        return None

    async def _send_text(self, chat_id: int, text: str) -> None:
        for attempt in range(3):
            try:
                await self.bot.send_message(chat_id, text)
                return
            except TimedOut:
                return  # it may have arrived; a duplicate notice is worse than none
            except NetworkError as error:
                if isinstance(error, BadRequest):
                    log.warning("telegram refused a message", extra={"why": str(error)})
                    return
                await asyncio.sleep(2**attempt)

    async def announce(self, signal: TradingSignal) -> None:
        """The signal with its chart and buttons, to every allowed user."""
        engine = self.ctx.engine
        try:
            png = price_chart(
                signal.symbol,
                await engine.bars(signal.symbol),
                stop=signal.stop_price,
                entry=signal.price,
            )
        except EngineError:
            png = None
        status = await engine.status()
        caption = formatting.signal(signal, status.equity)
        for chat_id in self.ctx.chats:
            markup = keyboards.decision(self.ctx.signer, signal.id, chat_id)
            for attempt in range(3):
                try:
                    if png is not None:
                        message = await self.bot.send_photo(
                            chat_id, io.BytesIO(png), caption=caption[:1024], reply_markup=markup
                        )
                    else:
                        message = await self.bot.send_message(chat_id, caption, reply_markup=markup)
                    await engine.remember_message(signal.id, chat_id, message.message_id)
                    break
                except TimedOut:
                    log.warning(
                        "signal message may not have arrived; /signals shows it",
                        extra={"signal": signal.id},
                    )
                    break
                except BadRequest as error:
                    log.warning("telegram refused the signal message", extra={"why": str(error)})
                    break
                except NetworkError:
                    await asyncio.sleep(2**attempt)

    async def _edit_signal(self, event: SignalDecided | SignalExpired) -> None:
        engine = self.ctx.engine
        signal = await engine.signal(event.signal_id)
        if isinstance(event, SignalExpired):
            note = "EXPIRED — nobody decided in time; prices have moved on."
        else:
            note = f"{event.status.value.upper()} by {event.actor}"
        text = f"{formatting.signal(signal)}\n\n{note}"[:1024]
        for chat_id, message_id in await engine.messages_for(event.signal_id):
            try:
                await self.bot.edit_message_caption(
                    chat_id=chat_id, message_id=message_id, caption=text, reply_markup=None
                )
            except BadRequest as error:
                lowered = str(error).lower()
                if "no caption" in lowered or "there is no caption" in lowered:
                    await self.bot.edit_message_text(
                        text, chat_id=chat_id, message_id=message_id, reply_markup=None
                    )
                elif "not modified" not in lowered:
                    log.warning("could not edit a signal message", extra={"why": str(error)})
