"""The Telegram front end's lifecycle inside the agent's event loop (DESIGN §2).

Never `run_polling()` here: the loop belongs to the agent. `start` runs
`initialize → setMyCommands → start → updater.start_polling(drop_pending_updates)` in a
background task that retries with backoff while Telegram is unreachable — trading goes
on meanwhile — and then announces the signals still waiting. `stop` mirrors it: the
refusal counts not yet audited are written, the outbox gets a few seconds to send what
is waiting, then polling and the application stop.

Updates are handled one at a time, in order: handlers only put answers in the outbox
(they never wait for Telegram), and refused senders are stopped by a group -1 handler
before anything slow, so nobody's flood delays the owner's next command or press.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import BotCommand, Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import buttons, handlers
from bot.auth import Gate
from bot.callbacks import CallbackSigner
from bot.commands import bot_commands, button_commands
from bot.context import BotContext
from bot.decisions import limit_reply
from bot.notifier import Notifier
from bot.outbox import Outbox
from core.agent.engine import Engine
from core.base import explain
from core.base.settings import Settings

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0
"""How often refusal counts whose hour is over are written to the audit log."""

_HANDLERS = {
    "start": handlers.start,
    "help": handlers.help_command,
    "menu": handlers.menu,
    "status": handlers.status,
    "positions": handlers.positions,
    "signals": handlers.signals,
    "trades": handlers.trades,
    "pnl": handlers.pnl,
    "mode": handlers.mode,
    "kill": handlers.kill,
    "resume": handlers.resume,
    "settings": handlers.settings,
    "set": handlers.set_setting,
    "notify": handlers.notify,
    "chart": handlers.chart,
    "model": handlers.model,
    "review": handlers.review,
}
"""Every command in `bot.commands.COMMANDS` (and /start, Telegram's first message)."""


def build_application(settings: Settings, engine: Engine) -> Application:
    env = settings.env
    if env.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    token = env.telegram_bot_token.get_secret_value()
    # No library rate limiter: the outbox paces every message (a library limiter would
    # make handlers wait, and its 429 handling pauses every chat at once).
    builder = ApplicationBuilder().token(token)
    if env.telegram_base_url:
        base = env.telegram_base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    application = builder.build()
    application.bot_data["stockbot"] = BotContext(
        engine=engine,
        gate=Gate(frozenset(env.telegram_allowed_users), viewers=frozenset(env.telegram_viewers)),
        signer=CallbackSigner(token),
        outbox=Outbox(application.bot),
        zone=explain.zone(engine.timezone),
    )
    application.add_handler(TypeHandler(Update, handlers.gatekeeper), group=-1)
    for name, handler in _HANDLERS.items():
        application.add_handler(CommandHandler(name, handler))
    # A /menu button sends its label as a plain message: answered like its command.
    labels = button_commands()
    application.add_handler(
        MessageHandler(filters.Text(list(labels)) & ~filters.COMMAND, handlers.menu_button)
    )
    # A reply to the bot's "your limit price?" question approves with that price.
    application.add_handler(
        MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, limit_reply)
    )
    application.add_handler(CallbackQueryHandler(buttons.button))
    application.add_handler(MessageHandler(filters.COMMAND, handlers.unknown))
    application.add_error_handler(handlers.on_error)
    return application


class TelegramFrontEnd:
    def __init__(self, settings: Settings, engine: Engine, *, max_backoff: float = 60.0) -> None:
        self.engine = engine
        self.application = build_application(settings, engine)
        self.context: BotContext = self.application.bot_data["stockbot"]
        self.notifier = Notifier(self.context, settings.trading.timezone)
        self._max_backoff = max_backoff
        self._starter: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False

    @property
    def outbox(self) -> Outbox:
        return self.context.outbox

    def start_in_background(self) -> asyncio.Task[None]:
        self._starter = asyncio.create_task(self._start_with_retry(), name="telegram-start")
        return self._starter

    async def _start_with_retry(self) -> None:
        delay = 1.0
        while True:
            try:
                await self._start_once()
                return
            except (NetworkError, TimedOut) as error:
                self.engine.telegram_connected = False
                log.warning(
                    "telegram unreachable; retrying", extra={"delay_s": delay, "why": str(error)}
                )
                with contextlib.suppress(Exception):
                    await self.application.shutdown()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)

    async def _start_once(self) -> None:
        app = self.application
        await app.initialize()
        await app.bot.set_my_commands([BotCommand(name, text) for name, text in bot_commands()])
        await app.start()
        # Updates sent while the agent was down are dropped: a stale tap must not act.
        assert app.updater is not None  # the builder always makes one
        await app.updater.start_polling(
            drop_pending_updates=True, allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY]
        )
        self._started = True
        self.engine.telegram_connected = True
        self._tasks = [
            asyncio.create_task(self.notifier.run(), name="telegram-notifier"),
            asyncio.create_task(self._sweep_refusals(), name="telegram-refusal-sweep"),
        ]
        for signal in await self.engine.pending_signals():
            await self.notifier.announce(signal)
        log.info("telegram started")

    async def _sweep_refusals(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            self.context.audit_refusals(self.context.strangers.due())

    async def stop(self) -> None:
        await self.notifier.countdowns.close()
        for task in (self._starter, *self._tasks):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._tasks = []
        if not self._started:  # never connected (or stopped already)
            self.engine.telegram_connected = None
            return
        self._started = False
        app = self.application
        if app.updater and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()  # the updates already fetched are handled first
        self.context.audit_refusals(self.context.strangers.flush())
        await self.context.settle()
        await self.outbox.close()  # the bot's connection is still open until shutdown
        await app.shutdown()
        self.engine.telegram_connected = False
