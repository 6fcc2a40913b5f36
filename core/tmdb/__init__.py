"""TMDb downloader.

- ``client``: async httpx client (retries, backoff with jitter, 429 + Retry-After, key scrubbing) and
  ``check_key``, the smoke test; ``limiter``: adaptive pacing under TMDb's per-IP ceilings.
- ``credentials``: where the key comes from and the host allow-list it may travel to.
- ``windowing``: recursive discover windows past the 500-page cap; ``checkpoint``: the work folder.
- ``mapping``: TMDb JSON to the canonical tables; ``crawl``: ``discover``, ``backfill``, ``sync``.
- ``jobs``: background crawls for the Download page; ``cli``: ``python -m core tmdb …``.
- ``testserver`` / ``fakefilms``: a TMDb-compatible server for tests, benchmarks and demos.

The public names below are loaded on first use (PEP 562), so that importing the package — and
starting the test server — does not load pandas.
"""
from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Connection", "CrawlOptions", "date_presets", "discover", "backfill", "sync",
    "check_key", "TMDbError", "AuthError", "Unreachable",
    "Credentials", "find_credentials", "api_base", "fingerprint", "allowed_hosts", "DEFAULT_API_BASE", "ENV_BASE",
    "CrawlJob", "start_job", "get_job", "latest_job", "resume_job",
]

_HOME = {
    "Connection": "crawl", "CrawlOptions": "crawl", "date_presets": "crawl", "discover": "crawl",
    "backfill": "crawl", "sync": "crawl",
    "check_key": "client", "TMDbError": "client", "AuthError": "client", "Unreachable": "client",
    "Credentials": "credentials", "find_credentials": "credentials", "api_base": "credentials",
    "fingerprint": "credentials", "allowed_hosts": "credentials", "DEFAULT_API_BASE": "credentials",
    "ENV_BASE": "credentials",
    "CrawlJob": "jobs", "start_job": "jobs", "get_job": "jobs", "latest_job": "jobs", "resume_job": "jobs",
}
_RENAMED = {"resume_job": "resume"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'core.tmdb' has no attribute {name!r}")
    module = importlib.import_module(f"core.tmdb.{_HOME[name]}")
    return getattr(module, _RENAMED.get(name, name))
