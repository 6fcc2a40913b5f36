"""The TMDb key goes to an allow-listed host only; answers are parsed, never echoed; a broken
token is never printed; the app listens on 127.0.0.1 only.

An "attacker" HTTP server on 127.0.0.1 records every request it gets; each test drives the page,
the core functions or the CLI towards it and asserts it saw nothing.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from streamlit.testing.v1 import AppTest

from core.errors import MarqueeError
from core.tmdb import jobs
from core.tmdb.client import TMDbClient, TMDbError, check_key
from core.tmdb.credentials import ENV_ALLOWED_HOSTS, api_base, classify, host_port
from core.tmdb.crawl import Connection, CrawlOptions
from core.tmdb.fakefilms import FakeFilms, FakeFilmsConfig
from core.tmdb.testserver import ServerConfig, TMDbTestServer
from tests.security.conftest import PROJECT_ROOT, assert_one_line_error, run_cli

KEY = "v3-key-that-must-stay-home-91c2e7"


class Recorder:
    """A local HTTP server that records requests and answers with a canned response."""

    def __init__(self, status: int = 200, body: bytes = b'{"results": [], "total_results": 0}',
                 headers: dict[str, str] | None = None):
        self.requests: list[dict] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                recorder.requests.append({"path": self.path, "headers": dict(self.headers)})
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value.replace("{path}", self.path))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/3"

    def __enter__(self) -> "Recorder":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def saw_the_key(self) -> bool:
        return any(KEY in r["path"] or KEY in json.dumps(r["headers"]) for r in self.requests)


@pytest.fixture
def attacker():
    with Recorder() as server:
        yield server


@pytest.fixture
def legit(monkeypatch):
    """The operator's configured TMDb-compatible server (``TMDB_API_BASE``) and the key in the
    server's environment, as in a deployment."""
    films = FakeFilms(FakeFilmsConfig(films=60, start="2020-01-01", end="2020-12-31"))
    with TMDbTestServer(films, ServerConfig(api_key=KEY)) as server:
        monkeypatch.setenv("TMDB_API_BASE", server.base_url)
        monkeypatch.setenv("TMDB_API_KEY", KEY)
        monkeypatch.setenv("TMDB_BEARER_TOKEN", "")
        monkeypatch.delenv(ENV_ALLOWED_HOSTS, raising=False)
        yield server


def test_page_visitors_cannot_send_the_key_elsewhere(legit, attacker, isolated_dirs):
    """Every text field a visitor can type into holds the attacker's URL; the key still goes only
    to the configured server."""
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("pages/download.py").run()
    assert not at.exception
    for field in at.text_input:
        if field.key != "tmdb_key":
            field.set_value(attacker.base_url)
    at.query_params["api_base"] = attacker.base_url
    at.run()
    at.button(key="tmdb_check").click().run()
    assert any("TMDb answered" in s.value for s in at.success)
    before = set(jobs._JOBS)
    [b for b in at.button if b.label == "Start download"][0].click().run()
    for job_id in set(jobs._JOBS) - before:
        jobs._JOBS[job_id].join(60)
    assert not at.exception
    assert attacker.requests == []
    assert sum(legit.stats.requests.values()) >= 2
    page_text = " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.error, *at.success, *at.warning))
    assert KEY not in page_text


@pytest.mark.parametrize("base", [
    "ATTACKER", "https://api.themoviedb.org.evil.example/3", "https://evil.example/api.themoviedb.org/3",
    "http://api.themoviedb.org/3", "https://api.themoviedb.org:8443/3", "https://user:pw@api.themoviedb.org/3",
    "https://api.themoviedb.org/3?x=1", "ftp://api.themoviedb.org/3", "file:///etc/passwd", "javascript:alert(1)",
    "//evil.example/3", "https://api.themoviedb.org\\@evil.example/3",
])
def test_core_refuses_every_base_that_is_not_allow_listed(base, legit, attacker):
    base = attacker.base_url if base == "ATTACKER" else base
    with pytest.raises(MarqueeError) as caught:
        check_key(KEY, base)
    assert KEY not in str(caught.value)
    with pytest.raises(MarqueeError):
        TMDbClient(classify(KEY, "test"), base)
    with pytest.raises(MarqueeError):
        Connection(api_key=KEY, base_url=base).client(CrawlOptions())
    assert attacker.requests == []


def test_the_official_host_and_the_operators_server_are_allowed(legit):
    assert api_base("https://API.themoviedb.org/3/") == "https://API.themoviedb.org/3"
    assert api_base() == legit.base_url  # TMDB_API_BASE
    assert check_key()["ok"]


def test_a_redirect_to_another_host_is_not_followed(attacker, monkeypatch):
    redirect = Recorder(status=302, headers={"Location": attacker.base_url + "{path}"})
    with redirect:
        monkeypatch.setenv(ENV_ALLOWED_HOSTS, host_port(redirect.base_url))
        with pytest.raises(MarqueeError) as caught:
            check_key(KEY, redirect.base_url)
    assert redirect.saw_the_key()  # the allow-listed host got it (that is its job) ...
    assert attacker.requests == []  # ... and nobody else
    assert KEY not in str(caught.value)


