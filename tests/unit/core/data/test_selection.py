from __future__ import annotations

from pathlib import Path

import pytest

from core.base.settings import EnvSettings, SettingsError
from core.data.alpaca import AlpacaDataProvider
from core.data.csv_folder import CsvProvider
from core.data.selection import build_provider, resolve_provider_name
from core.data.simulated import SimulatedMarket
from core.data.yahoo import YahooProvider


def env(**values: object) -> EnvSettings:
    return EnvSettings(_env_file=None, **values)  # type: ignore[call-arg]


def test_auto_prefers_alpaca_with_keys() -> None:
    assert (
        resolve_provider_name(env(alpaca_api_key="k", alpaca_secret_key="s"), lambda: True)
        == "alpaca"
    )


def test_auto_uses_yahoo_when_reachable_else_sim() -> None:
    assert resolve_provider_name(env(), lambda: True) == "yahoo"
    assert resolve_provider_name(env(), lambda: False) == "sim"


def test_explicit_choice_wins() -> None:
    assert resolve_provider_name(env(stockbot_data_provider="sim"), lambda: True) == "sim"


def test_built_providers(tmp_path: Path) -> None:
    assert isinstance(build_provider(env(), reachable=lambda: False), SimulatedMarket)
    assert isinstance(build_provider(env(), reachable=lambda: True), YahooProvider)
    keys = env(alpaca_api_key="k", alpaca_secret_key="s", alpaca_data_url="http://127.0.0.1:9")
    assert isinstance(build_provider(keys), AlpacaDataProvider)
    assert isinstance(build_provider(env(), name="csv", data_dir=tmp_path), CsvProvider)


def test_simulated_data_with_a_real_broker_is_refused() -> None:
    with pytest.raises(SettingsError, match="only drive the paper broker"):
        build_provider(env(), broker_kind="alpaca", reachable=lambda: False)


def test_missing_requirements_are_explained() -> None:
    with pytest.raises(SettingsError, match="STOCKBOT_DATA_DIR"):
        build_provider(env(), name="csv")
    with pytest.raises(SettingsError, match="ALPACA_API_KEY"):
        build_provider(env(), name="alpaca")
