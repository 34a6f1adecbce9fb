"""A fake Alpaca REST API: real HTTP on 127.0.0.1 that alpaca-py talks to through its
base-URL settings (DESIGN §10).

Market data: `GET /v2/stocks/bars` (multi-symbol, paginated with `next_page_token`),
`GET /v2/stocks/trades/latest`. Bars come from frames the test gives (`set_bars`).
Routes are a table, so trading endpoints can be added beside these.

Faults are queued and consumed by matching requests: an HTTP status (429, 500, 503,
504, 401, 422), `slow` (answer after a delay longer than the client's timeout),
`drop` (close the connection without answering), `malformed` (invalid JSON).
Every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pandas as pd

Handler = Callable[["Request"], tuple[int, Any]]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Fault:
    kind: str
    """An HTTP status as text ("429"), or slow, drop, malformed."""
    path_prefix: str = ""
    remaining: int = 1
    delay: float = 0.0


@dataclass
class FakeAlpacaState:
    bars: dict[str, pd.DataFrame] = field(default_factory=dict)
    page_size: int = 1000
    requests: list[Request] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _daily_stamp(ts: pd.Timestamp) -> str:
    """Alpaca stamps daily bars at midnight New York, expressed in UTC."""
    local = pd.Timestamp(ts.date(), tz="America/New_York")
    return local.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeAlpacaServer:
    def __init__(self, *, api_key: str = "test-key", secret_key: str = "test-secret") -> None:
        self.api_key = api_key
        self.secret_key = secret_key
        self.state = FakeAlpacaState()
        self.routes: dict[tuple[str, str], Handler] = {
            ("GET", "/v2/stocks/bars"): self._bars,
            ("GET", "/v2/stocks/trades/latest"): self._latest_trades,
        }
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- control -----------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeAlpacaServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def set_bars(self, bars: dict[str, pd.DataFrame]) -> None:
        self.state.bars.update(bars)

    def add_fault(
        self, kind: str, *, path_prefix: str = "", times: int = 1, delay: float = 0.0
    ) -> None:
        with self.state.lock:
            self.state.faults.append(Fault(str(kind), path_prefix, times, delay))

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.state.requests if r.path == path]

    # -- routes --------------------------------------------------------------------

    def _bars(self, request: Request) -> tuple[int, Any]:
        symbols = request.query.get("symbols", "").split(",")
        start = pd.Timestamp(request.query["start"]) if "start" in request.query else None
        end = pd.Timestamp(request.query["end"]) if "end" in request.query else None
        rows: list[tuple[str, dict]] = []
        for symbol in sorted(symbols):
            frame = self.state.bars.get(symbol)
            if frame is None:
                continue
            for ts, bar in frame.iterrows():
                stamp = pd.Timestamp(_daily_stamp(ts))
                if (start is not None and stamp < start) or (end is not None and stamp > end):
                    continue
                rows.append(
                    (
                        symbol,
                        {
                            "t": _daily_stamp(ts),
                            "o": bar["open"],
                            "h": bar["high"],
                            "l": bar["low"],
                            "c": bar["close"],
                            "v": bar["volume"],
                            "n": 100,
                            "vw": bar["close"],
                        },
                    )
                )
        offset = int(request.query.get("page_token") or 0)
        limit = min(int(request.query.get("limit") or self.state.page_size), self.state.page_size)
        page = rows[offset : offset + limit]
        grouped: dict[str, list[dict]] = {}
        for symbol, bar in page:
            grouped.setdefault(symbol, []).append(bar)
        next_token = str(offset + limit) if offset + limit < len(rows) else None
        return 200, {"bars": grouped, "next_page_token": next_token}

    def _latest_trades(self, request: Request) -> tuple[int, Any]:
        trades = {}
        for symbol in request.query.get("symbols", "").split(","):
            frame = self.state.bars.get(symbol)
            if frame is None or frame.empty:
                continue
            trades[symbol] = {
                "t": _daily_stamp(frame.index[-1]),
                "p": float(frame["close"].iloc[-1]),
                "s": 100,
                "x": "V",
                "i": 1,
                "c": ["@"],
                "z": "C",
            }
        return 200, {"trades": trades}

    # -- HTTP plumbing -------------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        with self.state.lock:
            for fault in self.state.faults:
                if path.startswith(fault.path_prefix) and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.state.faults.remove(fault)
                    return fault
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: Any, raw: bytes | None = None) -> None:
                body = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _dispatch(self, method: str) -> None:
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw_body = self.rfile.read(length) if length else b""
                request = Request(
                    method=method,
                    path=parsed.path,
                    query={k: v[-1] for k, v in parse_qs(parsed.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=json.loads(raw_body) if raw_body else None,
                )
                with fake.state.lock:
                    fake.state.requests.append(request)
                if request.headers.get("apca-api-key-id") != fake.api_key:
                    self._send(401, {"code": 40110000, "message": "request is not authorized"})
                    return
                fault = fake._take_fault(parsed.path)
                route = fake.routes.get((method, parsed.path))
                if fault is not None and fault.kind == "slow":
                    time.sleep(fault.delay)
                elif fault is not None and fault.kind == "drop":
                    if route is not None:
                        route(request)  # the server acts, then the answer is lost
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                elif fault is not None and fault.kind == "malformed":
                    self._send(200, None, raw=b'{"bars": {"PLTR": [{"t": ')
                    return
                elif fault is not None:
                    status = int(fault.kind)
                    self._send(status, {"code": status * 100000, "message": f"fault {status}"})
                    return
                if route is None:
                    self._send(
                        404, {"code": 40400000, "message": f"no route {method} {parsed.path}"}
                    )
                    return
                status, payload = route(request)
                self._send(status, payload)

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_POST(self) -> None:
                self._dispatch("POST")

            def do_DELETE(self) -> None:
                self._dispatch("DELETE")

            def do_PATCH(self) -> None:
                self._dispatch("PATCH")

        return _Handler


@contextmanager
def running_fake_alpaca() -> Iterator[FakeAlpacaServer]:
    server = FakeAlpacaServer().start()
    try:
        yield server
    finally:
        server.stop()
