"""The Telegram front end's lifecycle inside the agent's event loop (DESIGN §2).

Never `run_polling()` here: the loop belongs to the agent. `start` runs
`initialize → setMyCommands → start → updater.start_polling(drop_pending_updates)` in a
background task that retries with backoff while Telegram is unreachable — trading goes
on meanwhile — and then announces the signals still waiting. `stop` mirrors it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import BotCommand, Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import handlers
from bot.auth import Gate
from bot.callbacks import CallbackSigner
from bot.context import BotContext
from bot.notifier import Notifier
from core.agent.engine import Engine
from core.base.settings import Settings

log = logging.getLogger(__name__)

COMMANDS = [
    ("status", "mode, trading state, equity, P&L"),
    ("positions", "open positions with stops"),
    ("signals", "signals waiting for you"),
    ("trades", "recent fills"),
    ("pnl", "profit and loss: today, week, month, all"),
    ("mode", "show or change: auto, manual, hybrid"),
    ("kill", "stop trading (confirm: stop or flatten)"),
    ("resume", "trade again after a kill"),
    ("settings", "the runtime settings"),
    ("set", "change a setting: /set KEY VALUE"),
    ("chart", "price chart: /chart SYMBOL"),
    ("model", "the current model and its figures"),
    ("help", "what the bot can do"),
]
_HANDLERS = {
    "start": handlers.start,
    "help": handlers.start,
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
    "chart": handlers.chart,
    "model": handlers.model,
}


def build_application(settings: Settings, engine: Engine) -> Application:
    env = settings.env
    if env.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    token = env.telegram_bot_token.get_secret_value()
    builder = ApplicationBuilder().token(token).rate_limiter(AIORateLimiter(max_retries=3))
    if env.telegram_base_url:
        base = env.telegram_base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    application = builder.build()
    application.bot_data["stockbot"] = BotContext(
        engine=engine,
        gate=Gate(frozenset(env.telegram_allowed_users)),
        signer=CallbackSigner(token),
    )
    for name, handler in _HANDLERS.items():
        application.add_handler(CommandHandler(name, handler))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(MessageHandler(filters.COMMAND, handlers.unknown))
    application.add_error_handler(handlers.on_error)
    return application


class TelegramFrontEnd:
    def __init__(self, settings: Settings, engine: Engine, *, max_backoff: float = 60.0) -> None:
        self.engine = engine
        self.application = build_application(settings, engine)
        self.notifier = Notifier(
            self.application.bot, self.application.bot_data["stockbot"], settings.trading.timezone
        )
        self._max_backoff = max_backoff
        self._starter: asyncio.Task[None] | None = None
        self._notifier_task: asyncio.Task[None] | None = None
        self._started = False

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
        await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
        await app.start()
        # Updates sent while the agent was down are dropped: a stale tap must not act.
        await app.updater.start_polling(
            drop_pending_updates=True, allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY]
        )
        self._started = True
        self.engine.telegram_connected = True
        self._notifier_task = asyncio.create_task(self.notifier.run(), name="telegram-notifier")
        for signal in await self.engine.pending_signals():
            await self.notifier.announce(signal)
        log.info("telegram started")

    async def stop(self) -> None:
        for task in (self._starter, self._notifier_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        app = self.application
        if self._started:
            if app.updater and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()
        self.engine.telegram_connected = None if not self._started else False
