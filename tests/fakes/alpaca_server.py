"""A fake Alpaca REST API: real HTTP on 127.0.0.1 that alpaca-py talks to through its
base-URL settings (DESIGN §10).

Market data: `GET /v2/stocks/bars` (multi-symbol, paginated with `next_page_token`),
`GET /v2/stocks/trades/latest`. Bars come from frames the test gives (`set_bars`).

Trading: account (today's schema: no pattern-day-trader fields since 2026-07-06; a
`multiplier`, 1 for a cash account), orders (create, get, by client order id, list,
replace, cancel one or all), positions (list, close one or all), clock and calendar.
Market orders fill at once at the symbol's price (`set_price`, else the last bar's
close) unless `fill_orders` is False (then `fill_order` fills them later, in parts if
asked). Stop and limit orders rest and fill when `set_price` reaches them. Alpaca's
rules the agent must live with: client order ids are unique (HTTP 422 on reuse); stop
and limit prices from $1 are whole cents (HTTP 422 otherwise); shares held by an open
sell order (a protective stop) cannot be sold again (HTTP 403, code 40310000,
"insufficient qty available"); a replace creates a new order and marks the old one
"replaced". Every change of working stop orders is logged (`stop_history`).

Faults are queued and consumed by matching requests: an HTTP status (429, 500, 503,
504, 401, 422), `slow` (answer after a delay longer than the client's timeout),
`drop` (act, then close the connection without answering), `lost` (wait `delay`, then
close the connection without acting: a request lost in the network), `malformed`
(invalid JSON). Every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import pandas as pd

from tests.fakes.loopback import JsonHandler, LoopbackServer

Handler = Callable[["Request"], tuple[int, Any]]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    received: float = field(default_factory=time.perf_counter)
    """`time.perf_counter()` when the request arrived (for latency benchmarks)."""


@dataclass
class Fault:
    kind: str
    """An HTTP status as text ("429"); the same with "+" ("504+") to act first and
    then answer with that status; or slow, drop, malformed."""
    path_prefix: str = ""
    remaining: int = 1
    delay: float = 0.0


@dataclass
class FakeAlpacaState:
    bars: dict[str, pd.DataFrame] = field(default_factory=dict)
    page_size: int = 1000
    requests: list[Request] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    prices: dict[str, float] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    positions: dict[str, dict[str, float]] = field(default_factory=dict)
    cash: float = 100_000.0
    market_open: bool = True
    fill_orders: bool = True
    latency: float = 0.0
    """Seconds every order submission takes (spreads a burst out in time)."""
    multiplier: str = "2"
    """"1" is a cash account (no margin)."""
    fill_on_cancel: bool = False
    """A cancel of a market order that arrives too late: it fills instead (HTTP 422)."""
    stop_history: list[dict[str, int]] = field(default_factory=list)
    """After every change, the number of working sell stops per symbol."""


def _daily_stamp(ts: pd.Timestamp) -> str:
    """Alpaca stamps daily bars at midnight New York, expressed in UTC."""
    local = pd.Timestamp(ts.date(), tz="America/New_York")
    return local.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeAlpacaServer(LoopbackServer):
    def __init__(self, *, api_key: str = "test-key", secret_key: str = "test-secret") -> None:
        self.api_key = api_key
        self.secret_key = secret_key
        self.state = FakeAlpacaState()
        self.routes: dict[tuple[str, str], Handler] = {
            ("GET", "/v2/stocks/bars"): self._bars,
            ("GET", "/v2/stocks/trades/latest"): self._latest_trades,
            ("GET", "/v2/account"): self._account,
            ("POST", "/v2/orders"): self._create_order,
            ("GET", "/v2/orders"): self._list_orders,
            ("DELETE", "/v2/orders"): self._cancel_all,
            ("GET", "/v2/orders:by_client_order_id"): self._order_by_client_id,
            ("GET", "/v2/positions"): self._positions,
            ("DELETE", "/v2/positions"): self._close_all,
            ("GET", "/v2/clock"): self._clock,
            ("GET", "/v2/calendar"): self._calendar,
        }
        # Routes with one path parameter: (method, prefix) → handler(request, value).
        self.param_routes: dict[tuple[str, str], Callable[[Request, str], tuple[int, Any]]] = {
            ("GET", "/v2/orders/"): self._get_order,
            ("DELETE", "/v2/orders/"): self._cancel_order,
            ("PATCH", "/v2/orders/"): self._replace_order,
            ("DELETE", "/v2/positions/"): self._close_position,
        }
        super().__init__()

    # -- control -----------------------------------------------------------------

    def set_bars(self, bars: dict[str, pd.DataFrame]) -> None:
        self.state.bars.update(bars)

    def add_fault(
        self, kind: str, *, path_prefix: str = "", times: int = 1, delay: float = 0.0
    ) -> None:
        with self.state.lock:
            self.state.faults.append(Fault(str(kind), path_prefix, times, delay))

    def requests_to(self, path: str, method: str | None = None) -> list[Request]:
        return [
            r
            for r in self.state.requests
            if r.path == path and (method is None or r.method == method)
        ]

    def set_price(self, symbol: str, price: float) -> None:
        """A new trade price: resting stop and limit orders it reaches fill at it."""
        with self.state.lock:
            self.state.prices[symbol] = price
            for order in list(self.state.orders.values()):
                if order["symbol"] == symbol and self._is_working(order) and self._reached(order):
                    self._fill(order)
            self._log_stops()

    def open_market(self) -> None:
        """The session opens: market-on-open orders fill at the opening price."""
        with self.state.lock:
            self.state.market_open = True
            for order in list(self.state.orders.values()):
                if order["time_in_force"] == "opg" and self._is_working(order):
                    self._fill(order)
            self._log_stops()

    def fill_order(self, client_order_id: str, qty: float | None = None) -> None:
        """Fill a working order now (all of it, or `qty` more shares)."""
        with self.state.lock:
            order = next(
                o for o in self.state.orders.values() if o["client_order_id"] == client_order_id
            )
            self._fill(order, qty)
            self._log_stops()

    def working_stops(self, symbol: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return [
                dict(o)
                for o in self.state.orders.values()
                if o["symbol"] == symbol and o["type"] == "stop" and self._is_working(o)
            ]

    def orders(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(o) for o in self.state.orders.values()]

    def add_external_order(self, symbol: str, qty: float, side: str = "buy") -> dict[str, Any]:
        """An order placed outside stockbot (the Alpaca dashboard, another tool)."""
        body = {
            "symbol": symbol,
            "qty": qty,
            "side": side,
            "type": "market",
            "time_in_force": "day",
            "client_order_id": f"manual-{len(self.state.orders)}",
        }
        status, order = self._create_order(Request("POST", "/v2/orders", {}, {}, body))
        assert status == 200, order
        return order

    def set_position(self, symbol: str, qty: float, avg_price: float) -> None:
        with self.state.lock:
            if qty == 0:
                self.state.positions.pop(symbol, None)
            else:
                self.state.positions[symbol] = {"qty": qty, "avg": avg_price}

    # -- trading routes ----------------------------------------------------------

    def _price(self, symbol: str) -> float | None:
        if symbol in self.state.prices:
            return self.state.prices[symbol]
        frame = self.state.bars.get(symbol)
        return float(frame["close"].iloc[-1]) if frame is not None and len(frame) else None

    @staticmethod
    def _now() -> str:
        return pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _account(self, request: Request) -> tuple[int, Any]:
        with self.state.lock:
            value = sum(
                p["qty"] * (self._price(s) or p["avg"]) for s, p in self.state.positions.items()
            )
            cash = self.state.cash
        return 200, {
            "id": "acct-1",
            "account_number": "PA000",
            "status": "ACTIVE",
            "currency": "USD",
            "cash": str(cash),
            "equity": str(cash + value),
            "buying_power": str(cash),
            "non_marginable_buying_power": str(cash),
            "multiplier": self.state.multiplier,
        }

    @staticmethod
    def _is_working(order: dict[str, Any]) -> bool:
        return order["status"] in ("new", "accepted", "partially_filled", "pending_new")

    def _reached(self, order: dict[str, Any]) -> bool:
        price = self._price(order["symbol"])
        if price is None:
            return False
        if order["type"] == "stop":
            stop = float(order["stop_price"])
            return price <= stop if order["side"] == "sell" else price >= stop
        if order["type"] == "limit":
            limit = float(order["limit_price"])
            return price >= limit if order["side"] == "sell" else price <= limit
        return False

    def _log_stops(self) -> None:
        counts: dict[str, int] = {}
        for order in self.state.orders.values():
            if order["type"] == "stop" and order["side"] == "sell" and self._is_working(order):
                counts[order["symbol"]] = counts.get(order["symbol"], 0) + 1
        for symbol in self.state.positions:
            counts.setdefault(symbol, 0)
        self.state.stop_history.append(counts)

    def _held_by_sells(self, symbol: str, except_id: str | None = None) -> float:
        return sum(
            float(o["qty"]) - float(o["filled_qty"])
            for o in self.state.orders.values()
            if o["symbol"] == symbol
            and o["side"] == "sell"
            and self._is_working(o)
            and o["id"] != except_id
        )

    def _fill(self, order: dict[str, Any], qty: float | None = None) -> None:
        price = self._price(order["symbol"])
        remaining = float(order["qty"]) - float(order["filled_qty"])
        qty = remaining if qty is None else min(qty, remaining)
        sign = 1 if order["side"] == "buy" else -1
        position = self.state.positions.get(order["symbol"], {"qty": 0.0, "avg": price})
        new_qty = position["qty"] + sign * qty
        if sign > 0:
            position["avg"] = (position["qty"] * position["avg"] + qty * price) / new_qty
        position["qty"] = new_qty
        if abs(new_qty) < 1e-9:
            self.state.positions.pop(order["symbol"], None)
        else:
            self.state.positions[order["symbol"]] = position
        self.state.cash -= sign * qty * price
        before = float(order["filled_qty"])
        average = float(order["filled_avg_price"] or 0.0)
        filled = before + qty
        order.update(
            status="filled" if filled >= float(order["qty"]) - 1e-9 else "partially_filled",
            filled_qty=str(filled),
            filled_avg_price=str((average * before + price * qty) / filled),
            filled_at=self._now(),
            updated_at=self._now(),
        )

    def _create_order(self, request: Request) -> tuple[int, Any]:
        body = request.body or {}
        if self.state.latency:
            time.sleep(self.state.latency)
        with self.state.lock:
            client_id = body.get("client_order_id") or f"auto-{len(self.state.orders)}"
            if any(o["client_order_id"] == client_id for o in self.state.orders.values()):
                return 422, {"code": 40010001, "message": "client_order_id must be unique"}
            symbol = body["symbol"]
            price = self._price(symbol)
            if price is None:
                return 422, {"code": 40010001, "message": f'asset "{symbol}" not found'}
            qty = float(body["qty"])
            refusal = self._refusal(body, symbol, qty, price)
            if refusal is not None:
                return refusal
            order = self._new_order(body, client_id, symbol, qty)
            fills_now = (
                self.state.fill_orders
                and self.state.market_open
                and order["time_in_force"] != "opg"  # market-on-open waits for the open
                if order["type"] == "market"
                else self._reached(order)
            )
            if fills_now:
                self._fill(order)
            self._log_stops()
            return 200, dict(order)

    def _refusal(
        self,
        body: dict[str, Any],
        symbol: str,
        qty: float,
        price: float,
        replacing: str | None = None,
    ) -> tuple[int, Any] | None:
        """Alpaca's refusals: buying power, held shares, sub-penny prices."""
        for key in ("stop_price", "limit_price"):
            value = body.get(key)
            if value is not None and float(value) >= 1 and round(float(value), 2) != float(value):
                return 422, {
                    "code": 42210000,
                    "message": f"invalid {key} {value}. sub-penny increment does not fulfill "
                    "minimum pricing criteria",
                }
        if body["side"] == "buy" and qty * price > self.state.cash:
            return 403, {"code": 40310000, "message": "insufficient buying power"}
        if body["side"] == "sell":
            held = self.state.positions.get(symbol, {}).get("qty", 0.0)
            available = held - self._held_by_sells(symbol, except_id=replacing)
            if qty > available + 1e-9:
                return 403, {
                    "code": 40310000,
                    "message": f"insufficient qty available for order (requested: {qty:g}, "
                    f"available: {max(available, 0):g})",
                }
        return None

    def _new_order(
        self, body: dict[str, Any], client_id: str, symbol: str, qty: float
    ) -> dict[str, Any]:
        order_id = str(uuid.UUID(int=len(self.state.orders) + 1))  # alpaca-py wants UUIDs
        order = {
            "id": order_id,
            "client_order_id": client_id,
            "symbol": symbol,
            "side": body["side"],
            "qty": str(qty),
            "type": body.get("type", "market"),
            "order_type": body.get("type", "market"),
            "time_in_force": body.get("time_in_force", "day"),
            "limit_price": body.get("limit_price"),
            "stop_price": body.get("stop_price"),
            "status": "new",
            "filled_qty": "0",
            "filled_avg_price": None,
            "created_at": self._now(),
            "submitted_at": self._now(),
            "updated_at": self._now(),
            "asset_class": "us_equity",
        }
        self.state.orders[order_id] = order
        return order

    def _list_orders(self, request: Request) -> tuple[int, Any]:
        status = request.query.get("status", "open")
        after = pd.Timestamp(request.query["after"]) if "after" in request.query else None
        open_states = {"new", "accepted", "partially_filled", "pending_new"}
        with self.state.lock:
            out = []
            for order in self.state.orders.values():
                is_open = order["status"] in open_states
                if (status == "open" and not is_open) or (status == "closed" and is_open):
                    continue
                if after is not None and pd.Timestamp(order["submitted_at"]) < after:
                    continue
                out.append(dict(order))
        return 200, out

    def _order_by_client_id(self, request: Request) -> tuple[int, Any]:
        client_id = request.query.get("client_order_id")
        with self.state.lock:
            for order in self.state.orders.values():
                if order["client_order_id"] == client_id:
                    return 200, dict(order)
        return 404, {"code": 40410000, "message": "order not found"}

    def _get_order(self, request: Request, order_id: str) -> tuple[int, Any]:
        with self.state.lock:
            order = self.state.orders.get(order_id)
        if order is None:
            return 404, {"code": 40410000, "message": "order not found"}
        return 200, dict(order)

    def _cancel_order(self, request: Request, order_id: str) -> tuple[int, Any]:
        with self.state.lock:
            order = self.state.orders.get(order_id)
            if order is None:
                return 404, {"code": 40410000, "message": "order not found"}
            if self.state.fill_on_cancel and order["type"] == "market" and self._is_working(order):
                self._fill(order)  # the cancel came too late
            if not self._is_working(order):
                return 422, {"code": 42210000, "message": f"order is already {order['status']}"}
            order.update(status="canceled", updated_at=self._now())
            self._log_stops()
        return 204, None

    def _replace_order(self, request: Request, order_id: str) -> tuple[int, Any]:
        body = request.body or {}
        with self.state.lock:
            old = self.state.orders.get(order_id)
            if old is None:
                return 404, {"code": 40410000, "message": "order not found"}
            if not self._is_working(old):
                return 422, {"code": 42210000, "message": f"order is already {old['status']}"}
            client_id = body.get("client_order_id") or f"auto-{len(self.state.orders)}"
            if any(o["client_order_id"] == client_id for o in self.state.orders.values()):
                return 422, {"code": 40010001, "message": "client_order_id must be unique"}
            merged = {
                "symbol": old["symbol"],
                "side": old["side"],
                "type": old["type"],
                "time_in_force": body.get("time_in_force") or old["time_in_force"],
                "qty": body.get("qty") or old["qty"],
                "stop_price": body.get("stop_price") or old["stop_price"],
                "limit_price": body.get("limit_price") or old["limit_price"],
            }
            qty = float(merged["qty"])
            price = self._price(old["symbol"]) or 0.0
            refusal = self._refusal(merged, old["symbol"], qty, price, replacing=order_id)
            if refusal is not None:
                return refusal
            new = self._new_order(merged, client_id, old["symbol"], qty)
            new["replaces"] = order_id
            # One step: the old order is replaced as the new one appears.
            old.update(status="replaced", replaced_by=new["id"], updated_at=self._now())
            if self._reached(new):
                self._fill(new)
            self._log_stops()
            return 200, dict(new)

    def _cancel_all(self, request: Request) -> tuple[int, Any]:
        results = []
        with self.state.lock:
            for order in self.state.orders.values():
                if self._is_working(order):
                    order.update(status="canceled", updated_at=self._now())
                    results.append({"id": order["id"], "status": 200})
            self._log_stops()
        return 207, results

    def _positions(self, request: Request) -> tuple[int, Any]:
        with self.state.lock:
            out = []
            for symbol, p in self.state.positions.items():
                price = self._price(symbol) or p["avg"]
                out.append(
                    {
                        "symbol": symbol,
                        "qty": str(p["qty"]),
                        "avg_entry_price": str(p["avg"]),
                        "current_price": str(price),
                        "market_value": str(p["qty"] * price),
                        "side": "long",
                        "asset_class": "us_equity",
                    }
                )
        return 200, out

    def _close_position(self, request: Request, symbol: str) -> tuple[int, Any]:
        with self.state.lock:
            position = self.state.positions.get(symbol)
            if position is None:
                return 404, {"code": 40410000, "message": "position does not exist"}
            body = {
                "symbol": symbol,
                "qty": position["qty"],
                "side": "sell",
                "type": "market",
                "time_in_force": "day",
                "client_order_id": f"close-{symbol}-{self._now()}",
            }
            return self._create_order(Request("POST", "/v2/orders", {}, {}, body))

    def _close_all(self, request: Request) -> tuple[int, Any]:
        results = []
        with self.state.lock:
            for symbol in list(self.state.positions):
                status, body = self._close_position(request, symbol)
                results.append({"symbol": symbol, "status": status, "body": body})
        return 207, results

    def _clock(self, request: Request) -> tuple[int, Any]:
        now = pd.Timestamp.now(tz="UTC")
        return 200, {
            "timestamp": now.isoformat(),
            "is_open": self.state.market_open,
            "next_open": (now + pd.Timedelta(hours=16)).isoformat(),
            "next_close": (now + pd.Timedelta(hours=6)).isoformat(),
        }

    def _calendar(self, request: Request) -> tuple[int, Any]:
        return 200, [{"date": "2024-07-05", "open": "09:30", "close": "16:00"}]

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
        with self.state.lock:
            for symbol in request.query.get("symbols", "").split(","):
                price = self._price(symbol)
                if price is None:
                    continue
                frame = self.state.bars.get(symbol)
                stamp = (
                    _daily_stamp(frame.index[-1])
                    if frame is not None and len(frame)
                    else self._now()
                )
                trades[symbol] = {
                    "t": stamp,
                    "p": price,
                    "s": 100,
                    "x": "V",
                    "i": 1,
                    "c": ["@"],
                    "z": "C",
                }
        return 200, {"trades": trades}

    # -- HTTP plumbing -------------------------------------------------------------

    def resolve(self, method: str, path: str) -> Handler | None:
        route = self.routes.get((method, path))
        if route is not None:
            return route
        for (verb, prefix), handler in self.param_routes.items():
            if verb == method and path.startswith(prefix) and len(path) > len(prefix):
                value = path[len(prefix) :]
                return lambda request, h=handler, v=value: h(request, v)
        return None

    def _take_fault(self, path: str) -> Fault | None:
        with self.state.lock:
            for fault in self.state.faults:
                if path.startswith(fault.path_prefix) and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.state.faults.remove(fault)
                    return fault
        return None

    def _handler_class(self) -> type[JsonHandler]:
        fake = self

        class _Handler(JsonHandler):
            def _dispatch(self, method: str) -> None:
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw_body = self.rfile.read(length) if length else b""
                if len(raw_body) < length:
                    # The client died mid-request: a real server never acts on half a
                    # request (it would otherwise be a PATCH or POST with no body).
                    self.close_connection = True
                    return
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
                    self.send_json(401, {"code": 40110000, "message": "request is not authorized"})
                    return
                fault = fake._take_fault(parsed.path)
                route = fake.resolve(method, parsed.path)
                if fault is not None and fault.kind == "slow":
                    # The server acts at once, but its answer arrives after the timeout.
                    answer = route(request) if route is not None else (404, {})
                    time.sleep(fault.delay)
                    self.send_json(*answer)
                    return
                if fault is not None and fault.kind == "lost":
                    time.sleep(fault.delay)  # in the network; it never arrives
                    self.drop_connection()
                    return
                if fault is not None and fault.kind == "drop":
                    if route is not None:
                        route(request)  # the server acts, then the answer is lost
                    self.drop_connection()
                    return
                elif fault is not None and fault.kind == "malformed":
                    self.send_json(200, None, raw=b'{"bars": {"PLTR": [{"t": ')
                    return
                elif fault is not None and fault.kind.endswith("+"):
                    # The server acts, then answers with an error (e.g. a 504 from a
                    # gateway after the order was created).
                    if route is not None:
                        route(request)
                    status = int(fault.kind[:-1])
                    self.send_json(status, {"code": status * 100000, "message": f"fault {status}"})
                    return
                elif fault is not None:
                    status = int(fault.kind)
                    self.send_json(status, {"code": status * 100000, "message": f"fault {status}"})
                    return
                if route is None:
                    self.send_json(
                        404, {"code": 40400000, "message": f"no route {method} {parsed.path}"}
                    )
                    return
                status, payload = route(request)
                self.send_json(status, payload)

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
