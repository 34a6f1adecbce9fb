"""NiceGUI main file for the `user` tests: the real pages and login guard on the state
the fixture prepared (see slot.py)."""

from nicegui import ui

from tests.integration.webui import slot
from webui.server import register

assert slot.state is not None, "the web fixture sets slot.state first"
register(slot.state)
ui.run(storage_secret=slot.state.credentials.storage_secret)
