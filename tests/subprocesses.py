"""For tests that start `stockbot` as a user would: in its own process, on a free port,
optionally without the power to ignore file permissions."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import cache
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


class Output:
    """A child's stdout read line by line in a thread, so waiting for a line has a real
    deadline even when the child prints nothing."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.process = process
        self.lines: list[str] = []
        self._stream = process.stdout
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            self.lines.append(line)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in self.text:
                return
            if self.process.poll() is not None:
                self._thread.join(timeout=5)
                if text in self.text:
                    return
                raise AssertionError(
                    f"{text!r} never printed; exit {self.process.returncode}:\n{self.text}"
                )
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not printed within {seconds:.0f} s:\n{self.text}")

    def rest(self, timeout: float = 30) -> str:
        """Everything, once the child has exited."""
        self.process.wait(timeout=timeout)
        self._thread.join(timeout=timeout)
        return self.text


def wait_for_port(
    port: int, alive: Callable[[], bool], seconds: float = 120, host: str = "127.0.0.1"
) -> None:
    """Until something accepts connections on host:port (the server listens, not just
    logs that it will), while `alive()` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError(f"the process exited before {host}:{port} accepted connections")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing accepted connections on {host}:{port} within {seconds:.0f} s")


DROP_PRIVILEGES = ("setpriv", "--inh-caps=-all", "--bounding-set=-all", "--")
"""Run as root without any capability: file permissions then apply to the child as to
any user (CAP_DAC_OVERRIDE is gone), and the interpreter, which may live in root's
home, can still be run."""


@cache
def unprivileged_prefix() -> tuple[str, ...] | None:
    """A command prefix under which a child is refused what file permissions refuse;
    () when this process already is; None when there is no way here."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o555)
        write = f"open({str(Path(folder) / 'x')!r}, 'w')"
        probe = subprocess.run(
            [*DROP_PRIVILEGES, sys.executable, "-c", write], capture_output=True, check=False
        )
        os.chmod(folder, 0o755)
    refused = probe.returncode != 0 and b"PermissionError" in probe.stderr
    return DROP_PRIVILEGES if refused else None
