"""The login page: the owner's password (or, when WEBUI_VIEWER_PASSWORD is set, the
viewer's, which opens every page read-only), constant-time checks, throttled per address
and for the account, local redirects only. The address is the connection's peer (see
`security.client_origin`), so a forged `X-Forwarded-For` changes neither the throttle
nor the audit's origin."""

from __future__ import annotations

import math

from fastapi import Request
from nicegui import app, ui

from webui.security import account_for, client_origin, safe_redirect
from webui.state import OWNER, WebState


def register(state: WebState) -> None:
    @ui.page("/login")
    async def login_page(request: Request, redirect_to: str = "/") -> None:
        target = safe_redirect(redirect_to)
        if app.storage.user.get("authenticated"):
            ui.navigate.to(target)
            return
        origin = client_origin(request)
        ui.page_title("stockbot · log in")

        async def attempt() -> None:
            wait = state.throttle.wait_seconds(origin, OWNER)
            if wait > 0:
                message.text = f"Too many wrong passwords. Try again in {math.ceil(wait)} s."
                return
            account = account_for(password.value or "", state.credentials)
            if account is not None:
                state.throttle.succeeded(origin, OWNER)
                app.storage.user.update(authenticated=True, user=account)
                await _audit(state, f"web:{account}", "web.login", origin)
                ui.navigate.to(target)
                return
            state.throttle.failed(origin, OWNER)
            password.value = ""
            message.text = "Wrong password."
            await _audit(state, f"web:{OWNER}", "web.login_refused", origin)

        with ui.card().classes("absolute-center w-80"):
            ui.label("stockbot").classes("text-xl font-bold")
            password = (
                ui.input("Password", password=True, password_toggle_button=True)
                .classes("w-full")
                .mark("password")
                .on("keydown.enter", attempt)
            )
            ui.button("Log in", on_click=attempt).classes("w-full").mark("login")
            message = ui.label("").classes("text-negative").mark("login-message")


async def _audit(state: WebState, actor: str, action: str, origin: str) -> None:
    if state.engine is not None:
        await state.engine.audit(actor, action, {}, origin)
