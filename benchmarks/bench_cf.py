"""Collaborative filtering on MovieLens 100K: the champion chosen by 5-fold CV, and top-N ranking
on a temporal split against popularity and the previous champion.

    python benchmarks/bench_cf.py                        # 5-fold table + temporal ranking
    python benchmarks/bench_cf.py --models svd,champion  # a subset of the candidates
    python benchmarks/bench_cf.py --skip-ranking         # only the 5-fold table
    python benchmarks/bench_cf.py --with-svdpp           # adds SVD++ (minutes per fold on 2 cores)

Every candidate sees the same seeded folds (``core.cf.kfold_indices``). Marquee models are fitted
by ``CFRecommender.fit`` and scored by its own NumPy scorer (``predict``; ``recommend`` for the
lists); Surprise models (BaselineOnly, default SVD; KNNBaseline with ``--models``) by Surprise,
as references. The champion blend's weights are fitted, per outer fold, on an inner validation
split of that fold's training ratings (never the test fold); the blend of the members fitted on
the whole training part (``CFRecommender.blend_of``) is served by ``CFRecommender``.

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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT = ("popularity", "baseline_only", "svd", "svd_tuned", "bayes_mf", "knn", "champion")
# The blends the champion row chooses between, per outer fold, on that fold's inner validation
# split (never the test fold): the previous champion's members, and the same Bayesian MF with the
# films' side information in its prior (genres, year, the catalog's IMDb votes and runtime; genres +
# year alone, bayes_side, lost to it on fold 1's inner split: 0.8899 vs 0.8868 for one chain alone).
CHAMPION_CHOICES = {"no side info": ("bayes_mf2", "knn"), "side info": ("bayes_side_imdb", "knn")}


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
    """name -> (description, factory) or, for the champion, (description, ("blend", member names))."""
    from core.cf import CHAMPION_PARAMS, MODELS, PREVIOUS_CHAMPION_PARAMS, CFRecommender
    from core.cf.params import (BAYES_CHAINS_PARAMS, BAYES_PARAMS, BAYES_SIDE_IMDB_PARAMS, BAYES_SIDE_PARAMS,
                                IMPLICIT_PARAMS, KNN_PARAMS, SVDPP_PARAMS)

    table = {name: MODELS[name] for name in ("popularity", "baseline_only", "knn_baseline", "svd")}
    table["knn_baseline"] = ("reference: Surprise KNNBaseline (item-based pearson_baseline, k=40), Surprise's scorer",
                             MODELS["knn_baseline"][1])
    table["svd_tuned"] = ("previous champion: tuned SVD averaged over 5 seeds",
                          lambda: CFRecommender(**PREVIOUS_CHAMPION_PARAMS))
    table["svdpp"] = ("SVD++ (Surprise's trainer, served by CFRecommender), default parameters",
                      lambda: CFRecommender(**SVDPP_PARAMS))
    table["implicit_als"] = (f"implicit ALS on the ratings as watch events {IMPLICIT_PARAMS}",
                             lambda: CFRecommender(**IMPLICIT_PARAMS))
    table["bayes_mf"] = (f"Bayesian MF (Gibbs) {BAYES_PARAMS}", lambda: CFRecommender(**BAYES_PARAMS))
    table["bayes_mf2"] = (f"Bayesian MF, two Gibbs chains averaged {BAYES_CHAINS_PARAMS}",
                          lambda: CFRecommender(**BAYES_CHAINS_PARAMS))
    table["bayes_side"] = (f"Bayesian MF, two chains, films' genres and year in the prior {BAYES_SIDE_PARAMS}",
                           lambda: CFRecommender(**BAYES_SIDE_PARAMS))
    table["bayes_side_imdb"] = (f"Bayesian MF, two chains, films' genres, year, IMDb votes and runtime in the prior "
                                f"{BAYES_SIDE_IMDB_PARAMS}", lambda: CFRecommender(**BAYES_SIDE_IMDB_PARAMS))
    table["knn"] = (f"item KNN with baselines, trained and served by CFRecommender {KNN_PARAMS}",
                    lambda: CFRecommender(**KNN_PARAMS))
    members = [name_of(m) for m in CHAMPION_PARAMS["members"]]
    table["served"] = (f"served champion's shape: blend of {members}, weights fitted per fold on an inner "
                       f"validation split of the training folds", ("blend", members))
    for label, choice in CHAMPION_CHOICES.items():
        table["blend " + label] = (f"blend of {list(choice)}, weights fitted per fold on its inner validation split",
                                   ("blend", list(choice)))
    table["champion"] = ("champion: per outer fold, the blend of " + " / ".join(f"{k} {list(v)}" for k, v in
                         CHAMPION_CHOICES.items()) + " with the lowest RMSE on that fold's inner validation split "
                         "(weights fitted there too), members refitted on the whole training part",
                         ("select", CHAMPION_CHOICES))
    return table


def name_of(member: dict) -> str:
    """The candidate name of a blend member's parameters (the bench fits each candidate once)."""
    from core.cf import PREVIOUS_CHAMPION_PARAMS
    from core.cf.params import (BAYES_CHAINS_PARAMS, BAYES_PARAMS, BAYES_SIDE_IMDB_PARAMS, BAYES_SIDE_PARAMS,
                                KNN_PARAMS, SVDPP_PARAMS)

    params = {k: v for k, v in member.items() if k != "weight"}
    for name, known in (("bayes_mf", BAYES_PARAMS), ("bayes_mf2", BAYES_CHAINS_PARAMS),
                        ("bayes_side", BAYES_SIDE_PARAMS), ("bayes_side_imdb", BAYES_SIDE_IMDB_PARAMS),
                        ("svd_tuned", PREVIOUS_CHAMPION_PARAMS), ("knn", KNN_PARAMS),
                        ("svdpp", SVDPP_PARAMS)):
        if params == known:
            return name
    raise SystemExit(f"blend member {params} is not one of the bench's candidates")


