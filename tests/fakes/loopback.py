"""What every fake HTTP service shares: a threaded server on 127.0.0.1 (a free port),
started and stopped around a test, and a quiet JSON request handler. The fakes differ
only in their routes and faults."""

from __future__ import annotations

import contextlib
import json
import threading
from abc import ABC, abstractmethod
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's
    # algorithm and the client's delayed ACK hold the body back ~40 ms per answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a request log on stderr would bury the test's own output."""

    def send_json(self, status: int, payload: Any, raw: bytes | None = None) -> None:
        """`payload` as JSON (no body for 204), or `raw` bytes as they are."""
        if raw is None:
            raw = b"" if status == 204 else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        # The client may have given up (a timeout test, or shutting down).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(raw)

    def drop_connection(self) -> None:
        """Close without an answer, as a failing network would."""
        self.close_connection = True
        self.connection.shutdown(2)


class LoopbackServer(ABC):
    """Subclasses give `_handler_class()`: a `JsonHandler` bound to the fake's state."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @abstractmethod
    def _handler_class(self) -> type[JsonHandler]: ...

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
