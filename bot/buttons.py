"""Inline button presses: verify the signed data, then route — a signal's buttons to
`bot.decisions`, the mode and kill buttons here. Forged data is refused and audited.
Viewers' presses reach the Engine, which refuses and audits them; they are told why."""

from __future__ import annotations

import time
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.auth import actor_of, origin_of
from bot.callbacks import ForgedCallback
from bot.context import KILL_CONFIRM_SECONDS, BotContext, bot_context
from bot.decisions import SIGNAL_ACTIONS, VIEWER_REFUSAL, on_signal_button
from core.agent.engine import EngineError, NotAllowed

NEUTRAL_REFUSAL = "This is a private bot."


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = bot_context(context)
    query = update.callback_query
    chat = update.effective_chat
    if ctx.gate.refusal(update) is not None or query is None or chat is None:
        return
    try:
        callback = ctx.signer.verify(query.data or "", chat.id)
    except ForgedCallback:
        await query.answer(NEUTRAL_REFUSAL)
        await ctx.engine.audit(
            actor_of(update),
            "telegram.forged_callback",
            {"data": (query.data or "")[:64]},
            origin_of(update),
        )
        return
    if callback.action in SIGNAL_ACTIONS:
        await on_signal_button(update, ctx, callback)
        return
    actor, origin = actor_of(update), origin_of(update)
    try:
        if callback.action == "m":
            await query.answer()
            chosen = await ctx.engine.set_mode(callback.args[0], actor, origin)
            caveat = ctx.engine.mode_caveat(chosen)
            edit(ctx, query, f"Mode set to {chosen.value}." + (f"\n{caveat}" if caveat else ""))
        elif callback.action == "k":
            scope, issued = callback.args
            if time.time() - int(issued) > KILL_CONFIRM_SECONDS:
                await query.answer("Too late: send /kill again.")
                edit(ctx, query, "Kill not confirmed in time; nothing changed.")
                return
            await query.answer("Stopping…")
            status = await ctx.engine.kill(scope, actor, origin)
            edit(ctx, query, f"Trading {status.state.value.upper()} ({status.reason}) by {actor}.")
        elif callback.action == "x":
            await query.answer("Cancelled")
            edit(ctx, query, "Kill cancelled; nothing changed.")
        else:
            await query.answer()
    except NotAllowed as error:
        # The press was answered already: the refusal replaces the buttons' message.
        edit(ctx, query, f"{VIEWER_REFUSAL}{error}")
    except EngineError as error:
        edit(ctx, query, f"Not done: {error}")


def edit(ctx: BotContext, query: Any, text: str) -> None:
    """Replace the pressed message's text (or a photo's caption); its buttons go."""
    message = query.message
    if message is None:
        return
    ctx.outbox.edit(
        message.chat.id, message.message_id, text, caption=bool(getattr(message, "photo", None))
    )
