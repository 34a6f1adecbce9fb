"""Project-wide fixtures: offline guard, an isolated environment, a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from core.base.settings import env_var_names
from storage.database import close_database, open_database
from storage.memory_store import MemoryStore
from storage.port import Store
from storage.sqlite_store import SqliteStore
from tests.fakes.alpaca_server import FakeAlpacaServer, running_fake_alpaca
from tests.network_guard import offline


@pytest.fixture(autouse=True, scope="session")
def _offline() -> Iterator[None]:
    with offline():
        yield


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real credentials or config leak into a test; STOCKBOT_HOME is a temp folder.

    The working folder is a temp folder too, so a developer's `.env` and
    `config/config.yaml` are not read.
    """
    for name in env_var_names():
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("STOCKBOT_HOME", str(home))
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return home


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SqliteDatabase]:
    """A migrated database in a real file, bound to the models."""
    db = open_database(tmp_path / "test.db")
    yield db
    close_database()


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each storage implementation in turn: a real SQLite file, and the replay's memory
    store. Tests that take it check both keep the same rules."""
    if request.param == "memory":
        yield MemoryStore()
        return
    open_database(tmp_path / "store.db")
    yield SqliteStore()
    close_database()


@pytest.fixture
def fake_alpaca() -> Iterator[FakeAlpacaServer]:
    """The fake Alpaca REST API on 127.0.0.1, started and stopped around the test."""
    with running_fake_alpaca() as server:
        yield server
