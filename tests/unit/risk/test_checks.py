from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from core.base.settings import RuntimeSettings
from core.base.types import OrderSide, TradingState
from risk.checks import AccountView, MarketView, RecentOrder, TradeRequest, validate_trade
from risk.portfolio import HeldPosition

NOW = datetime(2024, 7, 5, 15, 0, tzinfo=UTC)  # Friday after the 4 July holiday
TODAY = date(2024, 7, 5)
RULES = RuntimeSettings()
BUY = TradeRequest(
    symbol="PLTR", side=OrderSide.BUY, quantity=40, price=25.0, stop_price=22.0, now=NOW
)
ACCOUNT = AccountView(equity=10_000.0, buying_power=10_000.0)
MARKET = MarketView(is_open=True, latest_quote=25.0)


def check(
    request: TradeRequest = BUY,
    account: AccountView = ACCOUNT,
    market: MarketView = MARKET,
    state: TradingState = TradingState.ACTIVE,
    **kwargs: object,
):
    return validate_trade(
        request, account=account, market=market, rules=RULES, trading_state=state, **kwargs
    )


def positions(*held: HeldPosition) -> dict[str, HeldPosition]:
    return {p.symbol: p for p in held}


def test_a_sound_buy_passes() -> None:
    assert check() == (True, ())


HELD_PLTR = HeldPosition("PLTR", 40, 25.0, stop_price=22.0, opened_session=date(2024, 7, 1))
SELL = replace(BUY, side=OrderSide.SELL, stop_price=None)
OTHERS = positions(*(HeldPosition(s, 1, 10.0, 9.0) for s in ("A", "B", "C", "D", "E")))


@pytest.mark.parametrize(
    ("case", "request_", "account", "market", "state", "reason"),
    [
        ("halted", BUY, ACCOUNT, MARKET, TradingState.HALTED, "trading is HALTED"),
        ("reducing", BUY, ACCOUNT, MARKET, TradingState.REDUCING, "only orders that reduce"),
        ("closed", BUY, ACCOUNT, MarketView(False, 25.0), TradingState.ACTIVE, "market is closed"),
        (
            "positions",
            BUY,
            replace(ACCOUNT, positions=OTHERS),
            MARKET,
            TradingState.ACTIVE,
            "5 positions are open; the limit is 5",
        ),
        (
            "portfolio risk",
            BUY,
            replace(ACCOUNT, positions=positions(HeldPosition("KO", 100, 60.0, 41.0))),
            MARKET,
            TradingState.ACTIVE,
            "portfolio risk would be 20.2% of equity",
        ),
        (
            "position size",
            replace(BUY, quantity=120, stop_price=24.9),
            ACCOUNT,
            MARKET,
            TradingState.ACTIVE,
            "PLTR position would be $3,000.00; the limit is $2,500.00",
        ),
        (
            "buying power",
            BUY,
            replace(ACCOUNT, buying_power=500.0),
            MARKET,
            TradingState.ACTIVE,
            "order costs $1,000.00 but buying power is $500.00",
        ),
        (
            "duplicate",
            BUY,
            replace(
                ACCOUNT,
                recent_orders=[RecentOrder("PLTR", OrderSide.BUY, NOW - timedelta(minutes=2))],
            ),
            MARKET,
            TradingState.ACTIVE,
            "a buy order for PLTR was already sent in the last 5 minutes",
        ),
        (
            "orders per day",
            BUY,
            replace(ACCOUNT, orders_today=10),
            MARKET,
            TradingState.ACTIVE,
            "10 orders sent today; the limit is 10",
        ),
        (
            "collar",
            BUY,
            ACCOUNT,
            MarketView(True, 26.0),
            TradingState.ACTIVE,
            "order price 25.00 is 3.8% from the latest quote 26.00; the collar is 2.0%",
        ),
        (
            "no quote",
            BUY,
            ACCOUNT,
            MarketView(True, None),
            TradingState.ACTIVE,
            "no fresh quote for PLTR",
        ),
        (
            "min price",
            replace(BUY, price=0.5, stop_price=0.45),
            ACCOUNT,
            MarketView(True, 0.5),
            TradingState.ACTIVE,
            "below the minimum share price $1.00",
        ),
        (
            "short",
            SELL,
            ACCOUNT,
            MARKET,
            TradingState.ACTIVE,
            "selling 40 PLTR but only 0 held; short selling is off",
        ),
        (
            "quantity",
            replace(BUY, quantity=0),
            ACCOUNT,
            MARKET,
            TradingState.ACTIVE,
            "quantity 0 must be positive",
        ),
    ],
)
def test_each_rule_denies_with_its_reason(
    case: str,
    request_: TradeRequest,
    account: AccountView,
    market: MarketView,
    state: TradingState,
    reason: str,
) -> None:
    ok, reasons = check(request_, account, market, state)
    assert not ok, case
    assert any(reason in r for r in reasons), reasons


