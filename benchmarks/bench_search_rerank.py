"""A learned re-ranker over the hybrid top-N, fitted on validation queries only.

On the slice and query sets of ``bench_search_quality.py`` (1990s, stemmed BM25, 40-word plot
passages, the default hybrid), each validation query's hybrid top ``--depth`` films get features:

* scores of the pipeline: fused score, text relevance, hybrid rank;
* dense: document cosine, best plot-passage cosine;
* sparse: stemmed BM25 share of the query, and per field (title, plot, people, labels) the
  share from a fielded BM25;
* query understanding: year match, genre share, language match, named-people share;
* title-word overlap (share of the query's content terms in the title);
* **prominence** (plot length, credits count, popularity percentile, vote count): these exploit
  how the query sets were built (targets are IMDb-5000 / MovieLens films, i.e. well-known ones),
  so every model is fitted and reported with and without them.

Models (logistic regression, XGBoost ``rank:pairwise``) and their hyper-parameters are chosen by
5-fold cross-validation over validation queries, folds grouped by query (MRR@10 over all
validation queries; a query whose film is not in the top N counts 0). The chosen model is then
fitted on all validation queries and the test split is read once.

    python benchmarks/bench_search_rerank.py --queries /tmp/search-eval-queries.json
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
PROMINENCE = ("log_plot_words", "log_credits", "popularity_pct", "log_votes")


def features(searcher, fielded, query: str, depth: int):
    """Rows of the hybrid top ``depth`` and their feature matrix (names, matrix)."""
    from core.search.engine import SearchParams

    params = SearchParams(k=depth, min_score=0.0)
    response = searcher.search(query, params)
    rows = np.array([searcher.row_of_movie[h.movie_id] for h in response.hits], dtype=np.int64)
    if not len(rows):
        return rows, [], np.zeros((0, 0))
    intent = searcher.analyze(query)
    if response.intent.get("corrections"):
        intent = searcher.analyzer.analyze(" ".join(response.intent["corrections"].get(w, w) for w in query.split()))
    index, docs = searcher.index, searcher.docs
    cols: dict[str, np.ndarray] = {}
    cols["score"] = np.array([h.score for h in response.hits])
    cols["relevance"] = np.nan_to_num(np.array([h.method_score if h.method_score is not None else np.nan
                                                for h in response.hits], dtype=float), nan=0.0)
    cols["inv_rank"] = 1.0 / np.arange(1, len(rows) + 1)
    if intent.dense_text:
        qvec = searcher.query_vector(intent.dense_text)
        cols["doc_cos"] = index.vectors[rows] @ qvec
        cols["film_cos"] = index.film_cosines(qvec)[rows]
    else:
        cols["doc_cos"] = cols["film_cos"] = np.zeros(len(rows))
    content = intent.content
    upper = index.bm25.upper_bound(content)
    cols["bm25_share"] = (index.bm25.scores(content)[rows] / upper) if upper > 0 else np.zeros(len(rows))
    for field, model in fielded.fields_.items():
        up = model.upper_bound(content)
        cols[f"bm25_{field}"] = (model.scores(content)[rows] / up) if up > 0 else np.zeros(len(rows))
    years = searcher.years[rows]
    low = intent.year_min if intent.year_min is not None else -np.inf
    high = intent.year_max if intent.year_max is not None else np.inf
    has_years = intent.year_min is not None or intent.year_max is not None
    cols["year_match"] = np.where(has_years, ((years >= low) & (years <= high)).astype(float), 0.0)
    cols["year_distance"] = np.where(has_years, np.nan_to_num(np.maximum(low - years, years - high).clip(0), nan=10.0), 0.0)
    if intent.genres:
        wanted = set(intent.genres)
        cols["genre_share"] = np.array([len(wanted & searcher.genre_sets[r]) / len(wanted) for r in rows])
    else:
        cols["genre_share"] = np.zeros(len(rows))
    cols["language_match"] = (np.isin(searcher.languages[rows], intent.languages).astype(float)
                              if intent.languages else np.zeros(len(rows)))
    if intent.people:
        people = set(intent.people)
        cols["people_share"] = np.array([len(people & (set(docs["cast_ids"].iat[r]) | set(docs["director_ids"].iat[r])))
                                         / len(people) for r in rows])
    else:
        cols["people_share"] = np.zeros(len(rows))
    query_terms = set(index.bm25.terms(content))
    cols["title_overlap"] = np.array([len(query_terms & set(index.bm25.terms(docs["title"].iat[r]))) / max(len(query_terms), 1)
                                      for r in rows])
    cols["log_plot_words"] = np.log1p([len(str(docs["overview"].iat[r]).split()) for r in rows])
    cols["log_credits"] = np.log1p([len(docs["cast"].iat[r]) + len(docs["directors"].iat[r]) for r in rows])
    cols["popularity_pct"] = searcher.popularity[rows]
    cols["log_votes"] = np.log1p(np.nan_to_num(searcher.votes[rows], nan=0.0))
    names = list(cols)
    return rows, names, np.column_stack([cols[n] for n in names]).astype(float)


def table(searcher, fielded, items, depth):
    out = []
    for n, item in enumerate(items):
        rows, names, X = features(searcher, fielded, item["query"], depth)
        target = searcher.row_of_movie[item["movie_id"]]
        out.append({"rows": rows, "X": X, "y": (rows == target).astype(int), "kind": item["kind"], "names": names})
        if n % 100 == 0:
            print("features", n, len(items), flush=True)
    return out


def ranks_after(groups, scorer) -> list[int | None]:
    ranks = []
    for g in groups:
        if not len(g["rows"]) or not g["y"].any():
            ranks.append(None)
            continue
        s = scorer(g)
        order = np.lexsort((np.arange(len(s)), -s))
        ranks.append(int(np.flatnonzero(g["y"][order])[0]) + 1)
    return ranks


def metrics(ranks, kinds=None) -> dict:
    out = quality.metrics(ranks)
    if kinds is not None:
        out["by_kind"] = {k: quality.metrics([r for r, q in zip(ranks, kinds) if q == k]) for k in sorted(set(kinds))}
    return out


def make_model(spec: dict):
    if spec["model"] == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(C=spec["C"], max_iter=2000))
    import xgboost

    return xgboost.XGBRanker(objective="rank:pairwise", n_estimators=spec["n_estimators"], max_depth=spec["max_depth"],
                             learning_rate=spec["learning_rate"], subsample=0.8, colsample_bytree=0.8,
                             min_child_weight=spec.get("min_child_weight", 1), random_state=0, n_jobs=1)


def fit(spec, groups, columns):
    train = [g for g in groups if len(g["rows"]) and g["y"].any()]
    X = np.vstack([g["X"][:, columns] for g in train])
    y = np.concatenate([g["y"] for g in train])
    model = make_model(spec)
    if spec["model"] == "logistic":
        model.fit(X, y)
        return lambda g: model.predict_proba(g["X"][:, columns])[:, 1]
    model.fit(X, y, group=[len(g["rows"]) for g in train])
    return lambda g: model.predict(g["X"][:, columns])


def cross_validated(spec, groups, columns, folds=5) -> dict:
    ids = np.arange(len(groups))
    fold_of = np.random.default_rng(0).permutation(len(groups)) % folds   # folds of queries
    ranks: list = [None] * len(groups)
    for f in range(folds):
        scorer = fit(spec, [groups[i] for i in ids[fold_of != f]], columns)
        held = [groups[i] for i in ids[fold_of == f]]
        for i, r in zip(ids[fold_of == f], ranks_after(held, scorer)):
            ranks[i] = r
    return metrics(ranks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--catalog", default="wiki1990s")
    parser.add_argument("--per-kind", type=int, default=150)
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--memo", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "search_rerank.json")
    args = parser.parse_args()
    started = time.perf_counter()
    from core.search.bm25 import FieldedBM25

    searcher, encoder, val, test = nm.slice_searcher(args.catalog, args.queries, args.per_kind, args.memo)
    fielded = FieldedBM25(stem=True).fit_documents(searcher.docs)
    val_groups = table(searcher, fielded, val, args.depth)
    test_groups = table(searcher, fielded, test, args.depth)
    encoder.save()
    names = val_groups[0]["names"]
    all_columns = list(range(len(names)))
    no_prominence = [i for i, n in enumerate(names) if n not in PROMINENCE]
    specs = [{"model": "logistic", "C": c} for c in (0.01, 0.1, 1.0, 10.0)]
    specs += [{"model": "xgboost", "n_estimators": n, "max_depth": d, "learning_rate": lr, "min_child_weight": w}
              for n in (100, 300) for d in (2, 4) for lr in (0.05, 0.1) for w in (1, 5)]
    report = {"catalog": args.catalog, "depth": args.depth, "features": names, "prominence_features": list(PROMINENCE),
              "queries": {"validation": len(val), "test": len(test)},
              "machine": {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 1)},
              "validation hybrid (no re-ranking)": metrics(ranks_after(val_groups, lambda g: -np.arange(len(g["rows"])))),
              "validation cross-validated": {}}
    chosen = {}
    for label, columns in (("without prominence", no_prominence), ("with prominence", all_columns)):
        grid = {}
        for spec in specs:
            key = json.dumps(spec, sort_keys=True)
            grid[key] = cross_validated(spec, val_groups, columns)
            print(label, key, grid[key], flush=True)
        best = max(grid, key=lambda k: (grid[k]["mrr"], grid[k]["recall"]))
        chosen[label] = (json.loads(best), columns)
        report["validation cross-validated"][label] = {"grid": grid, "chosen": json.loads(best), "best": grid[best]}
    # test, once: the chosen models fitted on all validation queries
    kinds = [g["kind"] for g in test_groups]
    report["test"] = {"hybrid (no re-ranking)": metrics(ranks_after(test_groups, lambda g: -np.arange(len(g["rows"]))), kinds)}
    for label, (spec, columns) in chosen.items():
        scorer = fit(spec, val_groups, columns)
        report["test"][f"re-ranked, {label}"] = metrics(ranks_after(test_groups, scorer), kinds)
        print("test", label, report["test"][f"re-ranked, {label}"], flush=True)
    report["test recall@{} of the candidates (ceiling)".format(args.depth)] = quality.metrics(
        [1 if g["y"].any() else None for g in test_groups])
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report["test"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
