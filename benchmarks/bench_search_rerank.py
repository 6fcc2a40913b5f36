"""The learned re-ranker of the hybrid search (``core.search.learned``), chosen on validation only.

On the slice and query sets of ``bench_search_quality.py`` (1990s, stemmed BM25, 40-word plot
passages, the default hybrid). Two stages, so the test split is read once:

``--stage validation`` (validation queries only):

* candidate recall: recall@10/50/100/200 and MRR@10 of the hybrid with dense/sparse candidate
  pools of 50, 100, 200 and 400 films before fusion (the pool is ``max(dense_k, k)``, so each pool
  is read with ``k = min(pool, 200)``);
* the re-ranker (XGBoost ``rank:pairwise``, ``core.search.learned.SearchReranker``) over the hybrid
  top 50 or top 100, features from ``Searcher.candidate_features`` (the searcher's own function),
  hyper-parameters and depth chosen by 5-fold cross-validation over validation queries (folds
  grouped by query; MRR@10 over all validation queries, a query whose film is not among the
  candidates counts 0). Writes the choice into the results JSON.

``--stage final``: the chosen model fitted on all validation queries, saved in the artifact store
(``Slot("search-reranker", catalog)``, the bench's artifacts folder) and attached to the searcher;
then the test split, once: recall@10 / MRR@10 per method (dense, BM25, hybrid without and with the
re-ranker, all through ``Searcher.search``) and per query kind, and the re-rank step's cost per
query (the same queries with and without the re-ranker, query vectors memoised).

    python benchmarks/bench_search_rerank.py --queries /tmp/search-eval-queries.json --stage validation
    python benchmarks/bench_search_rerank.py --queries /tmp/search-eval-queries.json --stage final
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
import bench_search_no_match as nm  # noqa: E402
import bench_search_quality as quality  # noqa: E402

K = 10
POOLS = (50, 100, 200, 400)
DEPTHS = (50, 100)
SPECS = [{"n_estimators": n, "max_depth": d, "learning_rate": lr, "min_child_weight": w}
         for n in (100, 300) for d in (2, 4) for lr in (0.05, 0.1) for w in (1, 5)]


def rank_of(searcher, item, params) -> int | None:
    response = searcher.search(item["query"], params)
    ids = [h.movie_id for h in response.hits]
    return ids.index(int(item["movie_id"])) + 1 if int(item["movie_id"]) in ids else None


def recall_at(ranks, k) -> float:
    return round(float(np.mean([r is not None and r <= k for r in ranks])), 4)


def pools(searcher, items) -> dict:
    from core.search.engine import SearchParams

    out = {}
    for pool in POOLS:   # the pool is max(dense_k, k): k = min(pool, 200) keeps it at ``pool``
        k = min(pool, 200)
        ranks = [rank_of(searcher, item, SearchParams(k=k, dense_k=pool, sparse_k=pool, min_score=0.0,
                                                      learned_rerank=False)) for item in items]
        out[str(pool)] = {**quality.metrics(ranks), **{f"recall@{n}": recall_at(ranks, n) for n in (50, 100, 200) if n <= k}}
        print("pool", pool, out[str(pool)], flush=True)
    return out


def ranks_after(groups, scorer, depth) -> list[int | None]:
    ranks = []
    for g in groups:
        y = g["y"][:depth]
        if not y.any():
            ranks.append(None)
            continue
        s = scorer(g["X"][:depth])
        order = np.lexsort((np.arange(len(s)), -s))
        ranks.append(int(np.flatnonzero(y[order])[0]) + 1)
    return ranks


def cut(groups, depth):
    return [{**g, "rows": g["rows"][:depth], "X": g["X"][:depth], "y": g["y"][:depth]} for g in groups]


def cross_validated(spec, groups, depth, folds=5) -> dict:
    from core.search.learned import SearchReranker, fit_groups

    fold_of = np.random.default_rng(0).permutation(len(groups)) % folds   # folds of queries
    ranks: list = [None] * len(groups)
    for f in range(folds):
        model = fit_groups(SearchReranker(depth=depth, **spec), cut([g for g, h in zip(groups, fold_of) if h != f], depth))
        held = [i for i in range(len(groups)) if fold_of[i] == f]
        for i, r in zip(held, ranks_after([groups[i] for i in held], lambda X: model.predict_flagged(X).values, depth)):
            ranks[i] = r
    return quality.metrics(ranks)


def stage_validation(searcher, val, report) -> None:
    from core.search.learned import training_groups

    report["validation candidate pools (hybrid, k=200)"] = pools(searcher, val)
    groups = training_groups(searcher, val, max(DEPTHS), progress=lambda n, t: print("features", n, t, flush=True))
    report["validation hybrid (no re-ranking)"] = quality.metrics(ranks_after(groups, lambda X: -np.arange(len(X)), K))
    for depth in DEPTHS:
        report[f"validation recall@{depth} of the candidates (ceiling)"] = quality.metrics(
            [1 if g["y"][:depth].any() else None for g in groups])
    grid = {}
    for depth in DEPTHS:
        for spec in SPECS:
            key = json.dumps({"depth": depth, **spec}, sort_keys=True)
            grid[key] = cross_validated(spec, groups, depth)
            print(key, grid[key], flush=True)
    best = max(grid, key=lambda k: (grid[k]["mrr"], grid[k]["recall"]))
    report["validation cross-validated"] = {"grid": grid, "chosen": json.loads(best), "best": grid[best]}


def stage_final(searcher, val, test, report, chosen: dict, catalog: str) -> None:
    from core.search.engine import SearchParams
    from core.search.learned import SearchReranker, fit_groups, save_reranker, training_groups

    spec = dict(chosen)
    depth = spec.pop("depth")
    groups = training_groups(searcher, val, depth)
    model = fit_groups(SearchReranker(depth=depth, **spec), groups)
    version = save_reranker(model, searcher, catalog, metrics={"validation_cv_mrr": report.get("validation_cv_mrr", 0.0)},
                            note="bench_search_rerank.py: validation queries only")
    report["saved"] = {"slot": f"search-reranker/{catalog}", "version": version.name, "params": model.get_params()}
    # test, once
    kinds = [item["kind"] for item in test]
    table = {}
    methods = {"dense retrieval": dict(method="retrieval"), "BM25": dict(method="bm25"),
               "hybrid (no re-ranking)": dict(method="hybrid", learned_rerank=False),
               "hybrid + learned re-ranker (default)": dict(method="hybrid")}
    searcher.reranker = model
    for label, kw in methods.items():
        ranks = [rank_of(searcher, item, SearchParams(k=K, min_score=0.0, **kw)) for item in test]
        table[label] = {**quality.metrics(ranks), "by_kind": {
            k: quality.metrics([r for r, q in zip(ranks, kinds) if q == k]) for k in sorted(set(kinds))}}
        print("test", label, table[label], flush=True)
    report["test (read once)"] = table
    # the re-rank step's cost: same queries, vectors memoised, with and without the re-ranker
    timings = {}
    for label, on in (("without", False), ("with", True)):
        ms = []
        for item in test:
            started = time.perf_counter()
            searcher.search(item["query"], SearchParams(learned_rerank=on))
            ms.append((time.perf_counter() - started) * 1000)
        timings[label] = {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}
    report["query ms on the slice, vectors memoised (test queries)"] = timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--catalog", default="wiki1990s")
    parser.add_argument("--per-kind", type=int, default=150)
    parser.add_argument("--stage", choices=("validation", "final"), required=True)
    parser.add_argument("--memo", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "search_rerank.json")
    args = parser.parse_args()
    started = time.perf_counter()
    searcher, encoder, val, test = nm.slice_searcher(args.catalog, args.queries, args.per_kind, args.memo)
    report = json.loads(args.out.read_text()) if args.stage == "final" else {}
    if args.stage == "validation":
        report.update({"catalog": args.catalog, "queries": {"validation": len(val), "test": len(test)},
                       "features": list(__import__("core.search.learned", fromlist=["FEATURES"]).FEATURES)})
        report["machine validation"] = {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 1)}
        stage_validation(searcher, val, report)
    else:
        if "validation cross-validated" not in report:
            raise SystemExit("run --stage validation first")
        if "test (read once)" in report:
            raise SystemExit("the test split was already read for this choice (see the results JSON)")
        report["validation_cv_mrr"] = report["validation cross-validated"]["best"]["mrr"]
        report["machine final"] = {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 1)}
        stage_final(searcher, val, test, report, report["validation cross-validated"]["chosen"], args.catalog)
    encoder.save()
    report[f"seconds {args.stage}"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
