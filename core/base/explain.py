"""Words for people: money, percentages, times and a model's reasons as the owner reads
them on a phone — in Telegram messages and on the web page alike, so "−$12.30",
"Dec 26, 2025, 3:45 PM EST" and "price 3.2% above its 50-day average" read the same in
both. Plain text only (no markup). Imports nothing but the standard library and
`core.base.types`.

The feature vocabulary mirrors the names `ml/features.py` computes (`FEATURE_NAMES`, the
stock's own, and `CONTEXT_FEATURE_NAMES`, the market's): each gets a short label (for a
chart axis) and a phrase with its value (for a reason). `ml` is a higher layer, so the
names are written out here; a unit test fails when a feature has no phrase. A name this
module does not know still reads as words (`feature_phrase("foo_bar_20", 1.5)` is
"foo bar (20 days) at 1.5"), never as `foo_bar_20=1.5`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from core.base.types import FeatureContribution, ModelPrediction, SignalType, TradingSignal

DEFAULT_TIMEZONE = "America/New_York"
"""The trading config's default `timezone` (the exchange's)."""

MINUS = "−"  # a real minus sign: a hyphen before a number reads as a dash on a phone
NONE = "—"

# -- numbers --------------------------------------------------------------------------


def money(value: float | None) -> str:
    """`$1,234.50`, `−$12.30`."""
    if value is None:
        return NONE
    return f"{MINUS if value < 0 else ''}${abs(value):,.2f}"


def signed_money(value: float | None) -> str:
    """`+$4.00`, `−$12.30`: a change, so its sign is always shown."""
    if value is None:
        return NONE
    return f"{MINUS if value < 0 else '+'}${abs(value):,.2f}"


def percent(value: float | None, *, signed: bool = False, digits: int = 2) -> str:
    """A fraction as a percentage: 0.0123 → `1.23%` (`+1.23%` when signed)."""
    if value is None:
        return NONE
    sign = MINUS if value < 0 and round(abs(value) * 100, digits) else ("+" if signed else "")
    return f"{sign}{abs(value) * 100:,.{digits}f}%"


def share_of(part: float, whole: float | None) -> str:
    """`12%`, `2.5%`, `0.02%`: a part of a whole with as many digits as it needs to
    not read as zero (a $2 risk on $10,000 is 0.02%, not 0.0%)."""
    if not whole:
        return NONE
    fraction = abs(part / whole)
    digits = 0 if fraction >= 0.095 else 1 if fraction >= 0.0095 else 2
    return percent(fraction, digits=digits)


def chance(probability: float | None) -> str:
    """A probability as people say it: 0.664 → `66%`."""
    return NONE if probability is None else f"{probability * 100:.0f}%"


def shares(quantity: float) -> str:
    """`38`, `1.5` — whole shares without a decimal point."""
    return f"{quantity:,.0f}" if float(quantity).is_integer() else f"{quantity:,.4g}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# -- dates and times ------------------------------------------------------------------


def zone(name: str | None = None) -> ZoneInfo:
    """The owner's time zone (the trading config's `timezone`)."""
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def never_set(value: datetime | None) -> bool:
    """True for no time at all and for the epoch a record carries before its first
    change (a trading state that was never changed)."""
    return value is None or value.year <= 1970


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    """In the owner's zone; a time without a zone is UTC (as the agent stores times)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(tz)


def when(value: datetime | None, tz: ZoneInfo, *, never: str = NONE) -> str:
    """`Dec 26, 2025, 3:45 PM EST`, in the owner's time zone; `never` for no time."""
    if value is None or never_set(value):
        return never
    local = _local(value, tz)
    return f"{local:%b} {local.day}, {local.year}, {clock(value, tz)}"


def clock(value: datetime, tz: ZoneInfo) -> str:
    """`3:45 PM EST`: the time of day, for something due the same day."""
    local = _local(value, tz)
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"


def day(value: date | None) -> str:
    """`Dec 26, 2025`."""
    return NONE if value is None else f"{value:%b} {value.day}, {value.year}"


def short_day(value: date) -> str:
    """`Dec 26`: a chart's axis label."""
    return f"{value:%b} {value.day}"


# -- a model's reasons ----------------------------------------------------------------


def _pct(fraction: float, digits: int = 1) -> str:
    return f"{abs(fraction) * 100:.{digits}f}%"


