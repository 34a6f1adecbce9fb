"""Messages that carry a signal's buttons: the announcement in each allowed chat and
every copy `/signals` sends. Each is remembered once sent (`Engine.remember_message`),
so a decision from any chat or the web page, or an expiry, edits all of them: buttons
removed, the outcome stated. A message still waiting in the outbox when its signal is
decided is not sent; one sent just as it was decided is edited right after.

While the signal waits, its messages may be edited with their buttons kept (the
deadline came earlier), and one reminder answers the message in each chat."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Message

from bot import formatting, keyboards
from bot.context import BotContext
from bot.outbox import OnSent, Priority, StillWanted
from core.agent.engine import EngineError, OrderChoices
from core.base.explain import signal_title
from core.base.types import OrderStatus, TradingSignal


def expired_note(at: datetime, tz: ZoneInfo) -> str:
    """`EXPIRED at 3:46:02 PM EDT — nobody decided in time`."""
    return (
        f"EXPIRED at {formatting.clock_with_seconds(at, tz)} — nobody decided in time; "
        "prices have moved on."
    )


def closed_text(ctx: BotContext, signal: TradingSignal, note: str) -> str:
    # The record stays in the message after the decision, as it was while it waited.
    text = formatting.signal(signal, ctx.zone, proven=ctx.engine.model_proven())
    return f"{text}\n\n{note}"


def _still_pending(ctx: BotContext, signal_id: str) -> StillWanted:
    async def check() -> bool:
        if signal_id in ctx.outcomes:
            return False
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
                now = ctx.countdowns.now() if ctx.countdowns else signal.expires_at
                note = expired_note(now, ctx.zone) if expired else signal.status.value.upper()
            ctx.outbox.edit(
                chat_id, message.message_id, closed_text(ctx, signal, note), caption=photo
            )

    return after


def announce(
    ctx: BotContext,
    signal: TradingSignal,
    chat_id: int,
    caption: str,
    png: bytes | None,
    choices: OrderChoices | None,
    *,
    silent: bool = False,
) -> None:
    """The signal with its chart (when there is one) and buttons, ahead of other news."""
    ctx.remember_signal(signal)
    ctx.outbox.send(
        chat_id,
        caption,
        priority=Priority.URGENT,
        markup=keyboards.decision(ctx.signer, signal.id, chat_id, choices),
        photo=png,
        on_sent=_remember(ctx, signal.id, chat_id, photo=png is not None),
        still_wanted=_still_pending(ctx, signal.id),
        silent=silent,
    )


def signal_copy(
    ctx: BotContext,
    signal: TradingSignal,
    chat_id: int,
    text: str,
    choices: OrderChoices | None,
    *,
    buttons: bool = True,
) -> None:
    """A `/signals` answer, in order with the chat's other replies: with its buttons
    (remembered, so decisions edit it too), or as text alone for a viewer."""
    if not buttons:
        ctx.outbox.send(chat_id, text)
        return
    ctx.remember_signal(signal)
    ctx.outbox.send(
        chat_id,
        text,
        markup=keyboards.decision(ctx.signer, signal.id, chat_id, choices),
        on_sent=_remember(ctx, signal.id, chat_id, photo=False),
        still_wanted=_still_pending(ctx, signal.id),
    )


async def refresh(ctx: BotContext, signal: TradingSignal, text: str) -> None:
    """Show `text` on every message of a waiting signal, with its buttons as they are
    for the market now."""
    if signal.id in ctx.outcomes or signal.id in ctx.tapped:
        return
    try:
        choices = await ctx.engine.order_choices(signal.id)
    except EngineError:
        choices = None
    for chat_id, message_id in await ctx.engine.messages_for(signal.id):
        ctx.outbox.edit(
            chat_id,
            message_id,
            text,
            caption=ctx.photo_messages.get((chat_id, message_id), True),
            markup=keyboards.decision(ctx.signer, signal.id, chat_id, choices),
        )


async def remind(
    ctx: BotContext, signal: TradingSignal, deadline: datetime, now: datetime, *, silent: bool
) -> None:
    """One reminder per chat, answering the signal's latest message there."""
    latest: dict[int, int] = {}
    for chat_id, message_id in await ctx.engine.messages_for(signal.id):
        latest[chat_id] = max(message_id, latest.get(chat_id, 0))
    left = formatting.time_left((deadline - now).total_seconds())
    until = formatting.clock_with_seconds(deadline, ctx.zone)
    text = f"⏰ {left} left to decide: {signal_title(signal)} (until {until})"
    for chat_id in ctx.chats:
        ctx.outbox.send(
            chat_id,
            text,
            priority=Priority.URGENT,
            reply_to=latest.get(chat_id),
            still_wanted=_still_pending(ctx, signal.id),
            silent=silent,
        )
