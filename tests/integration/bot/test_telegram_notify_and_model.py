"""Notifications you choose (`/notify`), and what the model claims against the typical
(`/model`, the signal message, `/mode` with an unproven model), through the fake Bot
API with the agent on the paper exchange."""

from __future__ import annotations

from core.base.events import StopTriggered
from storage import book
from tests.integration.bot.conftest import OWNER, replies_to, signal_shown, until

UNPROVEN = {
    "grade": {
        "proven": False,
        "summary": "NOT PROVEN: fails a (Brier vs base rate)",
        "criteria": {
            "a": {
                "name": "Brier vs base rate",
                "passed": False,
                "explanation": "its probabilities do not beat the base rate",
            },
            "b": {"name": "AUC", "passed": True, "explanation": "it ranks trades above chance"},
        },
    },
    "typical": {"base_rate": 0.54, "typical_r": 0.15, "trades": 900},
    "models": ["gbm"],
    "symbols": ["AAA", "BBB"],
}


def fill_messages(telegram) -> list:  # type: ignore[no-untyped-def,type-arg]
    return [m for m in replies_to(telegram) if "Filled: " in m.text or " fills: " in m.text]


async def trade(agent, predictor, symbol: str) -> None:  # type: ignore[no-untyped-def]
    """A signal the agent executes by itself (auto mode, a proven model)."""
    predictor.probabilities = {symbol: 0.95}
    await agent.engine.run_cycle()
    assert book.open_position(symbol) is not None


async def test_notify_fills_silent_then_off_and_critical_news_never_off(running, telegram) -> None:
    agent, predictor, _ = running
    await agent.engine.set_mode("auto", "system")
    # Its notice first, so that it is not summarised with the fills (it would ring).
    await until(lambda: any("Mode is now auto" in m.text for m in replies_to(telegram)))
    telegram.send_command(OWNER, "/notify")
    await until(
        lambda: any("Notifications (on · silent · off)" in m.text for m in replies_to(telegram))
    )
    levels = next(m.text for m in replies_to(telegram) if "Notifications" in m.text)
    assert "fills: on — orders the agent sent, fills and failed orders" in levels

    telegram.send_command(OWNER, "/notify fills silent")
    await until(lambda: agent.engine.settings().notify_fills == "silent")
    await trade(agent, predictor, "AAA")
    await until(lambda: fill_messages(telegram))
    [fills] = fill_messages(telegram)
    assert fills.silent, "a fill arrives without a sound"
    assert "buy" in fills.text

    telegram.send_command(OWNER, "/notify fills off")
    telegram.send_command(OWNER, "/notify stops off")
    said = "stops: off — stop exits are critical news: they still arrive, without a sound."
    await until(lambda: any(said in m.text for m in replies_to(telegram)))
    await trade(agent, predictor, "BBB")
    agent.services.bus.publish(StopTriggered(symbol="AAA", reason="stop", price=1.0, quantity=1))
    await until(lambda: any("Stop hit" in m.text for m in replies_to(telegram)))
    [stop] = [m for m in replies_to(telegram) if "Stop hit" in m.text]
    assert stop.silent, "off means silent for critical news"
    assert len(fill_messages(telegram)) == 1, "fills are off: nothing about BBB"


async def test_model_explains_the_grade_and_auto_says_it_will_still_ask(running, telegram) -> None:
    agent, predictor, _ = running
    agent.services.models.manifest = dict(UNPROVEN)
    agent.services.models.run_id = "run-7"
    telegram.send_command(OWNER, "/model")
    await until(lambda: any(m.text.startswith("Model run run-7") for m in replies_to(telegram)))
    [model] = [m for m in replies_to(telegram) if m.text.startswith("Model run run-7")]
    assert "NO PROVEN EDGE" in model.text
    assert (
        "✗ failed: Brier vs base rate — its probabilities do not beat the base rate" in model.text
    )
    assert "✓ passed: AUC" in model.text
    assert "P(profit) 0.54, mean +0.15 R over 900 trades" in model.text
    assert "Live record:" in model.text

    telegram.send_command(OWNER, "/mode auto")
    await until(lambda: any("Mode set to auto." in m.text for m in replies_to(telegram)))
    answer = next(m.text for m in replies_to(telegram) if "Mode set to auto." in m.text)
    assert "no proven edge" in answer
    assert "trades will ask you" in answer

    shown = await signal_shown(agent, predictor, telegram)
    assert "model record: no proven edge" in shown.text, "an unproven model's signal asks"
    assert "onfidence" not in shown.text
