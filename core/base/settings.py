"""Settings: secrets and deployment from the environment, trading settings from YAML.

Core base module: imports only `core.base.types`.

Three layers, each validated by pydantic with the same models:
1. `EnvSettings` — secrets and deployment, from the process environment and `.env`.
2. `TradingConfig` — trading parameters from `config/config.yaml` (or `STOCKBOT_CONFIG`);
   every field has the plan's default, so no file at all is a valid configuration.
3. `RuntimeSettings` — the part a person may change while the agent runs (mode,
   thresholds, symbols, risk limits). Overrides are stored in the database and merged
   over the YAML values by `apply_overrides`, which validates with the same model.

Every invalid value raises `SettingsError`, whose message names the key, the value and
what is allowed.
"""

from __future__ import annotations

import contextlib
import difflib
import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.base.types import SYMBOL_PATTERN, TradingMode

DEFAULT_CONFIG_PATH = Path("config/config.yaml")


class SettingsError(ValueError):
    """A setting has a value that is not allowed.

    The system reacts by refusing the value: at start-up it stops with this message,
    at run time the old value stays and the person who asked is shown the message.
    `fields` maps each refused key to its reason, so a form can show it beside the
    field; a rule across fields (thresholds in order) is under "(settings)".
    """

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})


def describe_validation_error(
    error: ValidationError, source: str, prefix: str = "", *, for_loading: bool = False
) -> str:
    """One line per problem: `source: key = value: what is allowed`.

    `for_loading` (a file or the environment being read): a problem that only follows
    from another one (a list "too short" because its one item was refused) is left out,
    and a symbol's pattern is said in words."""
    items = error.errors()
    if for_loading:
        items = _without_consequences(items)
    lines = []
    for item in items:
        key = prefix + ".".join(str(part) for part in item["loc"]) if item["loc"] else prefix
        key = key.rstrip(".") or "(settings)"
        value = item.get("input")
        shown = "(missing)" if item["type"] == "missing" else repr(value)
        if isinstance(value, Mapping):
            shown = "{…}"
        message = item["msg"]
        if for_loading and (item.get("ctx") or {}).get("pattern") == SYMBOL_PATTERN:
            message = f"not a ticker ({SYMBOL_RULE})"
        lines.append(f"{source}: {key} = {shown}: {message}")
    return "\n".join(lines)


SYMBOL_RULE = "1 to 10 capital letters, digits or '.', starting with a letter"


def _without_consequences(items: list[Any]) -> list[Any]:
    """Drop a problem at a key when a key inside it has its own problem."""
    locations = [tuple(item["loc"]) for item in items]
    return [
        item
        for item, loc in zip(items, locations, strict=True)
        if not any(len(other) > len(loc) and other[: len(loc)] == loc for other in locations)
    ]


