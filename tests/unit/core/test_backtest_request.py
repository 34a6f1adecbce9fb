from __future__ import annotations

from datetime import date

import pytest

from core.agent.backtest_requests import BacktestRequest
from core.base.errors import InvalidRequest

TODAY = date(2026, 11, 24)


def test_a_good_request_is_normalised() -> None:
    request = BacktestRequest((" spy", "aapl", "SPY", ""), date(2023, 1, 2), date(2024, 1, 2))
    checked = request.checked(TODAY)
    assert checked.symbols == ("SPY", "AAPL")
    assert checked.to_json()["start"] == "2023-01-02"


@pytest.mark.parametrize(
    ("request_", "field", "reason"),
    [
        (BacktestRequest((), date(2023, 1, 2), date(2024, 1, 2)), "symbols", "at least one"),
        (BacktestRequest(("$$",), date(2023, 1, 2), date(2024, 1, 2)), "symbols", "'$$'"),
        (BacktestRequest(("SPY",), date(2024, 1, 2), date(2023, 1, 2)), "start", "before"),
        (BacktestRequest(("SPY",), date(2023, 1, 2), date(2027, 1, 4)), "end", "future"),
        (BacktestRequest(("SPY",), date(2023, 1, 2), date(2024, 1, 2), "ftp"), "provider", "sim"),
        (
            BacktestRequest(("SPY",), date(2023, 1, 2), date(2024, 1, 2), models=("xgb",)),
            "models",
            "lstm",
        ),
    ],
)
def test_a_bad_request_names_the_field(request_: BacktestRequest, field: str, reason: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        request_.checked(TODAY)
    assert reason in caught.value.fields[field]
    assert field in str(caught.value)
