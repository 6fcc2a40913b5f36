"""Search benchmark on the full Wikipedia catalog (~36,000 films).

Measures, with the model loaded once:

* full index build from an empty embedding cache, and an incremental rebuild after changing the
  overview of 1% of the films (the number of embedded documents must equal the number changed);
* p50 / p95 query latency per method (model already loaded, query vectors not cached);
* recall@10 and MRR@10 per method on generated known-item queries (held-out overview sentences);
* BM25: our scipy-sparse implementation against ``rank_bm25.BM25Okapi`` (fit time, latency,
  recall@10 / MRR@10 as the ``bm25`` candidate generator, top-10 overlap).

Everything lives in a work folder (default ``~/.cache/marquee-bench-search``), never in ``data/``
or ``artifacts/``. The full build takes 10-40 minutes on 2 cores; run it in the background:

    nohup python benchmarks/bench_search.py > benchmarks/results/search.log 2>&1 &
    python benchmarks/bench_search.py --reuse-cache     # later runs: skip the cold full build

Results: ``benchmarks/results/search.json``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "search.json"
sys.path.insert(0, str(ROOT))

LATENCY_QUERIES = [
    "a team of superheroes assembles to stop an alien invasion of new york",
    "dream heist inside the subconscious", "Tom Hanks comedy", "The Dark Knight",
    "a boy discovers he is a wizard", "french heist comedy", "western gunslinger seeks revenge",
    "romantic comedy in new york", "Meryl Streep", "silent film about a tramp",
    "astronaut stranded on mars grows potatoes", "haunted house horror", "war drama in vietnam",
    "musical about a singer's rise to fame", "detective investigates a murder in los angeles",
    "animated film about toys that come to life", "Casablanca", "science fiction robots rebel",
    "high school students prom night", "Humphrey Bogart Lauren Bacall",
]


def _setup_env(work: Path) -> None:
    os.environ["MARQUEE_DATA_DIR"] = str(work / "data")
    os.environ["MARQUEE_ARTIFACTS_DIR"] = str(work / "artifacts")
    os.environ["MARQUEE_EMBEDDING_CACHE"] = str(work / "embedding-cache")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "mean_ms": round(float(ms.mean()), 2), "n": len(ms)}


def import_catalog(shared: Path) -> dict:
    from core.catalog import store
    from core.catalog.importers.base import save_import
    from core.catalog.importers.wikipedia import import_wikipedia

    started = time.perf_counter()
    if not store.exists("wiki"):
        save_import(import_wikipedia(shared / "wikipedia-movies"), "wiki")
    return {"films": store.read_manifest("wiki")["row_counts"]["movies"], "seconds": round(time.perf_counter() - started, 2)}


def change_one_percent(seed: int = 0) -> int:
    """Append a sentence to the overview of 1% of the films and rewrite the catalog."""
    from core.catalog import store

    catalog = store.load_catalog("wiki", verify=False)
    movies = catalog.movies.copy()
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(movies), size=max(1, len(movies) // 100), replace=False)
    stamp = time.strftime("%Y%m%d%H%M%S")
    movies.loc[rows, "overview"] = movies.loc[rows, "overview"].fillna("") + f" (Edited for the benchmark {stamp}.)"
    tables = store.catalog_tables(catalog)
    tables["movies"] = movies
    store.rewrite_catalog(catalog, tables=tables)
    return len(rows)


def latency(searcher, methods: list[str], queries: list[str], repeats: int) -> dict:
    from core.search.engine import SearchParams

    out = {}
    for method in methods:
        params = SearchParams(method=method, k=10)
        searcher.search(queries[0], params)  # warm-up
        timings = []
        for r in range(repeats):
            for q in queries:
                searcher.forget_queries()  # measure the query encoding too
                started = time.perf_counter()
                searcher.search(q if r == 0 else f"{q} {r}", params)
                timings.append(time.perf_counter() - started)
        out[method] = _percentiles(timings)
        print(f"latency {method:<10} p50 {out[method]['p50_ms']:.1f} ms  p95 {out[method]['p95_ms']:.1f} ms", flush=True)
    return out


def bm25_comparison(index, items, k: int = 10) -> dict:
    """Our sparse BM25 against rank_bm25 on the same tokens, documents and queries."""
    from rank_bm25 import BM25Okapi

    from core.search.bm25 import BM25
    from core.search.evaluation import _metrics
    from core.search.fusion import top_k
    from core.search.text import terms

    texts = index.documents["text"].tolist()
    movie_ids = index.documents["movie_id"].to_numpy()
    started = time.perf_counter()
    ours = BM25().fit(texts)
    ours_fit = time.perf_counter() - started
    started = time.perf_counter()
    theirs = BM25Okapi([terms(t) for t in texts], k1=1.2, b=0.75)
    theirs_fit = time.perf_counter() - started
    results = {"ours_scipy": {"fit_s": round(ours_fit, 2)}, "rank_bm25": {"fit_s": round(theirs_fit, 2)}}
    ranks = {"ours_scipy": [], "rank_bm25": []}
    timings = {"ours_scipy": [], "rank_bm25": []}
    overlap = []
    for item in items:
        started = time.perf_counter()
        a = top_k(ours.scores(item.query), k, positive_only=True)
        timings["ours_scipy"].append(time.perf_counter() - started)
        started = time.perf_counter()
        b = top_k(np.asarray(theirs.get_scores(terms(item.query))), k, positive_only=True)
        timings["rank_bm25"].append(time.perf_counter() - started)
        overlap.append(len(set(a) & set(b)) / k)
        for name, rows in (("ours_scipy", a), ("rank_bm25", b)):
            hits = list(movie_ids[rows])
            ranks[name].append(hits.index(item.movie_id) + 1 if item.movie_id in hits else None)
    for name in results:
        results[name].update(_percentiles(timings[name]))
        results[name].update({f"{key}@{k}" if key != "n" else key: v for key, v in _metrics(ranks[name], k).items()})
    results["top10_overlap"] = round(float(np.mean(overlap)), 4)
    print("bm25", json.dumps(results), flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("~/.cache/marquee-bench-search").expanduser())
    parser.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--reuse-cache", action="store_true",
                        help="keep the embedding cache (the full build is then not cold; earlier figures are kept)")
    parser.add_argument("--eval-queries", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3, help="latency passes over the query set")
    args = parser.parse_args()
    if importlib.util.find_spec("rank_bm25") is None:  # fail now, not after the long build
        print("error: the BM25 comparison needs rank-bm25: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    _setup_env(args.work)

    from core.search.embeddings import Encoder
    from core.search.engine import Searcher
    from core.search.evaluation import evaluate, generate_known_items
    from core.search.index import assemble_index, build_index, embed_documents, index_dir, load_index
    from core.progress import StderrProgress
    from core.catalog import store

    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    report: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                                "load_average_at_start": list(os.getloadavg())}}
    report["catalog"] = import_catalog(args.shared_data)
    print("catalog", report["catalog"], flush=True)

    started = time.perf_counter()
    encoder = Encoder()
    report["model_load_s"] = round(time.perf_counter() - started, 2)
    report["machine"]["embed_threads"] = encoder.threads

    if not args.reuse_cache:
        shutil.rmtree(args.work / "embedding-cache", ignore_errors=True)
        shutil.rmtree(index_dir("wiki"), ignore_errors=True)
        _, stats = build_index("wiki", encoder=encoder, progress=StderrProgress("full build", min_interval=30))
        report["full_build"] = {**stats, "docs_per_minute": round(60 * stats["embedded"] / stats["seconds"]["embedding"], 1)}
    else:
        report["full_build"] = previous.get("full_build", {"note": "not measured in this run"})
    print("full build", report["full_build"], flush=True)

    changed = change_one_percent()
    _, stats = build_index("wiki", encoder=encoder, progress=StderrProgress("incremental", min_interval=30))
    report["incremental_build"] = {**stats, "changed_documents": changed, "embedded_equals_changed": stats["embedded"] == changed}
    print("incremental build", report["incremental_build"], flush=True)

    started = time.perf_counter()
    index = load_index("wiki")
    report["index_load_s"] = round(time.perf_counter() - started, 2)
    searcher = Searcher(index, encoder)
    methods = ["retrieval", "bm25", "hybrid", "blend", "mmr"]
    report["latency"] = latency(searcher, methods, LATENCY_QUERIES, args.repeats)

    catalog = store.load_catalog("wiki", verify=False, tables=("movies", "people", "credits"))
    items, documents = generate_known_items(catalog, n=args.eval_queries, seed=0)
    vectors, counts = embed_documents(documents, encoder)
    eval_searcher = Searcher(assemble_index(documents, vectors), encoder)
    report["eval"] = {**evaluate(eval_searcher, items, methods, k=10), "embedding": counts}
    for method, values in report["eval"]["methods"].items():
        print(f"eval {method:<10} recall@10 {values['recall']:.3f}  MRR {values['mrr']:.3f}", flush=True)
    report["bm25_implementations"] = bm25_comparison(eval_searcher.index, items)
    report["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    report["machine"]["load_average_at_end"] = list(os.getloadavg())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
