"""The one pre-trade gate: every rule an order must pass, assembled once and called by
the trading cycle (before anyone is asked) and by the approval re-check (at the moment
of approval, with a fresh quote and today's account).

The rules themselves are `risk.checks`; this module only gathers what they read — the
account view, the trading state, whether the market is open, the runtime settings of
this cycle or approval — so the two callers cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.agent.account import account_view
from core.agent.services import Services
from core.base.settings import RuntimeSettings
from core.base.types import OrderSide, TradingState
from risk.checks import AccountView, MarketView, TradeRequest, validate_trade


@dataclass(frozen=True)
class GateView:
    """Everything the gate reads that is the same for every symbol at one moment."""

    now: datetime
    runtime: RuntimeSettings
    account: AccountView
    state: TradingState
    market_open: bool
    commission_per_share: float


def read_gate_view(
    services: Services,
    runtime: RuntimeSettings,
    now: datetime,
    quotes: dict[str, float] | None = None,
) -> GateView:
    return GateView(
        now=now,
        runtime=runtime,
        account=account_view(
            services.store,
            services.broker,
            services.calendar,
            now,
            quotes,
            day_trade_window=runtime.day_trade_window_sessions,
        ),
        state=services.desk.trading_state.state(),
        market_open=services.market_is_open(),
        commission_per_share=services.settings.trading.broker.commission_per_share,
    )


def check_trade(
    view: GateView,
    *,
    symbol: str,
    side: OrderSide,
    quantity: float,
    price: float,
    stop_price: float | None,
    quote: float | None,
) -> tuple[str, ...]:
    """Every reason the order may not go out (empty: it may)."""
    request = TradeRequest(
        symbol=symbol,
        side=side,
        quantity=quantity,
        price=price,
        now=view.now,
        stop_price=stop_price,
    )
    result = validate_trade(
        request,
        account=view.account,
        market=MarketView(is_open=view.market_open, latest_quote=quote),
        rules=view.runtime,
        trading_state=view.state,
        commission_per_share=view.commission_per_share,
    )
    return result.reasons


def sell_quantity(view: GateView, symbol: str) -> float:
    """A SELL closes the whole position the book holds (fractions included)."""
    held = view.account.positions.get(symbol)
    return held.quantity if held else 0.0
