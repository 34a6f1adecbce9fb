"""Structured logging to the console and a rotating file, with secrets redacted.

Core base module. Lines are `key=value` (or JSON, one object per line). Redaction
runs on the finished line, exception text included, so a secret is removed wherever
it would appear: a message, an argument, a URL logged by a library, a traceback.

The console shows stockbot's own records; other libraries' records (TensorFlow, absl,
yfinance, Python warnings) go to the log file only, unless they are errors.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REDACTED = "***"

# Secrets with a recognisable shape, for values not known up front.
_SECRET_PATTERNS = (
    re.compile(r"(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{30,}"),  # Telegram bot token
    re.compile(r"(?i)(apca-api-(?:key-id|secret-key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
    re.compile(
        r"(?i)((?:password|secret|token|api_key|secret_key)[\"']?\s*[:=]\s*[\"']?)"
        r"[^\s\"',}]+"
    ),
)
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


OWN_LOGGERS = ("core", "ml", "risk", "execution", "storage", "bot", "webui", "stockbot")
"""Top-level logger names of stockbot's own packages."""
QUIET_LOGGERS = ("py.warnings", "absl", "tensorflow", "keras", "yfinance", "h5py")
"""Libraries whose records never reach the console, whatever their level."""


class LogSetupError(RuntimeError):
    """The log file cannot be written (a folder that cannot be made, no permission)."""


class Redactor:
    """Replaces known secret values and secret-shaped text with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _SECRET_PATTERNS[0].sub(REDACTED, text)
        for pattern in _SECRET_PATTERNS[1:]:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        return text


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}


def _kv_value(value: Any) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=\n\t'):
        return json.dumps(text)
    return text


class KeyValueFormatter(logging.Formatter):
    """`ts=… level=… logger=… msg="…" key=value …` on one line."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        line = " ".join(f"{key}={_kv_value(value)}" for key, value in fields.items())
        return self._redact(line)


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        return self._redact(json.dumps(fields, default=str))


class ConsoleFilter(logging.Filter):
    """stockbot's records at the configured level; other libraries' errors only."""

    def filter(self, record: logging.LogRecord) -> bool:
        top = record.name.split(".", 1)[0]
        if top in OWN_LOGGERS:
            return True
        if top in QUIET_LOGGERS or record.name in QUIET_LOGGERS:
            return False
        return record.levelno >= logging.ERROR


_current = Redactor()


def redact(text: str) -> str:
    """`text` with the configured secrets replaced (for lines printed outside logging)."""
    return _current(text)


def _file_handler(logs_dir: Path) -> logging.Handler:
    path = logs_dir / "stockbot.log"
    try:
        logs_dir.mkdir(parents=True, exist_ok=True)
        return logging.handlers.RotatingFileHandler(
            path, maxBytes=10_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError as error:
        raise LogSetupError(
            f"cannot write the log file {path}: {error.strerror or error}; make {logs_dir} "
            "writable for this user or set STOCKBOT_HOME to a folder that is"
        ) from error


def configure_logging(
    *,
    logs_dir: Path | None,
    level: str = "INFO",
    fmt: str = "kv",
    secrets: Iterable[str] = (),
    console: bool = True,
) -> Redactor:
    """Install console and rotating-file handlers on the root logger (idempotent).
    Raises `LogSetupError` when the log file cannot be written."""
    global _current
    redactor = Redactor(secrets)
    file_handler = _file_handler(logs_dir) if logs_dir is not None else None
    formatter: logging.Formatter = (
        JsonFormatter(redactor) if fmt == "json" else KeyValueFormatter(redactor)
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_stockbot", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    if console:
        stream = logging.StreamHandler()
        stream.addFilter(ConsoleFilter())
        handlers.append(stream)
    if file_handler is not None:
        handlers.append(file_handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._stockbot = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO; Telegram URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    _current = redactor
    return redactor
