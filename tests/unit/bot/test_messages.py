"""What Telegram messages say: a signal with its dollars and reasons in words, times in
the owner's zone, and one command table behind the "/" list, /help and /menu."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot import formatting, keyboards
from bot.app import _HANDLERS
from bot.commands import COMMANDS, GROUPS, bot_commands, button_commands, help_text
from bot.handlers import _MENU_HANDLERS
from core.agent.engine import PnlReport, PositionView, StatusReport
from core.base import explain
from core.base.types import (
    FeatureContribution,
    ModelPrediction,
    SignalType,
    TradingMode,
    TradingSignal,
    TradingState,
    TradingStatus,
)

NEW_YORK = explain.zone("America/New_York")
NOW = datetime(2025, 12, 26, 20, 45, tzinfo=UTC)
SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")


def _signal(side: SignalType = SignalType.BUY) -> TradingSignal:
    return TradingSignal(
        id="NVDA-20251226T2045-ca0f18",
        symbol="NVDA",
        signal_type=side,
        confidence=0.66,
        price=68.02,
        quantity=38 if side is SignalType.BUY else 10,
        stop_price=65.23 if side is SignalType.BUY else None,
        risk_amount=106.02 if side is SignalType.BUY else 0.0,
        mode=TradingMode.HYBRID,
        created_at=NOW,
        expires_at=NOW.replace(hour=21),
        reasons=("volume_z_20=3.56 (+0.120)",),
        prediction=ModelPrediction(
            symbol="NVDA",
            timestamp=NOW,
            probability_up=0.66 if side is SignalType.BUY else 0.34,
            model_probabilities={"gbm": 0.68, "momentum": 0.61},
            top_features=(
                FeatureContribution(name="volume_z_20", value=3.56, contribution=0.12),
                FeatureContribution(name="close_sma_50", value=0.032, contribution=0.08),
                FeatureContribution(name="rsi_14", value=0.714, contribution=-0.05),
            ),
            target="plan",
            expected_r=0.21,
            base_rate=0.59,
            typical_r=0.15,
        ),
    )


def test_a_signal_message_has_the_claim_against_the_typical_dollars_reasons_and_time_left() -> None:
    text = formatting.signal(
        _signal(),
        NEW_YORK,
        equity=10_000,
        proven=False,
        deadline=NOW + timedelta(seconds=60),
        wall_now=NOW,
    )
    assert text.splitlines() == [
        "BUY 38 NVDA at ~$68.02",
        "P(profit) 0.66 (typical 0.59) · expected +0.21 R = +$22 (typical +0.15 R) · "
        "model record: no proven edge",
        "Costs about $2,584.76 (26% of equity)",
        "If the stop at $65.23 is hit: −$106.02 (1.1% of equity)",
        "Models: LightGBM 68%, momentum rule 61%",
        "For: volume 3.6 standard deviations above its 20-day average; "
        "price 3.2% above its 50-day average",
        "Against: RSI 71: overbought",
        "Mode hybrid · id NVDA-20251226T2045-ca0f18",
        "⏳ 60 s left to decide (until 3:46:00 PM EST)",
    ]
    assert "onfidence" not in text


def test_a_proven_model_says_so_and_a_live_expiry_reads_in_minutes() -> None:
    text = formatting.signal(
        _signal(), NEW_YORK, proven=True, deadline=NOW + timedelta(minutes=15), wall_now=NOW
    )
    assert "model record: proven edge" in text
    assert text.endswith("⏳ 15 min left to decide (until 4:00 PM EST)")


def test_a_sell_message_says_the_pnl_of_selling() -> None:
    text = formatting.signal(_signal(SignalType.SELL), NEW_YORK, held=(10, 64.84))
    assert "Sells 10 of 10 shares bought at $64.84: +$31.80 (+4.9%)" in text
    # For a sell, what pushed towards "down" supports it.
    assert "For: RSI 71: overbought" in text


def test_a_stored_signal_without_features_still_explains_in_words() -> None:
    bare = _signal().model_copy(update={"prediction": None})
    text = formatting.signal(bare, NEW_YORK)
    assert "volume 3.6 standard deviations above its 20-day average" in text
    assert "volume_z_20" not in text


def test_positions_trades_and_pnl_read_as_money_in_the_owners_zone() -> None:
    position = PositionView("NVDA", 38, 64.84, 68.02, 120.84, 62.0, None)
    assert formatting.positions([position]) == (
        "NVDA: 38 @ $64.84, last $68.02, P&L +$120.84 (+4.9%); stop $62.00"
    )
    report = PnlReport("week", NOW, 10_000, 9_900, -100.0, -0.01, -40.0, 3)
    assert formatting.pnl(report, NEW_YORK) == (
        "P&L this week (since Dec 26, 2025, 3:45 PM EST): −$100.00 (−1.00%)\n"
        "Equity $9,900.00   Realised −$40.00   Fills 3"
    )


def test_every_command_has_a_handler_help_and_a_menu_entry_and_nothing_else() -> None:
    names = {c.name for c in COMMANDS}
    assert names | {"start"} == set(_HANDLERS)
    text = help_text()
    for command in COMMANDS:
        assert f"/{command.name}" in text
    assert [name for name, _ in bot_commands()] == [
        c.name for group in GROUPS for c in COMMANDS if c.group == group
    ]


def test_the_command_list_fits_telegrams_rules() -> None:
    for name, description in bot_commands():
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
        assert 3 <= len(description) <= 256


def test_menu_buttons_only_read() -> None:
    labels = [b.text for row in keyboards.menu().keyboard for b in row]
    assert set(labels) == set(button_commands())
    assert set(button_commands().values()) == set(_MENU_HANDLERS)
    controlling = {c.name for c in COMMANDS if c.group == "controlling"} | {"mode"}
    assert not controlling & set(_MENU_HANDLERS)
    assert all(len(row) <= 2 for row in keyboards.menu().keyboard)  # thumb-sized


def test_status_never_shows_the_epoch() -> None:
    report = StatusReport(
        mode=TradingMode.HYBRID,
        trading=TradingStatus(
            state=TradingState.ACTIVE,
            changed_by="system",
            reason="initial state",
            changed_at=datetime(1970, 1, 1, tzinfo=UTC),
        ),
        equity=10_000,
        cash=10_000,
        exposure=0,
        daily_pnl=-4.03,
        daily_pnl_pct=-0.0004,
        positions=0,
        pending_signals=0,
        next_runs={"cycle": NOW},
        data_provider="sim",
        broker="paper",
        account_mode="paper",
        model_run=None,
        reconciled=True,
        telegram_connected=True,
    )
    text = formatting.status(report, NEW_YORK)
    assert "1970" not in text
    assert "1969" not in text  # the epoch in New York
    assert "never stopped since the start" in text
    assert "Today −$4.03 (−0.04%)" in text
    assert "Next: cycle Dec 26, 2025, 3:45 PM EST" in text
    assert not SNAKE.search(text.replace("end_of_day", "")), text
