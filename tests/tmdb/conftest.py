"""Fixtures for the TMDb downloader tests: a real HTTP test server on 127.0.0.1 per test."""
from __future__ import annotations

import pytest

from core.tmdb.fakefilms import FakeFilms, FakeFilmsConfig
from core.tmdb.testserver import ServerConfig, TMDbTestServer


@pytest.fixture
def tmdb_server():
    """``tmdb_server(films=FakeFilmsConfig(...), **ServerConfig fields)`` starts a server, stopped at teardown."""
    started = []

    def start(films: FakeFilmsConfig | None = None, **config) -> TMDbTestServer:
        server = TMDbTestServer(FakeFilms(films or FakeFilmsConfig(films=600)), ServerConfig(**config)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()

