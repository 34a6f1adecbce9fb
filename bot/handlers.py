"""Command and button handlers: parse, call the Engine, format the answer. Nothing else.

`gatekeeper` runs first for every update (handler group -1): an allow-listed user in a
private or allowed chat goes on; anyone else is stopped there, before anything slow,
with at most one neutral reply and one audit row per user an hour (`bot.strangers`).
Answers go into the outbox (`bot.outbox`), which paces them to Telegram's limits, so a
handler never waits for a send and a backed-up chat never delays a button press. Button
presses are answered first, as Telegram expects, before the Engine decides.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import formatting, keyboards
from bot.auth import actor_of, origin_of
from bot.callbacks import ForgedCallback
from bot.charts import render_price_chart
from bot.commands import button_commands
from bot.context import KILL_CONFIRM_SECONDS, BotContext, bot_context
from bot.outbox import Markup
from bot.signal_messages import signal_copy
from bot.strangers import Row
from core.agent.engine import EngineError, PnlPeriod
from core.base.types import OrderStatus, TradingMode

log = logging.getLogger(__name__)

NEUTRAL_REFUSAL = "This is a private bot."
PNL_PERIODS: dict[str, PnlPeriod] = {p: p for p in ("today", "week", "month", "all")}


async def gatekeeper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Let allowed users through; stop everyone else here, cheaply (group -1)."""
    ctx = bot_context(context)
    refusal = ctx.gate.refusal(update)
    if refusal is None:
        return
    query = update.callback_query
    if query is not None:
        detail = {"callback": (query.data or "")[:64]}
    else:
        message = update.effective_message
        detail = {"text": ((message.text if message else None) or "")[:64]}
    user = update.effective_user
    verdict = ctx.strangers.attempt(
        Row(
            user=str(user.id) if user else "unknown",
            attempts=1,
            why=refusal,
            detail=detail,
            actor=actor_of(update),
            origin=origin_of(update),
        )
    )
    if verdict.reply:
        if query is not None:
            ctx.in_background(query.answer(NEUTRAL_REFUSAL))
        elif update.effective_chat is not None:
            ctx.outbox.courtesy(update.effective_chat.id, NEUTRAL_REFUSAL)
    if verdict.row is not None:
        ctx.audit_refusals([verdict.row])
    raise ApplicationHandlerStop


def _allowed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> BotContext | None:
    """The gatekeeper has already stopped refused updates; checked again, silently."""
    ctx = bot_context(context)
    return ctx if ctx.gate.refusal(update) is None else None


def _reply(update: Update, ctx: BotContext, text: str, markup: Markup | None = None) -> None:
    if update.effective_chat is not None:
        ctx.outbox.send(update.effective_chat.id, text, markup=markup)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The first message in a chat: what the bot can do, and the menu's buttons."""
    if ctx := _allowed(update, context):
        _reply(update, ctx, formatting.HELP, keyboards.menu())


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := _allowed(update, context):
        _reply(update, ctx, formatting.HELP)


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons for the reading commands under the typing field; `/menu off` hides them."""
    if not (ctx := _allowed(update, context)):
        return
    if context.args and context.args[0].lower() in ("off", "hide", "close"):
        _reply(update, ctx, "Menu hidden. /menu shows it again.", keyboards.no_menu())
        return
    _reply(update, ctx, "Menu: tap a button. /menu off hides it.", keyboards.menu())


async def menu_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A /menu button's label arrived as a message: answer it as its command."""
    message = update.effective_message
    name = button_commands().get((message.text or "").strip()) if message else None
    handler = _MENU_HANDLERS.get(name or "")
    if handler is not None:
        context.args = []
        await handler(update, context)


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := _allowed(update, context):
        _reply(update, ctx, formatting.status(await ctx.engine.status(), ctx.zone))


async def positions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := _allowed(update, context):
        _reply(update, ctx, formatting.positions(await ctx.engine.positions()))


