from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.features import FEATURE_NAMES, WARMUP_BARS, FeatureError, compute_features


def test_at_least_twenty_stable_features(small_universe) -> None:
    frame = compute_features(small_universe["AAA"], "AAA")
    assert len(FEATURE_NAMES) >= 20
    assert list(frame.columns) == list(FEATURE_NAMES)
    assert len(frame) == len(small_universe["AAA"]) - WARMUP_BARS
    assert np.isfinite(frame.to_numpy()).all()


def test_features_are_causal_at_many_cut_points(small_universe) -> None:
    """Features from history up to t equal full-history features at t."""
    bars = small_universe["BBB"]
    full = compute_features(bars, "BBB")
    rng = np.random.default_rng(0)
    cuts = rng.choice(np.arange(WARMUP_BARS + 5, len(bars)), size=25, replace=False)
    for cut in cuts:
        partial = compute_features(bars.iloc[: cut + 1], "BBB")
        t = bars.index[cut]
        np.testing.assert_allclose(
            partial.loc[t].to_numpy(), full.loc[t].to_numpy(), rtol=0, atol=1e-9, err_msg=f"cut {t}"
        )


def test_features_are_scale_free(small_universe) -> None:
    bars = small_universe["CCC"]
    scaled = bars.copy()
    scaled[["open", "high", "low", "close"]] *= 37.0
    pd.testing.assert_frame_equal(compute_features(bars), compute_features(scaled), atol=1e-9)


def test_short_history_is_a_clear_error(small_universe) -> None:
    with pytest.raises(
        FeatureError, match=r"AAA: 200 bars is too short; features need more than 250"
    ):
        compute_features(small_universe["AAA"].iloc[:200], "AAA")


def test_non_finite_input_is_named(small_universe) -> None:
    bars = small_universe["AAA"].copy()
    bars.iloc[400, bars.columns.get_loc("volume")] = 0.0
    bars.iloc[401:421, bars.columns.get_loc("volume")] = 0.0
    with pytest.raises(FeatureError, match=r"AAA: feature .* is not finite at"):
        compute_features(bars, "AAA")
