"""Choosing the market data provider once at start (`STOCKBOT_DATA_PROVIDER`).

`auto` picks Alpaca when keys are set, else Yahoo when it is reachable, else the
simulated market. Simulated prices may only ever drive the paper broker.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from pathlib import Path

from core.base.clock import Clock
from core.base.settings import EnvSettings, SettingsError
from core.data.alpaca import AlpacaDataProvider
from core.data.csv_folder import CsvProvider
from core.data.provider import MarketDataProvider
from core.data.simulated import SimulatedMarket
from core.data.yahoo import YahooProvider

log = logging.getLogger(__name__)

YAHOO_HOST = ("query1.finance.yahoo.com", 443)


def yahoo_reachable(timeout: float = 2.0) -> bool:
    """A TCP connect to Yahoo's API host: cheap, and enough to tell "offline"."""
    try:
        with socket.create_connection(YAHOO_HOST, timeout=timeout):
            return True
    except OSError:
        return False


def resolve_provider_name(env: EnvSettings, reachable: Callable[[], bool] = yahoo_reachable) -> str:
    name = env.stockbot_data_provider
    if name != "auto":
        return name
    if env.alpaca_keys_set:
        return "alpaca"
    return "yahoo" if reachable() else "sim"


def check_provider_with_broker(provider: str, broker_kind: str) -> None:
    if provider == "sim" and broker_kind != "paper":
        raise SettingsError(
            "the simulated market may only drive the paper broker: set broker.kind: paper, "
            "or choose a real data provider (STOCKBOT_DATA_PROVIDER)"
        )


def build_provider(
    env: EnvSettings,
    *,
    broker_kind: str = "paper",
    clock: Clock | None = None,
    data_dir: Path | None = None,
    timeout: float = 10.0,
    reachable: Callable[[], bool] = yahoo_reachable,
    name: str | None = None,
) -> MarketDataProvider:
    """The provider for `name` (default: the environment's choice, `auto` resolved)."""
    chosen = name or resolve_provider_name(env, reachable)
    if chosen == "auto":
        chosen = resolve_provider_name(env, reachable)
    check_provider_with_broker(chosen, broker_kind)
    log.info(
        "market data provider chosen",
        extra={"provider": chosen, "configured": env.stockbot_data_provider},
    )
    if chosen == "alpaca":
        credentials = env.alpaca_credentials()
        if credentials is None:
            raise SettingsError("alpaca data needs ALPACA_API_KEY and ALPACA_SECRET_KEY")
        return AlpacaDataProvider(*credentials, data_url=env.alpaca_data_url, timeout=timeout)
    if chosen == "yahoo":
        return YahooProvider(timeout=timeout)
    if chosen == "csv":
        folder = data_dir or env.stockbot_data_dir
        if folder is None:
            raise SettingsError("the csv provider needs STOCKBOT_DATA_DIR (or --data-dir)")
        return CsvProvider(folder)
    if chosen == "sim":
        return SimulatedMarket(clock=clock)
    raise SettingsError(f"unknown data provider {chosen!r}; use auto, alpaca, yahoo, csv or sim")
