"""Approximate dense index (FAISS HNSW / IVF) against the exact one on synthetic vectors.

A catalog past ~200k films switches the search index from exact ``IndexFlatIP`` to HNSW
(``core.search.index.ann_kind``). This measures, on ``--n`` synthetic 384-d unit vectors
(default 1,000,000; a mixture of 2,000 Gaussian clusters so that neighbours exist, as with real
film embeddings, rather than uniform noise where every neighbour is equally far):

* build seconds per index (the exact one is only an ``add``);
* recall@10 of each approximate index against the exact top 10 (``--queries`` queries: data
  points with noise added), and single-query latency p50/p95 (one thread, as the searcher runs);
* for HNSW several ``efSearch`` values, for IVF several ``nprobe`` values; the defaults the
  index uses are marked.

    python benchmarks/bench_search_ann.py --n 1000000 --out benchmarks/results/search-ann.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def synthetic(n: int, d: int, clusters: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, d)).astype(np.float32)
    out = np.empty((n, d), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        size = min(step, n - start)
        labels = rng.integers(0, clusters, size)
        out[start:start + size] = centres[labels] + 0.6 * rng.standard_normal((size, d)).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def timed_queries(index, queries: np.ndarray, k: int, params=None) -> tuple[np.ndarray, dict]:
    rows, seconds = [], []
    for q in queries:
        started = time.perf_counter()
        _, found = index.search(q.reshape(1, -1), k, params=params)
        seconds.append(time.perf_counter() - started)
        rows.append(found[0])
    ms = np.asarray(seconds) * 1000
    return np.asarray(rows), {"p50_ms": round(float(np.percentile(ms, 50)), 3),
                              "p95_ms": round(float(np.percentile(ms, 95)), 3)}


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return round(float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)])), 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--skip", default="", help="comma-separated: hnsw,ivf")
    args = parser.parse_args()
    import faiss

    from core.search import index as search_index

    faiss.omp_set_num_threads(int(os.environ.get("MARQUEE_EMBED_THREADS", "2")))
    report = {"n": args.n, "dim": args.dim, "queries": args.queries, "k": args.k,
              "machine": {"cpus": os.cpu_count(), "load_1min_start": round(os.getloadavg()[0], 1)}}
    started = time.perf_counter()
    data = synthetic(args.n, args.dim, 2000, seed=0)
    rng = np.random.default_rng(1)
    queries = data[rng.integers(0, args.n, args.queries)] + 0.3 * rng.standard_normal((args.queries, args.dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    report["data_seconds"] = round(time.perf_counter() - started, 1)
    print("data", report["data_seconds"], flush=True)

    t = time.perf_counter()
    exact = search_index._faiss_from(data, "flat")
    build_exact = time.perf_counter() - t
    faiss.omp_set_num_threads(1)        # single queries run on one thread in the searcher
    truth, lat = timed_queries(exact, queries, args.k)
    report["flat"] = {"build_s": round(build_exact, 1), **lat, "recall@10": 1.0}
    print("flat", report["flat"], flush=True)
    del exact
    skip = set(filter(None, args.skip.split(",")))
    for kind in ("hnsw", "ivf"):
        if kind in skip:
            continue
        faiss.omp_set_num_threads(int(os.environ.get("MARQUEE_EMBED_THREADS", "2")))
        t = time.perf_counter()
        index = search_index._faiss_from(data, kind)
        build = time.perf_counter() - t
        faiss.omp_set_num_threads(1)
        sweep = {}
        values = (32, 64, 128, 256) if kind == "hnsw" else (8, 16, 32, 64)
        for value in values:
            params = (faiss.SearchParametersHNSW(efSearch=value) if kind == "hnsw"
                      else faiss.SearchParametersIVF(nprobe=value))
            found, lat = timed_queries(index, queries, args.k, params)
            default = value == (search_index.HNSW_EF_SEARCH if kind == "hnsw" else search_index.IVF_NPROBE)
            sweep[("efSearch" if kind == "hnsw" else "nprobe") + f"={value}" + (" (default)" if default else "")] = {
                "recall@10": recall(found, truth), **lat}
        report[kind] = {"build_s": round(build, 1), "sweep": sweep}
        print(kind, report[kind], flush=True)
        del index
    import resource

    report["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2, 2)
    report["load_1min_end"] = round(os.getloadavg()[0], 1)
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
