"""`GET /healthz` on the real pages and login guard: open without a login, and it says
nothing but the heartbeat's age."""

from __future__ import annotations

import re

from tests.integration.webui.conftest import Web


async def test_health_answers_without_a_login_and_says_nothing_else(web: Web) -> None:
    response = await web.user.http_client.get("/healthz")
    assert response.status_code == 200
    assert re.fullmatch(r"ok heartbeat_age_s=\d+\n", response.text)
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    for neighbour in ("/healthz/", "/healthz/x", "/healthzz"):  # only that exact path is open
        response = await web.user.http_client.get(neighbour)
        assert response.status_code == 307, neighbour
        assert response.headers["location"].startswith("/login?redirect_to="), neighbour


async def test_health_says_starting_while_no_agent_is_attached(web: Web) -> None:
    web.state.engine = None  # as during the demo's training
    web.state.heartbeat = None
    response = await web.user.http_client.get("/healthz")
    assert (response.status_code, response.text) == (503, "starting\n")