def cross_validate(ratings, models: list[str], table: dict, folds: int, seed: int,
                   inner_fraction: float = 0.2, films=None) -> list[dict]:
    """Every model on the same outer folds. The blend's weights are fitted, per outer fold, on an
    inner validation split (``inner_fraction`` of that fold's training ratings, members fitted on
    the rest), never on the test fold; its members are then the ones fitted on the whole
    training part, combined by ``CFRecommender.blend_of`` and scored by our serving code. A
    "select" row (the champion) fits each of its blends' weights on the inner split the same way
    and keeps, per fold, the blend with the lowest inner RMSE. ``films`` (the catalog's films
    table) goes to every Marquee model's fit (side information)."""
    from core import metrics
    from core.cf import CFRecommender, fit_blend_weights, kfold_indices
    from core.cf.evaluation import fold_summary

    def fit(factory, part):
        model = factory()
        return model.fit(part, films=films) if isinstance(model, CFRecommender) else model.fit(part)

    def blend_members(name):
        kind, spec = table[name][1]
        return [m for choice in spec.values() for m in choice] if kind == "select" else list(spec)

    ratings = ratings.reset_index(drop=True)
    blends = [name for name in models if isinstance(table[name][1], tuple)]
    inner_members = list(dict.fromkeys(m for name in blends for m in blend_members(name)))
    needed = list(dict.fromkeys(inner_members + models))
    scores = {name: [] for name in needed}
    weights_per_fold = {name: [] for name in blends}
    chosen_per_fold = {name: [] for name in blends}
    inner_rmse_per_fold = {name: [] for name in blends}
    for fold, (train_idx, test_idx) in enumerate(kfold_indices(len(ratings), folds, seed)):
        train, test = ratings.iloc[train_idx], ratings.iloc[test_idx]
        users, films_ = test["user_id"].to_numpy(), test["movie_id"].to_numpy()
        inner = {}
        if blends:  # inner validation split of this fold's training ratings (seeded per fold)
            order = np.random.default_rng(seed + 1000 + fold).permutation(len(train))
            cut = int(round(len(train) * (1 - inner_fraction)))
            inner_train, inner_valid = train.iloc[np.sort(order[:cut])], train.iloc[np.sort(order[cut:])]
            y_inner = inner_valid["rating"].to_numpy()
            for member in inner_members:
                started = time.perf_counter()
                model = fit(table[member][1], inner_train)
                inner[member] = model.predict(inner_valid["user_id"].to_numpy(), inner_valid["movie_id"].to_numpy())
                print(f"fold {fold + 1}/{folds} inner {member:<16} valid RMSE "
                      f"{metrics.rmse(y_inner, inner[member]):.4f}  "
                      f"{time.perf_counter() - started:6.1f}s", file=sys.stderr, flush=True)
        fitted = {}
        for name in needed:
            factory = table[name][1]
            started = time.perf_counter()
            if isinstance(factory, tuple):
                kind, spec = factory
                choices = spec if kind == "select" else {name: tuple(spec)}
                inner_scores, inner_weights = {}, {}
                low, high = float(train["rating"].min()), float(train["rating"].max())
                for label, members in choices.items():
                    weights = fit_blend_weights({m: inner[m] for m in members}, y_inner)
                    blended = np.clip(sum(weights[m] * inner[m] for m in members), low, high)
                    inner_scores[label], inner_weights[label] = metrics.rmse(y_inner, blended), weights
                label = min(inner_scores, key=inner_scores.get)
                weights = inner_weights[label]
                weights_per_fold[name].append(weights)
                chosen_per_fold[name].append(label)
                inner_rmse_per_fold[name].append(inner_scores)
                members = [m for m in choices[label] if weights[m] > 0]  # a blend takes positive weights
                model = CFRecommender.blend_of([fitted[m] for m in members], [weights[m] for m in members])
                fit_seconds = sum(fitted[m].fit_seconds_ for m in members)
            else:
                model = fit(factory, train)
                fit_seconds = time.perf_counter() - started
            fitted[name] = model
            predicted = model.predict(users, films_)
            predict_seconds = time.perf_counter() - started - (0 if isinstance(factory, tuple) else fit_seconds)
            scores[name].append({**metrics.accuracy(test["rating"].to_numpy(), predicted),
                                 "fit_seconds": fit_seconds, "predict_seconds": predict_seconds})
            extra = (f"  chose {chosen_per_fold[name][-1]!r} (inner {inner_rmse_per_fold[name][-1]}) weights "
                     f"{weights_per_fold[name][-1]}") if isinstance(factory, tuple) else ""
            print(f"fold {fold + 1}/{folds} {name:<18} RMSE {scores[name][-1]['rmse']:.4f}  fit {fit_seconds:6.1f}s"
                  f"{extra}", file=sys.stderr, flush=True)
    rows = [fold_summary(name, table[name][0], scores[name]) for name in needed]
    for row in rows:
        if row["model"] in weights_per_fold:
            per_fold = weights_per_fold[row["model"]]
            row["weights_per_fold"] = per_fold
            row["weights_mean"] = {m: float(np.mean([w[m] for w in per_fold if m in w]))
                                   for m in dict.fromkeys(m for w in per_fold for m in w)}
            row["chosen_per_fold"] = chosen_per_fold[row["model"]]
            row["inner_rmse_per_fold"] = inner_rmse_per_fold[row["model"]]
            row["inner_fraction"] = inner_fraction
            row["fit_seconds_note"] = "sum of the chosen members' fits on the training folds (inner fits not counted)"
    return rows


