from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from core.data.alpaca import AlpacaDataProvider
from core.data.http import RateLimiter
from core.data.provider import MarketDataError, ProviderUnavailable
from core.data.simulated import SimulatedMarket
from tests.fakes.alpaca_server import FakeAlpacaServer

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 6, 28, tzinfo=UTC)


@pytest.fixture
def market_bars() -> dict[str, pd.DataFrame]:
    market = SimulatedMarket(seed=3)
    return market.get_bars(["PLTR", "SPY"], START, END)


def provider(fake: FakeAlpacaServer, sleeps: list[float], **kwargs: object) -> AlpacaDataProvider:
    return AlpacaDataProvider(
        fake.api_key, fake.secret_key, data_url=fake.url, sleep=sleeps.append, **kwargs
    )


def test_bars_across_pages_match_the_source(fake_alpaca: FakeAlpacaServer, market_bars) -> None:
    fake_alpaca.set_bars(market_bars)
    fake_alpaca.state.page_size = 50  # 2 × ~124 bars → several pages
    bars = provider(fake_alpaca, []).get_bars(["PLTR", "SPY"], START, END)
    for symbol, expected in market_bars.items():
        pd.testing.assert_frame_equal(bars[symbol], expected, check_freq=False)
    requests = fake_alpaca.requests_to("/v2/stocks/bars")
    assert len(requests) >= 5
    assert {r.query["adjustment"] for r in requests} == {"all"}
    assert {r.query["feed"] for r in requests} == {"iex"}


def test_unknown_symbol_gives_an_empty_frame(fake_alpaca: FakeAlpacaServer, market_bars) -> None:
    fake_alpaca.set_bars(market_bars)
    bars = provider(fake_alpaca, []).get_bars(["PLTR", "ZZZZ"], START, END)
    assert bars["ZZZZ"].empty
    assert len(bars["PLTR"]) == len(market_bars["PLTR"])


def test_429_then_success_backs_off(fake_alpaca: FakeAlpacaServer, market_bars) -> None:
    fake_alpaca.set_bars(market_bars)
    fake_alpaca.add_fault("429", path_prefix="/v2/stocks/bars", times=2)
    sleeps: list[float] = []
    bars = provider(fake_alpaca, sleeps).get_bars(["PLTR"], START, END)
    assert len(bars["PLTR"]) == len(market_bars["PLTR"])
    assert sleeps == [0.5, 1.0]


def test_timeout_is_retried_then_succeeds(fake_alpaca: FakeAlpacaServer, market_bars) -> None:
    fake_alpaca.set_bars(market_bars)
    fake_alpaca.add_fault("slow", path_prefix="/v2/stocks/bars", delay=1.0)
    sleeps: list[float] = []
    p = provider(fake_alpaca, sleeps, timeout=0.2)
    assert len(p.get_bars(["PLTR"], START, END)["PLTR"]) == len(market_bars["PLTR"])
    assert sleeps == [0.5]


def test_persistent_outage_is_provider_unavailable(fake_alpaca: FakeAlpacaServer) -> None:
    fake_alpaca.add_fault("503", times=10)
    sleeps: list[float] = []
    with pytest.raises(ProviderUnavailable, match="HTTP 503"):
        provider(fake_alpaca, sleeps, retries=3).get_bars(["PLTR"], START, END)
    assert len(sleeps) == 3


def test_wrong_keys_are_not_retried(fake_alpaca: FakeAlpacaServer) -> None:
    sleeps: list[float] = []
    bad = AlpacaDataProvider("wrong", "keys", data_url=fake_alpaca.url, sleep=sleeps.append)
    with pytest.raises(MarketDataError, match="HTTP 401"):
        bad.get_bars(["PLTR"], START, END)
    assert sleeps == []


def test_malformed_json_is_a_clear_error(fake_alpaca: FakeAlpacaServer) -> None:
    fake_alpaca.add_fault("malformed")
    with pytest.raises(ProviderUnavailable, match="unreadable answer"):
        provider(fake_alpaca, []).get_bars(["PLTR"], START, END)


def test_latest_prices(fake_alpaca: FakeAlpacaServer, market_bars) -> None:
    fake_alpaca.set_bars(market_bars)
    prices = provider(fake_alpaca, []).latest_prices(["PLTR", "SPY", "NOPE"])
    assert prices == {s: market_bars[s]["close"].iloc[-1] for s in ("PLTR", "SPY")}


def test_rate_limiter_spaces_calls() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(limit=3, period=60.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        assert limiter.acquire() == 0.0
    now[0] = 10.0
    assert limiter.acquire() == pytest.approx(50.0)
    assert slept == [pytest.approx(50.0)]
