"""Run as a subprocess by the crash tests: the real agent against the fake Alpaca (data
and orders over HTTP), doing one thing a person asked for until the test kills it.

Usage: python -m tests.fakes.agent_worker MODE HOME BASE_URL
  approve  approve every waiting signal, one after another (as taps would)
  flatten  `/kill flatten`
Prints "ready" once reconciled, then "go" right before the request starts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import SecretStr

from core.agent import approval, controls
from core.app.composition import build_agent
from core.base.clock import LiveClock
from core.base.settings import (
    BrokerSettings,
    RuntimeSettings,
    Settings,
    TradingConfig,
    load_env_settings,
)
from core.base.types import KillScope, TradingMode
from storage import signals

APPROVER = "telegram:42"


def worker_settings(home: Path, base_url: str, symbols: tuple[str, ...]) -> Settings:
    """An Alpaca paper account reached at `base_url`, wide limits: only crashes decide."""
    env = load_env_settings(None).model_copy(
        update={
            "alpaca_api_key": SecretStr("test-key"),
            "alpaca_secret_key": SecretStr("test-secret"),
            "alpaca_base_url": base_url,
            "alpaca_data_url": base_url,
            "stockbot_home": home,
            "stockbot_data_provider": "alpaca",
        }
    )
    runtime = RuntimeSettings(
        mode=TradingMode.MANUAL,
        symbols=symbols,
        max_open_positions=20,
        max_orders_per_day=100,
        max_portfolio_risk=1.0,
        max_position_pct=1.0,
    )
    trading = TradingConfig(
        runtime=runtime, broker=BrokerSettings(kind="alpaca", request_timeout_seconds=2.0)
    )
    return Settings(env=env, trading=trading)


def main() -> None:
    mode, home, base_url = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    symbols = tuple(sys.argv[4].split(","))
    agent = build_agent(worker_settings(home, base_url, symbols), clock=LiveClock())
    if not agent.session.start().ok:
        raise SystemExit("reconciliation failed")
    print("ready", flush=True)
    print("go", flush=True)
    services = agent.services
    if mode == "approve":
        for signal in signals.pending(services.clock.now()):
            approval.approve(services, signal.id, APPROVER, origin="chat:42")
    elif mode == "flatten":
        controls.kill(services, KillScope.FLATTEN, APPROVER, "chat:42")
    print("done", flush=True)


if __name__ == "__main__":
    main()
