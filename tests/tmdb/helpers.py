"""Helpers shared by the TMDb downloader tests."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.tmdb.crawl import Connection, CrawlOptions
from core.tmdb.testserver import DEFAULT_TEST_KEY, TMDbTestServer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAST = dict(timeout=1.0, backoff_base=0.02, max_rate=2000.0)


def connection(server: TMDbTestServer, key: str = DEFAULT_TEST_KEY) -> Connection:
    return Connection(api_key=key, base_url=server.base_url)


def options(**changes) -> CrawlOptions:
    return CrawlOptions(**{**FAST, "concurrency": 8, "batch_size": 50, **changes})


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=PROJECT_ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)


def cli_env(server: TMDbTestServer, data_dir: Path, key: str = DEFAULT_TEST_KEY) -> dict[str, str]:
    return {"TMDB_API_BASE": server.base_url, "TMDB_API_KEY": key, "MARQUEE_DATA_DIR": str(data_dir),
            "TMDB_BEARER_TOKEN": ""}
