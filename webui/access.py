"""Who this browser session is: the owner, or a viewer who may look and not touch.

The account is written at login into NiceGUI's per-user storage, which lives on the
server and is found through a signed cookie: a browser cannot name itself the owner.
Pages read it once when they are built and hand the actor to every Engine call, so a
viewer's request — even one forged past a disabled button — reaches the Engine as
`web:viewer` and is refused and audited there (`Engine._only_the_owner`)."""

from __future__ import annotations

from dataclasses import dataclass

from nicegui import app

from webui.security import ACCOUNT, VIEWER

READ_ONLY_NOTE = "Read-only: a viewer may look, not change anything."


@dataclass(frozen=True)
class Visitor:
    account: str

    @property
    def actor(self) -> str:
        """`web:owner` or `web:viewer`: who the audit log says did it."""
        return f"web:{self.account}"

    @property
    def read_only(self) -> bool:
        """Anything but the owner only reads: an unknown or missing account (a session
        from before accounts existed, say) fails closed."""
        return self.account != ACCOUNT


def visitor() -> Visitor:
    """The logged-in visitor of the page being built (call inside a page function)."""
    account = app.storage.user.get("user")
    return Visitor(account if account in (ACCOUNT, VIEWER) else VIEWER)
