"""Starting and stopping the running agent, the same way whether NiceGUI owns the loop
(web page on) or `asyncio.run` does (web page off): reconcile, schedule, Telegram; on
the way out the scheduler first, then Telegram, then the Engine's own work."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import Awaitable, Callable

from bot.app import TelegramFrontEnd
from core.agent.agent import Agent
from core.app.cli.common import UsageError
from core.base.settings import Settings
from core.drivers.scheduler import AgentScheduler
from webui.security import WebCredentials, resolve_credentials
from webui.state import WebState


def start_telegram(agent: Agent) -> TelegramFrontEnd | None:
    """The Telegram front end, when a token is configured (it retries in the background)."""
    settings = agent.services.settings
    if settings.env.telegram_bot_token is None:
        return None
    front_end = TelegramFrontEnd(settings, agent.engine)
    front_end.start_in_background()
    return front_end


class AgentRuntime:
    def __init__(self, agent: Agent, *, telegram: bool = True) -> None:
        self.agent = agent
        self.telegram_enabled = telegram
        self.scheduler: AgentScheduler | None = None
        self.telegram: TelegramFrontEnd | None = None

    async def start(self) -> None:
        report = await asyncio.to_thread(self.agent.session.start)
        print(
            f"reconciled with {self.agent.services.broker.name}: "
            f"{'ok' if report.ok else 'FAILED — new orders blocked: ' + str(report.error)}",
            flush=True,
        )
        self.scheduler = AgentScheduler(self.agent)
        self.scheduler.start()
        self.agent.engine.next_runs = self.scheduler.next_runs
        if self.telegram_enabled:
            self.telegram = start_telegram(self.agent)
        for job, when in sorted(self.scheduler.next_runs().items()):
            if when is not None:
                print(f"next {job:<11} {when:%Y-%m-%d %H:%M %Z}", flush=True)

    async def stop(self) -> None:
        print("stopping: scheduler first, then Telegram, then the database", flush=True)
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self.telegram is not None:
            await self.telegram.stop()
        await self.agent.engine.shutdown()


async def run_until_signalled(
    start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]
) -> None:
    """The web-page-off path: start, wait for SIGINT/SIGTERM, stop."""
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before start: a stop may come at once
        loop.add_signal_handler(sig, stopped.set)
    await start()
    try:
        await stopped.wait()
    finally:
        await stop()


def _check_port_free(host: str, port: int) -> None:
    """Fail before anything starts, with a message that says what to change."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise UsageError(
                f"web page: cannot listen on {host}:{port} ({error.strerror}); "
                "set WEBUI_PORT, stop the other program, or use --no-webui"
            ) from error


def web_state(settings: Settings) -> WebState:
    """Credentials resolved (and generated on first run), told to the owner."""
    env = settings.env
    credentials: WebCredentials = resolve_credentials(env, settings.home)
    _check_port_free(env.webui_host, env.webui_port)
    where = (
        f"password in {credentials.password_file}"
        if credentials.password_file
        else "password from WEBUI_PASSWORD"
    )
    print(f"web page: http://{env.webui_host}:{env.webui_port} ({where})", flush=True)
    return WebState(credentials)


class _FrontEnds:
    """What the demo stops when it ends: Telegram (if on) and the Engine's own work."""

    def __init__(self, agent: Agent, telegram: TelegramFrontEnd | None) -> None:
        self.agent = agent
        self.telegram = telegram

    async def stop(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()
        await self.agent.engine.shutdown()


def demo_front_ends(state: WebState | None, *, telegram: bool) -> Callable[[Agent], _FrontEnds]:
    """`run_demo`'s on_ready: hand the agent to the web page and start Telegram."""

    def ready(agent: Agent) -> _FrontEnds:
        if state is not None:
            state.attach(agent.engine)
        return _FrontEnds(agent, start_telegram(agent) if telegram else None)

    return ready


class DemoUnderWeb:
    """The demo as a task on NiceGUI's loop; the page closes when the demo ends."""

    def __init__(self, run: Callable[[], Awaitable[object]], on_end: Callable[[], None]) -> None:
        self.run = run
        self.on_end = on_end
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="demo")

    async def _run(self) -> None:
        try:
            await self.run()
        except Exception as error:  # shown, then the page stops: a dead demo must not look alive
            print(f"demo failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        self.on_end()

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