class SettingsModel(BaseModel):
    """Frozen, unknown keys forbidden, docstrings become field descriptions."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


# ---------------------------------------------------------------------------
# Runtime-editable settings


RETIRED_THRESHOLDS = ("min_confidence", "auto_threshold")
"""Absolute confidence thresholds, replaced by edges over the typical (min_edge,
auto_edge); stored overrides of them were moved to the audit log (migration 9)."""

NotifyLevel = Literal["on", "silent", "off"]
NOTIFY_KINDS: tuple[str, ...] = ("signals", "fills", "stops", "summary", "alerts", "changes")
"""The kinds of Telegram news the owner chooses a level for (`notify_<kind>`)."""


class RuntimeSettings(SettingsModel):
    """What the owner may change while the agent runs, from Telegram or the web page."""

    mode: TradingMode = TradingMode.HYBRID
    """auto: execute every signal; manual: ask for every signal; hybrid: execute signals
    with an edge of at least auto_edge, ask about the rest. Only a model graded *proven*
    on its out-of-sample record executes alone: until then every mode asks."""
    symbols: tuple[Annotated[str, Field(pattern=SYMBOL_PATTERN)], ...] = Field(
        default=("PLTR",), min_length=1, max_length=200
    )
    """Symbols the agent trades (1 to 200 tickers, upper case)."""
    min_edge: float = Field(default=0.05, ge=0.0, le=0.5)
    """How far P(profit) must beat the typical (the plan's base rate on the model's
    training history) for a signal, 0 to 0.5; the model's own selection bar applies
    too, so this can only make it stricter."""
    auto_edge: float = Field(default=0.10, ge=0.0, le=0.5)
    """Edge at or above which hybrid mode executes a proven model's signal without
    asking (0 to 0.5, at least min_edge)."""
    risk_per_trade: float = Field(default=0.02, gt=0.0, le=0.05)
    """Share of equity lost if a trade's stop is hit (above 0, at most 0.05)."""
    max_portfolio_risk: float = Field(default=0.20, gt=0.0, le=1.0)
    """Cap on the sum of open positions' stop risk as a share of equity."""
    max_position_pct: float = Field(default=0.25, gt=0.0, le=1.0)
    """Largest position value as a share of equity."""
    max_order_notional: float = Field(default=5_000.0, gt=0.0)
    """Largest single order value in dollars."""
    max_open_positions: int = Field(default=5, ge=1, le=100)
    """How many positions may be open at once."""
    max_orders_per_day: int = Field(default=10, ge=1, le=1000)
    """Orders the agent may send in one session."""
    daily_loss_limit: float = Field(default=0.05, gt=0.0, le=0.5)
    """Loss from the session's starting equity that stops trading for the day."""
    daily_loss_action: Literal["halted", "reducing"] = "halted"
    """Trading state entered when the daily loss limit is hit."""
    price_collar_pct: float = Field(default=0.02, gt=0.0, le=0.2)
    """How far an order's price may be from the latest quote."""
    min_share_price: float = Field(default=1.0, ge=0.0)
    """Refuse stocks priced below this (penny stocks)."""
    max_day_trades: int | None = Field(default=None, ge=0, le=100)
    """Your own limit on day trades (buy and sell the same symbol in one session)
    within day_trade_window_sessions; empty means no limit (FINRA's PDT rule is gone)."""
    day_trade_window_sessions: int = Field(default=5, ge=1, le=60)
    """Sessions the max_day_trades limit counts over."""
    signal_ttl_minutes: int = Field(default=15, ge=1, le=390)
    """Minutes a signal waits for approval before it expires."""
    quiet_hours: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    """Local time range HH:MM-HH:MM in which non-critical notifications are muted."""
    notify_signals: NotifyLevel = "on"
    """Signals waiting for you: on, silent (no sound) or off (shown on /signals only)."""
    notify_fills: NotifyLevel = "on"
    """Fills and failed orders: on, silent or off."""
    notify_stops: NotifyLevel = "on"
    """Stop exits: on or silent (critical news cannot be turned off: off means silent)."""
    notify_summary: NotifyLevel = "on"
    """The daily summary after the close: on, silent or off."""
    notify_alerts: NotifyLevel = "on"
    """Alerts (critical ones cannot be turned off: off means silent for them)."""
    notify_changes: NotifyLevel = "on"
    """Mode changes, kills and resumes (a halt cannot be turned off: off means silent)."""

    @model_validator(mode="before")
    @classmethod
    def _retired_thresholds(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            retired = sorted(set(value) & set(RETIRED_THRESHOLDS))
            if retired:
                raise ValueError(
                    f"{retired[0]} was retired: an absolute confidence promised what the "
                    "models cannot deliver; thresholds are now relative to the model's "
                    "typical: use min_edge and auto_edge"
                )
        return value

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Self:
        if self.min_edge > self.auto_edge:
            raise ValueError(
                f"min_edge ({self.min_edge}) must not exceed auto_edge ({self.auto_edge})"
            )
        return self

    @field_validator("symbols", mode="before")
    @classmethod
    def _split_symbols(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip().upper() for part in value.split(",") if part.strip())
        return value


def apply_overrides(base: RuntimeSettings, overrides: Mapping[str, Any]) -> RuntimeSettings:
    """Merge stored or requested overrides over `base`, validated by the same model."""
    # Retired names get their own explanation from the model's validator.
    unknown = sorted(set(overrides) - set(RuntimeSettings.model_fields) - set(RETIRED_THRESHOLDS))
    if unknown:
        allowed = ", ".join(sorted(RuntimeSettings.model_fields))
        raise SettingsError(
            f"unknown setting {unknown[0]!r}; settings are: {allowed}",
            {key: "unknown setting" for key in unknown},
        )
    merged = {**base.model_dump(), **overrides}
    try:
        return RuntimeSettings.model_validate(merged)
    except ValidationError as error:
        fields = {
            (str(item["loc"][0]) if item["loc"] else "(settings)"): item["msg"]
            for item in error.errors()
        }
        raise SettingsError(describe_validation_error(error, "setting"), fields) from error


# ---------------------------------------------------------------------------
# Trading configuration (YAML)


class StopSettings(SettingsModel):
    """Initial protective stop for a new position."""

    method: Literal["atr", "percent"] = "atr"
    """atr: entry minus a multiple of ATR; percent: entry minus a fixed share."""
    atr_period: int = Field(default=14, ge=2, le=100)
    """Bars in the ATR used for stop distances (initial and trailing)."""
    atr_multiple: float = Field(default=2.0, gt=0.0, le=20.0)
    """Stop distance in ATRs below the entry, for method atr."""
    percent: float = Field(default=0.05, gt=0.0, lt=1.0)
    """Stop distance as a share of the entry price, for method percent."""
    max_holding_sessions: int = Field(default=20, ge=1, le=250)
    """The plan's time exit: a position still open after this many sessions is sold.
    The models predict the outcome of exactly this plan (entry, stops, time exit)."""


class TrailingSettings(SettingsModel):
    """Trailing stop that follows a winning position up, never down."""

    enabled: bool = True
    """Whether stops trail at all."""
    activate_at_r: float = Field(default=1.0, ge=0.0, le=20.0)
    """Profit, in multiples of the initial risk R, before the stop starts trailing."""
    method: Literal["atr", "percent"] = "atr"
    """atr: trail a multiple of ATR below the highest price; percent: a fixed share."""
    atr_multiple: float = Field(default=2.0, gt=0.0, le=20.0)
    """Trailing distance in ATRs, for method atr."""
    percent: float = Field(default=0.05, gt=0.0, lt=1.0)
    """Trailing distance as a share of the highest price, for method percent."""


class ScheduleSettings(SettingsModel):
    """When the agent does its work; times follow the exchange calendar (XNYS)."""

    cycle_minutes_before_close: int = Field(default=15, ge=1, le=390)
    """The daily trading cycle runs this many minutes before the session closes."""
    watch_interval_seconds: int = Field(default=60, ge=5, le=3600)
    """How often stops, trailing stops and the daily loss limit are checked."""
    reconcile_interval_minutes: int = Field(default=5, ge=1, le=240)
    """How often orders and positions are reconciled with the broker."""
    retrain_weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "sat"
    """Day of the weekly walk-forward retraining."""
    retrain_time: str = Field(default="06:00", pattern=r"^\d{2}:\d{2}$")
    """Local time (HH:MM) of the weekly retraining."""
    misfire_grace_seconds: int = Field(default=300, ge=1)
    """A job that could not start on time still runs if this late, else waits."""


class BrokerSettings(SettingsModel):
    """Where orders go."""

    kind: Literal["paper", "alpaca"] = "paper"
    """paper: the built-in simulated exchange; alpaca: Alpaca's API (paper account unless
    ALPACA_PAPER=false and allow_live)."""
    allow_live: bool = False
    """Explicit opt-in for real money. Both this and ALPACA_PAPER=false are needed."""
    slippage_bps: float = Field(default=5.0, ge=0.0, le=500.0)
    """Paper broker: price slippage against the order, in basis points."""
    commission_per_share: float = Field(default=0.0, ge=0.0, le=1.0)
    """Paper broker: commission in dollars per share."""
    request_timeout_seconds: float = Field(default=10.0, gt=0.0, le=120.0)
    """Timeout of every broker request; past it the outcome is looked up, not assumed."""


ModelName = Literal["lstm", "gbm", "rf", "momentum"]
MODEL_NAMES: tuple[str, ...] = get_args(ModelName)
"""The ensemble members a person may choose: the one list every front end offers."""


class ModelSettings(SettingsModel):
    """The prediction models and their data."""

    models: tuple[ModelName, ...] = (
        "lstm",
        "gbm",
        "rf",
        "momentum",
    )
    """Ensemble members: lstm (Keras), gbm (LightGBM), rf (RandomForest), momentum (rule)."""
    horizon: int = Field(default=1, ge=1, le=20)
    """Sessions ahead the direction diagnostic looks. The models' target is the plan's
    trade, whose horizon is stops.max_holding_sessions."""
    lookback: int = Field(default=60, ge=5, le=500)
    """Bars in one LSTM input sequence."""
    history_years: float = Field(default=15.0, gt=0.0, le=40.0)
    """Training history fetched for each symbol: yearly walk-forward folds grade the
    model, and a grade needs many years (≥ 300 selected trades, most years positive)."""


class TradingConfig(SettingsModel):
    """Everything in `config.yaml`. Defaults are the plan's: a $10,000 paper account."""

    initial_capital: float = Field(default=10_000.0, gt=0.0)
    """Starting cash of the paper broker and the base for the first day's P&L."""
    runtime: RuntimeSettings = RuntimeSettings()
    """Defaults of the settings a person may change at run time."""
    stops: StopSettings = StopSettings()
    """Initial stop placement."""
    trailing: TrailingSettings = TrailingSettings()
    """Trailing stop behaviour."""
    schedule: ScheduleSettings = ScheduleSettings()
    """Job timing."""
    broker: BrokerSettings = BrokerSettings()
    """Broker choice and paper-broker costs."""
    ml: ModelSettings = ModelSettings()
    """Models, horizon and training history."""
    timezone: str = "America/New_York"
    """Time zone for schedules, quiet hours and messages."""


def load_trading_config(path: Path | None) -> TradingConfig:
    """Read the YAML file at `path`; None gives the plan's defaults."""
    if path is None:
        return TradingConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise SettingsError(f"{path}: {_not_utf8(error)}") from error
    except OSError as error:
        raise SettingsError(
            f"{path}: cannot read the configuration file: {error.strerror or error}"
        ) from error
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise SettingsError(f"{path}: not valid YAML{_yaml_problem(error)}") from error
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: the top level must be a mapping of keys to values")
    try:
        return TradingConfig.model_validate(data)
    except ValidationError as error:
        raise SettingsError(
            describe_validation_error(error, str(path), for_loading=True)
        ) from error


def _not_utf8(error: UnicodeDecodeError) -> str:
    byte = error.object[error.start : error.start + 1].hex()
    line = error.object[: error.start].count(b"\n") + 1
    return f"not UTF-8 text (byte 0x{byte} on line {line}); save it as UTF-8"


def _yaml_problem(error: yaml.YAMLError) -> str:
    """Where and what, in one line (PyYAML's own message spans several)."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{where}: {problem}" if problem else where


# ---------------------------------------------------------------------------
# Environment (secrets and deployment)

DataProviderName = Literal["auto", "alpaca", "yahoo", "csv", "sim"]
PROVIDER_NAMES: tuple[str, ...] = get_args(DataProviderName)
"""Every data provider a person may name, `auto` (choose for me) first."""
HISTORY_PROVIDERS: tuple[str, ...] = tuple(n for n in PROVIDER_NAMES if n != "auto")
"""Providers of historical bars a backtest can be asked to use by name."""


class EnvSettings(BaseSettings):
    """Secrets and deployment from the environment or `.env`. Never logged or shown."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        case_sensitive=False,
        use_attribute_docstrings=True,
    )

    alpaca_api_key: SecretStr | None = None
    """Alpaca API key id; with the secret it enables Alpaca data and orders."""
    alpaca_secret_key: SecretStr | None = None
    """Alpaca API secret key."""
    alpaca_paper: bool = True
    """True (default) uses Alpaca's paper endpoint; false needs broker.allow_live too."""
    alpaca_base_url: str | None = None
    """Overrides the Alpaca trading endpoint (tests, proxies)."""
    alpaca_data_url: str | None = None
    """Overrides the Alpaca market data endpoint."""
    telegram_bot_token: SecretStr | None = None
    """Token from @BotFather; without it the Telegram front end is off."""
    telegram_allowed_users: Annotated[tuple[int, ...], NoDecode] = ()
    """Comma-separated Telegram user ids allowed to control the bot."""
    telegram_viewers: Annotated[tuple[int, ...], NoDecode] = ()
    """Comma-separated Telegram user ids who may read status, positions, P&L, charts and
    signals, but not approve, kill, resume, change the mode or settings."""
    telegram_base_url: str | None = None
    """Bot API server, e.g. a self-hosted one; default is Telegram's."""
    webui_host: str = "127.0.0.1"
    """Web page bind address; anything but loopback requires WEBUI_PASSWORD."""
    webui_port: int = Field(default=8080, ge=1, le=65535)
    """Web page port."""
    webui_password: SecretStr | None = None
    """Password for the web page login."""
    webui_viewer_password: SecretStr | None = None
    """Optional second password: it opens the page read-only (a viewer, like
    TELEGRAM_VIEWERS)."""
    webui_storage_secret: SecretStr | None = None
    """Signs the web session cookie; generated under STOCKBOT_HOME when unset."""
    webui_trusted_proxies: str | None = None
    """Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed;
    unset, the client address is always the socket's peer."""
    stockbot_home: Path = Path("./var")
    """Database, models and logs live here."""
    stockbot_config: Path | None = None
    """Path of the trading YAML; default config/config.yaml when it exists."""
    stockbot_data_provider: DataProviderName = "auto"
    """auto (Alpaca with keys, else Yahoo if reachable, else simulated), alpaca, yahoo,
    csv or sim."""
    stockbot_data_dir: Path | None = None
    """Folder of TICKER.csv files for the csv provider."""
    stockbot_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Least severe log level written."""
    stockbot_log_format: Literal["kv", "json"] = "kv"
    """kv: key=value lines; json: one JSON object per line."""
    stockbot_dask_scheduler: str | None = None
    """A Dask scheduler (tcp://host:8786): backtests, train, evaluate and the weekly
    retrain fit their walk-forward windows there; unset, on this machine's cores."""

    @field_validator("telegram_allowed_users", "telegram_viewers", mode="before")
    @classmethod
    def _split_user_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            for part in parts:
                if not part.lstrip("-").isdigit():
                    raise ValueError(f"{part!r} is not a numeric Telegram user id")
            return tuple(int(part) for part in parts)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("alpaca_base_url", "alpaca_data_url", "telegram_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "not a URL: give http:// or https:// and a host, e.g. https://host:8443"
            )
        return value

    @property
    def alpaca_keys_set(self) -> bool:
        return self.alpaca_credentials() is not None

    def alpaca_credentials(self) -> tuple[str, str] | None:
        """(key id, secret) when both are set."""
        if not (self.alpaca_api_key and self.alpaca_secret_key):
            return None
        return self.alpaca_api_key.get_secret_value(), self.alpaca_secret_key.get_secret_value()

    @property
    def webui_is_loopback(self) -> bool:
        return is_loopback_host(self.webui_host)

    def secret_values(self) -> list[str]:
        """Every secret's plain value, for log redaction."""
        secrets = (
            self.alpaca_api_key,
            self.alpaca_secret_key,
            self.telegram_bot_token,
            self.webui_password,
            self.webui_viewer_password,
            self.webui_storage_secret,
        )
        return [s.get_secret_value() for s in secrets if s and s.get_secret_value()]

    def config_path(self) -> Path | None:
        if self.stockbot_config is not None:
            return self.stockbot_config
        return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.is_file() else None


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_env_settings(env_file: Path | str | None = ".env") -> EnvSettings:
    try:
        return EnvSettings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as error:
        raise SettingsError(describe_env_error(error)) from error
    except UnicodeDecodeError as error:
        raise SettingsError(f"{env_file}: {_not_utf8(error)}") from error
    except OSError as error:
        raise SettingsError(f"{env_file}: cannot read it: {error.strerror or error}") from error


def describe_env_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "(environment)"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"environment: {name} = {item.get('input')!r}: {message}")
    return "\n".join(lines)


