from __future__ import annotations

import stat
from pathlib import Path

import pytest
import uvicorn
from pydantic import SecretStr

from core.base.settings import load_env_settings
from webui.security import (
    LoginThrottle,
    WebUiRefused,
    account_for,
    client_origin,
    password_matches,
    proxy_header_options,
    resolve_credentials,
    safe_redirect,
    trusted_proxies,
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


def test_failures_from_rotating_addresses_lock_the_account() -> None:
    now = [1000.0]
    throttle = LoginThrottle(max_failures=5, account_failures=10, window=300.0, now=lambda: now[0])
    for n in range(10):
        assert throttle.wait_seconds(f"web:10.0.0.{n}") == 0
        throttle.failed(f"web:10.0.0.{n}")
        now[0] += 1.0
    # An address never seen before, even the owner's own, waits: the account is locked.
    assert throttle.wait_seconds("web:10.0.0.99") == pytest.approx(300.0 - 10.0)
    assert throttle.wait_seconds("web:127.0.0.1") > 0
    now[0] = 1000.0 + 301.0
    assert throttle.wait_seconds("web:127.0.0.1") == 0


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


def test_trusted_proxies_are_a_comma_separated_list() -> None:
    assert trusted_proxies(None) == []
    assert trusted_proxies(" ") == []
    assert trusted_proxies("10.0.0.2, 172.16.0.0/12") == ["10.0.0.2", "172.16.0.0/12"]


async def _client_seen_by_the_app(options: dict[str, object]) -> str:
    """Serve a request through uvicorn's own wrapping of the app, configured with
    `options`, from 127.0.0.1 with a forged X-Forwarded-For; what address does the app
    see?"""
    seen: list[str] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        seen.append(scope["client"][0])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(app, **options)  # type: ignore[arg-type]
    config.load()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/login",
        "raw_path": b"/login",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8080"), (b"x-forwarded-for", b"203.0.113.9")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        return None

    await config.loaded_app(scope, receive, send)
    return seen[0]


async def test_uvicorn_believes_forwarded_headers_from_loopback_unless_told_not_to() -> None:
    assert await _client_seen_by_the_app({}) == "203.0.113.9"  # why the option is needed
    assert await _client_seen_by_the_app(proxy_header_options(None)) == "127.0.0.1"
    assert await _client_seen_by_the_app(proxy_header_options("10.0.0.2")) == "127.0.0.1"


async def test_a_listed_proxy_is_believed() -> None:
    assert await _client_seen_by_the_app(proxy_header_options("127.0.0.1")) == "203.0.113.9"


def test_the_viewer_password_opens_the_viewer_account_and_only_it(tmp_path: Path) -> None:
    env = load_env_settings(None).model_copy(
        update={"webui_password": SecretStr("owner pw"), "webui_viewer_password": SecretStr("look")}
    )
    credentials = resolve_credentials(env, tmp_path)
    assert account_for("owner pw", credentials) == "owner"
    assert account_for("look", credentials) == "viewer"
    assert account_for("loo", credentials) is None
    assert account_for("", credentials) is None
    without = resolve_credentials(env.model_copy(update={"webui_viewer_password": None}), tmp_path)
    assert account_for("look", without) is None
    assert account_for("", without) is None


def test_a_viewer_password_equal_to_the_owners_is_refused(tmp_path: Path) -> None:
    env = load_env_settings(None).model_copy(
        update={"webui_password": SecretStr("same"), "webui_viewer_password": SecretStr("same")}
    )
    with pytest.raises(WebUiRefused, match="WEBUI_VIEWER_PASSWORD"):
        resolve_credentials(env, tmp_path)
