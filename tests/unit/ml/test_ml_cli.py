from __future__ import annotations

import json
from pathlib import Path

from core.app.cli import main
from ml.registry import current_run_id, load_run

ARGS = [
    "--provider",
    "sim",
    "--symbols",
    "AAA,BBB,CCC",
    "--start",
    "2016-01-01",
    "--end",
    "2023-12-29",
    "--models",
    "gbm,momentum",
]


def test_train_saves_a_graded_current_run(isolated_env: Path, capsys) -> None:
    assert main(["train", *ARGS, "--folds", "2"]) == 0
    out = capsys.readouterr().out
    run_id = current_run_id(isolated_env / "models")
    assert f"run {run_id} saved" in out
    assert "target plan" in out
    assert "grade: " in out
    for name in ("gbm", "momentum", "ensemble", "base_rate", "momentum_baseline"):
        assert f"\n{name}" in out
    ensemble, run = load_run(isolated_env / "models")
    manifest = run.manifest
    assert ensemble.names == ["gbm", "momentum"]
    assert manifest["symbols"] == ["AAA", "BBB", "CCC"]
    assert manifest["target"] == "plan"
    # The models read their own features; SPY (simulated) feeds the trend filter only.
    assert manifest["market_context"] is False
    assert manifest["oos_metrics"]["ensemble"]["n"] > 0
    assert set(manifest["grade"]["criteria"]) == {"a", "b", "c", "d", "e", "f"}
    assert isinstance(manifest["grade"]["proven"], bool)
    assert manifest["typical"]["base_rate"] > 0
    assert manifest["plan"]["horizon"] == 20
    # What the web page's Models tab draws: reliability per model and feature importance.
    assert {"ensemble", "always_up"} <= set(manifest["reliability"]) | set(manifest["oos_metrics"])
    assert manifest["reliability"]["ensemble"][0].keys() == {"forecast", "observed", "n"}
    assert 0 < len(manifest["feature_importance"]) <= 20


def test_evaluate_prints_and_stores_everything(isolated_env: Path, tmp_path: Path, capsys) -> None:
    report_path = tmp_path / "eval.json"
    plots = tmp_path / "plots"
    code = main(
        ["evaluate", *ARGS, "--folds", "2", "--json", str(report_path), "--plots", str(plots)]
    )
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    for heading in ("Probabilities", "Trades", "By year", "By symbol", "Grades", "Controls"):
        assert heading in out
    assert "variant(s) evaluated on this data so far" in out
    report = json.loads(report_path.read_text())
    assert report["config"]["target"] == "plan"
    assert report["variants"]["evaluated_on_this_data"] == 1
    assert {"gbm", "momentum", "ensemble", "base_rate", "momentum_baseline"} <= set(
        report["metrics"]
    )
    for metrics in report["metrics"].values():
        assert set(metrics) == {"accuracy", "auc", "brier", "log_loss", "ece", "n"}
    assert set(report["trades"]) == {
        "gbm",
        "momentum",
        "ensemble",
        "all_trades",
        "random_entries",
        "momentum_rule",
        "trend_filter",
    }
    assert set(report["grades"]) == {"gbm", "momentum", "ensemble"}
    assert set(report["controls"]) == {
        "positive: future volatility",
        "negative: shuffled labels",
        "negative: random walk",
    }
    assert report["by_year"]["probability"]
    assert report["by_symbol"]["trades"]
    assert {"fold", "train_start", "train_end", "test_start", "test_end"} <= set(report["folds"][0])
    for name in ("reliability", "r_by_decile", "r_by_year", "feature_importance"):
        assert (plots / f"{name}.png").stat().st_size > 0
        assert f"wrote {plots / name}.png" in out
    # A second evaluation of another variant on the same data is counted.
    assert main(["evaluate", *ARGS[:-1], "gbm", "--folds", "1", "--no-controls"]) == 0
    assert "2 variant(s) evaluated on this data so far" in capsys.readouterr().out


def test_bad_model_name_is_a_usage_error(capsys) -> None:
    assert main(["evaluate", *ARGS[:-1], "gbm,svm"]) == 2
    assert "--models: ['svm'] not allowed" in capsys.readouterr().err


def test_next_day_direction_stays_available_as_a_diagnostic(capsys) -> None:
    code = main(["evaluate", *ARGS, "--target", "direction", "--folds", "1", "--no-controls"])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "target direction, horizon 1 sessions" in out
    assert "Trades each would select" not in out  # no R without the plan
    assert "only a model of the plan's trades can show an edge" in out
