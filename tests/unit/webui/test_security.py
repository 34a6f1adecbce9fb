from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.base.settings import load_env_settings
from webui.security import (
    LoginThrottle,
    WebUiRefused,
    client_origin,
    password_matches,
    resolve_credentials,
    safe_redirect,
)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/signals", "/signals"),
        ("/backtest?run=bt-1", "/backtest?run=bt-1"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/path", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("signals", "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
    ],
)
def test_only_local_paths_are_followed_after_login(target: str | None, expected: str) -> None:
    assert safe_redirect(target) == expected


def test_password_check_is_exact() -> None:
    assert password_matches("s3cret", "s3cret")
    assert not password_matches("s3cre", "s3cret")
    assert not password_matches("", "s3cret")


def test_throttle_locks_after_repeated_failures_then_forgets() -> None:
    now = [1000.0]
    throttle = LoginThrottle(max_failures=3, window=60.0, now=lambda: now[0])
    for _ in range(3):
        assert throttle.wait_seconds("web:1.2.3.4") == 0
        throttle.failed("web:1.2.3.4")
    assert throttle.wait_seconds("web:1.2.3.4") == pytest.approx(60.0)
    assert throttle.wait_seconds("web:5.6.7.8") == 0  # other clients are not locked out
    now[0] += 61
    assert throttle.wait_seconds("web:1.2.3.4") == 0


def test_a_success_clears_the_failures() -> None:
    throttle = LoginThrottle(max_failures=2)
    throttle.failed("c")
    throttle.succeeded("c")
    throttle.failed("c")
    assert throttle.wait_seconds("c") == 0


def test_loopback_without_password_generates_private_secrets_once(tmp_path: Path) -> None:
    env = load_env_settings(None)
    first = resolve_credentials(env, tmp_path)
    again = resolve_credentials(env, tmp_path)
    assert first == again
    assert first.password_file == tmp_path / "webui-password"
    assert len(first.password) >= 12
    for name in ("webui-password", "webui-storage-secret"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600


def test_configured_password_and_secret_are_used(tmp_path: Path) -> None:
    env = load_env_settings(None).model_copy(
        update={"webui_password": SecretStr("pw"), "webui_storage_secret": SecretStr("cookie")}
    )
    credentials = resolve_credentials(env, tmp_path)
    assert (credentials.password, credentials.storage_secret) == ("pw", "cookie")
    assert credentials.password_file is None
    assert not (tmp_path / "webui-password").exists()


def test_network_bind_without_password_is_refused(tmp_path: Path) -> None:
    env = load_env_settings(None).model_copy(update={"webui_host": "0.0.0.0"})
    with pytest.raises(WebUiRefused, match="WEBUI_PASSWORD"):
        resolve_credentials(env, tmp_path)


def test_client_origin_names_the_address() -> None:
    class Client:
        host = "192.168.1.7"

    class Request:
        client = Client()

    assert client_origin(Request()) == "web:192.168.1.7"
    assert client_origin(object()) == "web:unknown"
