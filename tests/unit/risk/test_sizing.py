from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.base.settings import RuntimeSettings
from risk.sizing import size_long

RULES = RuntimeSettings()  # 2% risk, 25% max position, $5,000 max order


@pytest.mark.parametrize(
    ("equity", "entry", "stop", "buying_power", "shares", "limited_by", "reason"),
    [
        # $200 budget / $2 distance = 100 shares, but 25% of 10k = $2,500 → 125 at $20: risk binds.
        (10_000, 20.0, 18.0, 10_000, 100, "risk_per_trade", None),
        # Tight stop: 200/0.1 = 2000 shares; position cap 2,500/20 = 125.
        (10_000, 20.0, 19.9, 10_000, 125, "max_position_pct", None),
        # Buying power binds.
        (10_000, 20.0, 19.9, 1_000, 50, "buying_power", None),
        # Order notional binds on a big account: 5,000/20 = 250.
        (100_000, 20.0, 19.9, 100_000, 250, "max_order_notional", None),
        # Stop at entry, above entry, zero distance.
        (10_000, 20.0, 20.0, 10_000, 0, "invalid", "stop 20.00 is not below entry 20.00"),
        (10_000, 20.0, 21.0, 10_000, 0, "invalid", "stop 21.00 is not below entry 20.00"),
        (10_000, 20.0, -1.0, 10_000, 0, "invalid", "stop -1.0 is not a positive number"),
        (10_000, 20.0, math.nan, 10_000, 0, "invalid", "stop nan is not a positive number"),
        # Tiny equity: $1 budget cannot afford a $2 risk per share.
        (
            50,
            20.0,
            18.0,
            50,
            0,
            "risk_per_trade",
            "one share risks $2.00 but the risk budget is $1.00",
        ),
        (0, 20.0, 18.0, 0, 0, "invalid", "equity 0.00 is not positive"),
        (-100, 20.0, 18.0, 0, 0, "invalid", "equity -100.00 is not positive"),
        (10_000, 0.0, -1.0, 10_000, 0, "invalid", "entry price 0.0 is not a positive number"),
        # No buying power.
        (10_000, 20.0, 18.0, 0, 0, "buying_power", "buying power $0.00 is below one share"),
        # An expensive share above the position cap.
        (1_000, 300.0, 299.0, 1_000, 0, "max_position_pct", "exceeds the maximum position size"),
    ],
)
def test_sizing_table(
    equity: float,
    entry: float,
    stop: float,
    buying_power: float,
    shares: int,
    limited_by: str,
    reason: str | None,
) -> None:
    result = size_long(
        equity=equity, entry=entry, stop=stop, buying_power=buying_power, rules=RULES
    )
    assert result.shares == shares
    assert result.limited_by == limited_by
    if reason is None:
        assert result.reason is None
        assert result.risk_amount == pytest.approx(shares * (entry - stop))
    else:
        assert reason in result.reason


def test_floating_point_never_rounds_up_a_share() -> None:
    # 10_000 × 0.03 / 0.1 is 300.00000000000006 in floating point; risk must stay ≤ $300.
    rules = RuntimeSettings(risk_per_trade=0.03, max_position_pct=1.0, max_order_notional=1e9)
    result = size_long(equity=10_000, entry=1.1, stop=1.0, buying_power=1e9, rules=rules)
    assert result.risk_amount <= 10_000 * 0.03


prices = st.floats(min_value=0.5, max_value=5_000, allow_nan=False, allow_infinity=False)


@given(
    equity=st.floats(min_value=1, max_value=10_000_000, allow_nan=False),
    entry=prices,
    stop_fraction=st.floats(min_value=0.001, max_value=0.999),
    buying_power=st.floats(min_value=0, max_value=10_000_000, allow_nan=False),
    risk_per_trade=st.floats(min_value=0.0001, max_value=0.05),
    max_position_pct=st.floats(min_value=0.01, max_value=1.0),
    max_order_notional=st.floats(min_value=1, max_value=1_000_000),
)
def test_sized_order_respects_every_limit(
    equity: float,
    entry: float,
    stop_fraction: float,
    buying_power: float,
    risk_per_trade: float,
    max_position_pct: float,
    max_order_notional: float,
) -> None:
    rules = RuntimeSettings(
        risk_per_trade=risk_per_trade,
        max_position_pct=max_position_pct,
        max_order_notional=max_order_notional,
    )
    stop = entry * stop_fraction
    result = size_long(
        equity=equity, entry=entry, stop=stop, buying_power=buying_power, rules=rules
    )
    assert isinstance(result.shares, int)
    assert result.shares >= 0
    assert result.shares * (entry - stop) <= equity * risk_per_trade
    assert result.shares * entry <= buying_power
    assert result.shares * entry <= equity * max_position_pct
    assert result.shares * entry <= max_order_notional
    assert (result.shares == 0) == (result.reason is not None)
