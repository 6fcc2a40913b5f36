"""Async TMDb API v3 client on httpx: paced by :class:`AdaptiveLimiter`, retrying with
exponential backoff and full jitter, honouring ``429`` + ``Retry-After``, never leaking the key.

Retried: time-outs, dropped connections, ``5xx``, ``408`` and bodies that are not valid JSON
(truncated responses). Not retried: ``401`` (a bad key fails at once), other ``4xx``. A ``404`` on a
film is an answer (the film was deleted) when the caller allows it.
"""
from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from core import validation
from core.errors import MarqueeError
from core.tmdb.credentials import (Credentials, api_base, host_port, install_log_redaction, load_credentials,
                                   redact)
from core.tmdb.limiter import DEFAULT_RATE, MAX_CONNECTIONS, AdaptiveLimiter

log = logging.getLogger(__name__)

DETAIL_APPEND = "credits,external_ids,keywords"


class TMDbError(MarqueeError):
    """TMDb answered with an error that retrying will not fix."""


class AuthError(TMDbError):
    """TMDb rejected the key or token (HTTP 401)."""


class Unreachable(TMDbError):
    """Retries ran out (network down, server failing); ``detail`` is the last problem seen."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail or message


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    not_found: int = 0
    failures: Counter = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def as_dict(self) -> dict[str, Any]:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return {"requests": self.requests, "retries": self.retries, "throttled": self.throttled,
                "not_found": self.not_found, "failures": dict(self.failures),
                "requests_per_second": round(self.requests / elapsed, 2)}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: seconds (fractions accepted) or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class TMDbClient:
    """``async with TMDbClient(credentials) as client: await client.movie(603)``."""

    def __init__(self, credentials: Credentials, base_url: str | None = None, *, concurrency: int = 8,
                 max_rate: float = DEFAULT_RATE, timeout: float = 15.0, max_retries: int = 6,
                 max_throttles: int = 50, backoff_base: float = 0.5, backoff_cap: float = 20.0,
                 language: str | None = None, seed: int | None = None):
        self.credentials = credentials
        self.base_url = api_base(base_url)
        self.concurrency = max(1, min(int(concurrency), MAX_CONNECTIONS))
        if concurrency > MAX_CONNECTIONS:
            log.warning("concurrency %d lowered to %d: TMDb allows about %d connections per IP",
                        concurrency, MAX_CONNECTIONS, MAX_CONNECTIONS)
        self.max_rate = max_rate
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_throttles = max_throttles
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.language = language
        self.stats = ClientStats()
        self._random = random.Random(seed)
        self._http: httpx.AsyncClient | None = None
        self.limiter: AdaptiveLimiter | None = None

    async def __aenter__(self) -> "TMDbClient":
        install_log_redaction()
        self.limiter = AdaptiveLimiter(self.max_rate, self.concurrency)
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/", headers={"Accept": "application/json", **self.credentials.headers()},
            limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency),
            timeout=httpx.Timeout(self.timeout), follow_redirects=False,
            event_hooks={"request": [self._only_to_the_api_host]})
        self.stats = ClientStats()
        return self

    async def _only_to_the_api_host(self, request: httpx.Request) -> None:
        """Last check before anything leaves: the request goes to the allow-listed API host."""
        if host_port(str(request.url)) != host_port(self.base_url):
            raise TMDbError(f"refused to send a request to {request.url.host!r}: the TMDb key only goes to the "
                            f"configured API host")

    async def __aexit__(self, *exc) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _clean(self, text: str) -> str:
        return redact(text, self.credentials.value)

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return self._random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** attempt))

    async def get(self, path: str, params: dict[str, Any] | None = None, *, allow_missing: bool = False) -> Any:
        """JSON of ``GET path``; ``None`` for a 404 when ``allow_missing``."""
        assert self._http is not None and self.limiter is not None, "use `async with TMDbClient(...)`"
        if "://" in path or path.startswith("//"):
            raise TMDbError("TMDb request paths are relative to the API base")
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if self.language and "language" not in query:
            query["language"] = self.language
        query.update(self.credentials.params())
        attempt = throttles = 0
        while True:
            problem = await self._attempt(path.lstrip("/"), query, allow_missing)
            if not isinstance(problem, _Problem):
                return problem.value
            if problem.kind == "429":
                throttles += 1
                if throttles > self.max_throttles:
                    raise Unreachable(f"TMDb kept answering 429 (too many requests) for {path} after "
                                      f"{throttles} tries; lower the concurrency or try later")
                continue  # the limiter already paused everyone for Retry-After
            attempt += 1
            self.stats.failures[problem.kind] += 1
            if attempt > self.max_retries:
                raise Unreachable(self._clean(f"TMDb request {path} failed after {attempt} tries "
                                              f"(last problem: {problem.detail}) at {self.base_url}"),
                                  self._clean(problem.detail))
            self.stats.retries += 1
            await asyncio.sleep(self._backoff(attempt))

    async def _attempt(self, path: str, query: dict[str, Any], allow_missing: bool):
        async with self.limiter:
            self.stats.requests += 1
            try:
                response = await self._http.get(path, params=query)
            except httpx.TimeoutException:
                return _Problem("timeout", f"no answer within {self.timeout:g}s")
            except httpx.TransportError as exc:
                return _Problem(type(exc).__name__, self._clean(f"{type(exc).__name__}: {exc}"))
        status = response.status_code
        if status == 200:
            try:
                value = response.json()
            except ValueError:
                return _Problem("invalid JSON", "the body was not valid JSON (truncated?)")
            self.limiter.on_success()
            return _Answer(value)
        if status == 404 and allow_missing:
            self.stats.not_found += 1
            return _Answer(None)
        if status == 429:
            self.stats.throttled += 1
            self.limiter.on_throttle(parse_retry_after(response.headers.get("Retry-After")))
            return _Problem("429", "too many requests")
        if status >= 500 or status == 408:
            return _Problem(f"HTTP {status}", f"HTTP {status}")
        message = self._clean(_status_message(response))
        if status == 401:
            raise AuthError(f"TMDb rejected the credentials ({self.credentials.describe()}): HTTP 401, "
                            f"{message.rstrip('.')}. Check TMDB_API_KEY / TMDB_BEARER_TOKEN.")
        raise TMDbError(f"TMDb answered HTTP {status} for /{path}: {message}")

    # ------------------------------------------------------------------ endpoints
    async def discover(self, params: dict[str, Any], page: int) -> dict[str, Any]:
        return await self.get("/discover/movie", {**params, "page": page})

    async def movie(self, movie_id: int, append: str = DETAIL_APPEND) -> dict[str, Any] | None:
        return await self.get(f"/movie/{int(movie_id)}", {"append_to_response": append}, allow_missing=True)

    async def changes(self, start_date: str, end_date: str, page: int) -> dict[str, Any]:
        return await self.get("/movie/changes", {"start_date": start_date, "end_date": end_date, "page": page})

    async def genres(self) -> dict[int, str]:
        data = await self.get("/genre/movie/list")
        return {int(g["id"]): g["name"] for g in data.get("genres", [])}

    async def languages(self) -> list[str]:
        data = await self.get("/configuration/languages")
        return sorted({row["iso_639_1"] for row in data if row.get("iso_639_1")})

    async def popular(self, page: int = 1) -> dict[str, Any]:
        return await self.get("/movie/popular", {"page": page})


@dataclass
class _Answer:
    value: Any


@dataclass
class _Problem:
    kind: str
    detail: str


def _status_message(response: httpx.Response) -> str:
    """TMDb's own ``status_message`` (or ``errors``), as plain one-line text; any other body is
    described, never echoed (it could be anything a server chose to send)."""
    try:
        body = response.json()
    except ValueError:
        return f"a non-JSON answer of {len(response.content):,} bytes"
    message = None
    if isinstance(body, dict):
        message = body.get("status_message")
        if message is None and isinstance(body.get("errors"), list):
            message = "; ".join(str(e) for e in body["errors"][:3] if isinstance(e, (str, int, float)))
    if not isinstance(message, str) or not message.strip():
        return "no status message"
    text = "".join(ch if ch.isprintable() else " " for ch in message)
    return " ".join(text.split())[:200]


def make_client(api_key: str | None = None, base_url: str | None = None, key_source: str = "the page",
                **options: Any) -> TMDbClient:
    """A client with credentials resolved from ``api_key``, the environment or a .env file."""
    return TMDbClient(load_credentials(api_key, key_source), base_url, **options)


def check_key(api_key: str | None = None, base_url: str | None = None, key_source: str = "the page",
              timeout: float = 10.0, count: int = 5) -> dict[str, Any]:
    """The smoke test: list a few popular films, or say plainly why that is impossible."""
    client = make_client(api_key, base_url, key_source, concurrency=1, timeout=timeout, max_retries=1,
                         backoff_base=0.2, max_throttles=3)

    async def run() -> dict[str, Any]:
        async with client:
            try:
                data = await client.popular(1)
            except Unreachable as exc:
                raise Unreachable(f"cannot reach TMDb at {client.base_url} ({exc.detail}). Check the network "
                                  "connection, or TMDB_API_BASE if you use another server.") from None
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise TMDbError("the server's answer to /movie/popular is not a TMDb film list")
        films = [_popular_row(r) for r in data["results"][:count] if isinstance(r, dict)]
        return {"ok": True, "api_base": client.base_url, "credentials": client.credentials.describe(),
                "total_results": _whole(data.get("total_results")), "films": films}

    return asyncio.run(run())


def _whole(value: Any) -> int | None:
    try:
        return validation.identifier(value, "count")
    except validation.ValidationError:
        return None


def _popular_row(row: dict[str, Any]) -> dict[str, Any]:
    """One film of the smoke test, parsed field by field (the page shows these, never raw text)."""
    title = row.get("title")
    date = row.get("release_date")
    try:
        popularity = validation.finite_float(row.get("popularity"), "popularity", low=0)
    except validation.ValidationError:
        popularity = None
    return {"id": _whole(row.get("id")),
            "title": " ".join("".join(c if c.isprintable() else " " for c in title).split())[:200]
            if isinstance(title, str) else None,
            "release_date": date if isinstance(date, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else None,
            "popularity": popularity}
