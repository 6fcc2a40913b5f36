"""Collaborative filtering on MovieLens 100K: the champion chosen by 5-fold CV, and top-N ranking
on a temporal split against popularity and the previous champion.

    python benchmarks/bench_cf.py                        # 5-fold table + temporal ranking
    python benchmarks/bench_cf.py --models svd,champion  # a subset of the candidates
    python benchmarks/bench_cf.py --skip-ranking         # only the 5-fold table
    python benchmarks/bench_cf.py --with-svdpp           # adds SVD++ (minutes per fold on 2 cores)

Every candidate sees the same seeded folds (``core.cf.kfold_indices``). Marquee models are fitted
by ``CFRecommender.fit`` and scored by its own NumPy scorer (``predict``; ``recommend`` for the
lists); Surprise models (BaselineOnly, KNNBaseline, default SVD) by Surprise, as references. A
blend is built, per fold, from the members fitted in that fold (``FactorModel.blend``) and
served by ``CFRecommender``: it predicts exactly the weighted mean of its members (tested).

Reads ``../shared/data/ml-100k`` through the MovieLens importer (``MARQUEE_SHARED_DATA``
overrides), prints the tables and writes ``benchmarks/results/cf.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT = ("popularity", "baseline_only", "knn_baseline", "svd", "svd_tuned", "bayes_mf", "champion")


def load_movielens():
    from core.catalog.importers.movielens import import_movielens
    from core.config import shared_data_dir

    folder = shared_data_dir() / "ml-100k"
    if not folder.exists():
        raise SystemExit(f"MovieLens 100K not found at {folder}")
    tables = import_movielens(folder).tables
    return tables["ratings"][["user_id", "movie_id", "rating", "timestamp"]], tables["movies"]


def load_ratings():
    return load_movielens()[0]


def candidates() -> dict:
    """name -> (description, factory or ("blend", [(member, weight), ...]))."""
    from core.cf import CHAMPION_PARAMS, MODELS, PREVIOUS_CHAMPION_PARAMS, CFRecommender
    from core.cf.params import BAYES_PARAMS, IMPLICIT_PARAMS, SVDPP_PARAMS

    table = {name: MODELS[name] for name in ("popularity", "baseline_only", "knn_baseline", "svd")}
    table["svd_tuned"] = ("previous champion: tuned SVD averaged over 5 seeds",
                          lambda: CFRecommender(**PREVIOUS_CHAMPION_PARAMS))
    table["svdpp"] = ("SVD++ (Surprise's trainer, served by CFRecommender), default parameters",
                      lambda: CFRecommender(**SVDPP_PARAMS))
    table["implicit_als"] = (f"implicit ALS on the ratings as watch events {IMPLICIT_PARAMS}",
                             lambda: CFRecommender(**IMPLICIT_PARAMS))
    table["bayes_mf"] = (f"Bayesian MF (Gibbs) {BAYES_PARAMS}", lambda: CFRecommender(**BAYES_PARAMS))
    if CHAMPION_PARAMS.get("algorithm") == "blend":
        members = [(name_of(m), float(m["weight"])) for m in CHAMPION_PARAMS["members"]]
        table["champion"] = (f"champion: blend {members}", ("blend", members, CHAMPION_PARAMS["members"]))
    else:
        table["champion"] = ("champion configuration", lambda: CFRecommender(**CHAMPION_PARAMS))
    return table


def name_of(member: dict) -> str:
    """The candidate name of a blend member's parameters (the bench fits each candidate once)."""
    from core.cf import PREVIOUS_CHAMPION_PARAMS
    from core.cf.params import BAYES_PARAMS

    params = {k: v for k, v in member.items() if k != "weight"}
    for name, known in (("bayes_mf", BAYES_PARAMS), ("svd_tuned", PREVIOUS_CHAMPION_PARAMS)):
        if params == known:
            return name
    raise SystemExit(f"blend member {params} is not one of the bench's candidates")


