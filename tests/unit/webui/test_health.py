"""The heartbeat behind `/healthz`: the age of the last good snapshot refresh."""

from __future__ import annotations

from types import SimpleNamespace

from webui.security import WebCredentials
from webui.state import HEARTBEAT_STALE_SECONDS, WebState


class StubEngine:
    """Answers the snapshot's questions; `fail` makes them raise."""

    def __init__(self) -> None:
        self.fail = False

    async def _answer(self, value: object) -> object:
        if self.fail:
            raise RuntimeError("broker unreachable")
        return value

    async def status(self) -> object:
        return await self._answer(SimpleNamespace())

    async def positions(self) -> object:
        return await self._answer([])

    async def pending_signals(self) -> object:
        return await self._answer([])

    async def performance_series(self) -> object:
        return await self._answer(None)


def state_at(now: list[float]) -> WebState:
    state = WebState(WebCredentials("pw", "secret", None))
    state.clock = lambda: now[0]
    return state


async def test_starting_until_an_agent_is_attached_and_has_refreshed() -> None:
    now = [100.0]
    state = state_at(now)
    assert state.health() == (503, "starting")
    await state.refresh()
    assert state.health() == (503, "starting")
    state.attach(StubEngine())  # type: ignore[arg-type]
    await state.refresh()
    now[0] += 3.4
    assert state.health() == (200, "ok heartbeat_age_s=3")


async def test_stale_when_the_last_good_refresh_is_over_two_minutes_old() -> None:
    now = [100.0]
    state = state_at(now)
    engine = StubEngine()
    state.attach(engine)  # type: ignore[arg-type]
    await state.refresh()
    engine.fail = True
    now[0] += HEARTBEAT_STALE_SECONDS
    await state.refresh()  # fails: the heartbeat is not renewed
    assert state.health() == (200, "ok heartbeat_age_s=120")
    now[0] += 1
    assert state.health() == (503, "stale heartbeat_age_s=121")
    engine.fail = False
    await state.refresh()
    assert state.health() == (200, "ok heartbeat_age_s=0")
