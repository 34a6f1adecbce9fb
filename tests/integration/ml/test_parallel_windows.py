"""Walk-forward windows and folds as pure tasks: the same predictions in this process
and in local worker processes, no window trained on a label it could not have known,
and the pieces that make shipping work exact (packed samples, samples built in chunks)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from core.base.calendar import get_calendar
from core.base.settings import TradingConfig
from core.base.types import ModelPrediction
from core.data.simulated import SimulatedMarket
from core.drivers.backtest import BacktestConfig, history_start
from core.drivers.backtest.walk_forward import WalkForwardPredictor, WindowOrderError, atr_table
from core.drivers.backtest.windows import plan_windows, stamp, until_stamp, window_bounds
from ml.dataset import Samples, build_samples
from ml.labels import PlanRules
from ml.packing import pack, take
from ml.parallel import Runner
from ml.sample_build import build_samples_with
from ml.targets import PlanTarget
from ml.walk_forward import WalkForwardConfig, walk_forward_run

SYMBOLS = ("AAA", "BBB", "CCC")
START, END = date(2022, 1, 3), date(2023, 6, 30)
TARGET = PlanTarget(PlanRules.from_config(TradingConfig()))


def config(**changes: object) -> BacktestConfig:
    values: dict[str, object] = {
        "symbols": SYMBOLS,
        "start": START,
        "end": END,
        "models": ("gbm", "rf", "momentum"),
        "retrain_every": 42,
        **changes,
    }
    return BacktestConfig(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def history() -> dict[str, pd.DataFrame]:
    end = datetime(END.year, END.month, END.day, tzinfo=UTC)
    return SimulatedMarket().get_bars(list(SYMBOLS), history_start(config()), end)


@pytest.fixture(scope="module")
def samples(history: dict[str, pd.DataFrame]) -> Samples:
    return build_samples(history, lookback=60, target=TARGET)


def served(
    samples: Samples, history: dict[str, pd.DataFrame], runner: Runner
) -> dict[date, tuple[list[ModelPrediction], dict[str, float]]]:
    """What the replay is served at each session's decision: predictions and ATR."""
    calendar = get_calendar()
    sessions = calendar.sessions(START, END)
    chosen = config()
    walk = WalkForwardPredictor(samples, atr_table(history), chosen, 0.6, sessions, runner)
    out = {}
    for number, first, bound in window_bounds(sessions, chosen.retrain_every):
        walk.retrain(stamp(first), until_stamp(bound))
        for day in sessions[number : number + chosen.retrain_every]:
            batch = walk.predict(SYMBOLS, calendar.session_close(day), 0.6)
            # Served by the model retrained at this window's first session, not before.
            assert {p.model_run_id for p in batch.predictions} == {f"bt-{first:%Y%m%d}"}
            out[day] = (batch.predictions, batch.atr)
    assert walk.retrainings == len(walk.windows)
    return out


def test_windows_give_the_same_predictions_in_this_process_and_in_workers(
    samples: Samples, history: dict[str, pd.DataFrame]
) -> None:
    here = served(samples, history, Runner(jobs=1))
    workers = served(samples, history, Runner(jobs=2))
    assert len(here) == len(get_calendar().sessions(START, END))
    assert all(len(predictions) == len(SYMBOLS) for predictions, _ in here.values())
    assert all(np.isfinite(list(atr.values())).all() for _, atr in here.values())
    assert here == workers  # probabilities, votes, reasons, ATR: every field


def test_no_window_trains_on_a_label_unknown_at_its_first_session(samples: Samples) -> None:
    sessions = get_calendar().sessions(START, END)
    days = pd.DatetimeIndex(samples.timestamps.unique()).sort_values()
    windows = plan_windows(samples, sessions, config(), 0.6)
    assert len(windows) == len(range(0, len(sessions), 42))
    for window in windows:
        trained = take(samples, window.train)
        assert len(trained) > 0
        assert trained.index["label"].notna().all()
        # A sample at t is labelled by bars up to t + horizon sessions: all before `day`.
        newest = days.get_loc(trained.timestamps.max())
        assert days[newest + samples.horizon] < window.day
        assert trained.timestamps.min() >= window.day - pd.Timedelta(days=int(365.25 * 3))
        served = take(samples, window.ahead).timestamps
        assert served.min() == window.day
        assert served.max() < window.until


def test_a_replay_asking_for_another_window_is_stopped(
    samples: Samples, history: dict[str, pd.DataFrame]
) -> None:
    sessions = get_calendar().sessions(START, END)
    chosen = config(models=("momentum",))
    walk = WalkForwardPredictor(samples, atr_table(history), chosen, 0.6, sessions)
    with pytest.raises(WindowOrderError, match="the replay asked for"):
        walk.retrain(stamp(sessions[1]), until_stamp(sessions[43]))


def test_packed_samples_read_the_same_rows_and_sequences(samples: Samples) -> None:
    rows = np.flatnonzero(samples.labelled().index["label"].notna().to_numpy())
    first, second = rows[100:900:3], rows[2000:2100]
    packed, (a, b) = pack(samples, first, second)
    assert len(packed.matrix) < len(samples.matrix)
    for original, renumbered in ((first, a), (second, b)):
        before, after = take(samples, original), take(packed, renumbered)
        np.testing.assert_array_equal(before.tabular(), after.tabular())
        np.testing.assert_array_equal(before.sequences(), after.sequences())
        pd.testing.assert_frame_equal(
            before.index.drop(columns="position"), after.index.drop(columns="position")
        )


def test_samples_built_in_chunks_equal_one_build(history: dict[str, pd.DataFrame]) -> None:
    many = {f"{symbol}{n}": frame for n in range(4) for symbol, frame in history.items()}
    whole = build_samples(many, lookback=60, target=TARGET)
    chunked = build_samples_with(Runner(jobs=2), many, lookback=60, target=TARGET)
    pd.testing.assert_frame_equal(whole.index, chunked.index)
    np.testing.assert_array_equal(whole.matrix, chunked.matrix)
    assert (whole.horizon, whole.target) == (chunked.horizon, chunked.target)


def test_evaluation_folds_give_the_same_record_in_workers(samples: Samples) -> None:
    folds = WalkForwardConfig(test_size=126, min_train=252, max_folds=3)
    here = walk_forward_run(samples, ["gbm", "momentum"], config=folds, runner=Runner(jobs=1))
    workers = walk_forward_run(samples, ["gbm", "momentum"], config=folds, runner=Runner(jobs=2))
    assert len(here.folds) == 3
    pd.testing.assert_frame_equal(here.index, workers.index)
    assert here.probabilities.keys() == workers.probabilities.keys()
    for name, p in here.probabilities.items():
        np.testing.assert_array_equal(p, workers.probabilities[name])
    for name, chosen in here.selections.items():
        np.testing.assert_array_equal(chosen, workers.selections[name])
    assert here.importance == workers.importance
    assert here.fold_rules == workers.fold_rules