def _log_to_fraction(log_return: float) -> float:
    return math.expm1(max(min(log_return, 50.0), -50.0))


def _days(count: int) -> str:
    return "on the day" if count == 1 else f"over {count} days"


def _versus(fraction: float, what: str) -> str:
    if abs(fraction) < 0.0005:
        return f"at {what}"
    return f"{_pct(fraction)} {'above' if fraction > 0 else 'below'} {what}"


def _move(fraction: float, count: int, subject: str = "") -> str:
    head = f"{subject} " if subject else ""
    if abs(fraction) < 0.0005:
        return f"{head}flat {_days(count)}"
    return f"{head}{'up' if fraction > 0 else 'down'} {_pct(fraction)} {_days(count)}"


def _level(value: float, high: float, low: float, high_word: str, low_word: str) -> str:
    if value >= high:
        return f": {high_word}"
    if value <= low:
        return f": {low_word}"
    return ""


def _rsi(v: float) -> str:
    r = v * 100
    return f"RSI {r:.0f}" + _level(r, 70, 30, "overbought", "oversold")


def _macd_line(v: float) -> str:
    if abs(v) < 0.0005:
        return "12-day and 26-day averages level (MACD)"
    above = "above" if v > 0 else "below"
    return f"12-day average {above} the 26-day by {_pct(v)} of the price (MACD)"


def _macd_signal(v: float) -> str:
    return f"MACD's 9-day average at {'+' if v >= 0 else MINUS}{_pct(v, 2)} of the price"


def _macd_hist(v: float) -> str:
    if abs(v) < 0.00005:
        return "MACD on its signal line"
    side, trend = ("above", "momentum rising") if v > 0 else ("below", "momentum fading")
    return f"MACD {_pct(v, 2)} of the price {side} its signal line ({trend})"


def _bollinger_position(v: float) -> str:
    if v > 1:
        return "price above its upper Bollinger band"
    if v < 0:
        return "price below its lower Bollinger band"
    where = "near the top" if v >= 0.8 else "near the bottom" if v <= 0.2 else "mid-band"
    return f"price {where} of its Bollinger bands ({v * 100:.0f}%)"


def _adx(v: float) -> str:
    a = v * 100
    strength = "strong trend" if a >= 25 else "no clear trend" if a < 20 else "weak trend"
    return f"trend strength (ADX) {a:.0f}: {strength}"


def _stochastic(prefix: str) -> Callable[[float], str]:
    def phrase(v: float) -> str:
        s = v * 100
        where = _level(s, 80, 20, "near the top of its 14-day range", "near the bottom")
        return f"{prefix} {s:.0f}{where}"

    return phrase


def _cci(v: float) -> str:
    c = v * 100
    where = "well above" if c > 100 else "well below" if c < -100 else "near"
    return f"CCI {c:.0f}: price {where} its 20-day mean"


def _mfi(v: float) -> str:
    m = v * 100
    return f"money flow index {m:.0f}" + _level(m, 80, 20, "heavy buying", "heavy selling")


def _obv(v: float) -> str:
    if abs(v) < 0.005:
        return "volume on up and down days even over 20 days"
    more, less = ("up", "down") if v > 0 else ("down", "up")
    return f"{more}-day volume beat {less}-day volume by {_pct(v, 0)} over 20 days"


def _volatility(count: int, subject: str = "") -> Callable[[float], str]:
    head = f"{subject} " if subject else ""
    return lambda v: f"{head}daily moves of about {_pct(v)} over {count} days"


def _volume_z(v: float) -> str:
    if abs(v) < 0.5:
        return "volume near its 20-day average"
    side = "above" if v > 0 else "below"
    return f"volume {abs(v):.1f} standard deviations {side} its 20-day average"


def _gap(v: float) -> str:
    if abs(v) < 0.0005:
        return "opened at the previous close"
    return f"opened {_pct(v, 2)} {'above' if v > 0 else 'below'} the previous close"


def _drawdown(v: float) -> str:
    if v > -0.0005:
        return "market (SPY) at its 1-year high"
    return f"market (SPY) {_pct(v)} below its 1-year high"


def _beta(v: float) -> str:
    return f"moves about {v:.1f}× as much as the market (60-day beta)"


