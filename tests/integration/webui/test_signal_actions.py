"""A waiting signal's card on the page (issue 18), through NiceGUI's simulated user
against a real agent and paper broker: approve with a change (half size, a limit picked
or typed, a tighter stop) — one order of that shape, re-checked; outside market hours
"at the open" and "extended hours" instead of a failure, the queued order cancelled; a
countdown in real time that says "expired"; the model's view against the typical."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from core.agent.predictor import PredictionBatch
from core.base.clock import SimulatedClock
from core.base.types import OrderStatus, TradingSignal
from storage import audit
from storage.models import Order
from tests.integration.conftest import ScriptedPredictor
from tests.integration.webui.conftest import Web, eventually
from tests.integration.webui.test_pages import _pending_signal

AFTER_THE_CLOSE = datetime(2024, 7, 5, 20, 30, tzinfo=UTC)  # Friday 16:30 New York


def _one(web: Web, marker: str):  # type: ignore[no-untyped-def]
    return web.user.find(marker=marker).elements.pop()


async def _waiting(web: Web) -> TradingSignal:
    return await web.agent.engine.signal(await _pending_signal(web))


def _orders(signal_id: str) -> list[Order]:
    return list(Order.select().where(Order.signal == signal_id))


async def _decided(web: Web, signal_id: str) -> str:
    """The card's outcome once the decision is back."""
    await web.user.should_see(marker=f"outcome-{signal_id}", retries=50)
    return str(_one(web, f"outcome-{signal_id}").text)


# -- changes before approving ------------------------------------------------------------


async def test_half_size_places_one_order_of_half_the_shares(web: Web) -> None:
    signal = await _waiting(web)
    assert signal.quantity >= 2
    await web.log_in(redirect_to="/signals")
    web.user.find(marker=f"half-{signal.id}").click()
    outcome = await _decided(web, signal.id)
    [order] = _orders(signal.id)
    half = signal.quantity // 2
    assert (order.side, order.quantity, order.order_type) == ("buy", half, "market")
    assert outcome.startswith(f"buy {half} AAA")  # the card shows the order that went out
    modified = audit.recent(action_prefix="signal.modified")[0]
    assert (modified.actor, modified.details["size_factor"]) == ("web:owner", 0.5)
    await web.user.should_not_see(marker=f"approve-{signal.id}")


async def test_a_suggested_limit_becomes_a_limit_order(web: Web) -> None:
    signal = await _waiting(web)
    choices = await web.agent.engine.order_choices(signal.id)
    await web.log_in(redirect_to="/signals")
    web.user.find(marker=f"limit-{signal.id}").click()
    web.user.find(marker="limit-suggested-1").click()
    outcome = await _decided(web, signal.id)
    [order] = _orders(signal.id)
    assert (order.order_type, order.limit_price) == ("limit", choices.suggested_limits[1])
    assert order.quantity == signal.quantity
    assert f"limit {choices.suggested_limits[1]:.2f}" in outcome


async def test_a_typed_limit_that_is_not_a_price_is_refused_by_name(web: Web) -> None:
    signal = await _waiting(web)
    await web.log_in(redirect_to="/signals")
    web.user.find(marker=f"limit-{signal.id}").click()
    field = _one(web, "limit-input")
    for typed, says in (("abc", "'abc' is not a price"), ("12.345", "'12.345' has fractions")):
        web.user.find(marker="limit-input").clear().type(typed)
        web.user.find(marker="limit-approve").click()
        await eventually(lambda: field.props.get("error") is True)
        assert says in field.props["error-message"]
    assert _orders(signal.id) == []
    assert (await web.agent.engine.signal(signal.id)).status is OrderStatus.PENDING


async def test_a_typed_limit_outside_the_collar_is_rechecked_and_not_sent(web: Web) -> None:
    signal = await _waiting(web)
    far = round(signal.price * 0.8, 2)  # 20% below: outside the 2% price collar
    await web.log_in(redirect_to="/signals")
    web.user.find(marker=f"limit-{signal.id}").click()
    web.user.find(marker="limit-input").clear().type(f"{far:.2f}")
    web.user.find(marker="limit-approve").click()
    outcome = await _decided(web, signal.id)
    assert "not sent" in outcome
    assert "collar" in outcome
    [order] = _orders(signal.id)
    assert (order.limit_price, order.status) == (far, OrderStatus.FAILED.value)


async def test_a_tighter_stop_is_the_orders_planned_stop(web: Web) -> None:
    signal = await _waiting(web)
    choices = await web.agent.engine.order_choices(signal.id)
    assert choices.tighter_stop is not None
    await web.log_in(redirect_to="/signals")
    web.user.find(marker=f"tighter-{signal.id}").click()
    outcome = await _decided(web, signal.id)
    [order] = _orders(signal.id)
    assert order.planned_stop == choices.tighter_stop
    assert f"stop {choices.tighter_stop:.2f}" in outcome


