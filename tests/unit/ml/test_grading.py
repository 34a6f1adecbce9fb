"""The grading function on synthetic records: one that passes everything, then one
criterion failing at a time (and only that one)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ml.grading import MIN_SELECTED_TRADES, TradeRecord, expected_shortfall, grade

SYMBOLS = np.array(["AAA", "BBB", "CCC", "DDD"])


@pytest.fixture(scope="module")
def proven() -> TradeRecord:
    """Six years of four symbols' trades; the model knows the true P(profit), q."""
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2015-01-01", "2020-12-31", tz="UTC")
    stamps = pd.DatetimeIndex(np.repeat(days, len(SYMBOLS)))
    symbols = np.tile(SYMBOLS, len(days))
    q = rng.uniform(0.25, 0.75, len(stamps))
    labels = (rng.random(len(stamps)) < q).astype(float)
    # Winners earn +1.5 R on average, losers lose 1 R (the stop).
    r = np.where(labels == 1, rng.uniform(0.5, 2.5, len(stamps)), -1.0)
    # The base-rate forecast comes from earlier data, so it is a little off, as it is
    # out of sample (its calibration error is then that offset).
    base = np.full(len(stamps), labels.mean() - 0.03)
    return TradeRecord(
        labels=labels,
        probability=q,
        base_rate=base,
        r=r,
        selected=q >= base + 0.05,
        timestamps=stamps,
        symbols=symbols,
    )


def failed(record: TradeRecord) -> list[str]:
    return [c.key for c in grade(record).criteria if not c.passed]


def test_a_model_that_knows_the_truth_is_proven(proven: TradeRecord) -> None:
    verdict = grade(proven)
    assert verdict.proven, [c.explanation for c in verdict.criteria]
    assert [c.key for c in verdict.criteria] == ["a", "b", "c", "d", "e", "f"]
    stored = verdict.to_dict()
    assert stored["proven"] is True
    for criterion in stored["criteria"].values():
        assert {"name", "value", "threshold", "passed", "explanation"} <= set(criterion)
        assert criterion["explanation"]  # a line a person reads


def test_a_fails_when_probabilities_barely_move(proven: TradeRecord) -> None:
    # The same ranking (AUC intact), squeezed to a level a little further off than the
    # base rate's (ECE within its tolerance): what little it knows does not pay for that.
    squeezed = proven.base_rate - 0.005 + 0.005 * (proven.probability - 0.5)
    assert failed(replace(proven, probability=squeezed)) == ["a"]


def test_b_fails_when_the_ranking_is_chance(proven: TradeRecord) -> None:
    # The right level where the base rate is wrong: better Brier, no ranking at all.
    rng = np.random.default_rng(3)
    level = np.full(len(proven.labels), proven.labels.mean())
    noise = level + rng.normal(0, 0.002, len(level))
    wrong_base = np.full(len(level), proven.labels.mean() - 0.15)
    record = replace(proven, probability=noise, base_rate=wrong_base)
    assert failed(record) == ["b"]


def test_c_fails_when_probabilities_are_off_by_a_constant(proven: TradeRecord) -> None:
    shifted = np.clip(proven.probability + 0.08, 0, 1)
    assert failed(replace(proven, probability=shifted)) == ["c"]


def test_d_fails_when_the_selection_is_no_better_than_all_trades(proven: TradeRecord) -> None:
    rng = np.random.default_rng(5)
    random_choice = rng.random(len(proven.labels)) < 0.3
    assert failed(replace(proven, selected=random_choice)) == ["d"]


def test_e_fails_with_too_few_trades(proven: TradeRecord) -> None:
    best = np.argsort(-proven.probability)[: MIN_SELECTED_TRADES - 50]
    few = np.zeros(len(proven.labels), dtype=bool)
    few[best] = True
    assert failed(replace(proven, selected=few)) == ["e"]


def test_e_fails_when_one_symbol_loses(proven: TradeRecord) -> None:
    r = proven.r.copy()
    losing = proven.selected & (proven.symbols == "DDD")
    r[losing] = np.where(proven.labels[losing] == 1, 0.2, -1.0)  # DDD's winners are tiny
    verdict = grade(replace(proven, r=r))
    assert [c.key for c in verdict.criteria if not c.passed] == ["e"]
    assert "negative mean R in DDD" in verdict.criteria[4].explanation


def test_f_fails_when_the_selected_trades_hide_a_fat_left_tail(proven: TradeRecord) -> None:
    r = proven.r.copy()
    chosen = np.flatnonzero(proven.selected & (proven.labels == 0))
    gaps = chosen[: int(0.02 * len(r))]
    r[gaps] = -3.0  # gaps through the stop, only among the trades it selects
    record = replace(proven, r=r)
    assert expected_shortfall(r[proven.selected]) < expected_shortfall(r)
    assert failed(record) == ["f"]


def test_direction_records_cannot_earn_autonomy(proven: TradeRecord) -> None:
    verdict = grade(replace(proven, r=np.full(len(proven.r), np.nan)))
    assert not verdict.proven
    assert [c.key for c in verdict.criteria if not c.passed] == ["d", "e", "f"]
    assert "not applicable" in verdict.criteria[3].explanation
