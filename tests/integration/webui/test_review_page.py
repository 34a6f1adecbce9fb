"""The Review page against a real agent: two decisions (one approved at half size, one
rejected), the clock moved on until both trades are over, and the page says what the
Engine's review says — totals in words, the chart, the calibration, each decision."""

from __future__ import annotations

from datetime import timedelta

from core.agent.engine import OrderChange
from core.base.clock import SimulatedClock
from tests.integration.conftest import CYCLE_TIME
from tests.integration.webui.conftest import Web
from webui import review_words


def _one(web: Web, marker: str):  # type: ignore[no-untyped-def]
    return web.user.find(marker=marker).elements.pop()


async def _two_decisions(web: Web, clock: SimulatedClock) -> None:
    web.predictor.probabilities = {"AAA": 0.57, "BBB": 0.57}
    web.agent.engine.run_cycle_now()
    pending = {s.symbol: s for s in await web.agent.engine.pending_signals()}
    assert set(pending) == {"AAA", "BBB"}
    engine = web.agent.engine
    await engine.approve(pending["AAA"].id, "web:owner", change=OrderChange(size_factor=0.5))
    await engine.reject(pending["BBB"].id, "telegram:42")
    clock.set(CYCLE_TIME + timedelta(days=45))  # past the plan's 20-session time exit


async def test_the_review_page_says_what_the_decisions_did(web: Web, clock: SimulatedClock) -> None:
    await _two_decisions(web, clock)
    report = await web.agent.engine.review("all")
    assert {d.decision for d in report.decisions} == {"modified", "rejected"}
    await web.log_in(redirect_to="/review?period=all")
    await web.user.should_see(marker="review-totals", retries=50)
    # The simulated user finds elements as a set: compare without their order.
    shown = sorted(label.text for label in web.user.find(marker="review-total").elements)
    assert shown == sorted(review_words.totals(report))
    assert any(line.startswith("Your rejections (and expiries) avoided $") for line in shown)
    await web.user.should_see(marker="review-chart")
    chart = _one(web, "review-chart")
    you, auto = chart.options["series"]
    assert you["data"] == [round(y, 2) for _, y, _ in report.daily]
    assert auto["data"] == [round(a, 2) for _, _, a in report.daily]
    table = _one(web, "review-decisions")
    by_symbol = {row["symbol"]: row for row in table.rows}
    assert by_symbol["AAA"]["decision"] == "Approved with a change"
    assert by_symbol["BBB"]["decision"] == "Rejected"
    assert by_symbol["BBB"]["who"] == "Telegram user 42"
    assert by_symbol["BBB"]["yours"] == "+$0.00"  # a veto trades nothing
    calibration = [label.text for label in web.user.find(marker="review-calibration").elements]
    assert len(calibration) == len(report.calibration) >= 1
    assert any(line.startswith("Said 0.57: ") for line in calibration)


async def test_a_period_without_decisions_says_so(web: Web, clock: SimulatedClock) -> None:
    await _two_decisions(web, clock)
    await web.log_in(redirect_to="/review?period=week")
    await web.user.should_see(marker="review-totals", retries=50)
    assert _one(web, "review-total").text.startswith("No decision of yours in this period")
    await web.user.should_not_see(marker="review-chart")
