"""The state the NiceGUI main file serves; the `web` fixture fills it before each test
(NiceGUI's simulation runs a main *file*, so the state cannot be passed as an argument)."""

from __future__ import annotations

from webui.state import WebState

state: WebState | None = None
