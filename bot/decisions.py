"""Deciding a signal from Telegram: Approve (as proposed or changed: ½ size, a limit,
a tighter stop; now, at the open or for extended hours), Reject, the limit picker, a
typed limit price, and cancelling an order queued for the open.

The press path (issue 17) is short on purpose: the press is answered *while* the Engine
approves (the Bot API round trip of `answerCallbackQuery` never delays the order), and
the approval is one call into the Engine — one hop to a worker thread, where the rule
runs. Everything the message needs afterwards (the signal's text, the outcome) comes
from what the bot already holds or after the order is out.

A second tap on a signal this bot saw decided is answered from memory. A viewer's
press goes to the Engine, which refuses and audits it; the viewer is told why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import ForceReply, Message, Update
from telegram.ext import ContextTypes

from bot import formatting, keyboards
from bot.auth import actor_of, origin_of
from bot.callbacks import Callback
from bot.context import BotContext, LimitQuestion, MessageRef, bot_context
from bot.limit_input import LimitError, parse_limit, question
from bot.order_variants import APPROVING_ACTIONS, Variant, variant_of
from bot.outbox import Priority
from bot.signal_messages import closed_text
from core.agent.engine import Decision, EngineError, InvalidRequest, NotAllowed, Timing
from core.base.explain import signal_title
from core.base.types import TradingSignal

log = logging.getLogger(__name__)

Answer = Callable[[str], Coroutine[Any, Any, object]]
"""Answers the button press (the toast on the phone)."""

SIGNAL_ACTIONS = APPROVING_ACTIONS | frozenset("rPXtTbc")
VIEWER_REFUSAL = "Refused — "
"""Before the Engine's reason ("kill: you may look, not change anything")."""


@dataclass(frozen=True)
class Asker:
    """Who decides and where: the person, their chat, the message they pressed (or the
    signal's message, for a typed price), and how to answer them."""

    actor: str
    origin: str
    chat_id: int
    where: MessageRef | None
    answer: Answer | None
    """None for a typed answer: feedback then goes as a reply message."""
    reply_to: int | None = None


def _where(update: Update) -> MessageRef | None:
    query = update.callback_query
    message = query.message if query is not None else None
    if not isinstance(message, Message):
        return None
    return MessageRef(message.chat.id, message.message_id, bool(message.photo))


async def on_signal_button(update: Update, ctx: BotContext, callback: Callback) -> None:
    """A verified press of one of a signal's buttons."""
    query = update.callback_query
    assert query is not None
    assert update.effective_chat is not None
    asker = Asker(
        actor_of(update), origin_of(update), update.effective_chat.id, _where(update), query.answer
    )
    action, args = callback.action, callback.args
    signal_id = args[0] if args else ""
    if action in APPROVING_ACTIONS:
        try:
            variant = variant_of(action, args)
        except ValueError:
            await query.answer()
            return
        await decide(ctx, signal_id, variant, asker)
    elif action == "r":
        await decide(ctx, signal_id, None, asker)
    elif action in ("P", "X", "b"):
        await _swap_buttons(ctx, signal_id, asker, picker=action != "b", extended=action == "X")
    elif action in ("t", "T"):
        await _ask_for_a_limit(ctx, signal_id, asker, "extended" if action == "T" else "now")
    elif action == "c":
        await _cancel_queued(ctx, signal_id, asker)