ENV_PREFIXES = ("STOCKBOT_", "ALPACA_", "TELEGRAM_", "WEBUI_")
"""Variables with these prefixes look like stockbot's: an unknown one is most likely a
misspelling, and is warned about."""
NOT_SETTINGS = frozenset({"STOCKBOT_SCREENSHOTS"})
"""Variables with a stockbot prefix read by something else (the browser test)."""


def unknown_env_keys(
    env_file: Path | str | None = ".env", environ: Mapping[str, str] | None = None
) -> list[str]:
    """One warning per variable in `env_file` or the environment that looks like a
    stockbot setting but is not one, naming the closest known variable."""
    from dotenv import dotenv_values

    known = env_var_names()
    sources: list[tuple[str, list[str]]] = []
    if env_file is not None and Path(env_file).is_file():
        # A file that cannot be read is reported by loading it, not here.
        with contextlib.suppress(OSError, UnicodeDecodeError):
            sources.append((str(env_file), list(dotenv_values(env_file, encoding="utf-8"))))
    sources.append(("environment", list(os.environ if environ is None else environ)))
    warnings: list[str] = []
    seen: set[str] = set()
    for source, names in sources:
        for name in names:
            key = name.upper()
            if not key.startswith(ENV_PREFIXES) or key in known or key in NOT_SETTINGS:
                continue
            if key in seen:
                continue
            seen.add(key)
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            family = [k for k in known if k.startswith(key.split("_", 1)[0] + "_")]
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(family)}"
            warnings.append(f"{source}: {name} is not a stockbot setting, ignored; {hint}")
    return warnings


class Settings(SettingsModel):
    """Everything the composition root needs, loaded once at start."""

    env: EnvSettings
    trading: TradingConfig

    @property
    def home(self) -> Path:
        return self.env.stockbot_home

    @property
    def database_path(self) -> Path:
        return self.home / "stockbot.db"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"


def load_settings(env_file: Path | str | None = ".env") -> Settings:
    """Load env and YAML; raise `SettingsError` naming every bad key."""
    env = load_env_settings(env_file)
    trading = load_trading_config(env.config_path())
    return Settings(env=env, trading=trading)


def env_var_names() -> list[str]:
    """All variables EnvSettings reads, upper case (for .env.example and docs checks)."""
    return [name.upper() for name in EnvSettings.model_fields]
