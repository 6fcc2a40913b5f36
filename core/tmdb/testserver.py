"""A TMDb-compatible HTTP server for tests, benchmarks and offline demos.

Real HTTP/1.1 with keep-alive on 127.0.0.1 (asyncio, one thread), serving a :class:`FakeFilms`
database through TMDb's v3 JSON shapes: ``/discover/movie`` (500-page cap, 20 per page),
``/movie/{id}`` (``append_to_response=credits,external_ids,keywords``), ``/movie/changes`` (at
most 14 days), ``/movie/popular``, ``/genre/movie/list``, ``/configuration/languages``.

It behaves like the real CDN where it hurts: a token-bucket rate limit answering ``429`` with
``Retry-After`` (fractional seconds allowed), and at a chosen rate ``5xx`` errors, slow answers,
dropped connections, truncated JSON and page borders that shift by one item. It counts what a
test needs to assert on: requests per endpoint, detail fetches per film, concurrent sockets.

    python -m core.tmdb.testserver --port 8765 --films 5000 --latency 0.03 0.08 --rate-limit 50
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from core.tmdb.fakefilms import GENRES, LANGUAGES, FakeFilms, FakeFilmsConfig

DEFAULT_TEST_KEY = "marquee-test-key"
FAULT_KINDS = ("500", "503", "slow", "drop", "truncate")
REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 422: "Unprocessable Entity",
           429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass
class ServerConfig:
    api_key: str = DEFAULT_TEST_KEY
    bearer_token: str | None = None
    max_pages: int = 500
    page_size: int = 20
    changes_page_size: int = 100
    rate_limit: float | None = None  # requests/s; None = unlimited
    burst: float | None = None  # token bucket size (default: one second's worth)
    retry_after: float = 1.0
    latency: tuple[float, float] = (0.0, 0.0)
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    slow_seconds: float = 2.0
    shift_rate: float = 0.0  # chance that a page starts one item early or late
    seed: int = 0


@dataclass
class ServerStats:
    requests: Counter = field(default_factory=Counter)
    detail_ids: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    throttled: int = 0
    shifted: int = 0
    open_connections: int = 0
    max_open_connections: int = 0
    connections: int = 0
    started: float = field(default_factory=time.monotonic)

    def as_dict(self) -> dict:
        return {"requests": dict(self.requests), "total_requests": sum(self.requests.values()),
                "faults": dict(self.faults), "throttled": self.throttled, "shifted": self.shifted,
                "max_open_connections": self.max_open_connections, "connections": self.connections}


class TMDbTestServer:
    """``with TMDbTestServer(films=FakeFilms(...)) as server: server.base_url``."""

    def __init__(self, films: FakeFilms | None = None, config: ServerConfig | None = None,
                 host: str = "127.0.0.1", port: int = 0):
        self.films = films or FakeFilms()
        self.config = config or ServerConfig()
        self.host, self.port = host, port
        self.stats = ServerStats()
        self._asked: Counter = Counter()  # times each request (without its key) was asked
        self._tokens = self._bucket_size()
        self._refilled = time.monotonic()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/3"

    def reset_stats(self) -> None:
        self.stats = ServerStats(open_connections=self.stats.open_connections)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "TMDbTestServer":
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="tmdb-test-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("TMDb test server did not start")
        return self

    def _run(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, self.host, self.port, backlog=256))
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        self._loop.run_until_complete(self._server.wait_closed())
        self._loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = self._thread = None

    def __enter__(self) -> "TMDbTestServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Run in the calling thread (command line use)."""
        ready = threading.Event()
        self._run(ready)

    # ------------------------------------------------------------------ HTTP
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        self.stats.open_connections += 1
        self.stats.max_open_connections = max(self.stats.max_open_connections, self.stats.open_connections)
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    break
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, _ = lines[0].split(" ", 2)
                except ValueError:
                    break
                headers = {k.strip().lower(): v.strip() for k, v in
                           (line.split(":", 1) for line in lines[1:] if ":" in line)}
                if int(headers.get("content-length", 0) or 0):
                    await reader.readexactly(int(headers["content-length"]))
                status, payload, extra, fault = await self._respond(method, target, headers)
                if fault == "drop":
                    writer.transport.abort()
                    break
                body = json.dumps(payload, separators=(",", ":")).encode()
                if fault == "truncate":
                    body = body[: max(1, len(body) // 2)]
                head_lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}",
                              "Content-Type: application/json;charset=utf-8", f"Content-Length: {len(body)}"]
                head_lines += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(head_lines) + "\r\n\r\n").encode("latin-1") + body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.stats.open_connections -= 1
            self._writers.discard(writer)
            writer.close()

    def _bucket_size(self) -> float:
        rate = self.config.rate_limit or 0
        return float(self.config.burst or max(1.0, rate))

    def _take_token(self) -> bool:
        if not self.config.rate_limit:
            return True
        now = time.monotonic()
        self._tokens = min(self._bucket_size(), self._tokens + (now - self._refilled) * self.config.rate_limit)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    async def _respond(self, method: str, target: str, headers: dict[str, str]):
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        path = parts.path[2:] if parts.path.startswith("/3/") else parts.path
        endpoint = _endpoint_name(path)
        self.stats.requests[endpoint] += 1
        chance = self._request_random(method, path, query)
        if not self._take_token():
            self.stats.throttled += 1
            return 429, _error(25, "Your request count is over the allowed limit."), \
                {"Retry-After": f"{self.config.retry_after:g}"}, None
        low, high = self.config.latency
        if high > 0:
            await asyncio.sleep(chance.uniform(low, high))
        fault = None
        if self.config.fault_rate and chance.random() < self.config.fault_rate:
            fault = chance.choice(self.config.fault_kinds)
            self.stats.faults[fault] += 1
            if fault in ("500", "503"):
                return int(fault), _error(11, "Internal error: Something went wrong, contact TMDb."), {}, None
            if fault == "slow":
                await asyncio.sleep(self.config.slow_seconds)
        if not self._authorised(query, headers):
            return 401, _error(7, "Invalid API key: You must be granted a valid key."), {}, fault
        if method != "GET":
            return 405, _error(3, "Method not allowed"), {}, fault
        status, payload = self._route(path, query, chance)
        return status, payload, {}, fault

    def _request_random(self, method: str, path: str, query: dict[str, str]) -> random.Random:
        """Latency, faults and shifts for one request, drawn from (seed, request, how often it was asked
        before): the same crawl meets the same faults however its concurrent requests interleave."""
        request = f"{method} {path}?{urlencode(sorted((k, v) for k, v in query.items() if k != 'api_key'))}"
        self._asked[request] += 1
        return random.Random(f"{self.config.seed}|{request}|{self._asked[request]}")

    def _authorised(self, query: dict[str, str], headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
            return token in {t for t in (self.config.bearer_token, self.config.api_key) if t}
        return bool(query.get("api_key")) and query.get("api_key") == self.config.api_key

    # ------------------------------------------------------------------ endpoints
    def _route(self, path: str, query: dict[str, str], chance: random.Random):
        parts = [p for p in path.split("/") if p]
        if parts == ["discover", "movie"]:
            return self._page(self.films.matching(query), query, shift_chance=chance)
        if parts == ["movie", "popular"]:
            return self._page(self.films.matching({"sort_by": "popularity.desc"}), query, shift_chance=None)
        if parts == ["movie", "changes"]:
            return self._changes(query)
        if parts == ["genre", "movie", "list"]:
            return 200, {"genres": [{"id": k, "name": v} for k, v in GENRES.items()]}
        if parts == ["configuration", "languages"]:
            return 200, [{"iso_639_1": c, "english_name": c, "name": c} for c in LANGUAGES]
        if len(parts) == 2 and parts[0] == "movie" and parts[1].isdigit():
            append = tuple(a.strip() for a in query.get("append_to_response", "").split(",") if a.strip())
            self.stats.detail_ids[int(parts[1])] += 1
            data = self.films.details(int(parts[1]), append)
            if data is None:
                return 404, _error(34, "The resource you requested could not be found.")
            return 200, data
        return 404, _error(34, "The resource you requested could not be found.")

    def _page(self, rows, query: dict[str, str], shift_chance: random.Random | None):
        try:
            page = int(query.get("page", "1"))
        except ValueError:
            page = 0
        if not 1 <= page <= self.config.max_pages:
            return 422, {"success": False, "status_code": 22, "errors": [
                f"Invalid page: Pages start at 1 and max at {self.config.max_pages}. They are expected to be an integer."]}
        size = self.config.page_size
        start = (page - 1) * size
        if shift_chance is not None and page > 1 and self.config.shift_rate and shift_chance.random() < self.config.shift_rate:
            start += shift_chance.choice((-1, 1))
            self.stats.shifted += 1
        chosen = rows[start:start + size]
        total = len(rows)
        return 200, {"page": page, "results": [self.films.list_item(int(r)) for r in chosen],
                     "total_pages": math.ceil(total / size), "total_results": total}

    def _changes(self, query: dict[str, str]):
        today = dt.datetime.now(dt.timezone.utc).date()
        try:
            start = dt.date.fromisoformat(query.get("start_date", "")[:10]) if query.get("start_date") else today - dt.timedelta(days=1)
            end = dt.date.fromisoformat(query.get("end_date", "")[:10]) if query.get("end_date") else today
            page = int(query.get("page", "1"))
        except ValueError:
            return 422, _error(47, "The input is not valid.")
        if (end - start).days > 14 or end < start:
            return 422, _error(47, "Invalid date range: Should be a range no longer than 14 days.")
        lower = dt.datetime.combine(start, dt.time(), dt.timezone.utc)
        upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
        ids = self.films.changed_between(lower, upper)
        size = self.config.changes_page_size
        chosen = ids[(page - 1) * size: page * size]
        adult = {int(i): bool(self.films.adult[self.films._index[i]]) for i in chosen}
        return 200, {"results": [{"id": i, "adult": adult[i]} for i in chosen], "page": page,
                     "total_pages": max(1, math.ceil(len(ids) / size)), "total_results": len(ids)}


def _endpoint_name(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    if len(parts) == 2 and parts[0] == "movie" and parts[1].isdigit():
        return "movie"
    return "/".join(parts) or "/"


def _error(code: int, message: str) -> dict:
    return {"success": False, "status_code": code, "status_message": message}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.tmdb.testserver", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--films", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--start", default="2000-01-01", help="first release date of the films")
    parser.add_argument("--end", default="2020-12-31", help="last release date of the films")
    parser.add_argument("--hot-day", help="a date that gets --hot-films extra films")
    parser.add_argument("--hot-films", type=int, default=0)
    parser.add_argument("--api-key", default=DEFAULT_TEST_KEY)
    parser.add_argument("--bearer-token")
    parser.add_argument("--rate-limit", type=float, help="requests per second before 429 (default: none)")
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--latency", type=float, nargs=2, default=(0.0, 0.0), metavar=("MIN", "MAX"))
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--shift-rate", type=float, default=0.0)
    parser.add_argument("--max-pages", type=int, default=500)
    args = parser.parse_args(argv)
    films = FakeFilms(FakeFilmsConfig(films=args.films, seed=args.seed, start=args.start, end=args.end,
                                      hot_day=args.hot_day, hot_films=args.hot_films))
    config = ServerConfig(api_key=args.api_key, bearer_token=args.bearer_token, rate_limit=args.rate_limit,
                          retry_after=args.retry_after, latency=tuple(args.latency), fault_rate=args.fault_rate,
                          shift_rate=args.shift_rate, max_pages=args.max_pages)
    server = TMDbTestServer(films, config, args.host, args.port)
    print(f"TMDb test server: {len(films)} films at http://{args.host}:{args.port}/3 "
          f"(test key {args.api_key!r}; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