def inner_blend_params(train, seed: int = 0, inner_fraction: float = 0.2, label: str = "",
                       films=None) -> tuple[dict, dict]:
    """The champion's configuration with blend weights fitted on ``train`` only: its members are
    fitted on a seeded random ``1 - inner_fraction`` of ``train`` and the weights on the rest
    (``fit_blend_weights``), as the 5-fold table does inside each training fold. A member whose
    weight comes out 0 is left out (a blend takes positive weights). Returns (params, record)."""
    from core import metrics
    from core.cf import CHAMPION_PARAMS, CFRecommender, fit_blend_weights

    order = np.random.default_rng(seed).permutation(len(train))
    cut = int(round(len(train) * (1 - inner_fraction)))
    inner_train, inner_valid = train.iloc[np.sort(order[:cut])], train.iloc[np.sort(order[cut:])]
    members = CHAMPION_PARAMS["members"]
    predictions = {}
    for number, member in enumerate(members):
        params = {k: v for k, v in member.items() if k != "weight"}
        model = CFRecommender(**params).fit(inner_train, films=films)
        predictions[str(number)] = model.predict(inner_valid["user_id"].to_numpy(), inner_valid["movie_id"].to_numpy())
    y = inner_valid["rating"].to_numpy()
    weights = fit_blend_weights(predictions, y)
    blended = sum(weights[n] * p for n, p in predictions.items())
    fitted = [{**member, "weight": weights[str(number)]} for number, member in enumerate(members)
              if weights[str(number)] > 0]
    record = {"fitted_on": label, "train_ratings": int(len(train)), "inner_fraction": inner_fraction,
              "weights": [member["weight"] for member in fitted],
              "members": [member.get("algorithm", "svd") for member in fitted],
              "inner_valid_rmse": metrics.rmse(y, np.clip(blended, train["rating"].min(), train["rating"].max()))}
    print(f"blend weights fitted on {label} ({len(train):,} ratings): {record['weights']}  inner RMSE "
          f"{record['inner_valid_rmse']:.4f}", file=sys.stderr, flush=True)
    return {**CHAMPION_PARAMS, "members": fitted}, record