def test_order_notional_cap() -> None:
    big = replace(BUY, quantity=250, price=25.0, stop_price=24.9)
    ok, reasons = check(big, replace(ACCOUNT, equity=100_000, buying_power=100_000))
    assert not ok
    assert reasons == ("order value $6,250.00 exceeds the maximum order value $5,000.00",)


def test_every_failing_reason_is_reported() -> None:
    ok, reasons = check(state=TradingState.HALTED, market=MarketView(False, 30.0))
    assert not ok
    assert len(reasons) == 3


def test_selling_a_held_position_is_allowed_while_reducing_and_halted_is_not() -> None:
    account = replace(ACCOUNT, positions=positions(HELD_PLTR))
    assert check(SELL, account, state=TradingState.REDUCING).ok
    ok, reasons = check(SELL, account, state=TradingState.HALTED)
    assert not ok
    assert "HALTED" in reasons[0]


def test_adding_to_a_held_symbol_does_not_count_as_a_new_position() -> None:
    held = positions(
        *(HeldPosition(s, 1, 10.0, 9.0) for s in ("A", "B", "C", "D")),
        HeldPosition("PLTR", 10, 25.0, 22.0),
    )
    assert check(replace(BUY, quantity=10), replace(ACCOUNT, positions=held)).ok


def test_duplicate_window_expires() -> None:
    old = [RecentOrder("PLTR", OrderSide.BUY, NOW - timedelta(minutes=6))]
    assert check(account=replace(ACCOUNT, recent_orders=old)).ok
    other_side = [RecentOrder("PLTR", OrderSide.SELL, NOW)]
    assert check(account=replace(ACCOUNT, recent_orders=other_side)).ok


def test_commission_counts_against_buying_power() -> None:
    account = replace(ACCOUNT, buying_power=1_000.0)
    assert check(account=account).ok
    ok, reasons = check(account=account, commission_per_share=0.01)
    assert not ok
    assert "order costs $1,000.40" in reasons[0]


def test_short_selling_can_be_allowed() -> None:
    assert check(SELL, allow_short=True).ok


# --- day trades: FINRA's PDT rule is gone; the owner's own limit is optional ---------

# Sessions before Friday 2024-07-05; Thursday 07-04 is a holiday, so the last five
# sessions are 06-28 (Fri), 07-01, 07-02, 07-03, 07-05.
SESSIONS = [
    date(2024, 6, 27),
    date(2024, 6, 28),
    date(2024, 7, 1),
    date(2024, 7, 2),
    date(2024, 7, 3),
    date(2024, 7, 5),
]
OPENED_TODAY = HeldPosition("PLTR", 40, 25.0, 22.0, opened_session=TODAY)
THREE_DAY_TRADES = [date(2024, 6, 28), date(2024, 7, 1), date(2024, 7, 3)]


def day_trade_account(day_trades: list[date], equity: float = 10_000.0) -> AccountView:
    return AccountView(
        equity=equity,
        buying_power=equity,
        positions=positions(OPENED_TODAY),
        day_trade_sessions=day_trades,
        recent_sessions=SESSIONS,
    )


def test_a_small_account_may_day_trade_without_an_owner_limit() -> None:
    """The $25,000 pattern-day-trader minimum no longer exists (FINRA Rule 4210 as
    amended, effective 2026-06-04)."""
    assert check(SELL, day_trade_account(THREE_DAY_TRADES * 3)).ok


@pytest.mark.parametrize(
    ("day_trades", "allowed"),
    [
        # Three day trades inside the window (06-28 counts: the holiday is not a session).
        (THREE_DAY_TRADES, False),
        # 06-27 is six sessions back: outside the window.
        ([date(2024, 6, 27), date(2024, 7, 1), date(2024, 7, 3)], True),
        ([date(2024, 7, 1), date(2024, 7, 2)], True),
    ],
)
def test_the_owners_day_trade_limit(day_trades: list[date], allowed: bool) -> None:
    rules = RuntimeSettings(max_day_trades=3, day_trade_window_sessions=5)
    ok, reasons = validate_trade(
        SELL,
        account=day_trade_account(day_trades),
        market=MARKET,
        rules=rules,
        trading_state=TradingState.ACTIVE,
    )
    assert ok is allowed, reasons
    if not allowed:
        assert "your day-trade limit: 3 day trades in the last 5 sessions" in reasons[0]


def test_selling_a_position_from_an_earlier_session_is_not_a_day_trade() -> None:
    account = replace(day_trade_account(THREE_DAY_TRADES), positions=positions(HELD_PLTR))
    rules = RuntimeSettings(max_day_trades=3)
    assert validate_trade(
        SELL, account=account, market=MARKET, rules=rules, trading_state=TradingState.ACTIVE
    ).ok


def test_a_cash_account_does_not_buy_with_unsettled_proceeds() -> None:
    account = AccountView(equity=10_000.0, buying_power=500.0, unsettled_proceeds=9_500.0)
    ok, reasons = check(BUY, account)
    assert not ok
    assert any("settle next session" in r for r in reasons), reasons