async def decide(ctx: BotContext, signal_id: str, variant: Variant | None, asker: Asker) -> None:
    """Approve (`variant`) or reject (None) a signal, and show the outcome."""
    engine = ctx.engine
    if engine.is_viewer(asker.actor):
        await _refuse_viewer(ctx, signal_id, variant, asker)
        return
    known = ctx.outcomes.get(signal_id)
    if known is not None or signal_id in ctx.tapped:
        await _tell(ctx, asker, f"Already {known}." if known else "Already being decided…")
        return
    if asker.where is not None:
        ctx.tapped[signal_id] = (asker.where.chat_id, asker.where.message_id)
    if asker.answer is not None:
        ctx.in_background(asker.answer(variant.toast() if variant else "Rejecting…"))
    try:
        if variant is None:
            decision = await engine.reject(signal_id, asker.actor, asker.origin)
        else:
            decision = await engine.approve(
                signal_id,
                asker.actor,
                asker.origin,
                change=variant.change(),
                timing=variant.timing,
            )
    except InvalidRequest as error:
        ctx.tapped.pop(signal_id, None)
        await _not_approved(ctx, signal_id, error, asker)
        return
    except EngineError as error:  # decided elsewhere, expired, gone
        ctx.tapped.pop(signal_id, None)
        signal = await _signal(ctx, signal_id)
        _show(ctx, asker.where, closed_text(ctx, signal, str(error)))
        if asker.answer is None:
            _reply(ctx, asker, f"Not approved: {error}")
        return
    ctx.note_outcome(signal_id, decision.status.value)
    if ctx.countdowns is not None:
        ctx.countdowns.stop(signal_id)
    signal = await _signal(ctx, signal_id)
    _show(
        ctx,
        asker.where,
        formatting.decided(
            signal, decision, asker.actor, engine.now(), ctx.zone, engine.model_proven()
        ),
    )
    if asker.answer is None:
        _reply(ctx, asker, _outcome(decision))


def _outcome(decision: Decision) -> str:
    return f"{decision.status.value.upper()}: {decision.message}"


async def _refuse_viewer(
    ctx: BotContext, signal_id: str, variant: Variant | None, asker: Asker
) -> None:
    """The Engine refuses and audits; the viewer learns why."""
    try:
        if variant is None:
            await ctx.engine.reject(signal_id, asker.actor, asker.origin)
        else:
            await ctx.engine.approve(
                signal_id, asker.actor, asker.origin, change=variant.change(), timing=variant.timing
            )
    except NotAllowed as error:
        await _tell(ctx, asker, f"{VIEWER_REFUSAL}{error}")
    except EngineError as error:
        await _tell(ctx, asker, str(error))


async def _not_approved(
    ctx: BotContext, signal_id: str, error: InvalidRequest, asker: Asker
) -> None:
    """Nothing was spent. The market closed since the message was sent: its buttons
    become the closed market's (at the open, extended hours). Another refused change:
    the buttons stay, the owner reads why."""
    if "timing" in error.fields and asker.where is not None:
        try:
            choices = await ctx.engine.order_choices(signal_id)
        except EngineError:
            choices = None
        markup = keyboards.decision(ctx.signer, signal_id, asker.where.chat_id, choices)
        ctx.outbox.edit(
            asker.where.chat_id,
            asker.where.message_id,
            None,
            caption=asker.where.photo,
            markup=markup,
        )
    _reply(ctx, asker, f"Not approved — {error}")


async def _signal(ctx: BotContext, signal_id: str) -> TradingSignal:
    shown = ctx.shown_signals.get(signal_id)
    return shown if shown is not None else await ctx.engine.signal(signal_id)


def _show(ctx: BotContext, where: MessageRef | None, text: str) -> None:
    """The pressed message states the outcome; its buttons go."""
    if where is not None:
        ctx.outbox.edit(where.chat_id, where.message_id, text, caption=where.photo)


def _reply(ctx: BotContext, asker: Asker, text: str) -> None:
    reply_to = asker.reply_to or (asker.where.message_id if asker.where else None)
    ctx.outbox.send(asker.chat_id, text, priority=Priority.URGENT, reply_to=reply_to)


async def _tell(ctx: BotContext, asker: Asker, text: str) -> None:
    if asker.answer is not None:
        await asker.answer(text[:200])  # a toast holds 200 characters
        if len(text) > 200:
            _reply(ctx, asker, text)
    else:
        _reply(ctx, asker, text)


# -- the limit picker and a typed price -------------------------------------------------


