"""The weekly retrain learns the owner's plan (not next-day direction), grades the new
model on its out-of-sample record and says so in the audit log and the alert."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.app.composition import build_agent
from core.base.clock import SimulatedClock
from core.base.events import Alert
from core.base.settings import ModelSettings, StopSettings
from core.data.simulated import SimulatedMarket
from core.drivers.retrain import PROVEN, UNPROVEN, retrain
from ml.labels import PlanRules
from ml.registry import is_proven, load_run
from storage.database import close_database
from storage.models import AuditEvent
from tests.integration.conftest import CYCLE_TIME, agent_settings


def test_the_weekly_retrain_trains_on_the_plan_and_reports_its_grade(tmp_path: Path) -> None:
    settings = agent_settings(tmp_path / "home")
    trading = settings.trading.model_copy(
        update={
            # A plan unlike the defaults, so the test sees it was the owner's plan.
            "stops": StopSettings(max_holding_sessions=7),
            "ml": ModelSettings(models=("gbm", "momentum"), lookback=20, history_years=5),
        }
    )
    settings = settings.model_copy(update={"trading": trading})
    clock = SimulatedClock(CYCLE_TIME)
    agent = build_agent(settings, clock=clock, data=SimulatedMarket(clock=clock))
    try:
        result = asyncio.run(retrain(agent.services, folds=1))
        run = load_run(settings.models_dir, result.run_id)[1]
        audit = AuditEvent.get(AuditEvent.action == "model.retrain")
    finally:
        close_database()

    assert run.manifest["plan"] == PlanRules.from_config(trading).as_dict()
    assert run.manifest["plan"]["horizon"] == 7
    assert result.promoted, "with no current model the first retrain becomes current"
    assert result.new_log_loss is not None
    assert result.proven == is_proven(run.manifest)
    assert result.grade == run.manifest["grade"]["summary"]
    assert audit.details["proven"] == result.proven
    assert audit.details["grade"] == result.grade
    alerts = [e for e in agent.services.bus.recent if isinstance(e, Alert)]
    assert alerts, "the retrain tells the owner"
    assert (PROVEN if result.proven else UNPROVEN) in alerts[-1].message
    assert agent.services.models.run_id == result.run_id
