from __future__ import annotations

import json
from pathlib import Path

from core.app.cli import main
from ml.registry import current_run_id, load_run
from storage.database import close_database, open_database
from storage.models import ModelRun

ARGS = [
    "--provider",
    "sim",
    "--symbols",
    "AAA,BBB,CCC",
    "--start",
    "2019-01-01",
    "--end",
    "2023-12-29",
    "--models",
    "gbm,momentum",
]


def test_train_saves_a_current_run_and_prints_metrics(isolated_env: Path, capsys) -> None:
    assert main(["train", *ARGS, "--folds", "1"]) == 0
    out = capsys.readouterr().out
    run_id = current_run_id(isolated_env / "models")
    assert f"run {run_id} saved" in out
    for name in ("gbm", "momentum", "ensemble", "always_up", "momentum_baseline"):
        assert f"\n{name}" in out
    ensemble, run = load_run(isolated_env / "models")
    assert ensemble.names == ["gbm", "momentum"]
    assert run.manifest["symbols"] == ["AAA", "BBB", "CCC"]
    assert run.manifest["oos_metrics"]["ensemble"]["n"] > 0
    # What the web page's Models tab draws: reliability per model and feature importance.
    assert {"ensemble", "always_up"} <= set(run.manifest["reliability"])
    assert run.manifest["reliability"]["ensemble"][0].keys() == {"forecast", "observed", "n"}
    assert 0 < len(run.manifest["feature_importance"]) <= 20
    open_database(isolated_env / "stockbot.db")
    try:
        assert ModelRun.get_by_id(run_id).is_current
    finally:
        close_database()


def test_evaluate_writes_the_documented_json(tmp_path: Path, capsys) -> None:
    report_path = tmp_path / "eval.json"
    plots = tmp_path / "plots"
    code = main(["evaluate", *ARGS, "--json", str(report_path), "--plots", str(plots)])
    assert code == 0, capsys.readouterr().err
    report = json.loads(report_path.read_text())
    assert set(report["metrics"]) == {
        "gbm",
        "momentum",
        "ensemble",
        "always_up",
        "momentum_baseline",
    }
    for metrics in report["metrics"].values():
        assert set(metrics) == {"accuracy", "auc", "brier", "log_loss", "ece", "n"}
    assert {"fold", "train_start", "train_end", "test_start", "test_end"} <= set(report["folds"][0])
    assert (plots / "reliability.png").stat().st_size > 0
    assert (plots / "feature_importance.png").stat().st_size > 0


def test_bad_model_name_is_a_usage_error(capsys) -> None:
    assert main(["evaluate", *ARGS[:-1], "gbm,svm"]) == 2
    assert "--models: ['svm'] not allowed" in capsys.readouterr().err
