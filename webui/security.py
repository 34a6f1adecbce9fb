"""Who may see the page (DESIGN §9): the password, the cookie secret, a throttle on
failed logins and a guard against open redirects. No NiceGUI here, so the rules are
tested as plain functions."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from core.base.settings import EnvSettings, SettingsError

PASSWORD_FILE = "webui-password"
SECRET_FILE = "webui-storage-secret"


class WebUiRefused(SettingsError):
    """The web page must not start with this configuration (the message says why)."""


def _stored_secret(path: Path, length: int) -> str:
    """Read a generated secret, or generate it once: readable by the owner only."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(length)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(value + "\n")
    return value


@dataclass(frozen=True)
class WebCredentials:
    password: str
    storage_secret: str
    password_file: Path | None
    """Where a generated password is kept (None when WEBUI_PASSWORD is set)."""
    viewer_password: str | None = None
    """WEBUI_VIEWER_PASSWORD: opens every page read-only (actor `web:viewer`)."""


def resolve_credentials(env: EnvSettings, home: Path) -> WebCredentials:
    """The login password and the cookie secret. A network-reachable page needs a
    password the owner chose; on loopback one is generated and kept in `home`."""
    if not env.webui_is_loopback and env.webui_password is None:
        raise WebUiRefused(
            f"web page on {env.webui_host} would be reachable from the network: "
            "set WEBUI_PASSWORD, or bind to 127.0.0.1 (WEBUI_HOST)"
        )
    secret = (
        env.webui_storage_secret.get_secret_value()
        if env.webui_storage_secret
        else _stored_secret(home / SECRET_FILE, 32)
    )
    viewer = env.webui_viewer_password.get_secret_value() if env.webui_viewer_password else None
    if env.webui_password is not None:
        credentials = WebCredentials(env.webui_password.get_secret_value(), secret, None, viewer)
    else:
        path = home / PASSWORD_FILE
        credentials = WebCredentials(_stored_secret(path, 12), secret, path, viewer)
    if viewer is not None and password_matches(viewer, credentials.password):
        # One password cannot mean two people: who would the login be?
        raise WebUiRefused(
            "WEBUI_VIEWER_PASSWORD equals the owner's password: choose a different one"
        )
    return credentials


def password_matches(given: str, expected: str) -> bool:
    """Constant-time: compare digests, so neither content nor length leaks by timing."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest()
    )


ACCOUNT = "owner"
"""The owner's account (actor `web:owner`); also the login throttle's one account, as
the form does not say which password a guess was meant for."""
VIEWER = "viewer"
"""The read-only account of WEBUI_VIEWER_PASSWORD (actor `web:viewer`)."""


def account_for(given: str, credentials: WebCredentials) -> str | None:
    """Which account a password opens, or None. Each configured password is compared
    in constant time, and both always are, so the time taken does not say which one a
    guess came close to."""
    owner = password_matches(given, credentials.password)
    viewer = credentials.viewer_password is not None and password_matches(
        given, credentials.viewer_password
    )
    if owner:
        return ACCOUNT
    return VIEWER if viewer else None


@dataclass
class LoginThrottle:
    """Wrong passwords are counted per client address and per account: at most
    `max_failures` from one address and `account_failures` from anywhere in `window`
    seconds, after which the login waits. Counting per account means that rotating
    addresses (many machines, or forged proxy headers) gains a guesser nothing; the cost
    is that a guesser can make the owner wait out the window too."""

    max_failures: int = 5
    account_failures: int = 10
    window: float = 300.0
    now: Callable[[], float] = time.monotonic
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def _recent(self, key: str) -> list[float]:
        cutoff = self.now() - self.window
        kept = [t for t in self._failures.get(key, []) if t > cutoff]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)  # addresses that stopped trying are forgotten
        return kept

    def _wait(self, key: str, limit: int) -> float:
        recent = self._recent(key)
        if len(recent) < limit:
            return 0.0
        return max(0.0, recent[-limit] + self.window - self.now())

    def wait_seconds(self, client: str, account: str = ACCOUNT) -> float:
        """0 when the client may try; otherwise seconds until it may."""
        return max(
            self._wait(f"client:{client}", self.max_failures),
            self._wait(f"account:{account}", self.account_failures),
        )

    def failed(self, client: str, account: str = ACCOUNT) -> None:
        at = self.now()
        for key in (f"client:{client}", f"account:{account}"):
            self._failures[key] = [*self._recent(key), at]

    def succeeded(self, client: str, account: str = ACCOUNT) -> None:
        self._failures.pop(f"client:{client}", None)
        self._failures.pop(f"account:{account}", None)


def safe_redirect(target: str | None) -> str:
    """A path on this site, or "/": never another host (`//evil`, `https://…`, `\\\\`)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def client_origin(request: object) -> str:
    """`web:<address>` of the browser, for the audit log's "from where" and the login
    throttle. It is the connection's peer: `X-Forwarded-For` is believed only from the
    proxies listed in WEBUI_TRUSTED_PROXIES (`trusted_proxies`; uvicorn applies it)."""
    client = getattr(request, "client", None)
    host = getattr(client, "host", None) or "unknown"
    return f"web:{host}"


def trusted_proxies(setting: str | None) -> list[str]:
    """WEBUI_TRUSTED_PROXIES as a list (addresses or networks); empty trusts no one."""
    return [part.strip() for part in (setting or "").split(",") if part.strip()]


def proxy_header_options(setting: str | None) -> dict[str, object]:
    """uvicorn's options for forwarded headers. uvicorn believes `X-Forwarded-For` from
    127.0.0.1 unless told otherwise, so anyone who can reach the page through a local
    port could choose the address the throttle and the audit see: without a trusted
    proxy the headers are not read at all."""
    proxies = trusted_proxies(setting)
    if not proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": []}
    return {"proxy_headers": True, "forwarded_allow_ips": proxies}
