"""An agent: the Engine front ends call, the services behind it and the session
lifecycle the drivers run. Built by the composition root (or by a backtest's replay)."""

from __future__ import annotations

from dataclasses import dataclass

from core.agent.engine import Engine
from core.agent.services import Services
from core.agent.session import SessionLifecycle


@dataclass
class Agent:
    engine: Engine
    services: Services
    session: SessionLifecycle
