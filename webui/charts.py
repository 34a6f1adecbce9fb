"""ECharts options for the page's charts, built from the Engine's plain data.

Charts render as SVG: crisp on a phone and checkable in a browser test (an SVG with
paths has drawn something; a canvas would have to be read back pixel by pixel)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

RENDERER = "svg"
EQUITY_COLOR = "#1565c0"
BENCHMARK_COLOR = "#8d8d8d"
BAR_COLOR = "#1565c0"
_GRID = {"left": 64, "right": 24, "top": 48, "bottom": 32}


def _days(dates: Sequence[date]) -> list[str]:
    return [d.isoformat() for d in dates]


def _over_days(
    dates: Sequence[date], y_axis: dict[str, Any], series: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    """A chart with one category per session on the x axis."""
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "grid": _GRID,
        "xAxis": {"type": "category", "data": _days(dates)},
        "yAxis": {"type": "value", **y_axis},
        "series": series,
        **extra,
    }


def _line(name: str, values: Sequence[float | None], **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "line", "showSymbol": False, "data": list(values), **extra}


def equity_vs_benchmark(
    dates: Sequence[date], equity: Sequence[float], benchmark: Sequence[float | None]
) -> dict[str, Any]:
    return _over_days(
        dates,
        {"scale": True, "name": "$"},
        [
            _line("stockbot", equity, color=EQUITY_COLOR),
            _line("buy and hold", benchmark, color=BENCHMARK_COLOR, lineStyle={"type": "dashed"}),
        ],
        legend={"data": ["stockbot", "buy and hold"], "top": 0},
    )


def drawdown(dates: Sequence[date], values: Sequence[float]) -> dict[str, Any]:
    return _over_days(
        dates,
        {"name": "% below peak", "max": 0},
        [_line("drawdown", [round(v * 100, 2) for v in values], areaStyle={}, color="#c62828")],
    )


def daily_pnl(dates: Sequence[date], values: Sequence[float]) -> dict[str, Any]:
    bars = [
        {"value": round(v, 2), "itemStyle": {"color": "#2e7d32" if v >= 0 else "#c62828"}}
        for v in values
    ]
    return _over_days(dates, {"name": "$"}, [{"name": "daily P&L", "type": "bar", "data": bars}])


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
                "name": name,
                "type": "line",
                "data": [[round(p["forecast"], 4), round(p["observed"], 4)] for p in points],
            }
        )
    return {
        "animation": False,
        "tooltip": {"trigger": "item"},
        "legend": {"type": "scroll", "top": 0},
        "grid": _GRID,
        "xAxis": {"type": "value", "min": 0, "max": 1, "name": "forecast p(up)"},
        "yAxis": {"type": "value", "min": 0, "max": 1, "name": "observed"},
        "series": series,
    }


def feature_importance(importance: Mapping[str, float]) -> dict[str, Any]:
    items = sorted(importance.items(), key=lambda kv: kv[1])
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "grid": {**_GRID, "left": 120},
        "xAxis": {"type": "value", "name": "gain"},
        "yAxis": {"type": "category", "data": [k for k, _ in items]},
        "series": [{"type": "bar", "color": BAR_COLOR, "data": [round(v, 2) for _, v in items]}],
    }


def live_accuracy(weeks: Sequence[tuple[date, float, int]]) -> dict[str, Any]:
    accuracy = {
        "name": "accuracy",
        "type": "bar",
        "color": BAR_COLOR,
        "data": [round(a, 3) for _, a, _ in weeks],
    }
    coin_flip = _line("coin flip", [0.5] * len(weeks), lineStyle={"type": "dashed"})
    return _over_days(
        [w for w, _, _ in weeks], {"min": 0, "max": 1, "name": "hit rate"}, [accuracy, coin_flip]
    )
