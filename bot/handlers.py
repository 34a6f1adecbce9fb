"""Command and button handlers: parse, call the Engine, format the answer. Nothing else.

Every handler passes the gate first (allow-listed user, private or allowed chat);
refusals are audited and get a neutral reply with no data. Button presses are answered
first, as Telegram expects, before the Engine decides.
"""

from __future__ import annotations

import io
import logging
import time
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import formatting, keyboards
from bot.auth import actor_of, origin_of
from bot.callbacks import ForgedCallback
from bot.charts import price_chart
from bot.context import KILL_CONFIRM_SECONDS, BotContext, bot_context
from core.agent.engine import EngineError, PnlPeriod
from core.base.types import OrderStatus, TradingMode

log = logging.getLogger(__name__)

NEUTRAL_REFUSAL = "This is a private bot."
PNL_PERIODS: dict[str, PnlPeriod] = {p: p for p in ("today", "week", "month", "all")}


async def _guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> BotContext | None:
    ctx = bot_context(context)
    refusal = ctx.gate.refusal(update)
    if refusal is None:
        return ctx
    detail: dict[str, Any] = {"why": refusal}
    if update.callback_query:
        detail["callback"] = (update.callback_query.data or "")[:64]
        await update.callback_query.answer(NEUTRAL_REFUSAL)
    elif update.effective_message:
        detail["text"] = (update.effective_message.text or "")[:64]
        await update.effective_message.reply_text(NEUTRAL_REFUSAL)
    await ctx.engine.audit(actor_of(update), "telegram.refused", detail, origin_of(update))
    return None


async def _reply(update: Update, text: str, **kwargs: Any) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(text, **kwargs)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if await _guard(update, context):
        await _reply(update, formatting.HELP)


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := await _guard(update, context):
        await _reply(update, formatting.status(await ctx.engine.status()))


async def positions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := await _guard(update, context):
        await _reply(update, formatting.positions(await ctx.engine.positions()))


async def trades(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := await _guard(update, context):
        await _reply(update, formatting.trades(await ctx.engine.trades(limit=15)))


async def signals(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := await _guard(update, context)):
        return
    pending = await ctx.engine.pending_signals()
    if not pending:
        await _reply(update, "No signals are waiting for you.")
        return
    chat_id = update.effective_chat.id
    for signal in pending:
        await _reply(
            update,
            formatting.signal(signal),
            reply_markup=keyboards.decision(ctx.signer, signal.id, chat_id),
        )


async def pnl(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := await _guard(update, context)):
        return
    asked = (context.args or ["today"])[0].lower()
    period = PNL_PERIODS.get(asked)
    if period is None or len(context.args or []) > 1:
        await _reply(update, "Usage: /pnl [today|week|month|all]")
        return
    await _reply(update, formatting.pnl(await ctx.engine.pnl(period)))


async def mode(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := await _guard(update, context)):
        return
    if not context.args:
        current = ctx.engine.settings().mode
        await _reply(
            update,
            f"Mode is {current.value}. Choose:",
            reply_markup=keyboards.modes(ctx.signer, update.effective_chat.id, current),
        )
        return
    if len(context.args) != 1 or context.args[0].lower() not in {m.value for m in TradingMode}:
        await _reply(update, "Usage: /mode [auto|manual|hybrid]")
        return
    chosen = await ctx.engine.set_mode(context.args[0], actor_of(update), origin_of(update))
    await _reply(update, f"Mode set to {chosen.value}.")


async def kill(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := await _guard(update, context):
        await _reply(
            update,
            f"Stop trading? Choose within {KILL_CONFIRM_SECONDS} seconds.",
            reply_markup=keyboards.kill_confirm(ctx.signer, update.effective_chat.id),
        )


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := await _guard(update, context):
        status = await ctx.engine.resume(actor_of(update), origin_of(update))
        await _reply(update, f"Trading is {status.state.value.upper()} again.")


async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := await _guard(update, context):
        await _reply(update, formatting.settings(ctx.engine.settings()))


async def set_setting(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := await _guard(update, context)):
        return
    if not context.args or len(context.args) < 2:
        await _reply(update, "Usage: /set KEY VALUE   (see /settings for the keys)")
        return
    key, value = context.args[0], " ".join(context.args[1:])
    try:
        await ctx.engine.update_settings({key: value}, actor_of(update), origin_of(update))
    except EngineError as error:
        await _reply(update, f"Not changed: {error}")
        return
    await _reply(update, f"{key} set to {getattr(ctx.engine.settings(), key)}.")


async def chart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := await _guard(update, context)):
        return
    if not context.args or len(context.args) != 1:
        await _reply(update, "Usage: /chart SYMBOL")
        return
    try:
        bars = await ctx.engine.bars(context.args[0])
    except EngineError as error:
        await _reply(update, str(error))
        return
    png = price_chart(context.args[0].upper(), bars)
    await update.effective_message.reply_photo(io.BytesIO(png))


async def model(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := await _guard(update, context):
        await _reply(update, formatting.model(await ctx.engine.model_report()))


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if await _guard(update, context):
        await _reply(update, "Unknown command. /help lists them.")


# -- buttons -------------------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := await _guard(update, context)):
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
        await _edit(query, f"Mode set to {chosen.value}.")
    elif callback.action == "k":
        scope, issued = callback.args
        if time.time() - int(issued) > KILL_CONFIRM_SECONDS:
            await query.answer("Too late: send /kill again.")
            await _edit(query, "Kill not confirmed in time; nothing changed.")
            return
        await query.answer("Stopping…")
        status = await ctx.engine.kill(scope, actor, origin)
        await _edit(query, f"Trading {status.state.value.upper()} ({status.reason}) by {actor}.")
    elif callback.action == "x":
        await query.answer("Cancelled")
        await _edit(query, "Kill cancelled; nothing changed.")
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
    try:
        if approve:
            decision = await ctx.engine.approve(signal_id, actor, origin)
        else:
            decision = await ctx.engine.reject(signal_id, actor, origin)
    except EngineError as error:
        await _edit(query, f"{formatting.signal(signal)}\n\n{error}")
        return
    await _edit(query, formatting.decided(signal, decision, actor, ctx.engine.now()))


async def _edit(query: Any, text: str) -> None:
    """Replace the message's text (or a photo's caption) and remove its buttons."""
    try:
        if query.message is not None and query.message.photo:
            await query.edit_message_caption(caption=text[:1024], reply_markup=None)
        else:
            await query.edit_message_text(text, reply_markup=None)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One place that logs handler failures with their context; the bot keeps running."""
    log.error(
        "telegram handler failed", exc_info=context.error, extra={"update": type(update).__name__}
    )
