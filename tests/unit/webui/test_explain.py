"""`core.base.explain`: the words both front ends use for money, times and a model's
reasons (here with the web page's tests; Telegram's messages are checked in
tests/unit/bot/test_messages.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from core.base import explain
from core.base.types import (
    FeatureContribution,
    ModelPrediction,
    SignalType,
    TradingMode,
    TradingSignal,
)
from ml.features import CONTEXT_FEATURE_NAMES, FEATURE_NAMES

NEW_YORK = explain.zone("America/New_York")
EVERY_FEATURE = FEATURE_NAMES + CONTEXT_FEATURE_NAMES


@pytest.mark.parametrize("name", EVERY_FEATURE)
def test_every_feature_the_models_use_has_words(name: str) -> None:
    assert explain.has_phrase(name), f"{name}: add it to core/base/explain.py"
    for value in (-0.8, -0.03, 0.0, 0.02, 0.7, 1.3, 3.56):
        phrase = explain.feature_phrase(name, value)
        assert "_" not in phrase, phrase
        assert "=" not in phrase, phrase
        assert phrase.strip() == phrase, phrase
        assert len(phrase) < 90, phrase
    label = explain.feature_label(name)
    assert "_" not in label, label
    assert len(label) <= 28, label


@pytest.mark.parametrize(
    ("name", "value", "phrase"),
    [
        ("volume_z_20", 3.56, "volume 3.6 standard deviations above its 20-day average"),
        ("volume_z_20", 0.2, "volume near its 20-day average"),
        ("close_sma_50", 0.032, "price 3.2% above its 50-day average"),
        ("close_ema_20", -0.011, "price 1.1% below its 20-day exponential average"),
        ("rsi_14", 0.714, "RSI 71: overbought"),
        ("rsi_14", 0.55, "RSI 55"),
        ("roc_1", -0.012, "price down 1.2% on the day"),
        ("logret_5", 0.0336, "price up 3.4% over 5 days"),  # a log return, shown as a change
        ("gap", 0.008, "opened 0.80% above the previous close"),
        ("spy_drawdown_250", -0.042, "market (SPY) 4.2% below its 1-year high"),
        ("spy_drawdown_250", 0.0, "market (SPY) at its 1-year high"),
        ("beta_60", 1.31, "moves about 1.3× as much as the market (60-day beta)"),
        ("rel_strength_20", 0.0208, "beat the market by 2.1% over 20 days"),
        ("adx_14", 0.32, "trend strength (ADX) 32: strong trend"),
        ("bb_pct_b", 1.2, "price above its upper Bollinger band"),
    ],
)
def test_a_feature_reads_as_a_sentence_with_its_value(name: str, value: float, phrase: str) -> None:
    assert explain.feature_phrase(name, value) == phrase


def test_a_window_the_vocabulary_never_saw_still_reads_right() -> None:
    assert explain.has_phrase("close_sma_100")
    assert explain.feature_phrase("close_sma_100", -0.05) == "price 5.0% below its 100-day average"


def test_an_unknown_feature_still_reads_as_words() -> None:
    assert not explain.has_phrase("foo_bar_20")
    assert explain.feature_phrase("foo_bar_20", 1.5) == "foo bar (20 days) at 1.5"
    assert explain.feature_label("spy_foo_ema") == "market (SPY) foo exponential average"
    assert explain.feature_phrase("close_sma_50", float("nan")) == (
        "price vs 50-day average: no value"
    )


def test_reasons_are_split_by_the_side_they_support() -> None:
    features = (
        FeatureContribution(name="close_sma_50", value=0.032, contribution=0.4),
        FeatureContribution(name="rsi_14", value=0.75, contribution=-0.2),
    )
    buy = explain.reasons(features, SignalType.BUY)
    assert buy.lines() == [
        "For: price 3.2% above its 50-day average",
        "Against: RSI 75: overbought",
    ]
    sell = explain.reasons(features, SignalType.SELL)
    assert sell.supporting == ("RSI 75: overbought",)
    assert sell.opposing == ("price 3.2% above its 50-day average",)


def test_a_stored_raw_reason_is_put_in_words_and_a_sentence_is_left_alone() -> None:
    assert explain.reason_text("volume_z_20=3.56 (+0.120)") == (
        "volume 3.6 standard deviations above its 20-day average"
    )
    sentence = "5 positions are open; the limit is 5"
    assert explain.reason_text(sentence) == sentence


def test_money_percent_and_shares_read_as_people_write_them() -> None:
    assert explain.money(-12.3) == "−$12.30"
    assert explain.money(1234.5) == "$1,234.50"
    assert explain.signed_money(0) == "+$0.00"
    assert explain.percent(-0.0123) == "−1.23%"
    assert explain.percent(-0.00001, signed=True) == "+0.00%"  # no "−0.00%"
    assert explain.chance(0.664) == "66%"
    assert explain.shares(38.0) == "38"
    assert explain.shares(1.5) == "1.5"
    assert explain.share_of(2.14, 10_000) == "0.02%"  # not "0.0%"
    assert explain.share_of(250, 10_000) == "2.5%"
    assert explain.share_of(2584, 10_000) == "26%"
    assert explain.share_of(1, 0) == "—"


def test_times_are_in_the_owners_zone_and_the_epoch_is_never() -> None:
    winter = datetime(2025, 12, 26, 20, 45, tzinfo=UTC)
    summer = datetime(2025, 7, 1, 13, 30, tzinfo=UTC)
    assert explain.when(winter, NEW_YORK) == "Dec 26, 2025, 3:45 PM EST"
    assert explain.when(summer, NEW_YORK) == "Jul 1, 2025, 9:30 AM EDT"
    assert explain.when(summer, explain.zone("Europe/Berlin")) == "Jul 1, 2025, 3:30 PM CEST"
    assert explain.when(datetime(2025, 12, 26, 20, 45), NEW_YORK) == "Dec 26, 2025, 3:45 PM EST"
    assert explain.when(datetime(1970, 1, 1, tzinfo=UTC), NEW_YORK) == "—"
    assert explain.when(datetime(1970, 1, 1, tzinfo=UTC), NEW_YORK, never="never") == "never"
    assert explain.when(None, NEW_YORK) == "—"
    assert explain.clock(datetime(2025, 12, 26, 5, 7, tzinfo=UTC), NEW_YORK) == "12:07 AM EST"


def _signal(side: SignalType, **prediction: object) -> TradingSignal:
    now = datetime(2025, 12, 26, 20, 45, tzinfo=UTC)
    return TradingSignal(
        id="NVDA-1",
        symbol="NVDA",
        signal_type=side,
        confidence=0.66,
        price=68.0,
        quantity=38 if side is SignalType.BUY else 10,
        stop_price=65.0 if side is SignalType.BUY else None,
        risk_amount=114.0 if side is SignalType.BUY else 0.0,
        mode=TradingMode.HYBRID,
        created_at=now,
        expires_at=now.replace(hour=21),
        prediction=ModelPrediction(
            symbol="NVDA",
            timestamp=now,
            probability_up=0.66 if side is SignalType.BUY else 0.3,
            model_probabilities={"gbm": 0.68, "momentum": 0.61},
            **prediction,  # type: ignore[arg-type]
        ),
    )


def test_a_buy_says_what_it_costs_and_what_the_stop_would_lose() -> None:
    lines = explain.signal_money(_signal(SignalType.BUY), equity=10_000)
    assert lines == [
        "Costs about $2,584.00 (26% of equity)",
        "If the stop at $65.00 is hit: −$114.00 (1.1% of equity)",
    ]


def test_a_sell_says_what_it_realises_against_the_entry() -> None:
    sell = _signal(SignalType.SELL)
    assert explain.signal_money(sell, held=(10, 60.0)) == [
        "Sells 10 of 10 shares bought at $60.00: +$80.00 (+13.3%)"
    ]
    assert explain.signal_money(sell, held=(4, 70.0)) == [
        "Sells 4 of 4 shares bought at $70.00: −$8.00 (−2.9%)"
    ]


def test_the_models_view_names_what_it_is_a_chance_of() -> None:
    plan = _signal(SignalType.BUY, target="plan", expected_r=0.21, base_rate=0.59)
    assert plan.prediction is not None
    assert explain.outlook(plan.prediction, plan.risk_amount) == (
        "66% chance the trade ends in profit (all trades: 59%); expected +0.21R ≈ +$23.94"
    )
    direction = _signal(SignalType.BUY, target="direction")
    assert direction.prediction is not None
    assert explain.outlook(direction.prediction) == (
        "66% chance the price is higher after the next session"
    )
    assert explain.votes(direction.prediction) == "LightGBM 68%, momentum rule 61%"


def test_no_phrase_leaks_a_python_name() -> None:
    snake = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")
    for name in EVERY_FEATURE:
        assert not snake.search(explain.feature_phrase(name, 0.5)), name


def test_the_models_view_against_the_typical_in_r_and_dollars() -> None:
    plan = _signal(SignalType.BUY, target="plan", expected_r=0.15, base_rate=0.54, typical_r=0.15)
    assert plan.prediction is not None
    # 0.15 R of the trade's $114 planned risk is about $17: an estimate, in whole dollars.
    assert explain.model_view(plan.prediction, plan.risk_amount, proven=False) == (
        "P(profit) 0.66 (typical 0.54) · expected +0.15 R = +$17 (typical +0.15 R) · "
        "model record: no proven edge"
    )
    losing = plan.prediction.model_copy(update={"expected_r": -0.03, "typical_r": None})
    assert explain.model_view(losing, plan.risk_amount, proven=True) == (
        "P(profit) 0.66 (typical 0.54) · expected −0.03 R = −$3.42 · model record: proven edge"
    )
    direction = _signal(SignalType.BUY, target="direction")
    assert direction.prediction is not None
    assert explain.model_view(direction.prediction) == (
        "P(higher after the next session) 0.66 (typical 0.50)"
    )


def test_rough_money_claims_no_false_precision() -> None:
    assert explain.rough_money(30.4) == "+$30"
    assert explain.rough_money(-1234.5) == "−$1,234"
    assert explain.rough_money(4.5) == "+$4.50"
    assert explain.signed_number(-0.3) == "−0.30"
