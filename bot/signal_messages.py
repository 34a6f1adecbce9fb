"""Messages that carry a signal's buttons: the announcement in each allowed chat and
every copy `/signals` sends. Each is remembered once sent (`Engine.remember_message`),
so a decision from any chat or the web page, or an expiry, edits all of them: buttons
removed, the outcome stated. A message still waiting in the outbox when its signal is
decided is not sent; one sent just as it was decided is edited right after."""

from __future__ import annotations

from telegram import Message

from bot import formatting, keyboards
from bot.context import BotContext
from bot.outbox import OnSent, Priority, StillWanted
from core.agent.engine import EngineError
from core.base.types import OrderStatus, TradingSignal

EXPIRED_NOTE = "EXPIRED — nobody decided in time; prices have moved on."


def closed_text(ctx: BotContext, signal: TradingSignal, note: str) -> str:
    return f"{formatting.signal(signal, ctx.zone)}\n\n{note}"


def _still_pending(ctx: BotContext, signal_id: str) -> StillWanted:
    async def check() -> bool:
        try:
            return (await ctx.engine.signal(signal_id)).status is OrderStatus.PENDING
        except EngineError:
            return False

    return check


def _remember(ctx: BotContext, signal_id: str, chat_id: int, *, photo: bool) -> OnSent:
    async def after(message: Message) -> None:
        ctx.photo_messages[(chat_id, message.message_id)] = photo
        await ctx.engine.remember_message(signal_id, chat_id, message.message_id)
        # Decided between the check before sending and now: the decision's edits may
        # have run before this message was remembered.
        signal = await ctx.engine.signal(signal_id)
        if signal.status is not OrderStatus.PENDING:
            note = ctx.closing_notes.get(signal_id)
            if note is None:  # the notifier has not got to it yet (and will edit this too)
                expired = signal.status is OrderStatus.EXPIRED
                note = EXPIRED_NOTE if expired else signal.status.value.upper()
            ctx.outbox.edit(
                chat_id, message.message_id, closed_text(ctx, signal, note), caption=photo
            )

    return after


def announce(
    ctx: BotContext, signal: TradingSignal, chat_id: int, caption: str, png: bytes | None
) -> None:
    """The signal with its chart (when there is one) and buttons, ahead of other news."""
    ctx.outbox.send(
        chat_id,
        caption,
        priority=Priority.URGENT,
        markup=keyboards.decision(ctx.signer, signal.id, chat_id),
        photo=png,
        on_sent=_remember(ctx, signal.id, chat_id, photo=png is not None),
        still_wanted=_still_pending(ctx, signal.id),
    )


def signal_copy(ctx: BotContext, signal: TradingSignal, chat_id: int, text: str) -> None:
    """A `/signals` answer: text with buttons, in order with the chat's other replies."""
    ctx.outbox.send(
        chat_id,
        text,
        markup=keyboards.decision(ctx.signer, signal.id, chat_id),
        on_sent=_remember(ctx, signal.id, chat_id, photo=False),
        still_wanted=_still_pending(ctx, signal.id),
    )
