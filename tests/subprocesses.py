"""For tests that start `stockbot` as a user would: in its own process, on a free port."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

STOCKBOT = Path(sys.executable).with_name("stockbot")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    """This environment without pytest's markers: NiceGUI takes PYTEST_CURRENT_TEST to
    mean "under test" and would ignore the port it is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NICEGUI_"))}
    env.update(extra)
    return env
