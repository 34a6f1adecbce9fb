from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.base.settings import (
    RuntimeSettings,
    SettingsError,
    TradingConfig,
    apply_overrides,
    load_settings,
    unknown_env_keys,
)
from core.base.types import TradingMode
from storage.overrides import load_overrides, save_overrides


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_plan(isolated_env: Path) -> None:
    settings = load_settings(env_file=None)
    trading = settings.trading
    assert trading.initial_capital == 10_000
    assert trading.runtime.symbols == ("PLTR",)
    assert trading.runtime.risk_per_trade == 0.02
    assert trading.runtime.max_portfolio_risk == 0.20
    assert trading.runtime.daily_loss_limit == 0.05
    assert trading.runtime.auto_edge == 0.10
    assert trading.runtime.mode is TradingMode.HYBRID
    assert trading.broker.kind == "paper"
    assert settings.env.alpaca_paper is True
    assert settings.env.webui_host == "127.0.0.1"
    assert settings.home == isolated_env


def test_env_variables_and_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("WEBUI_PORT=9000\nTELEGRAM_ALLOWED_USERS=11, 22\n", encoding="utf-8")
    monkeypatch.setenv("ALPACA_API_KEY", "key-id")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "s3cr3t-value-xyz")
    monkeypatch.setenv("STOCKBOT_DATA_PROVIDER", "sim")
    settings = load_settings(env_file=env_file)
    assert settings.env.webui_port == 9000
    assert settings.env.telegram_allowed_users == (11, 22)
    assert settings.env.alpaca_keys_set
    assert settings.env.stockbot_data_provider == "sim"
    assert "s3cr3t-value-xyz" not in repr(settings)


def test_yaml_overrides_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_yaml(
        tmp_path / "config.yaml",
        "initial_capital: 25000\n"
        "runtime:\n  symbols: [SPY, AAPL]\n  mode: manual\n"
        "stops:\n  method: percent\n  percent: 0.03\n",
    )
    monkeypatch.setenv("STOCKBOT_CONFIG", str(config))
    trading = load_settings(env_file=None).trading
    assert trading.initial_capital == 25_000
    assert trading.runtime.symbols == ("SPY", "AAPL")
    assert trading.runtime.mode is TradingMode.MANUAL
    assert trading.stops.method == "percent"
    assert trading.runtime.risk_per_trade == 0.02


def test_default_config_file_in_working_folder_is_read() -> None:
    Path("config").mkdir()
    write_yaml(Path("config/config.yaml"), "runtime:\n  symbols: [KO]\n")
    assert load_settings(env_file=None).trading.runtime.symbols == ("KO",)


def test_repository_config_yaml_is_valid_and_equals_defaults() -> None:
    repo_config = Path(__file__).resolve().parents[3] / "config" / "config.yaml"
    from core.base.settings import load_trading_config

    assert load_trading_config(repo_config) == TradingConfig()


def test_db_overrides_merge_over_yaml(database: object) -> None:
    base = load_settings(env_file=None).trading.runtime
    save_overrides({"mode": "auto", "risk_per_trade": 0.01}, actor="telegram:42")
    runtime = apply_overrides(base, load_overrides())
    assert runtime.mode is TradingMode.AUTO
    assert runtime.risk_per_trade == 0.01
    assert runtime.symbols == base.symbols


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "runtime:\n  risk_per_trade: 0.5\n",
            "runtime.risk_per_trade = 0.5: Input should be less than or equal to 0.05",
        ),
        (
            "runtime:\n  mode: banana\n",
            "runtime.mode = 'banana': Input should be 'auto', 'manual' or 'hybrid'",
        ),
        (
            "runtime:\n  symbols: [pltr]\n",
            "runtime.symbols.0 = 'pltr': not a ticker (1 to 10 capital letters",
        ),
        ("initial_capital: -5\n", "initial_capital = -5: Input should be greater than 0"),
        ("stops:\n  method: magic\n", "stops.method = 'magic': Input should be 'atr' or 'percent'"),
        ("colour: red\n", "colour = 'red': Extra inputs are not permitted"),
        (
            "runtime:\n  min_edge: 0.2\n  auto_edge: 0.1\n",
            "min_edge (0.2) must not exceed auto_edge (0.1)",
        ),
        ("- a list\n", "the top level must be a mapping"),
        ("runtime: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_yaml_values_name_key_value_and_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml_text: str, expected: str
) -> None:
    config = write_yaml(tmp_path / "bad.yaml", yaml_text)
    monkeypatch.setenv("STOCKBOT_CONFIG", str(config))
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    assert expected in str(caught.value)
    assert str(config) in str(caught.value)