def cross_validate(ratings, models: list[str], table: dict, folds: int, seed: int) -> list[dict]:

    from core import metrics
    from core.cf import CFRecommender, FactorModel, kfold_indices
    from core.cf.evaluation import fold_summary

    ratings = ratings.reset_index(drop=True)
    needed = list(dict.fromkeys([m for name in models if isinstance(table[name][1], tuple)
                                 for m, _ in table[name][1][1]] + models))
    scores = {name: [] for name in needed}
    for fold, (train_idx, test_idx) in enumerate(kfold_indices(len(ratings), folds, seed)):
        train, test = ratings.iloc[train_idx], ratings.iloc[test_idx]
        users, films = test["user_id"].to_numpy(), test["movie_id"].to_numpy()
        fitted = {}
        for name in needed:
            factory = table[name][1]
            started = time.perf_counter()
            if isinstance(factory, tuple):  # a blend of members fitted in this fold
                parts = [(fitted[m], w) for m, w in factory[1]]
                base = parts[0][0]
                blend = FactorModel.blend([p.model_ for p, _ in parts], [w for _, w in parts])
                model = CFRecommender.from_factors(
                    mu=blend.mu, bu=blend.bu, bi=blend.bi, pu=blend.pu, qi=blend.qi, user_ids=blend.user_ids,
                    item_ids=blend.item_ids, rating_scale=blend.rating_scale, user_counts=base.train_counts_,
                    item_sums=base.fallback_.sums_, item_counts=base.fallback_.counts_, algorithm="blend",
                    members=factory[2])
                fit_seconds = sum(p.fit_seconds_ for p, _ in parts)
            else:
                model = factory().fit(train)
                fit_seconds = time.perf_counter() - started
            fitted[name] = model
            predicted = model.predict(users, films)
            predict_seconds = time.perf_counter() - started - (0 if isinstance(factory, tuple) else fit_seconds)
            scores[name].append({**metrics.accuracy(test["rating"].to_numpy(), predicted),
                                 "fit_seconds": fit_seconds, "predict_seconds": predict_seconds})
            print(f"fold {fold + 1}/{folds} {name:<18} RMSE {scores[name][-1]['rmse']:.4f}  fit {fit_seconds:6.1f}s",
                  file=sys.stderr, flush=True)
    return [fold_summary(name, table[name][0], scores[name]) for name in needed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", help=f"comma-separated subset of the candidates (default {','.join(DEFAULT)})")
    parser.add_argument("--with-svdpp", action="store_true")
    parser.add_argument("--skip-ranking", action="store_true")
    parser.add_argument("--skip-cv", action="store_true", help="only the temporal ranking")
    parser.add_argument("--ranking-models", default="svd_tuned,champion,implicit_als",
                        help="models ranked on the temporal split next to the popularity lists")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "cf.json"))
    args = parser.parse_args()

    from core.cf import CHAMPION_PARAMS, ranking_comparison
    from core.progress import StderrProgress

    started = time.perf_counter()
    ratings, movies = load_movielens()
    table = candidates()
    models = [m.strip() for m in args.models.split(",")] if args.models else list(DEFAULT)
    if args.with_svdpp and "svdpp" not in models:
        models.insert(-1, "svdpp")
    unknown = [m for m in models if m not in table]
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}: choose from {', '.join(table)}")
    print(f"MovieLens 100K: {len(ratings):,} ratings, {ratings['user_id'].nunique()} users, "
          f"{ratings['movie_id'].nunique()} films; load {os.getloadavg()[0]:.1f}", flush=True)
    result = {"dataset": "ml-100k", "ratings": int(len(ratings)), "folds": args.folds, "seed": args.seed,
              "champion_params": CHAMPION_PARAMS, "target_rmse": 0.890,
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "load_at_start": os.getloadavg()[0]}}
    rows = [] if args.skip_cv else cross_validate(ratings, models, table, args.folds, args.seed)
    result["models"] = rows
    print(f"\n{'model':<18}{'RMSE':>8}{'±':>7}{'MAE':>8}{'R²':>8}{'fit s':>8}{'pred s':>8}")
    for row in rows:
        print(f"{row['model']:<18}{row['rmse']:>8.4f}{row['rmse_std']:>7.4f}{row['mae']:>8.4f}{row['r2']:>8.4f}"
              f"{row['fit_seconds']:>8.1f}{row['predict_seconds']:>8.2f}  {row['description']}")
    if not args.skip_ranking:
        ranked = [m.strip() for m in args.ranking_models.split(",") if m.strip()]
        estimators = {}
        for name in ranked:
            factory = table[name][1]
            if isinstance(factory, tuple):
                from core.cf import CFRecommender
                estimators[name] = CFRecommender(**CHAMPION_PARAMS)
            else:
                estimators[name] = factory()
        ranking = ranking_comparison(ratings, movies, estimators, "temporal", 0.2, args.k,
                                     progress=StderrProgress("ranking"))
        result["ranking"] = ranking
        k = args.k
        print(f"\ntemporal split (latest 20 % of ratings as test; {ranking['users_ranked']} users with a film rated "
              f">= {ranking['relevance']:g} in the test part, {ranking['users_unknown_in_train']} of them new):")
        print(f"{'list':<14}{'P@' + str(k):>8}{'R@' + str(k):>8}{'NDCG@' + str(k):>9}{'cover':>8}{'divers':>8}"
              f"{'person':>8}   returning users ({ranking['users_returning']}): P@{k} NDCG@{k}")
        for name, row in ranking["models"].items():
            print(f"{name:<14}{row[f'precision@{k}']:>8.4f}{row[f'recall@{k}']:>8.4f}{row[f'ndcg@{k}']:>9.4f}"
                  f"{row['coverage']:>8.3f}{row['diversity']:>8.3f}{row['personalization']:>8.3f}"
                  f"   {row[f'returning_precision@{k}']:.4f} {row[f'returning_ndcg@{k}']:.4f}")
    result["seconds"] = round(time.perf_counter() - started, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\ntotal {result['seconds']:.0f}s; wrote {out}")


if __name__ == "__main__":
    main()
