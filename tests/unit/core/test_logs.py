from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.base.logs import ConsoleFilter, LogSetupError, configure_logging, redact

TOKEN = "123456789:AAHk3j4h5k6j7h8k9j0h1k2j3h4k5j6h7k8"


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    configure_logging(
        logs_dir=tmp_path / "logs",
        secrets=["pk-live-SECRETKEYID", "very-secret-password"],
        console=False,
    )
    yield tmp_path / "logs" / "stockbot.log"
    configure_logging(logs_dir=None, console=False)


def read(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_known_secret_values_are_redacted(log_file: Path) -> None:
    log = logging.getLogger("stockbot.test")
    log.info("connecting with key %s", "pk-live-SECRETKEYID")
    log.warning("login", extra={"attempt": "very-secret-password"})
    text = read(log_file)
    assert "pk-live-SECRETKEYID" not in text
    assert "very-secret-password" not in text
    assert "connecting with key ***" in text


def test_secret_shapes_are_redacted_without_being_known(log_file: Path) -> None:
    log = logging.getLogger("stockbot.test")
    log.info("GET https://api.telegram.org/bot%s/getUpdates", TOKEN)
    log.info("headers {'APCA-API-SECRET-KEY': 'abcdef123456'}")
    log.info("config password=hunter22 token: zzz999")
    text = read(log_file)
    assert TOKEN not in text
    assert "abcdef123456" not in text
    assert "hunter22" not in text
    assert "zzz999" not in text
    assert "/bot***/getUpdates" in text


def test_secrets_in_tracebacks_are_redacted(log_file: Path) -> None:
    log = logging.getLogger("stockbot.test")
    try:
        raise RuntimeError("auth failed for very-secret-password")
    except RuntimeError:
        log.exception("broker error")
    text = read(log_file)
    assert "RuntimeError" in text
    assert "very-secret-password" not in text


def test_lines_are_structured_key_value(log_file: Path) -> None:
    logging.getLogger("stockbot.orders").info("order sent", extra={"symbol": "PLTR", "qty": 10})
    line = read(log_file).strip().splitlines()[-1]
    assert "level=INFO" in line
    assert "logger=stockbot.orders" in line
    assert 'msg="order sent"' in line
    assert "symbol=PLTR" in line
    assert "qty=10" in line


def test_json_format(tmp_path: Path) -> None:
    import json

    configure_logging(logs_dir=tmp_path, fmt="json", secrets=["s3cr3t-value"], console=False)
    try:
        logging.getLogger("x").info("value s3cr3t-value", extra={"symbol": "SPY"})
        record = json.loads(read(tmp_path / "stockbot.log").strip().splitlines()[-1])
    finally:
        configure_logging(logs_dir=None, console=False)
    assert record["msg"] == "value ***"
    assert record["symbol"] == "SPY"


def test_an_unwritable_logs_folder_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "logs").write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(LogSetupError) as caught:
        configure_logging(logs_dir=tmp_path / "logs", console=False)
    assert str(caught.value).startswith(f"cannot write the log file {tmp_path}/logs/stockbot.log: ")
    assert "set STOCKBOT_HOME" in str(caught.value)


@pytest.mark.parametrize(
    ("logger", "level", "shown"),
    [
        ("core.agent.session", logging.INFO, True),
        ("stockbot.cli", logging.INFO, True),
        ("py.warnings", logging.WARNING, False),
        ("absl", logging.WARNING, False),
        ("tensorflow", logging.ERROR, False),
        ("yfinance", logging.ERROR, False),
        ("apscheduler.scheduler", logging.INFO, False),
        ("uvicorn.error", logging.ERROR, True),
    ],
)
def test_the_console_shows_stockbot_and_other_libraries_errors_only(
    logger: str, level: int, shown: bool
) -> None:
    record = logging.LogRecord(logger, level, __file__, 1, "message", None, None)
    assert ConsoleFilter().filter(record) is shown


def test_every_record_still_reaches_the_file(log_file: Path) -> None:
    logging.getLogger("py.warnings").warning("FutureWarning: inplace is deprecated")
    assert "FutureWarning: inplace is deprecated" in read(log_file)


def test_redact_uses_the_configured_secrets(log_file: Path) -> None:
    assert redact("key pk-live-SECRETKEYID") == "key ***"