def test_the_client_never_sends_an_absolute_url(legit, attacker):
    import asyncio

    async def go():
        async with TMDbClient(classify(KEY, "test")) as client:
            for path in (attacker.base_url + "/movie/1", "//127.0.0.1:1/x"):
                with pytest.raises(TMDbError):
                    await client.get(path)
    asyncio.run(go())
    assert attacker.requests == []


def test_cli_refuses_an_api_base_on_another_host(legit, attacker, tmp_path):
    env = {"TMDB_API_BASE": legit.base_url, "TMDB_API_KEY": KEY, "MARQUEE_DATA_DIR": str(tmp_path)}
    for command in (["tmdb", "check", "--api-base", attacker.base_url],
                    ["tmdb", "discover", "--catalog", "x", "--preset", "last-year", "--api-base", attacker.base_url]):
        proc = run_cli(command, env)
        assert_one_line_error(proc, "not allow-listed")
        assert KEY not in proc.stdout + proc.stderr
    assert attacker.requests == []


@pytest.mark.parametrize("body,content_type", [
    (b"<html><script>fetch('//evil')</script>internal stack at /srv/app/secret.py</html>", "text/html"),
    (b'{"status_message": "bad\\n**markdown** ![x](http://evil/t.png)\\u0007", "status_code": 7}', "application/json"),
    (b'{"errors": [{"nested": "dict"}], "raw": "' + b"A" * 5000 + b'"}', "application/json"),
])
def test_error_answers_are_parsed_never_echoed(body, content_type, legit, monkeypatch):
    with Recorder(status=403, body=body, headers={"Content-Type": content_type}) as server:
        monkeypatch.setenv(ENV_ALLOWED_HOSTS, host_port(server.base_url))
        with pytest.raises(TMDbError) as caught:
            check_key(KEY, server.base_url)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400
    for echoed in ("<script>", "/srv/app", "AAAAAAAAAA", "{'nested'", "\x07"):
        assert echoed not in message
    if b"status_message" in body:
        assert "bad **markdown**" in message  # TMDb's own message, as one line of plain text


def test_popular_films_are_parsed_field_by_field(monkeypatch):
    hostile = {"results": [{"id": 1e20, "title": "A\x1b[31m\nB" + "x" * 500, "release_date": "<b>2020</b>",
                            "popularity": "inf"}, "not a film", {"id": "7", "title": {"nested": 1},
                                                                  "popularity": 3.5, "release_date": "2020-01-02"}],
               "total_results": -4}
    with Recorder(body=json.dumps(hostile).encode()) as server:
        monkeypatch.setenv(ENV_ALLOWED_HOSTS, host_port(server.base_url))
        result = check_key(KEY, server.base_url)
    first, second = result["films"]
    assert first == {"id": None, "title": "A [31m B" + "x" * 192, "release_date": None, "popularity": None}
    assert second == {"id": 7, "title": None, "release_date": "2020-01-02", "popularity": 3.5}
    assert result["total_results"] is None


@pytest.mark.parametrize("token", ["eyJhbGciOiJIUzI1NiJ9.head\nsecret-tail-after-newline",
                                   "key with spaces-secret-tail", "key\x7fsecret-tail", "key\tsecret-tail", "kéy-secret-tail"])
def test_a_malformed_key_is_refused_and_never_printed(token, tmp_path):
    with pytest.raises(MarqueeError) as caught:
        classify(token, "the environment")
    assert "secret-tail" not in str(caught.value) and "eyJ" not in str(caught.value)
    proc = run_cli(["tmdb", "check"], {"TMDB_BEARER_TOKEN": token, "TMDB_API_KEY": "", "MARQUEE_DATA_DIR": str(tmp_path),
                                       "TMDB_API_BASE": "http://127.0.0.1:9/3"})
    line = assert_one_line_error(proc, "cannot have")
    assert "secret-tail" not in proc.stderr + proc.stdout and "eyJ" not in line


def _listeners(port: int) -> list[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as handle:
            next(handle)
            for line in handle:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:
                    found.append(address)
    return found


def test_the_project_config_binds_localhost_and_sends_no_statistics(tmp_path):
    settings = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["server"]["address"] == "127.0.0.1"
    assert settings["browser"]["gatherUsageStats"] is False
    assert settings["client"]["showErrorDetails"] in ("type", "none")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "MARQUEE_DATA_DIR": str(tmp_path / "data"), "MARQUEE_ARTIFACTS_DIR": str(tmp_path / "art")}
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not _listeners(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        listening = _listeners(port)
        assert listening, "the app server did not start"
        assert set(listening) == {"0100007F"}, f"listening on {listening}, expected 127.0.0.1 only"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