def _relative(count: int) -> Callable[[float], str]:
    def phrase(v: float) -> str:
        f = _log_to_fraction(v)
        if abs(f) < 0.0005:
            return f"kept pace with the market over {count} days"
        return f"{'beat' if f > 0 else 'lagged'} the market by {_pct(f)} over {count} days"

    return phrase


@dataclass(frozen=True)
class Term:
    """How one feature reads: a short label (a chart axis) and a phrase with its value."""

    label: str
    phrase: Callable[[float], str]


_EXACT: dict[str, Term] = {
    "rsi_14": Term("RSI (14 days)", _rsi),
    "macd_line": Term("MACD", _macd_line),
    "macd_signal": Term("MACD signal line", _macd_signal),
    "macd_hist": Term("MACD histogram", _macd_hist),
    "bb_pct_b": Term("place in Bollinger bands", _bollinger_position),
    "bb_width": Term("Bollinger band width", lambda v: f"Bollinger bands {_pct(v)} wide"),
    "atr_14": Term(
        "daily range (ATR)", lambda v: f"average daily range {_pct(v)} of the price (ATR)"
    ),
    "adx_14": Term("trend strength (ADX)", _adx),
    "plus_di_14": Term("buying pressure (+DI)", lambda v: f"buying pressure (+DI) {v * 100:.0f}"),
    "minus_di_14": Term(
        "selling pressure (−DI)", lambda v: f"selling pressure (−DI) {v * 100:.0f}"
    ),
    "stoch_k": Term("stochastic %K", _stochastic("stochastic")),
    "stoch_d": Term("stochastic %D", _stochastic("3-day stochastic")),
    "cci_20": Term("CCI (20 days)", _cci),
    "mfi_14": Term("money flow (MFI)", _mfi),
    "obv_slope_20": Term("on-balance volume trend", _obv),
    "volume_z_20": Term("volume vs 20-day average", _volume_z),
    "gap": Term("opening gap", _gap),
    "spy_drawdown_250": Term("market below 1-year high", _drawdown),
    "spy_close_sma_200": Term(
        "market vs 200-day average",
        lambda v: "market (SPY) " + _versus(v, "its 200-day average"),
    ),
    "beta_60": Term("beta to the market", _beta),
}

# Families with a window in their name: a new window (close_sma_100) needs no new entry.
_FAMILIES: tuple[tuple[re.Pattern[str], Callable[[int], Term]], ...] = (
    (
        re.compile(r"close_sma_(\d+)"),
        lambda n: Term(
            f"price vs {n}-day average", lambda v: "price " + _versus(v, f"its {n}-day average")
        ),
    ),
    (
        re.compile(r"close_ema_(\d+)"),
        lambda n: Term(
            f"price vs {n}-day EMA",
            lambda v: "price " + _versus(v, f"its {n}-day exponential average"),
        ),
    ),
    (re.compile(r"roc_(\d+)"), lambda n: Term(f"{n}-day change", lambda v: _move(v, n, "price"))),
    (
        re.compile(r"logret_(\d+)"),
        lambda n: Term(f"{n}-day return", lambda v: _move(_log_to_fraction(v), n, "price")),
    ),
    (re.compile(r"rv_(\d+)"), lambda n: Term(f"{n}-day volatility", _volatility(n))),
    (
        re.compile(r"spy_logret_(\d+)"),
        lambda n: Term(
            f"market {n}-day return", lambda v: _move(_log_to_fraction(v), n, "market (SPY)")
        ),
    ),
    (
        re.compile(r"spy_rv_(\d+)"),
        lambda n: Term("market volatility", _volatility(n, "market (SPY)")),
    ),
    (re.compile(r"rel_strength_(\d+)"), lambda n: Term(f"vs market, {n} days", _relative(n))),
)

_WORDS = {
    "spy": "market (SPY)",
    "sma": "average",
    "ema": "exponential average",
    "rv": "volatility",
    "logret": "return",
    "roc": "change",
    "pct": "percent",
    "vol": "volume",
    "z": "score",
}


def _term(name: str) -> Term | None:
    if name in _EXACT:
        return _EXACT[name]
    for pattern, make in _FAMILIES:
        if match := pattern.fullmatch(name):
            return make(int(match.group(1)))
    return None


def has_phrase(name: str) -> bool:
    """True when `name` is in the vocabulary (not read by the fallback)."""
    return _term(name) is not None


