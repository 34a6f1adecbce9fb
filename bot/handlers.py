"""Command handlers: parse, call the Engine, format the answer. Nothing else (button
presses are `bot.buttons` and `bot.decisions`).

`gatekeeper` runs first for every update (handler group -1): an allow-listed user or a
viewer in a private or allowed chat goes on; anyone else is stopped there, before
anything slow, with at most one neutral reply and one audit row per user an hour
(`bot.strangers`). A viewer reads like the owner; what they ask to change goes to the
Engine, which refuses and audits it, and they are told why. Answers go into the outbox
(`bot.outbox`), which paces them to Telegram's limits, so a handler never waits for a
send and a backed-up chat never delays a button press.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import formatting, keyboards, notify_levels
from bot.auth import actor_of, origin_of
from bot.buttons import NEUTRAL_REFUSAL
from bot.charts import render_price_chart
from bot.commands import button_commands
from bot.context import KILL_CONFIRM_SECONDS, BotContext, bot_context
from bot.decisions import VIEWER_REFUSAL
from bot.notifier import closed_until, model_proven
from bot.outbox import Markup
from bot.queued import queued_messages
from bot.review_text import review_text
from bot.signal_messages import signal_copy
from bot.strangers import Row
from core.agent.engine import EngineError, NotAllowed, PnlPeriod, ReviewPeriod
from core.base.types import KillScope, TradingMode

log = logging.getLogger(__name__)
PNL_PERIODS: dict[str, PnlPeriod] = {p: p for p in ("today", "week", "month", "all")}
REVIEW_PERIODS: dict[str, ReviewPeriod] = {p: p for p in ("week", "month", "all")}


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


def _refused(update: Update, ctx: BotContext, error: EngineError) -> None:
    """A change the Engine refused: a viewer's (audited by the Engine), or a bad value."""
    if isinstance(error, NotAllowed):
        _reply(update, ctx, f"{VIEWER_REFUSAL}{error}")
    else:
        _reply(update, ctx, f"Not changed: {error}")


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
    """Waiting signals (with their buttons and time left), then orders queued for the
    open (each with Cancel). A viewer gets the same texts without buttons."""
    if not (ctx := _allowed(update, context)) or update.effective_chat is None:
        return
    chat_id = update.effective_chat.id
    owner = not ctx.engine.is_viewer(actor_of(update))
    pending = await ctx.engine.pending_signals()
    queued = await ctx.engine.queued_orders()
    if not pending and not queued:
        _reply(update, ctx, "No signals are waiting for you, and no orders wait for the open.")
        return
    if pending:
        equity = (await ctx.engine.status()).equity
        held = {p.symbol: (p.quantity, p.entry) for p in await ctx.engine.positions()}
        proven = model_proven(ctx)
        wall_now = ctx.countdowns.now() if ctx.countdowns else None
        for signal in pending:
            deadline = ctx.countdowns.watch(signal) if ctx.countdowns else None
            try:
                choices = await ctx.engine.order_choices(signal.id)
            except EngineError:
                choices = None
            text = formatting.signal(
                signal,
                ctx.zone,
                equity=equity,
                held=held.get(signal.symbol),
                proven=proven,
                deadline=deadline,
                wall_now=wall_now,
                opens=closed_until(choices),
            )
            # Each copy is remembered, so a decision anywhere removes its buttons too.
            signal_copy(ctx, signal, chat_id, text, choices, buttons=owner)
    queued_messages(ctx, chat_id, queued, buttons=owner)


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
    if not (ctx := _allowed(update, context)) or update.effective_chat is None:
        return
    if not context.args:
        current = ctx.engine.settings().mode
        caveat = ctx.engine.mode_caveat(current)
        _reply(
            update,
            ctx,
            f"Mode is {current.value}" + (f" ({caveat})" if caveat else "") + ". Choose:",
            keyboards.modes(ctx.signer, update.effective_chat.id, current),
        )
        return
    if len(context.args) != 1 or context.args[0].lower() not in {m.value for m in TradingMode}:
        _reply(update, ctx, "Usage: /mode [auto|manual|hybrid]")
        return
    try:
        chosen = await ctx.engine.set_mode(context.args[0], actor_of(update), origin_of(update))
    except EngineError as error:
        _refused(update, ctx, error)
        return
    caveat = ctx.engine.mode_caveat(chosen)
    _reply(update, ctx, f"Mode set to {chosen.value}." + (f"\nBut {caveat}." if caveat else ""))


async def kill(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := _allowed(update, context)) or update.effective_chat is None:
        return
    actor = actor_of(update)
    if ctx.engine.is_viewer(actor):
        # Straight to the Engine, which refuses a viewer (and audits it) before anything.
        try:
            await ctx.engine.kill(KillScope.STOP, actor, origin_of(update))
        except EngineError as error:
            _refused(update, ctx, error)
        return
    _reply(
        update,
        ctx,
        f"Stop trading? Choose within {KILL_CONFIRM_SECONDS} seconds.",
        keyboards.kill_confirm(ctx.signer, update.effective_chat.id),
    )


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := _allowed(update, context)):
        return
    try:
        status = await ctx.engine.resume(actor_of(update), origin_of(update))
    except EngineError as error:
        _refused(update, ctx, error)
        return
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
        _refused(update, ctx, error)
        return
    _reply(update, ctx, f"{key} set to {getattr(ctx.engine.settings(), key)}.")


async def notify(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/notify` shows each kind's level; `/notify fills silent` sets one."""
    if not (ctx := _allowed(update, context)):
        return
    if not context.args:
        _reply(update, ctx, notify_levels.levels_text(ctx.engine.settings()))
        return
    try:
        kind, level = notify_levels.parse(list(context.args))
    except ValueError as error:
        _reply(update, ctx, str(error))
        return
    try:
        await ctx.engine.update_settings(
            {f"notify_{kind}": level}, actor_of(update), origin_of(update)
        )
    except EngineError as error:
        _refused(update, ctx, error)
        return
    _reply(update, ctx, notify_levels.changed_text(kind, level))


async def chart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not (ctx := _allowed(update, context)) or update.effective_chat is None:
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


async def review(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What your decisions did against full auto, over a week, a month or all."""
    if not (ctx := _allowed(update, context)):
        return
    asked = (context.args or ["week"])[0].lower()
    period = REVIEW_PERIODS.get(asked)
    if period is None or len(context.args or []) > 1:
        _reply(update, ctx, "Usage: /review [week|month|all]")
        return
    _reply(update, ctx, review_text(await ctx.engine.review(period), ctx.zone))


async def model(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := _allowed(update, context):
        _reply(update, ctx, formatting.model(await ctx.engine.model_report()))


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if ctx := _allowed(update, context):
        _reply(update, ctx, "Unknown command. /help lists them.")


_MENU_HANDLERS = {
    "status": status,
    "positions": positions,
    "signals": signals,
    "pnl": pnl,
    "trades": trades,
    "model": model,
    "review": review,
    "help": help_command,
}
"""What each /menu button answers: reading commands only (and /help)."""


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One place that logs handler failures with their context; the bot keeps running."""
    log.error(
        "telegram handler failed", exc_info=context.error, extra={"update": type(update).__name__}
    )
