from __future__ import annotations

import socket
import urllib.request

import pytest

from tests.network_guard import NetworkAccessError


def test_non_loopback_connections_fail_the_test() -> None:
    with pytest.raises(NetworkAccessError, match="offline"):
        urllib.request.urlopen("http://192.0.2.1/", timeout=1)
    sock = socket.socket()
    try:
        with pytest.raises(NetworkAccessError):
            sock.connect(("203.0.113.5", 443))
    finally:
        sock.close()


def test_name_lookups_fail_the_test() -> None:
    with pytest.raises(NetworkAccessError):
        socket.getaddrinfo("api.telegram.org", 443)


def test_loopback_is_allowed() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    try:
        client.connect(server.getsockname())
    finally:
        client.close()
        server.close()
