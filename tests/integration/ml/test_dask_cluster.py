"""STOCKBOT_DASK_SCHEDULER set: the backtest's walk-forward windows run on a Dask
cluster (here a LocalCluster of two worker processes on 127.0.0.1) and give the same
predictions, trades and final equity as the same backtest run in this process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from core.base.settings import Settings, TradingConfig, load_env_settings
from core.data.simulated import SimulatedMarket
from core.drivers.backtest import BacktestConfig, BacktestResult, history_start, run_backtest
from ml import parallel
from ml.parallel import ClusterUnavailable, Runner, runner_for, using
from storage.memory_store import MemoryStore

SYMBOLS = ("AAA", "BBB", "CCC")
CONFIG = BacktestConfig(
    symbols=SYMBOLS,
    start=date(2021, 7, 1),
    end=date(2023, 6, 30),
    models=("gbm", "rf", "momentum"),
    retrain_every=42,
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as local:
        yield local


def settings(home: Path, scheduler: str | None = None) -> Settings:
    env = load_env_settings(None).model_copy(
        update={"stockbot_home": home, "stockbot_dask_scheduler": scheduler}
    )
    return Settings(env=env, trading=TradingConfig())


def backtest(settings: Settings) -> tuple[BacktestResult, dict[Any, tuple[float, object]]]:
    end = datetime(2023, 6, 30, tzinfo=UTC)
    history = SimulatedMarket().get_bars(list(SYMBOLS), history_start(CONFIG), end)
    store = MemoryStore()
    result = run_backtest(settings, history, CONFIG, store=store)
    served = {k: (r.probability_up, r.details) for k, r in store.predictions.rows.items()}
    return result, served


def test_a_backtest_on_a_dask_cluster_equals_the_local_run(cluster: Any, tmp_path: Path) -> None:
    remote_settings = settings(tmp_path, cluster.scheduler_address)
    assert runner_for(remote_settings).backend == "dask"
    remote, remote_predictions = backtest(remote_settings)
    with using(Runner(jobs=1)):
        local, local_predictions = backtest(settings(tmp_path))

    assert local.retrainings == remote.retrainings == 12
    assert len(local_predictions) > 1000
    assert remote_predictions == local_predictions
    assert len(local.trades) > 0, "the run must trade for the comparison to mean anything"
    assert remote.trades == local.trades
    assert remote.metrics["final_equity"] == local.metrics["final_equity"]
    assert remote.equity == local.equity


def test_a_scheduler_that_does_not_answer_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "CONNECT_SECONDS", 2)
    runner = runner_for(settings(tmp_path, "tcp://127.0.0.1:9"))
    with pytest.raises(ClusterUnavailable, match=r"STOCKBOT_DASK_SCHEDULER = tcp://127\.0\.0\.1:9"):
        next(iter(runner.map(divmod, [1], 2)))
