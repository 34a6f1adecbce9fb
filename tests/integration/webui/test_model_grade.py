"""Honest confidence on the page (issue 16): the Models page shows the grade — proven or
not, each test passed or failed in words — and the live record against the typical; the
dashboard says when a mode asks because the model has no proven edge."""

from __future__ import annotations

from tests.integration.webui.conftest import Web

UNPROVEN = {
    "run_id": "run-1",
    "target": "plan",
    "horizon": 20,
    "typical": {"base_rate": 0.54, "typical_r": 0.15, "trades": 1200},
    "grade": {
        "proven": False,
        "summary": "NOT PROVEN: fails b (AUC); every signal asks",
        "criteria": {
            "a": {
                "name": "Brier vs base rate",
                "value": 0.001,
                "threshold": "95% interval of (base rate's Brier − model's) above 0",
                "passed": True,
                "explanation": "its probabilities beat the base rate: Brier 0.2400 vs 0.2480",
            },
            "b": {
                "name": "AUC",
                "value": 0.51,
                "threshold": "95% interval's lower bound above 0.50",
                "passed": False,
                "explanation": "it may rank trades no better than chance: AUC 0.510 [0.490, 0.530]",
            },
        },
    },
}


def _one(web: Web, marker: str):  # type: ignore[no-untyped-def]
    return web.user.find(marker=marker).elements.pop()


async def test_the_models_page_shows_each_test_of_the_grade_in_words(web: Web) -> None:
    models = web.agent.services.models
    models.run_id, models.manifest = "run-1", dict(UNPROVEN)
    await web.log_in(redirect_to="/models")
    await web.user.should_see(marker="grade")
    assert _one(web, "grade-headline").text == (
        "No proven edge: it fails 1 of 2 tests against taking every trade of the plan, "
        "so every signal asks you."
    )
    await web.user.should_see("a. Brier vs base rate: passed")
    await web.user.should_see("b. AUC: failed")
    await web.user.should_see("it may rank trades no better than chance: AUC 0.510 [0.490, 0.530]")
    await web.user.should_see("54% of all the plan's trades ended in profit, +0.15R on average")
    assert _one(web, "live-record").text.startswith("No live prediction has been scored yet")


async def test_the_dashboard_says_why_a_mode_asks_with_an_unproven_model(web: Web) -> None:
    await web.log_in()
    await web.user.should_see(marker="kill")
    await web.user.should_not_see(marker="mode-caveat")  # the fixture's model is proven
    web.agent.services.models.manifest = dict(UNPROVEN)
    await web.state.refresh()
    await web.user.should_see(marker="mode-caveat", retries=30)
    caveat = _one(web, "mode-caveat").text
    assert caveat.startswith("Mode hybrid: this model has no proven edge out of sample")
    assert "/model" not in caveat  # a Telegram command means nothing on the page