def test_a_refused_symbol_is_one_problem_not_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list is not also "too short" because its only item was refused."""
    config = write_yaml(tmp_path / "c.yaml", "runtime:\n  symbols: [pl-tr]\n")
    monkeypatch.setenv("STOCKBOT_CONFIG", str(config))
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    assert str(caught.value) == (
        f"{config}: runtime.symbols.0 = 'pl-tr': not a ticker "
        "(1 to 10 capital letters, digits or '.', starting with a letter)"
    )


def test_malformed_yaml_is_one_line_with_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_yaml(tmp_path / "c.yaml", "runtime:\n  symbols: [PLTR\n  mode: x\n")
    monkeypatch.setenv("STOCKBOT_CONFIG", str(config))
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    assert str(caught.value) == (
        f"{config}: not valid YAML at line 3, column 7: expected ',' or ']', but got ':'"
    )


def test_a_config_file_that_is_not_utf8_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.yaml"
    config.write_bytes(b"runtime:\n  mode: caf\xe9\n")
    monkeypatch.setenv("STOCKBOT_CONFIG", str(config))
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    assert str(caught.value) == f"{config}: not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8"


def test_an_env_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_bytes(b"WEBUI_PASSWORD=caf\xe9\n")
    with pytest.raises(SettingsError, match=r"bad.env: not UTF-8 text \(byte 0xe9"):
        load_settings(env_file=env_file)


@pytest.mark.parametrize("name", ["ALPACA_BASE_URL", "ALPACA_DATA_URL", "TELEGRAM_BASE_URL"])
@pytest.mark.parametrize("value", ["not a url", "paper-api.alpaca.markets", "ftp://x", "http://"])
def test_endpoint_overrides_must_be_urls(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    assert str(caught.value) == (
        f"environment: {name} = {value!r}: not a URL: give http:// or https:// and a host, "
        "e.g. https://host:8443"
    )


def test_a_real_endpoint_override_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPACA_BASE_URL", "http://127.0.0.1:8443/")
    assert load_settings(env_file=None).env.alpaca_base_url == "http://127.0.0.1:8443/"


def test_misspelled_keys_are_named_with_the_closest_one(tmp_path: Path) -> None:
    env_file = tmp_path / "my.env"
    env_file.write_text("STOCKBOT_HOEM=/data\nWEBUI_PASWORD=x\nOTHER_THING=1\n", encoding="utf-8")
    warnings = unknown_env_keys(env_file, environ={"TELEGRAM_TOKEN": "1", "PATH": "/bin"})
    assert warnings == [
        f"{env_file}: STOCKBOT_HOEM is not a stockbot setting, ignored; "
        "did you mean STOCKBOT_HOME?",
        f"{env_file}: WEBUI_PASWORD is not a stockbot setting, ignored; "
        "did you mean WEBUI_PASSWORD?",
        "environment: TELEGRAM_TOKEN is not a stockbot setting, ignored; "
        "did you mean TELEGRAM_BOT_TOKEN?",
    ]


def test_known_keys_and_the_browser_tests_variable_are_not_warned_about() -> None:
    environ = {"STOCKBOT_HOME": "x", "webui_port": "1", "STOCKBOT_SCREENSHOTS": "docs/images"}
    assert unknown_env_keys(None, environ=environ) == []


def test_missing_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOCKBOT_CONFIG", "/nonexistent/config.yaml")
    with pytest.raises(SettingsError, match="cannot read the configuration file"):
        load_settings(env_file=None)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "WEBUI_PORT",
            "99999",
            "WEBUI_PORT = '99999': Input should be less than or equal to 65535",
        ),
        ("ALPACA_PAPER", "maybe", "ALPACA_PAPER = 'maybe': Input should be a valid boolean"),
        ("TELEGRAM_ALLOWED_USERS", "12,abc", "'abc' is not a numeric Telegram user id"),
        ("STOCKBOT_DATA_PROVIDER", "bloomberg", "STOCKBOT_DATA_PROVIDER = 'bloomberg'"),
    ],
)
def test_invalid_env_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"risk_per_trade": 0.5},
            "risk_per_trade = 0.5: Input should be less than or equal to 0.05",
        ),
        ({"risk_per_trade": 0}, "risk_per_trade = 0: Input should be greater than 0"),
        ({"auto_edge": 0.7}, "auto_edge = 0.7: Input should be less than or equal to 0.5"),
        ({"mode": "yolo"}, "mode = 'yolo'"),
        (
            {"max_open_positions": 0},
            "max_open_positions = 0: Input should be greater than or equal to 1",
        ),
        ({"symbols": "PLTR,$$$"}, "symbols.1 = '$$$': String should match pattern"),
        ({"quiet_hours": "late"}, "quiet_hours = 'late'"),
        ({"min_edge": 0.15}, "min_edge (0.15) must not exceed auto_edge (0.1)"),
        ({"min_confidence": 0.6}, "min_confidence was retired"),
        ({"leverage": 10}, "unknown setting 'leverage'; settings are: auto_edge"),
    ],
)
def test_invalid_runtime_overrides_are_explained(overrides: dict, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        apply_overrides(RuntimeSettings(), overrides)
    assert expected in str(caught.value)


def test_symbols_accept_comma_separated_text() -> None:
    runtime = apply_overrides(RuntimeSettings(), {"symbols": "spy, aapl"})
    assert runtime.symbols == ("SPY", "AAPL")


def test_settings_are_frozen() -> None:
    runtime = RuntimeSettings()
    with pytest.raises(ValueError, match="frozen"):
        runtime.mode = TradingMode.AUTO  # type: ignore[misc]


def test_every_field_is_documented() -> None:
    from core.base.settings import (
        BrokerSettings,
        EnvSettings,
        ModelSettings,
        ScheduleSettings,
        StopSettings,
        TrailingSettings,
    )

    models = (
        RuntimeSettings,
        TradingConfig,
        StopSettings,
        TrailingSettings,
        ScheduleSettings,
        BrokerSettings,
        ModelSettings,
        EnvSettings,
    )
    for model in models:
        undocumented = [n for n, f in model.model_fields.items() if not f.description]
        assert undocumented == [], f"{model.__name__}: {undocumented}"


def test_env_example_copied_as_is_gives_the_defaults() -> None:
    example = Path(__file__).resolve().parents[3] / ".env.example"
    Path(".env").write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    settings = load_settings(env_file=".env")
    assert not settings.env.alpaca_keys_set
    assert settings.env.telegram_bot_token is None
    assert settings.env.config_path() is None
    assert settings.trading == TradingConfig()


def test_env_example_lists_every_variable() -> None:
    from core.base.settings import env_var_names

    example = (Path(__file__).resolve().parents[3] / ".env.example").read_text(encoding="utf-8")
    # A variable may be listed commented out (`# STOCKBOT_HOME=./var`), with its note.
    listed = set(re.findall(r"^(?:# )?([A-Z][A-Z_]+)=", example, flags=re.M))
    assert listed == set(env_var_names())


def test_refused_overrides_name_each_field_for_inline_errors() -> None:
    with pytest.raises(SettingsError) as caught:
        apply_overrides(RuntimeSettings(), {"risk_per_trade": 0.5, "max_open_positions": 0})
    assert set(caught.value.fields) == {"risk_per_trade", "max_open_positions"}
    assert "0.05" in caught.value.fields["risk_per_trade"]


def test_a_rule_across_fields_is_reported_for_the_whole_form() -> None:
    with pytest.raises(SettingsError) as caught:
        apply_overrides(RuntimeSettings(), {"min_edge": 0.15})
    assert list(caught.value.fields) == ["(settings)"]