def paired_bootstrap(per_user: dict, served: str, baseline: str, n_boot: int = 2000, seed: int = 0) -> dict:
    """Mean per-user NDCG difference ``served`` − ``baseline`` over the same users, with a 95 %
    percentile interval from ``n_boot`` resamples of the users (seeded)."""
    users = sorted(per_user[served])
    diff = np.array([per_user[served][u] - per_user[baseline][u] for u in users])
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(len(diff), size=(n_boot, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {"served": served, "baseline": baseline, "users": len(users), "margin": float(diff.mean()),
            "ci95": [float(low), float(high)], "bootstrap": n_boot, "share_of_users_better": float((diff > 0).mean()),
            "share_of_users_worse": float((diff < 0).mean())}


LIST_GRID = [{"list_by": "score"}] + [{"list_by": "recent", "recent_days": d, "recent_pool": m}
                                      for d in (7, 14, 30, 60) for m in (10, 20, 50)]


def select_lists(ratings, movies, k: int, test_fraction: float = 0.2, valid_fraction: float = 0.25) -> dict:
    """Choose how the champion makes its top-k lists on a validation period: the latest
    ``valid_fraction`` of the temporal training part (the test part is never read). The champion
    is fitted once on the rest (its blend weights fitted on an inner split of that rest,
    :func:`inner_blend_params`); every list configuration of ``LIST_GRID`` is scored by NDCG@k over
    the validation users (new and returning), next to the popularity lists and implicit ALS."""
    from core import metrics
    from core.cf import IMPLICIT_PARAMS, CFRecommender, popularity_lists, split_ratings

    train_all, _ = split_ratings(ratings, "temporal", test_fraction)
    train, valid = split_ratings(train_all, "temporal", valid_fraction)
    relevance = 0.8 * float(ratings["rating"].max())
    relevant = valid[valid["rating"] >= relevance].groupby("user_id")["movie_id"].agg(set).to_dict()
    users = np.sort(np.fromiter(relevant, dtype=np.int64))
    known = set(train["user_id"].unique())
    returning = {u: r for u, r in relevant.items() if u in known}
    rows = []

    def score(name: str, lists: dict, config: dict | None) -> None:
        rows.append({"list": name, "config": config, f"ndcg@{k}": metrics.ndcg_at_k(lists, relevant, k),
                     f"precision@{k}": metrics.precision_at_k(lists, relevant, k),
                     f"returning_ndcg@{k}": metrics.ndcg_at_k(lists, returning, k),
                     "coverage": metrics.catalog_coverage(lists, len(movies)),
                     "personalization": metrics.personalization(lists)})
        print(f"validation {name:<34} NDCG@{k} {rows[-1][f'ndcg@{k}']:.4f}  returning "
              f"{rows[-1][f'returning_ndcg@{k}']:.4f}  coverage {rows[-1]['coverage']:.3f}", file=sys.stderr, flush=True)

    score("most-rated", popularity_lists(train, users, k, "most-rated"), None)
    for days in (7, 14, 30, 60):
        score(f"recent-most-rated-{days}d", popularity_lists(train, users, k, "recent-most-rated", days), None)
    als = CFRecommender(**IMPLICIT_PARAMS).fit(train)
    score("implicit_als", als.recommend(train, user_ids=users, n=k).groupby("user_id")["movie_id"].agg(list).to_dict(),
          None)
    started = time.perf_counter()
    params, weights = inner_blend_params(train, label="the part before the validation period", films=movies)
    champion = CFRecommender(**params).fit(train, films=movies)
    print(f"validation: champion fitted in {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    for config in LIST_GRID:
        for name, value in config.items():
            setattr(champion, name, value)
        champion.set_recent(train)
        lists = champion.recommend(train, user_ids=users, n=k).groupby("user_id")["movie_id"].agg(list).to_dict()
        score("champion " + " ".join(f"{n}={v}" for n, v in config.items()), lists, config)
    best = max((row for row in rows if row["config"] is not None), key=lambda row: row[f"ndcg@{k}"])
    return {"train_ratings": int(len(train)), "valid_ratings": int(len(valid)), "users": int(len(users)),
            "users_returning": int(len(returning)), "k": k, "relevance": relevance,
            "chosen": best["config"], "blend_weights": weights, "table": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", help=f"comma-separated subset of the candidates (default {','.join(DEFAULT)})")
    parser.add_argument("--with-svdpp", action="store_true")
    parser.add_argument("--skip-ranking", action="store_true")
    parser.add_argument("--skip-cv", action="store_true", help="only the temporal ranking")
    parser.add_argument("--ranking-models", default="svd_tuned,implicit_als",
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
    rows = [] if args.skip_cv else cross_validate(ratings, models, table, args.folds, args.seed, films=movies)
    result["models"] = rows
    print(f"\n{'model':<18}{'RMSE':>8}{'±':>7}{'MAE':>8}{'R²':>8}{'fit s':>8}{'pred s':>8}")
    for row in rows:
        print(f"{row['model']:<18}{row['rmse']:>8.4f}{row['rmse_std']:>7.4f}{row['mae']:>8.4f}{row['r2']:>8.4f}"
              f"{row['fit_seconds']:>8.1f}{row['predict_seconds']:>8.2f}  {row['description']}")
    if not args.skip_ranking:
        ranked = [m.strip() for m in args.ranking_models.split(",") if m.strip()]
        from core.cf import CFRecommender, split_ratings
        selection = select_lists(ratings, movies, args.k)
        result["list_selection"] = selection
        chosen = selection["chosen"]
        # every weight from ratings before the test period: an inner split of the temporal training part
        params, weights = inner_blend_params(split_ratings(ratings, "temporal", 0.2)[0],
                                             label="the temporal training part", films=movies)
        result["ranking_blend_weights"] = weights
        # the recent-most-rated list over the chosen window and over 30 days (the one to beat before)
        windows = sorted({float(chosen["recent_days"]), 30.0} if chosen.get("recent_days") else {30.0})
        estimators = {name: table[name][1]() for name in ranked if not isinstance(table[name][1], tuple)}
        estimators["champion (lists by score)"] = CFRecommender(**{**params, "list_by": "score"})
        estimators["champion (chosen lists)"] = CFRecommender(**{**params, **chosen})
        ranking = ranking_comparison(ratings, movies, estimators, "temporal", 0.2, args.k,
                                     progress=StderrProgress("ranking"), recent_days=windows, per_user=True)
        per_user = ranking.pop("per_user_ndcg")
        ranking["served_vs_baselines"] = [paired_bootstrap(per_user, "champion (chosen lists)", baseline)
                                          for baseline in ["most-rated"] + [f"recent-most-rated-{d:g}d" for d in windows]]
        result["ranking"] = ranking
        k = args.k
        print(f"\ntemporal split (latest 20 % of ratings as test; {ranking['users_ranked']} users with a film rated "
              f">= {ranking['relevance']:g} in the test part, {ranking['users_unknown_in_train']} of them new):")
        print(f"{'list':<30}{'P@' + str(k):>8}{'R@' + str(k):>8}{'NDCG@' + str(k):>9}{'cover':>8}{'divers':>8}"
              f"{'person':>8}   returning users ({ranking['users_returning']}): P@{k} NDCG@{k}")
        for name, row in ranking["models"].items():
            print(f"{name:<30}{row[f'precision@{k}']:>8.4f}{row[f'recall@{k}']:>8.4f}{row[f'ndcg@{k}']:>9.4f}"
                  f"{row['coverage']:>8.3f}{row['diversity']:>8.3f}{row['personalization']:>8.3f}"
                  f"   {row[f'returning_precision@{k}']:.4f} {row[f'returning_ndcg@{k}']:.4f}")
        for pair in ranking["served_vs_baselines"]:
            print(f"served lists - {pair['baseline']}: NDCG@{k} {pair['margin']:+.4f} "
                  f"[{pair['ci95'][0]:+.4f}, {pair['ci95'][1]:+.4f}] (95 %, bootstrap over {pair['users']} users)")
    result["seconds"] = round(time.perf_counter() - started, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\ntotal {result['seconds']:.0f}s; wrote {out}")


if __name__ == "__main__":
    main()