async def trades(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := _allowed(update, context):
        _reply(update, ctx, formatting.trades(await ctx.engine.trades(limit=15), ctx.zone))


async def signals(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := _allowed(update, context)):
        return
    pending = await ctx.engine.pending_signals()
    if not pending:
        _reply(update, ctx, "No signals are waiting for you.")
        return
    equity = (await ctx.engine.status()).equity
    held = {p.symbol: (p.quantity, p.entry) for p in await ctx.engine.positions()}
    for signal in pending:
        # Each copy is remembered, so a decision anywhere removes its buttons too.
        text = formatting.signal(signal, ctx.zone, equity=equity, held=held.get(signal.symbol))
        signal_copy(ctx, signal, update.effective_chat.id, text)


async def pnl(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := _allowed(update, context)):
        return
    asked = (context.args or ["today"])[0].lower()
    period = PNL_PERIODS.get(asked)
    if period is None or len(context.args or []) > 1:
        _reply(update, ctx, "Usage: /pnl [today|week|month|all]")
        return
    _reply(update, ctx, formatting.pnl(await ctx.engine.pnl(period), ctx.zone))


async def mode(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := _allowed(update, context)):
        return
    if not context.args:
        current = ctx.engine.settings().mode
        _reply(
            update,
            ctx,
            f"Mode is {current.value}. Choose:",
            keyboards.modes(ctx.signer, update.effective_chat.id, current),
        )
        return
    if len(context.args) != 1 or context.args[0].lower() not in {m.value for m in TradingMode}:
        _reply(update, ctx, "Usage: /mode [auto|manual|hybrid]")
        return
    chosen = await ctx.engine.set_mode(context.args[0], actor_of(update), origin_of(update))
    _reply(update, ctx, f"Mode set to {chosen.value}.")


async def kill(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := _allowed(update, context):
        _reply(
            update,
            ctx,
            f"Stop trading? Choose within {KILL_CONFIRM_SECONDS} seconds.",
            keyboards.kill_confirm(ctx.signer, update.effective_chat.id),
        )


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := _allowed(update, context):
        status = await ctx.engine.resume(actor_of(update), origin_of(update))
        _reply(update, ctx, f"Trading is {status.state.value.upper()} again.")


async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := _allowed(update, context):
        _reply(update, ctx, formatting.settings(ctx.engine.settings()))


async def set_setting(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := _allowed(update, context)):
        return
    if not context.args or len(context.args) < 2:
        _reply(update, ctx, "Usage: /set KEY VALUE   (see /settings for the keys)")
        return
    key, value = context.args[0], " ".join(context.args[1:])
    try:
        await ctx.engine.update_settings({key: value}, actor_of(update), origin_of(update))
    except EngineError as error:
        _reply(update, ctx, f"Not changed: {error}")
        return
    _reply(update, ctx, f"{key} set to {getattr(ctx.engine.settings(), key)}.")


async def chart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := _allowed(update, context)):
        return
    if not context.args or len(context.args) != 1:
        _reply(update, ctx, "Usage: /chart SYMBOL")
        return
    symbol = context.args[0].upper()
    try:
        bars = await ctx.engine.bars(symbol)
    except EngineError as error:
        _reply(update, ctx, str(error))
        return
    png = await render_price_chart(symbol, bars)
    ctx.outbox.send(update.effective_chat.id, f"{symbol}, last {len(bars)} sessions", photo=png)


async def model(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := _allowed(update, context):
        _reply(update, ctx, formatting.model(await ctx.engine.model_report()))


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := _allowed(update, context):
        _reply(update, ctx, "Unknown command. /help lists them.")


# -- buttons -------------------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := _allowed(update, context)):
        return
    query = update.callback_query
    chat_id = update.effective_chat.id
    try:
        callback = ctx.signer.verify(query.data or "", chat_id)
    except ForgedCallback:
        await query.answer(NEUTRAL_REFUSAL)
        await ctx.engine.audit(
            actor_of(update),
            "telegram.forged_callback",
            {"data": (query.data or "")[:64]},
            origin_of(update),
        )
        return
    actor, origin = actor_of(update), origin_of(update)
    if callback.action in ("a", "r"):
        await _decide(
            update,
            ctx,
            callback.args[0],
            approve=callback.action == "a",
            actor=actor,
            origin=origin,
        )
    elif callback.action == "m":
        await query.answer()
        chosen = await ctx.engine.set_mode(callback.args[0], actor, origin)
        _edit(ctx, query, f"Mode set to {chosen.value}.")
    elif callback.action == "k":
        scope, issued = callback.args
        if time.time() - int(issued) > KILL_CONFIRM_SECONDS:
            await query.answer("Too late: send /kill again.")
            _edit(ctx, query, "Kill not confirmed in time; nothing changed.")
            return
        await query.answer("Stopping…")
        status = await ctx.engine.kill(scope, actor, origin)
        _edit(ctx, query, f"Trading {status.state.value.upper()} ({status.reason}) by {actor}.")
    elif callback.action == "x":
        await query.answer("Cancelled")
        _edit(ctx, query, "Kill cancelled; nothing changed.")
    else:
        await query.answer()


async def _decide(
    update: Update, ctx: BotContext, signal_id: str, *, approve: bool, actor: str, origin: str
) -> None:
    query = update.callback_query
    try:
        signal = await ctx.engine.signal(signal_id)
    except EngineError as error:
        await query.answer(str(error))
        return
    if signal.status is not OrderStatus.PENDING:
        await query.answer(f"Already {signal.status.value}.")
        return
    await query.answer("Approving…" if approve else "Rejecting…")
    if query.message is not None:
        ctx.tapped[signal_id] = (query.message.chat.id, query.message.message_id)
    try:
        if approve:
            decision = await ctx.engine.approve(signal_id, actor, origin)
        else:
            decision = await ctx.engine.reject(signal_id, actor, origin)
    except EngineError as error:
        ctx.tapped.pop(signal_id, None)
        _edit(ctx, query, f"{formatting.signal(signal, ctx.zone)}\n\n{error}")
        return
    _edit(ctx, query, formatting.decided(signal, decision, actor, ctx.engine.now(), ctx.zone))


def _edit(ctx: BotContext, query: Any, text: str) -> None:
    """Replace the tapped message's text (or a photo's caption) and remove its buttons."""
    message = query.message
    if message is None:
        return
    ctx.outbox.edit(
        message.chat.id, message.message_id, text, caption=bool(getattr(message, "photo", None))
    )


_MENU_HANDLERS = {
    "status": status,
    "positions": positions,
    "signals": signals,
    "pnl": pnl,
    "trades": trades,
    "model": model,
    "help": help_command,
}
"""What each /menu button answers: reading commands only (and /help)."""


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One place that logs handler failures with their context; the bot keeps running."""
    log.error(
        "telegram handler failed", exc_info=context.error, extra={"update": type(update).__name__}
    )
