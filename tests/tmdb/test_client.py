"""The HTTP client against the real test server: key check, bad key, no network, 429 handling,
the 20-connection ceiling, and where credentials come from."""
from __future__ import annotations

import asyncio
import socket
import time

import pytest

from core.errors import MarqueeError
from core.tmdb.client import AuthError, TMDbClient, Unreachable, check_key, parse_retry_after
from core.tmdb.credentials import (CredentialsMissing, classify, load_credentials, read_env_file, redact)
from core.tmdb.fakefilms import FakeFilmsConfig
from core.tmdb.testserver import DEFAULT_TEST_KEY
from tests.tmdb.helpers import cli_env, run_cli

SECRET = "s3cr3t-wrong-key-0123456789abcdef"


def test_check_key_lists_popular_films(tmdb_server):
    server = tmdb_server()
    result = check_key(DEFAULT_TEST_KEY, server.base_url)
    assert result["ok"] and len(result["films"]) == 5
    popularity = [f["popularity"] for f in result["films"]]
    assert popularity == sorted(popularity, reverse=True)
    assert result["total_results"] == len(server.films.ids_in_range("1900-01-01", "2100-01-01"))


def test_bearer_token_travels_in_the_header(tmdb_server):
    token = "eyJhbGciOiJIUzI1NiJ9." + "a" * 60 + ".signature"
    server = tmdb_server(bearer_token=token, api_key="some-other-v3-key")
    assert classify(token, "test").kind == "bearer"
    assert check_key(token, server.base_url)["ok"]


def test_bad_key_fails_fast_with_a_clear_message_and_is_never_printed(tmdb_server, tmp_path):
    server = tmdb_server()
    started = time.monotonic()
    done = run_cli(["-v", "tmdb", "check"], cli_env(server, tmp_path, key=SECRET))
    assert time.monotonic() - started < 15
    assert done.returncode == 2
    assert "rejected the credentials" in done.stderr and "401" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert server.stats.requests["movie/popular"] == 1  # a 401 is not retried
    with pytest.raises(AuthError) as caught:
        check_key(SECRET, server.base_url)
    assert SECRET not in str(caught.value)


def test_no_network_is_reported_plainly(monkeypatch):
    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("TMDB_ALLOWED_HOSTS", f"127.0.0.1:{port}")
    with pytest.raises(Unreachable) as caught:
        check_key(SECRET, f"http://127.0.0.1:{port}/3", timeout=2)
    message = str(caught.value)
    assert "cannot reach TMDb" in message and "ConnectError" in message
    assert SECRET not in message


def test_missing_credentials_say_where_to_put_them(monkeypatch, tmp_path):
    monkeypatch.delenv("TMDB_API_KEY", raising=False)
    monkeypatch.delenv("TMDB_BEARER_TOKEN", raising=False)
    with pytest.raises(CredentialsMissing, match="TMDB_API_KEY"):
        load_credentials(env_files=[tmp_path / ".env"])


def test_credentials_from_env_file_and_precedence(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\nexport TMDB_API_KEY='from-file-123'\nOTHER=1 # trailing\n", encoding="utf-8")
    assert read_env_file(env_file)["OTHER"] == "1"
    monkeypatch.delenv("TMDB_API_KEY", raising=False)
    monkeypatch.delenv("TMDB_BEARER_TOKEN", raising=False)
    found = load_credentials(env_files=[env_file])
    assert found.value == "from-file-123" and found.kind == "api_key" and ".env" in found.source
    monkeypatch.setenv("TMDB_API_KEY", "from-env-456")
    assert load_credentials(env_files=[env_file]).value == "from-env-456"
    assert load_credentials("typed-789", env_files=[env_file]).value == "typed-789"
    assert "typed-789" not in repr(load_credentials("typed-789"))


def test_redact_masks_query_keys_and_tokens():
    text = "GET http://x/3/movie/1?api_key=abcdef123&page=2 Authorization: Bearer eyJ.abc.def"
    cleaned = redact(text, "abcdef123")
    assert "abcdef123" not in cleaned and "eyJ.abc.def" not in cleaned and "page=2" in cleaned


def test_retry_after_parsing():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: go now


async def _hammer(server, concurrency: int, count: int, max_rate: float) -> TMDbClient:
    client = TMDbClient(classify(DEFAULT_TEST_KEY, "test"), server.base_url, concurrency=concurrency,
                        max_rate=max_rate, timeout=5, backoff_base=0.02)
    async with client:
        ids = server.films.ids[:count].tolist()
        answers = await asyncio.gather(*(client.movie(i) for i in ids))
    assert all(a is not None for a in answers)
    return client


def test_client_never_holds_more_than_20_connections(tmdb_server):
    server = tmdb_server(FakeFilmsConfig(films=600), latency=(0.02, 0.04))
    client = asyncio.run(_hammer(server, concurrency=64, count=400, max_rate=5000))
    assert client.concurrency == 20
    assert 10 < server.stats.max_open_connections <= 20, server.stats.as_dict()


def test_429_slows_the_client_down_instead_of_hammering(tmdb_server):
    server = tmdb_server(FakeFilmsConfig(films=600), rate_limit=100, burst=5, retry_after=0.2)
    started = time.monotonic()
    client = asyncio.run(_hammer(server, concurrency=16, count=150, max_rate=1000))
    elapsed = time.monotonic() - started
    assert server.stats.throttled > 0 and client.stats.throttled == server.stats.throttled
    assert client.limiter.rate < 1000 and client.limiter.stats.decreases >= 1
    # Every film answered exactly once, and 429s stayed a small share of the traffic.
    assert sum(server.stats.detail_ids.values()) == 150
    # A share, not a count: a loaded machine stalls the event loop into bursts (quiet: ~18 %,
    # load 20: 30 %); a client ignoring 429s gets most of its requests refused.
    assert server.stats.throttled < 0.45 * sum(server.stats.requests.values())
    assert elapsed < 15


def test_4xx_other_than_404_is_an_error_not_a_retry(tmdb_server):
    server = tmdb_server(max_pages=3)

    async def run():
        async with TMDbClient(classify(DEFAULT_TEST_KEY, "t"), server.base_url) as client:
            await client.discover({}, 4)

    with pytest.raises(MarqueeError, match="422"):
        asyncio.run(run())
    assert server.stats.requests["discover/movie"] == 1
