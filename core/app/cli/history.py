""" "Too little history", said so a person can fix it: which symbol, how many bars it has,
how many the command needs, and the --start that works.

The ML code says what failed (`SplitError`, `FeatureError`); how much is enough is found
by asking the same split functions about hypothetical histories on the exchange
calendar, so the answer follows the ML code's own rules. If that reasoning fails for any
reason, the ML code's own message is shown: never a traceback.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.app.cli.context import CommandContext, one_line

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Needs:
    """What the models need, in sessions (read from the ML code and the settings)."""

    warmup: int
    """The indicators' warm-up: bars before a symbol's first feature row."""
    lookback: int
    """Feature rows in one sample: a symbol's first sample is bar warmup + lookback − 1."""
    horizon: int
    """Sessions after a sample its label needs (purged from training)."""
    embargo: int
    min_train: int
    """Sessions of samples before the first walk-forward test block."""

    @property
    def before_first_sample(self) -> int:
        return self.warmup + self.lookback - 1


def _needs(args: argparse.Namespace, settings: Any) -> Needs:
    from ml.features import WARMUP_BARS
    from ml.walk_forward import WalkForwardConfig

    ml = settings.trading.ml
    horizon = ml.horizon
    # The backtest's models learn the plan too (core.drivers.backtest.walk_forward).
    if getattr(args, "target", "plan") == "plan":
        from ml.labels import PlanRules

        horizon = PlanRules.from_config(settings.trading).horizon
    walk = WalkForwardConfig()
    return Needs(WARMUP_BARS, ml.lookback, horizon, walk.embargo, walk.min_train)


def _labelled(samples: Sequence[date], needs: Needs) -> Any:
    import pandas as pd

    return pd.DatetimeIndex(list(samples)[: max(0, len(samples) - needs.horizon)])


def _fits(samples: Sequence[date], needs: Needs) -> bool:
    """Whether one ensemble fit, with its calibration hold-out, works on these samples."""
    from ml.splits import SplitError, holdout

    labelled = _labelled(samples, needs)
    if len(labelled) == 0:
        return False
    try:
        holdout(labelled, horizon=needs.horizon, embargo=needs.embargo)
    except SplitError:
        return False
    return True


def _walks(samples: Sequence[date], needs: Needs, folds: int | None) -> bool:
    """Whether the walk-forward folds can be made from these samples."""
    from ml.splits import SplitError
    from ml.walk_forward import WalkForwardConfig

    labelled = _labelled(samples, needs)
    if len(labelled) == 0:
        return False
    try:
        WalkForwardConfig(max_folds=folds).folds(labelled, needs.horizon)
    except SplitError:
        return False
    return True


def _fewest(most: int, works: Callable[[int], bool]) -> int | None:
    """The smallest count in 1..most for which `works` holds (it holds for every larger
    count once it holds); None when even `most` is too few."""
    if most < 1 or not works(most):
        return None
    low, high = 1, most
    while low < high:
        middle = (low + high) // 2
        if works(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _sessions_until(last: date) -> list[date]:
    from core.base.calendar import get_calendar

    calendar = get_calendar()
    return calendar.sessions(calendar.first_session, last)


def _requested(args: argparse.Namespace, context: CommandContext) -> list[str]:
    requested = [s.strip().upper() for s in str(getattr(args, "symbols", "")).split(",")]
    return [s for s in requested if s in context.bars] or list(context.bars)


def _have(context: CommandContext, symbols: Sequence[str]) -> str:
    parts = []
    for symbol in symbols:
        first, last, count = context.bars[symbol]
        parts.append(f"{symbol} has {count:,} bars ({first}..{last})")
    return ", ".join(parts)


def _first_day(context: CommandContext, symbols: Sequence[str]) -> date:
    return min(date.fromisoformat(context.bars[s][0]) for s in symbols)


def _last_day(context: CommandContext, symbols: Sequence[str]) -> date:
    return max(date.fromisoformat(context.bars[s][1]) for s in symbols)


def _asked_before(args: argparse.Namespace, day: date) -> bool:
    """Whether --start asked for bars well before `day` (so the data begins later)."""
    try:
        return args.start is None or date.fromisoformat(args.start) < day - timedelta(days=7)
    except (AttributeError, ValueError):
        return False


def _train_advice(args: argparse.Namespace, context: CommandContext, needs: Needs) -> str:
    """train/evaluate: how many bars up to the same last day, and the --start for that."""
    symbols = _requested(args, context)
    sessions = _sessions_until(_last_day(context, symbols))
    folds = getattr(args, "folds", None)
    walks = args.command == "evaluate" or folds != 0
    skip = needs.before_first_sample

    def enough(bars: int, *, walk: bool) -> bool:
        samples = sessions[len(sessions) - bars + skip :]
        return _fits(samples, needs) and (not walk or _walks(samples, needs, folds or None))

    fewest = _fewest(len(sessions), lambda bars: enough(bars, walk=walks))
    if fewest is None:
        return ""
    parts = f"{needs.warmup} of indicator warm-up, {needs.lookback} of lookback, then " + (
        f"{needs.min_train} sessions of training before a calendar year to test on"
        if walks
        else "enough to fit and calibrate the models"
    )
    advice = (
        f"; {args.command} needs about {fewest:,} bars ({parts}): "
        f"--start {sessions[-fewest]} or earlier"
    )
    begins = _first_day(context, symbols)
    if begins > sessions[-fewest] and _asked_before(args, begins):
        advice += f", but the data begins {begins}"
    if args.command == "train" and walks:
        alone = _fewest(len(sessions), lambda bars: enough(bars, walk=False))
        if alone is not None:
            advice += (
                f"; or --folds 0 (no out-of-sample record, ungraded) from {alone:,} bars: "
                f"--start {sessions[-alone]} or earlier"
            )
    return advice


def _backtest_advice(args: argparse.Namespace, context: CommandContext, needs: Needs) -> str:
    """backtest: the first retraining, at --start, needs enough labelled samples before
    it; the earliest --start that has them."""
    symbols = _requested(args, context)
    calendar_days = _sessions_until(_last_day(context, symbols))
    pooled: set[date] = set()
    for symbol in symbols:
        first = date.fromisoformat(context.bars[symbol][0])
        pooled.update([d for d in calendar_days if d >= first][needs.before_first_sample :])
    samples = sorted(pooled)
    # A retraining at samples[i] trains on the samples before samples[i - horizon].
    fewest = _fewest(len(samples), lambda count: _fits(samples[: count + needs.horizon], needs))
    what = (
        f"; a backtest needs {needs.before_first_sample} bars of warm-up and lookback, then "
        f"enough labelled sessions to fit and calibrate its first model, before --start"
    )
    if fewest is None or fewest + needs.horizon >= len(samples):
        return what + f" (the data ends {samples[-1] if samples else 'before that'})"
    return what + f": the earliest --start that works is {samples[fewest + needs.horizon]}"


def explain_short_history(
    error: BaseException, args: argparse.Namespace, context: CommandContext
) -> str:
    """One line: what the symbols have, what would work, what the ML code said."""
    said = one_line(str(error))
    if context.settings is None or not context.bars:
        return f"too little history for {args.command}: {said}"
    symbols = _requested(args, context)
    try:
        needs = _needs(args, context.settings)
        if args.command == "backtest":
            advice = _backtest_advice(args, context, needs)
        else:
            advice = _train_advice(args, context, needs)
    except Exception:  # the reasoning failed: the ML code's own words still help
        log.warning("could not work out the history needed", exc_info=True)
        advice = ""
    return f"too little history for {args.command}: {_have(context, symbols)}{advice} [{said}]"
