"""The API under a real uvicorn on 127.0.0.1 (``python -m core serve``), and the bind rules."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.conftest import PROJECT_ROOT

KEY = "uvicorn-test-key-" + "7" * 16


def _env(**extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **extra}
    env.pop("MARQUEE_API_KEYS", None)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def server(api_catalog):
    """``python -m core serve --port 0`` with an API key; yields (base URL, captured output)."""
    process = subprocess.Popen([sys.executable, "-m", "core", "serve", "--port", "0"], cwd=PROJECT_ROOT,
                               env=_env(MARQUEE_API_KEYS=KEY, MARQUEE_API_MAX_BODY="65536"),  # the 413s below
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            match = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", line)
            if match:
                url.append(match.group(1))
                found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not found.wait(300):  # generous: imports take long on a loaded machine
            pytest.fail("the server did not start within 300 s:\n" + "".join(lines[-30:]))
        yield url[0], lines
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)
        reader.join(10)


def test_every_endpoint_and_bad_input_over_http(server, api_catalog):
    base, lines = server
    headers = {"X-API-Key": KEY}
    with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
        assert client.get("/health").json()["status"] == "ok"
        assert api_catalog in [c["name"] for c in client.get("/catalogs").json()]
        assert any(m["kind"] == "search-index" for m in client.get("/models").json())
        hits = client.post("/search", json={"catalog": api_catalog, "query": "space station", "k": 3})
        assert hits.status_code == 200 and len(hits.json()["results"]) == 3
        refusals = [
            (client.post("/search", json={"query": "x", "catalog": "nope"}), 404, "catalog"),
            (client.post("/search", json={"query": "x", "k": 0}), 422, "k"),
            (client.post("/search", json={"query": "x", "k": "ten"}), 422, "k"),
            (client.post("/search", json={"query": "x" * 10_000}), 422, "query"),
            (client.post("/search", content='{"query": "x", "mmr_lambda": NaN}',
                         headers={"content-type": "application/json"}), 422, "mmr_lambda"),
            (client.post("/search", content=b'{"query": "' + b"x" * 200_000 + b'"}',
                         headers={"content-type": "application/json"}), 413, "body"),
            (client.post("/search", content=(b" " * 1000 for _ in range(200)),
                         headers={"content-type": "application/json"}), 413, "body"),
        ]
        for response, status, field in refusals:
            assert response.status_code == status, response.text
            assert response.json()["field"] == field
        assert client.get("/catalogs", headers={"X-API-Key": "wrong-key-wrong-key"}).status_code == 401
    assert httpx.get(base + "/catalogs", timeout=60).status_code == 401
    time.sleep(0.5)
    log = "".join(lines)
    assert "POST /search" in log  # the access log is there, the key is not
    assert KEY not in log


def run_cli(*args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=PROJECT_ROOT, env=_env(**env),
                          capture_output=True, text=True, timeout=600)


def test_non_loopback_bind_needs_api_keys():
    result = run_cli("serve", "--host", "0.0.0.0", "--port", "8123")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "MARQUEE_API_KEYS" in result.stderr, result.stderr
    short = run_cli("serve", "--host", "0.0.0.0", "--port", "8123", MARQUEE_API_KEYS="short-secret")
    assert short.returncode == 2 and "key #1" in short.stderr and "short-secret" not in short.stderr
    bad_port = run_cli("serve", "--port", "70000")
    assert bad_port.returncode == 2 and "--port" in bad_port.stderr


def test_loopback_rule():
    from core.service.settings import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.1.2.3")
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.com", "192.168.1.2"))
