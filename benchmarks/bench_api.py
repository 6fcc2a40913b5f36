"""HTTP API benchmark: search and casting latency in-process and under a loopback load test.

Setup (in a work folder, default ``~/.cache/marquee-bench-api``; never ``data/`` or ``artifacts/``):
the synthetic demo catalog (``--films``, default 1,000), its search index (embeddings cached in
the work folder) and its casting model.

* **in-process**: one client, the app called through ``fastapi.testclient`` (no sockets), model
  and index loaded first; ``--requests`` searches (every query distinct, so each is encoded) and
  briefs, p50/p95;
* **loopback load**: ``python -m core serve`` on 127.0.0.1 (a real uvicorn), ``--clients``
  concurrent clients (default 8) for ``--seconds`` (default 30), each alternating a search (query
  and method drawn from fixed lists) and a casting brief (year and genre drawn); p50/p95 per
  endpoint, throughput, and every non-200 answer or transport failure counted as an error.

Results: ``benchmarks/results/api.json`` (with the machine's load average, which dominates the
figures on a shared 2-core machine). Run: ``python benchmarks/bench_api.py [--films 1000]``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "api.json"
sys.path.insert(0, str(ROOT))

CATALOG = "benchapi"
WORDS = ["space", "heist", "love", "war", "detective", "family", "ghost", "robot", "island", "revenge", "school",
         "winter", "desert", "music", "king", "river", "train", "doctor", "secret", "city"]
METHODS = ["hybrid", "bm25", "retrieval", "hybrid", "blend"]


def queries(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        query = " ".join(rng.sample(WORDS, 3)) + f" {rng.choice(['film', 'story', 'drama', 'thriller'])}"
        if query not in out:
            out.append(query)
    return out


def percentiles(seconds: list[float]) -> dict:
    if not seconds:
        return {"n": 0}
    ms = np.asarray(seconds) * 1000
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1), "mean_ms": round(float(ms.mean()), 1),
            "max_ms": round(float(ms.max()), 1)}


def setup(work: Path, films: int) -> dict:
    os.environ["MARQUEE_DATA_DIR"] = str(work / "data")
    os.environ["MARQUEE_ARTIFACTS_DIR"] = str(work / "artifacts")
    os.environ["MARQUEE_EMBEDDING_CACHE"] = str(work / "embedding-cache")
    os.environ["MARQUEE_LABELS_URL"] = str(work / "labels.db")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from core.casting import brief_options, get_model
    from core.catalog import build_demo_catalog, catalog_exists, load_catalog, read_manifest
    from core.search import Encoder, build_index, index_status

    started = time.perf_counter()
    if catalog_exists(CATALOG) and read_manifest(CATALOG).get("row_counts", {}).get("movies") != films:
        import shutil

        shutil.rmtree(work / "data" / CATALOG)
    if not catalog_exists(CATALOG):
        build_demo_catalog(CATALOG, n_movies=films)
    encoder = Encoder()
    if not index_status(CATALOG)["fresh"]:
        build_index(CATALOG, encoder=encoder)
    catalog = load_catalog(CATALOG)
    trained = get_model(catalog)  # trains and saves once, then loads
    offered = brief_options(trained)
    options = {"years": (offered["year_min"], offered["year_max"]), "genres": offered["popular_genres"]}
    return {"encoder": encoder, "options": options, "setup_s": round(time.perf_counter() - started, 1)}


def brief(rng: random.Random, options: dict) -> dict:
    low, high = options["years"]
    return {"catalog": CATALOG, "year": rng.randint(max(low, high - 10), high), "genres": [rng.choice(options["genres"])],
            "budget_musd": float(rng.choice([5, 20, 40, 80])), "n": 5}


def in_process(encoder, options: dict, requests: int) -> dict:
    from fastapi.testclient import TestClient

    from core.service import Settings, create_app

    rng = random.Random(1)
    with TestClient(create_app(Settings(), encoder=encoder)) as client:
        assert client.post("/search", json={"catalog": CATALOG, "query": "warm up", "k": 10}).status_code == 200
        assert client.post("/casting/brief", json=brief(rng, options)).status_code == 200
        search, casting, errors = [], [], 0
        for query in queries(requests, seed=2):
            started = time.perf_counter()
            ok = client.post("/search", json={"catalog": CATALOG, "query": query, "k": 10}).status_code == 200
            search.append(time.perf_counter() - started)
            errors += not ok
        for _ in range(requests):
            started = time.perf_counter()
            ok = client.post("/casting/brief", json=brief(rng, options)).status_code == 200
            casting.append(time.perf_counter() - started)
            errors += not ok
    return {"search_hybrid": percentiles(search), "casting_brief": percentiles(casting), "errors": errors}


def start_server(work: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "core", "serve", "--port", "0"], cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    found: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:
            match = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", line)
            if match:
                found.append(match.group(1))
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(600):
        process.kill()
        raise SystemExit("the server did not start within 600 s")
    return process, found[0]


def load_test(base: str, options: dict, clients: int, seconds: float) -> dict:
    import httpx

    with httpx.Client(base_url=base, timeout=600) as warm:  # load the encoder, index and casting model first
        assert warm.post("/search", json={"catalog": CATALOG, "query": "warm up", "k": 10}).status_code == 200
        assert warm.post("/casting/brief", json=brief(random.Random(0), options)).status_code == 200
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {"search": [], "casting": []}
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        rng = random.Random(100 + number)
        pool = queries(400, seed=100 + number)
        with httpx.Client(base_url=base, timeout=120) as http:
            turn = number % 2
            while time.perf_counter() < deadline:
                kind = ("search", "casting")[turn]
                turn = 1 - turn
                if kind == "search":
                    path, body = "/search", {"catalog": CATALOG, "query": rng.choice(pool), "k": 10,
                                             "method": rng.choice(METHODS)}
                else:
                    path, body = "/casting/brief", brief(rng, options)
                started = time.perf_counter()
                try:
                    status = http.post(path, json=body).status_code
                    problem = None if status == 200 else f"{kind}: HTTP {status}"
                except httpx.HTTPError as exc:
                    problem = f"{kind}: {type(exc).__name__}"
                elapsed = time.perf_counter() - started
                with lock:
                    latencies[kind].append(elapsed)
                    if problem:
                        errors[problem] = errors.get(problem, 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    total = sum(len(v) for v in latencies.values())
    return {"clients": clients, "seconds": round(wall, 1), "requests": total,
            "throughput_rps": round(total / wall, 1), "search": percentiles(latencies["search"]),
            "casting_brief": percentiles(latencies["casting"]), "errors": sum(errors.values()),
            "errors_by_kind": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("~/.cache/marquee-bench-api").expanduser())
    parser.add_argument("--films", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100, help="in-process requests per endpoint")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    ready = setup(args.work, args.films)
    result = {"benchmark": "api", "catalog": {"name": CATALOG, "films": args.films, "synthetic": True},
              "setup_s": ready["setup_s"], "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                       "load_average_before": [round(x, 1) for x in load_before]}}
    result["in_process"] = in_process(ready["encoder"], ready["options"], args.requests)
    print(json.dumps(result["in_process"]), flush=True)
    process, base = start_server(args.work)
    try:
        result["loopback"] = load_test(base, ready["options"], args.clients, args.seconds)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
    result["machine"]["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    result["targets"] = {"loopback_errors": 0, "in_process_search_p50_ms": 50,
                         "met": result["loopback"]["errors"] == 0 and result["in_process"]["search_hybrid"]["p50_ms"] < 50}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
