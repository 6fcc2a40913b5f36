"""Films per second of the TMDb downloader against the test server at realistic latency.

The server runs in its own process (``python -m core.tmdb.testserver``) with 30–80 ms latency
and TMDb's CDN ceiling of 50 requests/s (``429`` + ``Retry-After: 1`` above it). For each
concurrency level a full ``discover`` (listing + details with credits) is timed twice:

* ``default``: the client's own pacing (45 requests/s ceiling) — how fast it goes politely;
* ``push``: the client's ceiling raised to 100 requests/s, so only the server's 429s hold it
  back — shows the adaptive limiter backing off and how close it settles to 50 requests/s.

    python benchmarks/bench_tmdb.py [--films 600] [--levels 1 2 4 8 16 20]

Results: ``benchmarks/results/tmdb.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.tmdb import crawl  # noqa: E402
from core.tmdb.credentials import host_port  # noqa: E402
from core.tmdb.testserver import DEFAULT_TEST_KEY  # noqa: E402

SERVER_LIMIT = 50.0
LATENCY = (0.03, 0.08)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, films: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "core.tmdb.testserver", "--port", str(port), "--films", str(films),
         "--start", "2020-01-01", "--end", "2020-12-31", "--rate-limit", str(SERVER_LIMIT), "--retry-after", "1",
         "--latency", str(LATENCY[0]), str(LATENCY[1])], cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("test server did not start")


def run_once(base_url: str, data_dir: Path, name: str, concurrency: int, max_rate: float) -> dict:
    options = crawl.CrawlOptions(concurrency=concurrency, max_rate=max_rate, batch_size=100)
    os.environ["TMDB_ALLOWED_HOSTS"] = host_port(base_url)  # the local server is allow-listed, as an operator would
    started = time.monotonic()
    result = crawl.discover(name, "2020-01-01", "2020-12-31", connection=crawl.Connection(DEFAULT_TEST_KEY, base_url=base_url),
                            options=options, data_dir=data_dir)
    elapsed = time.monotonic() - started
    manifest = json.loads((data_dir / name / "manifest.json").read_text())
    client = manifest["report"]["client"]
    films = result["counts"]["movies"]
    answered = client["requests"] - client["throttled"]
    return {"concurrency": concurrency, "client_ceiling": max_rate, "films": films, "seconds": round(elapsed, 2),
            "films_per_second": round(films / elapsed, 2), "requests": client["requests"],
            "throttled_429": client["throttled"], "retries": client["retries"],
            "answered_per_second": round(answered / elapsed, 2),
            "share_of_server_limit": round(answered / elapsed / SERVER_LIMIT, 3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--films", type=int, default=600, help="films on the server (all in 2020)")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2, 4, 8, 16, 20])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "tmdb.json")
    args = parser.parse_args(argv)
    port = free_port()
    server = start_server(port, args.films)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for mode, ceiling in (("default", crawl.DEFAULT_RATE), ("push", 100.0)):
                for level in args.levels:
                    time.sleep(1.5)  # let the server's token bucket refill between runs
                    row = {"mode": mode, **run_once(f"http://127.0.0.1:{port}/3", Path(tmp), f"b{mode}{level}",
                                                    level, ceiling)}
                    rows.append(row)
                    print(f"{mode:8} c={level:>2}  {row['films_per_second']:6.1f} films/s  "
                          f"{row['answered_per_second']:5.1f} answered req/s ({100 * row['share_of_server_limit']:.0f}% "
                          f"of {SERVER_LIMIT:g})  429s={row['throttled_429']:<4} {row['seconds']:.1f}s", flush=True)
    finally:
        server.terminate()
        server.wait(10)
    payload = {"benchmark": "tmdb downloader", "server": {"rate_limit": SERVER_LIMIT, "latency_s": LATENCY,
                                                          "films": args.films, "process": "separate"},
               "note": "each film costs one details request; listing adds one request per 20 films",
               "runs": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
