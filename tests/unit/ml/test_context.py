"""Market context features: joined by exact date, causal, and loud about gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.context import ContextError, context_matrix, market_figures, market_trend
from ml.dataset import build_samples
from ml.features import CONTEXT_FEATURE_NAMES, FEATURE_NAMES, WARMUP_BARS, feature_names
from tests.unit.ml.conftest import simulated_bars


@pytest.fixture(scope="module")
def market() -> dict[str, pd.DataFrame]:
    return simulated_bars(["AAA", "SPY"], years=3)


def test_columns_and_values(market) -> None:
    stock, spy = market["AAA"], market["SPY"]
    matrix = context_matrix(stock, market_figures(spy), "AAA")
    assert matrix.shape == (len(stock) - WARMUP_BARS, len(CONTEXT_FEATURE_NAMES))
    assert np.isfinite(matrix).all()
    row = len(stock) - 1
    spy_log = np.log(spy["close"].to_numpy())
    stock_log = np.log(stock["close"].to_numpy())
    expected = {
        "spy_logret_20": spy_log[row] - spy_log[row - 20],
        "spy_drawdown_250": spy["close"].iloc[row] / spy["close"].iloc[row - 249 : row + 1].max()
        - 1,
        "rel_strength_60": (stock_log[row] - stock_log[row - 60])
        - (spy_log[row] - spy_log[row - 60]),
    }
    for name, value in expected.items():
        assert matrix[-1, CONTEXT_FEATURE_NAMES.index(name)] == pytest.approx(value)
    # SPY against itself: beta 1, no relative strength.
    own = context_matrix(spy, market_figures(spy), "SPY")
    assert own[:, CONTEXT_FEATURE_NAMES.index("beta_60")] == pytest.approx(1.0)
    assert own[:, CONTEXT_FEATURE_NAMES.index("rel_strength_20")] == pytest.approx(0.0)


def test_a_missing_context_date_names_the_symbol_and_the_date(market) -> None:
    stock, spy = market["AAA"], market["SPY"]
    gap = stock.index[300]
    with pytest.raises(
        ContextError, match=rf"AAA: the market context \(SPY\) has no bar on {gap:%Y-%m-%d}"
    ):
        context_matrix(stock, market_figures(spy.drop(index=gap)), "AAA")
    with pytest.raises(ContextError, match="AAA: the market context"):
        build_samples({"AAA": stock}, context=spy.drop(index=gap))


def test_context_is_causal_at_many_cut_points(market) -> None:
    """Context rows from SPY history up to t equal those from SPY's full history."""
    stock, spy = market["AAA"], market["SPY"]
    full = context_matrix(stock, market_figures(spy), "AAA")
    rng = np.random.default_rng(1)
    for cut in rng.choice(np.arange(WARMUP_BARS + 1, len(stock)), size=15, replace=False):
        partial = context_matrix(stock.iloc[: cut + 1], market_figures(spy.iloc[: cut + 1]), "AAA")
        np.testing.assert_allclose(partial[-1], full[cut - WARMUP_BARS], rtol=0, atol=1e-9)


def test_samples_carry_context_columns_and_the_market_trend(market) -> None:
    with_context = build_samples({"AAA": market["AAA"]}, lookback=20, context=market["SPY"])
    assert with_context.feature_names == feature_names(context=True)
    assert with_context.has_context
    assert with_context.matrix.shape[1] == len(FEATURE_NAMES) + len(CONTEXT_FEATURE_NAMES)
    trend = market_trend(market["AAA"], market_figures(market["SPY"]), "AAA")[WARMUP_BARS + 19 :]
    np.testing.assert_allclose(with_context.index["market_trend"], trend)
    # The trend filter can use SPY without the model reading context features.
    own_only = build_samples(
        {"AAA": market["AAA"]}, lookback=20, context=market["SPY"], context_features=False
    )
    assert own_only.feature_names == FEATURE_NAMES
    assert not own_only.has_context
    np.testing.assert_allclose(own_only.index["market_trend"], trend)
    plain = build_samples({"AAA": market["AAA"]}, lookback=20)
    assert plain.index["market_trend"].isna().all()
