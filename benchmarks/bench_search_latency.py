"""Hybrid query latency on the full Wikipedia catalog (~36,000 films) without a full re-embed.

``bench_search.py`` embeds all 36k documents (10+ minutes of both cores). When that embedding
cache is not at hand, this measures only **latency**, which does not depend on what the document
vectors hold: the real 36k documents, the real BM25 over them, the real query understanding and the
real model encoding every query (model loaded, query vectors not cached), with the document (and
plot passage) vectors replaced by seeded random unit vectors of the model's dimension. Quality
figures never come from this index.

    nice -n 19 python benchmarks/bench_search_latency.py --out benchmarks/results/search_latency.json
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
sys.path.insert(0, str(ROOT / "benchmarks"))


def _time_rerank_step(searcher) -> list[float]:
    """Milliseconds of each re-rank step (the features of the top ``depth`` + the model's order),
    collected while the timed queries run (wraps the two calls of Searcher._learned_order)."""
    import core.search.engine as engine

    step: list[float] = []
    features, order = engine.candidate_features, searcher.reranker.order

    def timed_features(*a, **k):
        started = time.perf_counter()
        out = features(*a, **k)
        step.append((time.perf_counter() - started) * 1000)
        return out

    def timed_order(X):
        started = time.perf_counter()
        out = order(X)
        step[-1] += (time.perf_counter() - started) * 1000
        return out

    engine.candidate_features, searcher.reranker.order = timed_features, timed_order
    return step


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("~/.cache/marquee-bench-search").expanduser())
    parser.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--passage-words", type=int, default=None,
                        help="also time with plot passages of this size (default: the index default, if on)")
    parser.add_argument("--reranker", type=Path,
                        help="a saved SearchReranker folder (e.g. the slice's, from bench_search_rerank.py): "
                             "also time hybrid with the learned re-ranker on the passages index (cost only)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "search_latency.json")
    args = parser.parse_args()
    from bench_search import LATENCY_QUERIES, _setup_env, import_catalog

    _setup_env(args.work)
    from core.catalog import store
    from core.search.documents import PASSAGE_WORDS, build_documents, passages
    from core.search.embeddings import Encoder
    from core.search.engine import Searcher, SearchParams
    from core.search.index import assemble_index

    report = {"note": "latency only: real documents, BM25, query understanding and query encoding; "
                      "document vectors are random (no quality figure from this index)",
              "machine": {"cpus": os.cpu_count(), "load_1min_start": round(os.getloadavg()[0], 1)}}
    report["catalog"] = import_catalog(args.shared_data)
    documents = build_documents(store.load_catalog("wiki", verify=False, tables=("movies", "people", "credits")))
    encoder = Encoder()
    rng = np.random.default_rng(0)

    def unit(n):
        v = rng.standard_normal((n, encoder.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    variants = {"documents only": 0}
    words = PASSAGE_WORDS if args.passage_words is None else args.passage_words
    if words:
        variants[f"with plot passages ({words} words)"] = words
    vectors = unit(len(documents))
    report["latency"] = {}
    for name, words in variants.items():
        table = passages(documents, words) if words else None
        pv = unit(len(table)) if table is not None and len(table) else None
        pr = table["row"].to_numpy(dtype=np.int64) if pv is not None else None
        searcher = Searcher(assemble_index(documents, vectors, passage_vectors=pv, passage_rows=pr), encoder)
        out = {"documents": len(documents), "passages": 0 if pv is None else len(pv)}
        runs = [(m, SearchParams(method=m, k=10, min_score=0.0)) for m in ("retrieval", "bm25", "hybrid")]
        if args.reranker and pv is not None:
            from core.search.learned import SearchReranker

            searcher.reranker = SearchReranker.load(args.reranker)
            started = time.perf_counter()
            searcher.fielded_bm25
            out["fielded_bm25_fit_seconds"] = round(time.perf_counter() - started, 2)
            runs = [(m, SearchParams(method=m, k=10, min_score=0.0, learned_rerank=False)) for m in ("retrieval", "bm25", "hybrid")]
            runs.append(("hybrid + learned re-ranker", SearchParams(k=10, min_score=0.0)))
            step_ms = _time_rerank_step(searcher)
        for method, params in runs:
            searcher.search(LATENCY_QUERIES[0], params)
            seconds = []
            for r in range(args.repeats):
                for q in LATENCY_QUERIES:
                    searcher.forget_queries()
                    started = time.perf_counter()
                    searcher.search(q if r == 0 else f"{q} {r}", params)
                    seconds.append(time.perf_counter() - started)
            ms = np.asarray(seconds) * 1000
            out[method] = {"p50_ms": round(float(np.percentile(ms, 50)), 2),
                           "p95_ms": round(float(np.percentile(ms, 95)), 2), "n": len(ms)}
            print(name, method, out[method], flush=True)
        if args.reranker and pv is not None:
            out["re-rank step alone (features + predict), ms"] = {
                "p50": round(float(np.percentile(step_ms, 50)), 2), "p95": round(float(np.percentile(step_ms, 95)), 2),
                "n": len(step_ms), "depth": int(searcher.reranker.depth)}
        report["latency"][name] = out
    report["machine"]["load_1min_end"] = round(os.getloadavg()[0], 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
