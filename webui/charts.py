"""ECharts options for the page's charts, built from the Engine's plain data.

Charts render as SVG: crisp on a phone and checkable in a browser test (an SVG with
paths has drawn something; a canvas would have to be read back pixel by pixel).

On a 390-pixel phone every pixel counts, so the grid holds its axis labels
(`containLabel`) inside small margins instead of fixed gutters that either clip a long
label or waste a third of the width; units live in the labels ("$10,500", "−3%"), not in
axis names that would collide with them; date axes show "Dec 26" (or "Dec 2025" over
more than a year) and drop a label that would overlap its neighbour. The JavaScript
formatters are constants of this module: no data ever becomes code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

from core.base.explain import day, feature_label, model_name

RENDERER: Literal["svg"] = "svg"
EQUITY_COLOR = "#1565c0"
BENCHMARK_COLOR = "#8d8d8d"
BAR_COLOR = "#1565c0"
GRID = {"left": 4, "right": 16, "top": 40, "bottom": 4, "containLabel": True}
"""Margins outside the axis labels, which the grid contains."""
FEATURES_SHOWN = 12
"""Bars in the feature importance chart: more would not each get a readable label."""

MONEY_JS = "(v) => (v < 0 ? '−$' : '$') + Math.abs(v).toLocaleString('en-US')"
FRACTION_JS = "(v) => Math.round(v * 100) + '%'"
AT_LEAST_ONE_BELOW_JS = "(v) => Math.min(v.min, -1)"
"""A drawdown axis reaches at least −1%: with no drawdown yet it is not 0 to +1%."""
MONTH_DAY_JS = r"(v) => String(v).replace(/, \d{4}$/, '')"
MONTH_YEAR_JS = r"(v) => String(v).replace(/ \d+, (\d{4})$/, ' $1')"
LONG_SPAN_DAYS = 330
"""Over more than about a year, a date axis names months and years, not days."""


def _date_axis(dates: Sequence[date]) -> dict[str, Any]:
    """One category per session: its full date (for the tooltip), shortened on the axis."""
    long_span = len(dates) > 1 and (dates[-1] - dates[0]).days > LONG_SPAN_DAYS
    return {
        "type": "category",
        "data": [day(d) for d in dates],
        "axisLabel": {
            ":formatter": MONTH_YEAR_JS if long_span else MONTH_DAY_JS,
            "hideOverlap": True,
        },
    }


def _over_days(
    dates: Sequence[date], y_axis: dict[str, Any], series: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    """A chart with one category per session on the x axis."""
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "grid": GRID,
        "xAxis": _date_axis(dates),
        "yAxis": {"type": "value", **y_axis},
        "series": series,
        **extra,
    }


def _line(name: str, values: Sequence[float | None], **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "line", "showSymbol": False, "data": list(values), **extra}


def _money_axis(**extra: Any) -> dict[str, Any]:
    return {"axisLabel": {":formatter": MONEY_JS}, **extra}


def equity_vs_benchmark(
    dates: Sequence[date], equity: Sequence[float], benchmark: Sequence[float | None]
) -> dict[str, Any]:
    return _over_days(
        dates,
        _money_axis(scale=True),
        [
            _line("stockbot", equity, color=EQUITY_COLOR),
            _line("buy and hold", benchmark, color=BENCHMARK_COLOR, lineStyle={"type": "dashed"}),
        ],
        legend={"data": ["stockbot", "buy and hold"], "top": 0},
        tooltip={"trigger": "axis", ":valueFormatter": MONEY_JS},
    )


def drawdown(dates: Sequence[date], values: Sequence[float]) -> dict[str, Any]:
    return _over_days(
        dates,
        {"max": 0, ":min": AT_LEAST_ONE_BELOW_JS, "axisLabel": {"formatter": "{value}%"}},
        [
            _line(
                "below peak (%)", [round(v * 100, 2) for v in values], areaStyle={}, color="#c62828"
            )
        ],
    )


def daily_pnl(dates: Sequence[date], values: Sequence[float]) -> dict[str, Any]:
    bars = [
        {"value": round(v, 2), "itemStyle": {"color": "#2e7d32" if v >= 0 else "#c62828"}}
        for v in values
    ]
    return _over_days(
        dates,
        _money_axis(),
        [{"name": "daily P&L", "type": "bar", "data": bars}],
        tooltip={"trigger": "axis", ":valueFormatter": MONEY_JS},
    )


def reliability(curves: Mapping[str, Sequence[Mapping[str, float]]]) -> dict[str, Any]:
    """Forecast vs observed frequency per bin; the dashed diagonal is perfect."""
    series = [
        {
            "name": "perfect",
            "type": "line",
            "data": [[0, 0], [1, 1]],
            "lineStyle": {"type": "dashed", "color": "#9e9e9e"},
            "showSymbol": False,
        }
    ]
    for name, points in curves.items():
        series.append(
            {
                "name": model_name(name),
                "type": "line",
                "data": [[round(p["forecast"], 4), round(p["observed"], 4)] for p in points],
            }
        )

    def percent_axis(**label: Any) -> dict[str, Any]:
        return {
            "type": "value",
            "min": 0,
            "max": 1,
            "axisLabel": {":formatter": FRACTION_JS, **label},
        }

    return {
        "animation": False,
        "tooltip": {"trigger": "item"},
        "legend": {"type": "scroll", "top": 0},
        # The axes' meaning is in the card's title: names would crowd a phone's labels.
        "grid": GRID,
        "xAxis": percent_axis(),
        # Both axes start at 0%: one label at the corner, not two on top of each other.
        "yAxis": percent_axis(showMinLabel=False),
        "series": series,
    }


def feature_importance(importance: Mapping[str, float]) -> dict[str, Any]:
    """The strongest features, named in words, the strongest on top."""
    strongest = sorted(importance.items(), key=lambda kv: kv[1], reverse=True)[:FEATURES_SHOWN]
    items = list(reversed(strongest))  # ECharts draws the last category on top
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "grid": GRID,
        "xAxis": {"type": "value", "axisLabel": {"hideOverlap": True}},
        "yAxis": {"type": "category", "data": [feature_label(k) for k, _ in items]},
        "series": [
            {
                "name": "gain",
                "type": "bar",
                "color": BAR_COLOR,
                "data": [round(v, 2) for _, v in items],
            }
        ],
    }


def live_accuracy(weeks: Sequence[tuple[date, float, int]]) -> dict[str, Any]:
    accuracy = {
        "name": "right",
        "type": "bar",
        "color": BAR_COLOR,
        "data": [round(a, 3) for _, a, _ in weeks],
    }
    coin_flip = _line("coin flip", [0.5] * len(weeks), lineStyle={"type": "dashed"})
    return _over_days(
        [w for w, _, _ in weeks],
        {"min": 0, "max": 1, "axisLabel": {":formatter": FRACTION_JS}},
        [accuracy, coin_flip],
    )


YOURS_COLOR = EQUITY_COLOR
FULL_AUTO_COLOR = BENCHMARK_COLOR


def yours_vs_full_auto(
    dates: Sequence[date], yours: Sequence[float], full_auto: Sequence[float]
) -> dict[str, Any]:
    """Cumulative P&L of your decisions against taking every signal as proposed. Dots
    while there are few decisions: a line of one point would draw nothing."""
    dots = len(dates) < 30
    return _over_days(
        dates,
        _money_axis(scale=True),
        [
            _line("you", [round(v, 2) for v in yours], color=YOURS_COLOR, showSymbol=dots),
            _line(
                "full auto",
                [round(v, 2) for v in full_auto],
                color=FULL_AUTO_COLOR,
                lineStyle={"type": "dashed"},
                showSymbol=dots,
            ),
        ],
        legend={"data": ["you", "full auto"], "top": 0},
        tooltip={"trigger": "axis", ":valueFormatter": MONEY_JS},
    )