async def _swap_buttons(
    ctx: BotContext, signal_id: str, asker: Asker, *, picker: bool, extended: bool
) -> None:
    """Limit… shows three suggested prices (and a typed one); Back the main buttons."""
    assert asker.answer is not None
    try:
        choices = await ctx.engine.order_choices(signal_id)
    except EngineError as error:
        await asker.answer(str(error)[:200])
        return
    if asker.where is None:
        await asker.answer("")
        return
    chat_id = asker.where.chat_id
    if picker:
        quote = f" (quote ${choices.quote:,.2f})" if choices.quote else ""
        hours = " for extended hours" if extended else ""
        await asker.answer(f"Pick a limit price{hours}{quote}")
        markup = keyboards.limit_picker(ctx.signer, signal_id, chat_id, choices, extended=extended)
    else:
        await asker.answer("")
        markup = keyboards.decision(ctx.signer, signal_id, chat_id, choices)
    ctx.outbox.edit(chat_id, asker.where.message_id, None, caption=asker.where.photo, markup=markup)


async def _ask_for_a_limit(ctx: BotContext, signal_id: str, asker: Asker, timing: Timing) -> None:
    """A question the phone opens its keyboard for; the reply approves with that limit."""
    assert asker.answer is not None
    try:
        choices = await ctx.engine.order_choices(signal_id)
        signal = await _signal(ctx, signal_id)
    except EngineError as error:
        await asker.answer(str(error)[:200])
        return
    await asker.answer("Type your price")
    text = question(signal_title(signal), choices.quote, signal.signal_type)
    send_question(ctx, asker.chat_id, text, LimitQuestion(signal_id, timing, asker.where))


def send_question(ctx: BotContext, chat_id: int, text: str, asked: LimitQuestion) -> None:
    async def remember(message: Message) -> None:
        ctx.ask_limit(MessageRef(chat_id, message.message_id, False), asked)

    ctx.outbox.send(
        chat_id,
        text,
        priority=Priority.URGENT,
        markup=ForceReply(selective=True, input_field_placeholder="e.g. 187.50"),
        on_sent=remember,
    )


async def limit_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to a limit question: check the price, then approve with it."""
    ctx = bot_context(context)
    message = update.effective_message
    chat = update.effective_chat
    if ctx.gate.refusal(update) is not None or message is None or chat is None:
        return
    replied = message.reply_to_message
    asked = ctx.questions.get((chat.id, replied.message_id)) if replied else None
    if asked is None or replied is None:
        return  # a reply to something else: plain text is not a command
    asker = Asker(
        actor_of(update),
        origin_of(update),
        chat.id,
        asked.signal_message,
        None,
        reply_to=message.message_id,
    )
    try:
        choices = await ctx.engine.order_choices(asked.signal_id)
    except EngineError as error:
        _reply(ctx, asker, str(error))
        return
    try:
        price = parse_limit(
            message.text or "", quote=choices.quote, collar=ctx.engine.settings().price_collar_pct
        )
    except LimitError as error:
        signal = await _signal(ctx, asked.signal_id)
        again = question(signal_title(signal), choices.quote, signal.signal_type)
        send_question(ctx, chat.id, f"{error}.\n\n{again}", asked)
        return
    ctx.questions.pop((chat.id, replied.message_id), None)
    await decide(ctx, asked.signal_id, Variant(timing=asked.timing, limit_price=price), asker)


# -- orders queued for the open ---------------------------------------------------------


async def _cancel_queued(ctx: BotContext, signal_id: str, asker: Asker) -> None:
    assert asker.answer is not None
    try:
        decision = await ctx.engine.cancel_queued(signal_id, asker.actor, asker.origin)
    except NotAllowed as error:
        await _tell(ctx, asker, f"{VIEWER_REFUSAL}{error}")
        return
    except EngineError as error:
        await _tell(ctx, asker, str(error))
        return
    await asker.answer("Cancelled")
    _show(ctx, asker.where, f"CANCELLED by {asker.actor}: {decision.message}")
