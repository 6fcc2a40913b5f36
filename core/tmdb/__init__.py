"""TMDb downloader.

- ``client``: async httpx client (retries, backoff with jitter, 429 + Retry-After, key scrubbing) and
  ``check_key``, the smoke test; ``limiter``: adaptive pacing under TMDb's per-IP ceilings.
- ``windowing``: recursive discover windows past the 500-page cap; ``checkpoint``: the work folder.
- ``mapping``: TMDb JSON to the canonical tables; ``crawl``: ``discover``, ``backfill``, ``sync``.
- ``jobs``: background crawls for the Download page; ``cli``: ``python -m core tmdb …``.
- ``testserver`` / ``fakefilms``: a TMDb-compatible server for tests, benchmarks and demos.

Submodules are imported directly (``from core.tmdb.crawl import discover``) so that the test
server starts without loading pandas.
"""
