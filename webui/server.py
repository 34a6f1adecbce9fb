"""Wires the pages, the login guard and the live snapshot into NiceGUI, and serves them.
NiceGUI owns the event loop when the page is on (DESIGN §2): the caller's start and stop
work runs in `app.on_startup` / `app.on_shutdown`.

`GET /healthz` is the one open endpoint besides the login page: for a container's health
check, it answers `ok heartbeat_age_s=N` (200) while the shared snapshot refreshes, and
`starting` or `stale heartbeat_age_s=N` (503) otherwise — nothing else."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import PlainTextResponse, RedirectResponse
from nicegui import app, background_tasks, ui
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from core.base.settings import EnvSettings
from webui.pages import (
    audit,
    backtest,
    dashboard,
    login,
    models,
    review,
    settings,
    signals,
    trades,
)
from webui.security import proxy_header_options
from webui.state import WebState

HEALTH_PATH = "/healthz"
PUBLIC_PATHS = frozenset({"/login", HEALTH_PATH})
PAGES = (login, dashboard, signals, review, trades, models, backtest, settings, audit)


class LoginRequired(BaseHTTPMiddleware):
    """Every page and endpoint but the login page needs a logged-in session. NiceGUI's
    own assets and websocket (`/_nicegui…`) carry no data and serve the login page."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if (
            path.startswith("/_nicegui")
            or path in PUBLIC_PATHS
            or app.storage.user.get("authenticated")
        ):
            return await call_next(request)
        if request.method != "GET" or path.startswith("/export/"):
            return Response("log in first", status_code=401)
        target = path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?redirect_to={quote(target, safe='')}")


def register(state: WebState) -> None:
    """Declare every route and the guard; call once, before `ui.run`."""
    for page in PAGES:
        page.register(state)

    @app.get(HEALTH_PATH, include_in_schema=False)
    async def health() -> PlainTextResponse:
        status, text = state.health()
        return PlainTextResponse(
            text + "\n", status_code=status, headers={"Cache-Control": "no-store"}
        )

    app.add_middleware(LoginRequired)
    app.on_startup(lambda: background_tasks.create(state.follow(), name="web snapshot"))


def serve(
    state: WebState,
    env: EnvSettings,
    *,
    on_startup: Callable[[], Awaitable[None]],
    on_shutdown: Callable[[], Awaitable[None]],
) -> None:
    """Serve until SIGINT/SIGTERM (or `app.shutdown()`); blocks."""
    register(state)
    app.on_startup(on_startup)
    app.on_shutdown(on_shutdown)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again for
    # the handlers that were there before: ours turns it into a normal return, so the
    # caller's clean-up (closing the database) runs and the exit status is 0.
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with contextlib.suppress(_Stopped):
            _run(state, env)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Stopped(Exception):
    """The owner (Ctrl-C) or a service manager (SIGTERM) stopped the agent."""


def _stopped(signum: int, frame: object) -> None:
    raise _Stopped


def _run(state: WebState, env: EnvSettings) -> None:
    proxies: dict[str, Any] = proxy_header_options(env.webui_trusted_proxies)
    ui.run(
        host=env.webui_host,
        port=env.webui_port,
        title="stockbot",
        favicon="📈",
        reload=False,
        show=False,
        storage_secret=state.credentials.storage_secret,
        show_welcome_message=False,
        uvicorn_logging_level="warning",
        # Passed on to uvicorn: the client address is the socket's peer unless the peer
        # is a proxy listed in WEBUI_TRUSTED_PROXIES.
        **proxies,
    )


def shutdown() -> None:
    """Stop serving (the demo ends after `--sessions`)."""
    app.shutdown()
