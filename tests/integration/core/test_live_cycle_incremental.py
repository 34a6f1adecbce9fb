"""The live predictor's incremental cycle: session after session, its predictions and ATR
equal a full recompute over the history since its cache began; a corrected or
split-adjusted history is recomputed; a bad new bar blocks its symbol, named, until it
is fixed; bars validated once are not reported again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import talib

from core.agent.predictor import LivePredictor, PredictionBatch
from core.agent.services import ModelHolder
from core.base.calendar import get_calendar
from core.base.clock import SimulatedClock
from core.base.types import ModelPrediction
from core.data.bars import Timeframe, clip_range
from core.data.simulated import SimulatedMarket
from ml.dataset import build_samples
from ml.ensemble import Ensemble
from ml.models.gbm import GbmModel
from ml.models.momentum import MomentumModel

CALENDAR = get_calendar()
SYMBOLS = ("AAA", "BBB", "CCC")
LOOKBACK = 10
DAYS = CALENDAR.sessions(date(2024, 3, 1), date(2024, 5, 31))


def decision_time(day: date) -> datetime:
    """A quarter of an hour before the close: the newest bar is the session before."""
    return CALENDAR.session_close(day) - timedelta(minutes=15)


class EditableMarket:
    """Bars a test can correct, served as a live feed would at the clock's time: only
    sessions that have closed exist."""

    name = "editable"

    def __init__(self, frames: dict[str, pd.DataFrame], clock: SimulatedClock) -> None:
        self.frames = frames
        self.clock = clock

    def get_bars(
        self,
        symbols: Sequence[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.DAY,
    ) -> dict[str, pd.DataFrame]:
        closed = CALENDAR.last_completed_session(self.clock.now())
        last = min(end, datetime.combine(closed, datetime.min.time(), tzinfo=UTC))
        return {s: clip_range(self.frames[s], start, last) for s in symbols}

    def latest_prices(self, symbols: Sequence[str]) -> dict[str, float]:
        return {s: float(self.frames[s]["close"].iloc[-1]) for s in symbols}


@pytest.fixture(scope="module")
def full_history() -> dict[str, pd.DataFrame]:
    end = datetime(2024, 6, 28, tzinfo=UTC)
    return SimulatedMarket(seed=17).get_bars(SYMBOLS, datetime(2019, 1, 1, tzinfo=UTC), end)


@pytest.fixture(scope="module")
def ensemble(full_history: dict[str, pd.DataFrame]) -> Ensemble:
    """A small model, trained on bars before the days the tests replay."""
    training = {s: f.loc[:"2024-02-01"] for s, f in full_history.items()}
    model = Ensemble([GbmModel(rounds=40), MomentumModel()])
    model.fit(build_samples(training, lookback=LOOKBACK, horizon=1))
    return model


def live_setup(
    full_history: dict[str, pd.DataFrame], ensemble: Ensemble
) -> tuple[LivePredictor, EditableMarket, SimulatedClock]:
    clock = SimulatedClock(decision_time(DAYS[0]))
    market = EditableMarket({s: f.copy() for s, f in full_history.items()}, clock)
    models = ModelHolder()
    models.swap(ensemble, "run-test", {})
    predictor = LivePredictor(
        data=market, calendar=CALENDAR, models=models, lookback=LOOKBACK, horizon=1
    )
    return predictor, market, clock


def recompute(
    ensemble: Ensemble,
    market: EditableMarket,
    symbols: Sequence[str],
    origin: datetime,
    now: datetime,
) -> tuple[list[ModelPrediction], dict[str, float]]:
    """What a cycle at `now` gives when every feature is computed from scratch over the
    bars since `origin`: the reference the cache must equal."""
    history = market.get_bars(symbols, origin, now)
    samples = build_samples(history, lookback=LOOKBACK, horizon=1).latest()
    predictions = ensemble.predictions(samples, model_run_id="run-test", explain_edge=None)
    atr = {}
    for symbol, frame in history.items():
        high, low, close = (frame[c].to_numpy() for c in ("high", "low", "close"))
        atr[symbol] = float(talib.ATR(high, low, close, 14)[-1])
    return predictions, atr


def cycle(predictor: LivePredictor, clock: SimulatedClock, day: date) -> PredictionBatch:
    clock.set(decision_time(day))
    return predictor.predict(SYMBOLS, clock.now(), explain_edge=None)


def test_cycles_equal_a_full_recompute_session_after_session(
    full_history: dict[str, pd.DataFrame], ensemble: Ensemble
) -> None:
    predictor, market, clock = live_setup(full_history, ensemble)
    origin = predictor.history_start(clock.now())
    for day in DAYS[:30]:
        batch = cycle(predictor, clock, day)
        assert batch.problems == []
        predictions, atr = recompute(ensemble, market, SYMBOLS, origin, clock.now())
        assert batch.predictions == predictions, day
        assert batch.atr == atr, day
        assert {p.timestamp.date() for p in batch.predictions} == {
            CALENDAR.last_completed_session(clock.now())
        }


@pytest.mark.parametrize("change", ["corrected_bar", "split_adjusted"])
def test_a_changed_history_is_recomputed(
    full_history: dict[str, pd.DataFrame], ensemble: Ensemble, change: str
) -> None:
    predictor, market, clock = live_setup(full_history, ensemble)
    origin = predictor.history_start(clock.now())
    for day in DAYS[:5]:
        cycle(predictor, clock, day)
    frame = market.frames["BBB"]
    before = frame.copy()
    if change == "corrected_bar":  # a close 80 sessions back was wrong by 2%
        at = frame.index[frame.index < pd.Timestamp(DAYS[4], tz="UTC")][-80]
        frame.loc[at, "close"] = float(frame.loc[at, "close"]) * 1.02
        frame.loc[at, "high"] = max(float(frame.loc[at, "high"]), float(frame.loc[at, "close"]))
    else:  # a 3:1 split today: the provider re-issues the whole history adjusted
        frame[["open", "high", "low", "close"]] /= 3.0
        frame["volume"] *= 3.0

    batch = cycle(predictor, clock, DAYS[5])

    assert batch.problems == []
    # BBB starts afresh from this cycle's bars; the others keep their origin.
    fresh = predictor.history_start(clock.now())
    predictions, atr = recompute(ensemble, market, ["BBB"], fresh, clock.now())
    assert [p for p in batch.predictions if p.symbol == "BBB"] == predictions
    assert batch.atr["BBB"] == atr["BBB"]
    kept, _ = recompute(ensemble, market, ["AAA", "CCC"], origin, clock.now())
    assert [p for p in batch.predictions if p.symbol != "BBB"] == kept
    # The cache's old state would have given another ATR: the rebuild was needed.
    market.frames["BBB"] = before
    _, stale = recompute(ensemble, market, ["BBB"], origin, clock.now())
    assert stale["BBB"] != batch.atr["BBB"]


def test_a_bad_new_bar_blocks_its_symbol_until_it_is_fixed(
    full_history: dict[str, pd.DataFrame], ensemble: Ensemble
) -> None:
    predictor, market, clock = live_setup(full_history, ensemble)
    origin = predictor.history_start(clock.now())
    for day in DAYS[:3]:
        cycle(predictor, clock, day)
    frame = market.frames["CCC"]
    bad_day = pd.Timestamp(DAYS[3], tz="UTC")  # the bar that is new at DAYS[4]'s cycle
    good = frame.loc[bad_day].copy()
    frame.loc[bad_day, "high"] = good["low"] * 0.98

    for day in DAYS[4:6]:  # still there a session later: still new, still blocked
        batch = cycle(predictor, clock, day)
        blocking = [p for p in batch.problems if p.blocking]
        assert [(p.symbol, p.timestamp, p.rule) for p in blocking] == [
            ("CCC", bad_day.to_pydatetime(), "high_below_low")
        ]
        assert "is below low" in blocking[0].detail
        assert {p.symbol for p in batch.predictions} == {"AAA", "BBB"}
        assert "CCC" not in batch.atr

    frame.loc[bad_day] = good  # the provider corrects it
    batch = cycle(predictor, clock, DAYS[6])
    assert batch.problems == []
    predictions, atr = recompute(ensemble, market, SYMBOLS, origin, clock.now())
    assert batch.predictions == predictions
    assert batch.atr == atr


def test_bars_validated_once_are_not_reported_again(
    full_history: dict[str, pd.DataFrame], ensemble: Ensemble
) -> None:
    predictor, market, clock = live_setup(full_history, ensemble)
    frame = market.frames["AAA"]
    quiet_day = frame.index[frame.index < pd.Timestamp(DAYS[0], tz="UTC")][-50]
    frame.loc[quiet_day, "volume"] = 0.0  # a warning, not a reason to stop

    first = cycle(predictor, clock, DAYS[0])
    assert [(p.symbol, p.timestamp, p.rule) for p in first.problems] == [
        ("AAA", quiet_day.to_pydatetime(), "zero_volume")
    ]
    assert len(first.predictions) == 3
    second = cycle(predictor, clock, DAYS[1])
    assert second.problems == []
    assert len(second.predictions) == 3
    assert np.isfinite(list(second.atr.values())).all()