def _fallback_label(name: str) -> str:
    parts = [p for p in re.split(r"[_\W]+", name) if p]
    window = parts.pop() if len(parts) > 1 and parts[-1].isdigit() else None
    words = " ".join(_WORDS.get(p.lower(), p) for p in parts) or "a feature"
    return f"{words} ({window} days)" if window else words


def feature_label(name: str) -> str:
    """A short label: `price vs 50-day average`, for a chart axis or a legend."""
    term = _term(name)
    return term.label if term else _fallback_label(name)


def feature_phrase(name: str, value: float) -> str:
    """The feature and its value in words: `price 3.2% above its 50-day average`."""
    if not math.isfinite(value):
        return f"{feature_label(name)}: no value"
    term = _term(name)
    return term.phrase(value) if term else f"{_fallback_label(name)} at {value:.3g}"


@dataclass(frozen=True)
class Reasons:
    """A prediction's top features in words, split by which way each pushed."""

    supporting: tuple[str, ...]
    """Pushed towards the signal's side (towards "up" when there is no side)."""
    opposing: tuple[str, ...]

    def lines(self) -> list[str]:
        out = []
        if self.supporting:
            out.append("For: " + "; ".join(self.supporting))
        if self.opposing:
            out.append("Against: " + "; ".join(self.opposing))
        return out


def reasons(features: Iterable[FeatureContribution], side: SignalType | None = None) -> Reasons:
    """`top_features` (largest push first) as words. A SELL is supported by what pushed
    towards "down"; a BUY (or no side) by what pushed towards "up"."""
    towards_up = side is not SignalType.SELL
    supporting: list[str] = []
    opposing: list[str] = []
    for feature in features:
        phrase = feature_phrase(feature.name, feature.value)
        helps = feature.contribution >= 0 if towards_up else feature.contribution < 0
        (supporting if helps else opposing).append(phrase)
    return Reasons(tuple(supporting), tuple(opposing))


_RAW_REASON = re.compile(
    r"^(?P<name>[A-Za-z][\w]*)=(?P<value>[-+0-9.eE]+)\s*\((?P<push>[-+0-9.eE]+)\)$"
)


def reason_text(reason: str) -> str:
    """A stored reason in words: `volume_z_20=3.56 (+0.120)` becomes a phrase; any other
    text (a risk check's sentence) is returned as it is."""
    match = _RAW_REASON.match(reason.strip())
    if match is None:
        return reason
    try:
        value = float(match["value"])
    except ValueError:
        return reason
    return feature_phrase(match["name"], value)


# -- a signal -------------------------------------------------------------------------

MODEL_NAMES = {
    "ensemble": "ensemble",
    "gbm": "LightGBM",
    "rf": "random forest",
    "lstm": "LSTM",
    "momentum": "momentum rule",
    "always_up": "always up (baseline)",
    "momentum_baseline": "momentum (baseline)",
}


def model_name(name: str) -> str:
    return MODEL_NAMES.get(name, re.sub(r"[_.]+", " ", name))


def signal_title(signal: TradingSignal) -> str:
    """`BUY 38 NVDA at ~$68.02`."""
    return (
        f"{signal.signal_type.value.upper()} {shares(signal.quantity)} {signal.symbol} "
        f"at ~{money(signal.price)}"
    )


def signal_money(
    signal: TradingSignal,
    *,
    equity: float | None = None,
    held: tuple[float, float] | None = None,
) -> list[str]:
    """What the signal means in dollars: what a buy costs, what a sell realises against
    the position's entry (`held` = (shares, entry price)), what the stop would lose."""
    lines = []
    if signal.signal_type is SignalType.BUY and signal.quantity:
        cost = signal.price * signal.quantity
        share = f" ({share_of(cost, equity)} of equity)" if equity else ""
        lines.append(f"Costs about {money(cost)}{share}")
    elif signal.signal_type is SignalType.SELL and held is not None and held[1] > 0:
        quantity, entry = held
        sold = min(float(signal.quantity), quantity)
        pnl = (signal.price - entry) * sold
        lines.append(
            f"Sells {shares(sold)} of {shares(quantity)} shares bought at {money(entry)}: "
            f"{signed_money(pnl)} ({percent(signal.price / entry - 1, signed=True, digits=1)})"
        )
    if signal.stop_price:
        share = f" ({share_of(signal.risk_amount, equity)} of equity)" if equity else ""
        lines.append(
            f"If the stop at {money(signal.stop_price)} is hit: "
            f"{signed_money(-abs(signal.risk_amount))}{share}"
        )
    return lines


