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
    assert options["xAxis"]["data"] == ["Jan 2, 2024", "Jan 3, 2024"]
    names = [s["name"] for s in options["series"]]
    assert names == ["stockbot", "buy and hold"]
    assert options["series"][1]["data"] == [10_000.0, None]  # a gap, not a zero


def test_daily_pnl_bars_are_coloured_by_sign() -> None:
    options = charts.daily_pnl([date(2024, 1, 2), date(2024, 1, 3)], [5.0, -3.0])
    colours = [bar["itemStyle"]["color"] for bar in options["series"][0]["data"]]
    assert colours[0] != colours[1]


def test_feature_importance_puts_the_largest_on_top_in_words() -> None:
    options = charts.feature_importance({"rsi_14": 1.0, "close_sma_50": 3.0, "gap": 2.0})
    # ECharts draws the last category on top.
    assert options["yAxis"]["data"] == ["RSI (14 days)", "opening gap", "price vs 50-day average"]


def test_feature_importance_shows_only_as_many_bars_as_can_be_labelled() -> None:
    importance = {f"close_sma_{n}": float(n) for n in range(1, 51)}
    labels = charts.feature_importance(importance)["yAxis"]["data"]
    assert len(labels) == charts.FEATURES_SHOWN
    assert labels[-1] == "price vs 50-day average"


def test_every_chart_keeps_its_labels_inside_and_names_no_axis() -> None:
    """Axis names collide with labels on a phone: units live in the labels and titles."""
    days = [date(2024, 1, 2), date(2024, 1, 3)]
    for options in (
        charts.equity_vs_benchmark(days, [1.0, 2.0], [1.0, 2.0]),
        charts.drawdown(days, [0.0, -0.01]),
        charts.daily_pnl(days, [1.0, -1.0]),
        charts.reliability({"gbm": [{"forecast": 0.5, "observed": 0.4}]}),
        charts.feature_importance({"gap": 1.0}),
        charts.live_accuracy([(date(2024, 1, 1), 0.5, 10)]),
    ):
        assert options["grid"]["containLabel"] is True
        assert "name" not in options["xAxis"]
        assert "name" not in options["yAxis"]


def test_a_long_date_axis_names_months_and_drops_overlapping_labels() -> None:
    short = charts.drawdown([date(2024, 1, 2), date(2024, 6, 3)], [0.0, 0.0])["xAxis"]
    long = charts.drawdown([date(2022, 1, 3), date(2024, 6, 3)], [0.0, 0.0])["xAxis"]
    assert short["axisLabel"][":formatter"] == charts.MONTH_DAY_JS
    assert long["axisLabel"][":formatter"] == charts.MONTH_YEAR_JS
    assert short["axisLabel"]["hideOverlap"] is True


def test_reliability_shows_one_zero_at_the_corner() -> None:
    options = charts.reliability({"gbm": [{"forecast": 0.5, "observed": 0.4}]})
    assert options["yAxis"]["axisLabel"]["showMinLabel"] is False
    assert [s["name"] for s in options["series"]] == ["perfect", "LightGBM"]
