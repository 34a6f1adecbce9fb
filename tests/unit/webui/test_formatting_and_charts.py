from __future__ import annotations

from datetime import date, timedelta

from webui import charts
from webui.formatting import countdown, money, percent, signed_money


def test_countdown_reads_like_a_clock_and_says_expired() -> None:
    assert countdown(timedelta(minutes=4, seconds=5)) == "4m 05s"
    assert countdown(timedelta(hours=2, minutes=3)) == "2h 03m"
    assert countdown(timedelta(seconds=0)) == "expired"
    assert countdown(timedelta(seconds=-30)) == "expired"


def test_money_and_percent() -> None:
    assert money(1234.5) == "$1,234.50"
    assert money(None) == "—"
    assert signed_money(-12.3) == "−$12.30"
    assert signed_money(4) == "+$4.00"
    assert percent(0.0123, signed=True) == "+1.23%"


def test_equity_chart_has_both_series_on_the_same_days() -> None:
    days = [date(2024, 1, 2), date(2024, 1, 3)]
    options = charts.equity_vs_benchmark(days, [10_000.0, 10_100.0], [10_000.0, None])
    assert options["xAxis"]["data"] == ["2024-01-02", "2024-01-03"]
    names = [s["name"] for s in options["series"]]
    assert names == ["stockbot", "buy and hold"]
    assert options["series"][1]["data"] == [10_000.0, None]  # a gap, not a zero


def test_daily_pnl_bars_are_coloured_by_sign() -> None:
    options = charts.daily_pnl([date(2024, 1, 2), date(2024, 1, 3)], [5.0, -3.0])
    colours = [bar["itemStyle"]["color"] for bar in options["series"][0]["data"]]
    assert colours[0] != colours[1]


def test_feature_importance_puts_the_largest_on_top() -> None:
    options = charts.feature_importance({"a": 1.0, "b": 3.0, "c": 2.0})
    assert options["yAxis"]["data"] == ["a", "c", "b"]  # ECharts draws the last on top