def outlook(prediction: ModelPrediction, risk_amount: float = 0.0) -> str:
    """The model's view in words: the chance, what it is a chance of, and for the
    plan's trade its expected result in R (and dollars when the risk is known)."""
    p = prediction
    if p.target == "plan":
        text = f"{chance(p.probability_up)} chance the trade ends in profit"
        if p.base_rate is not None:
            text += f" (all trades: {chance(p.base_rate)})"
        if p.expected_r is not None:
            text += f"; expected {p.expected_r:+.2f}R"
            if risk_amount:
                text += f" ≈ {signed_money(p.expected_r * abs(risk_amount))}"
        return text
    ahead = "the next session" if p.horizon == 1 else f"{p.horizon} sessions"
    return f"{chance(p.probability_up)} chance the price is higher after {ahead}"


def signed_number(value: float, digits: int = 2) -> str:
    """`+0.15`, `−0.30`: a change or an expectation, its sign always shown."""
    return f"{MINUS if value < 0 else '+'}{abs(value):.{digits}f}"


def rough_money(value: float) -> str:
    """`+$30`, `−$4.50`: an estimate, so whole dollars from $10 on (cents would claim a
    precision an expectation does not have)."""
    if abs(value) >= 10:
        return f"{MINUS if value < 0 else '+'}${abs(value):,.0f}"
    return signed_money(value)


def expected_words(prediction: ModelPrediction, risk_amount: float = 0.0) -> str | None:
    """`expected +0.15 R = +$30 (typical +0.15 R)`: the dollars are the expected R times
    the trade's planned risk (what the stop would lose); None without an expectation."""
    if prediction.expected_r is None:
        return None
    words = f"expected {signed_number(prediction.expected_r)} R"
    if risk_amount:
        words += f" = {rough_money(prediction.expected_r * abs(risk_amount))}"
    if prediction.typical_r is not None:
        words += f" (typical {signed_number(prediction.typical_r)} R)"
    return words


def claim_label(signal: TradingSignal) -> str:
    """What a signal's probability (`confidence`) is the probability of."""
    prediction = signal.prediction
    if prediction is None or prediction.target == "plan":
        return "P(profit)"
    return "P(down)" if signal.signal_type is SignalType.SELL else "P(up)"


def model_view(
    prediction: ModelPrediction, risk_amount: float = 0.0, *, proven: bool | None = None
) -> str:
    """The model's view against the honest baseline, in one line:
    `P(profit) 0.58 (typical 0.54) · expected +0.15 R = +$30 (typical +0.15 R) · model
    record: no proven edge`. "Typical" is taking every trade of the same plan; dollars
    are the expected R times the trade's planned risk; the record is the model's grade
    (left out when `proven` is None)."""
    p = prediction
    if p.target == "plan":
        parts = [f"P(profit) {p.probability_up:.2f}"]
        if p.base_rate is not None:
            parts[0] += f" (typical {p.base_rate:.2f})"
    else:
        ahead = "next session" if p.horizon == 1 else f"{p.horizon} sessions"
        parts = [f"P(higher after the {ahead}) {p.probability_up:.2f} (typical 0.50)"]
    if (expected := expected_words(p, risk_amount)) is not None:
        parts.append(expected)
    if proven is not None:
        parts.append(f"model record: {'proven edge' if proven else 'no proven edge'}")
    return " · ".join(parts)


def votes(prediction: ModelPrediction) -> str | None:
    """`LightGBM 68%, momentum rule 61%`: each model's chance of "up"."""
    if not prediction.model_probabilities:
        return None
    return ", ".join(
        f"{model_name(name)} {chance(p)}" for name, p in prediction.model_probabilities.items()
    )


def signal_reasons(signal: TradingSignal) -> list[str]:
    """Why, in words: the prediction's top features split into for and against, or the
    stored reasons (each in words where it was a raw `name=value`)."""
    if signal.prediction is not None and signal.prediction.top_features:
        return reasons(signal.prediction.top_features, signal.signal_type).lines()
    return [reason_text(r) for r in signal.reasons]
