"""Fixtures for the TMDb downloader tests: a real HTTP test server on 127.0.0.1 per test."""
from __future__ import annotations

import pytest

from core.tmdb.credentials import ENV_ALLOWED_HOSTS, host_port
from core.tmdb.fakefilms import FakeFilms, FakeFilmsConfig
from core.tmdb.testserver import ServerConfig, TMDbTestServer


@pytest.fixture
def tmdb_server(monkeypatch):
    """``tmdb_server(films=FakeFilmsConfig(...), **ServerConfig fields)`` starts a server, stopped at teardown.

    Each server's host is allow-listed for the test (``TMDB_ALLOWED_HOSTS``), as an operator
    would configure a TMDb-compatible server; no other local host gets the key."""
    started = []

    def start(films: FakeFilmsConfig | None = None, **config) -> TMDbTestServer:
        server = TMDbTestServer(FakeFilms(films or FakeFilmsConfig(films=600)), ServerConfig(**config)).start()
        started.append(server)
        monkeypatch.setenv(ENV_ALLOWED_HOSTS, ",".join(host_port(s.base_url) for s in started))
        return server

    yield start
    for server in started:
        server.stop()