# -- outside market hours ----------------------------------------------------------------


async def _after_the_close(web: Web, clock: SimulatedClock) -> TradingSignal:
    clock.set(AFTER_THE_CLOSE)  # a cycle run by hand in the evening
    web.agent.services.market_is_open = lambda: False  # type: ignore[method-assign]
    return await _waiting(web)


async def test_after_the_close_the_card_offers_the_open_and_the_order_can_be_cancelled(
    web: Web, clock: SimulatedClock
) -> None:
    signal = await _after_the_close(web, clock)
    await web.log_in(redirect_to="/signals")
    await web.user.should_see(marker="market-closed")
    await web.user.should_not_see(marker=f"approve-{signal.id}")  # "now" would only fail
    web.user.find(marker=f"approve-open-{signal.id}").click()
    outcome = await _decided(web, signal.id)
    assert "queued for the open" in outcome
    [order] = _orders(signal.id)
    assert (order.time_in_force, order.status) == ("opg", OrderStatus.APPROVED.value)

    await web.user.should_see(marker=f"cancel-{signal.id}", retries=30)
    web.user.find(marker=f"cancel-{signal.id}").click()
    await eventually(lambda: _orders(signal.id)[0].status == OrderStatus.CANCELLED.value)
    assert await web.agent.engine.queued_orders() == []
    cancelled = audit.recent(action_prefix="order.cancelled")[0]
    assert (cancelled.actor, cancelled.details["signal_id"]) == ("web:owner", signal.id)
    await web.user.should_see(marker="no-queued", retries=30)


async def test_extended_hours_is_a_limit_order_for_extended_hours(
    web: Web, clock: SimulatedClock
) -> None:
    signal = await _after_the_close(web, clock)
    choices = await web.agent.engine.order_choices(signal.id)
    await web.log_in(redirect_to="/signals")
    web.user.find(marker=f"approve-extended-{signal.id}").click()
    assert "extended hours" in _one(web, "limit-timing").text
    web.user.find(marker="limit-suggested-0").click()
    await _decided(web, signal.id)
    [order] = _orders(signal.id)
    assert (order.order_type, order.limit_price) == ("limit", choices.suggested_limits[0])
    assert order.extended_hours is True
    assert order.time_in_force == "day"


# -- time left ------------------------------------------------------------------------------


async def test_the_countdown_is_real_time_left_and_says_expired(web: Web) -> None:
    signal = await _waiting(web)
    window = web.agent.services.window
    window.open_until = datetime.now(UTC) + timedelta(seconds=42)  # the demo holds its clock
    await web.log_in(redirect_to="/signals")
    clock = _one(web, "countdown")
    await eventually(lambda: str(clock.text).startswith("0m 4"))
    window.open_until = datetime.now(UTC) - timedelta(seconds=1)
    await eventually(lambda: clock.text == "expired")
    assert not _one(web, f"approve-{signal.id}").enabled
    assert "Expired" in await _decided(web, signal.id)


# -- the model's view ---------------------------------------------------------------------


class PlanPredictor(ScriptedPredictor):
    """A model of the plan's trade: P(profit) against the plan's typical, expected R."""

    def predict(
        self, symbols: Sequence[str], now: datetime, explain_edge: float | None
    ) -> PredictionBatch:
        batch = super().predict(symbols, now, explain_edge)
        batch.predictions = [
            p.model_copy(
                update={"target": "plan", "base_rate": 0.54, "expected_r": 0.15, "typical_r": 0.1}
            )
            for p in batch.predictions
        ]
        return batch


async def test_the_card_says_p_profit_against_the_typical_in_r_and_dollars(web: Web) -> None:
    predictor = PlanPredictor(web.predictor.market)
    predictor.probabilities = {"AAA": 0.60}  # 0.06 above the typical: asks in hybrid
    web.agent.engine.predictor = predictor
    web.agent.engine.run_cycle_now()
    [signal] = await web.agent.engine.pending_signals()
    await web.state.refresh()
    await web.log_in(redirect_to="/signals")
    await web.user.should_see(marker=f"approve-{signal.id}")
    dollars = round(0.15 * signal.risk_amount)
    assert dollars >= 10
    assert _one(web, "pending-outlook").text == (
        f"P(profit) 0.60 (typical 0.54) · expected +0.15 R = +${dollars:,} "
        "(typical +0.10 R) · model record: proven edge"
    )


async def test_an_unproven_model_says_so_on_the_card(web: Web) -> None:
    web.agent.services.models.manifest = {"grade": {"proven": False, "summary": "no"}}
    await _pending_signal(web)  # an unproven model asks in every mode
    await web.log_in(redirect_to="/signals")
    await web.user.should_see(marker="pending-outlook")
    assert _one(web, "pending-outlook").text.endswith("model record: no proven edge")
