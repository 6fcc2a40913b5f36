"""The shared taste model for *new* labelers, evaluated honestly on MovieLens.

Protocol (issue 19):

* ``--test-users`` MovieLens users with at least ``--min-ratings`` ratings are drawn with a fixed
  seed and **removed from the catalog's ratings**: nothing they rated reaches the crowd,
  similarity, EASE, factor or any other feature. They are the new labelers.
* The combiner is learned only from the *other* raters, simulated as labelers fold by fold (a
  fold's signals never contain its own labelers' ratings); the combiner kind (logistic vs boosted,
  regularisation) is chosen on held-out simulated labelers, never on the test users.
* Each test user's labels (rating ≥ 4 = would watch) are split 80/20 (seeded, stratified); the
  model predicts the 20 % from the 80 %; per-user ROC-AUC against two baselines on the same 20 %:
  the crowd mean (mean rating of the remaining raters) and the catalog's vote average.
* Learning curves: AUC on the 20 % after 10, 20, 50, 100 labels taken from the 80 % in the order
  of a popular-first, a random and an uncertainty (active-learning) queue.

    python benchmarks/bench_newlabeler.py                      # ML-100K, 60 users with >= 150 ratings
    python benchmarks/bench_newlabeler.py --min-ratings 50     # users with >= 50 ratings
    python benchmarks/bench_newlabeler.py --dataset ml-latest-small

Writes ``benchmarks/results/newlabeler-<dataset>-<min ratings>.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STRATEGIES = ("popular", "random", "uncertain")


def mean_interval(values, seed: int = 0, n_boot: int = 2000) -> dict:
    """Mean with a 95 % bootstrap interval over users."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    rng = np.random.default_rng(seed)
    boots = rng.choice(values, size=(n_boot, len(values)), replace=True).mean(axis=1)
    return {"mean": float(values.mean()), "low": float(np.quantile(boots, 0.025)),
            "high": float(np.quantile(boots, 0.975)), "n": int(len(values))}


def run(dataset: str, min_ratings: int, n_test: int, seed: int, curves: bool, max_labelers: int | None) -> dict:
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from core.catalog import store
    from core.catalog.importers.base import save_import
    from core.catalog.importers.movielens import import_movielens
    from core.config import shared_data_dir
    from core.personal.features import content_features
    from core.personal.shared import (SharedTasteModel, choose_combiner, fit_combiner, labeler_blocks, queue_curve,
                                      simulate_catalog)
    from core.personal.signals import LIKE_THRESHOLD, build_signals

    name = f"bench_{dataset.replace('-', '_')}"
    if not store.exists(name):
        save_import(import_movielens(shared_data_dir() / dataset), name)
    catalog = store.load_catalog(name, verify=False)
    ratings, movies = catalog.ratings, catalog.movies
    t0 = time.perf_counter()
    content = content_features(catalog)
    counts = ratings.groupby("user_id").size()
    eligible = np.array(sorted(int(u) for u in counts[counts >= min_ratings].index))
    rng = np.random.default_rng(seed)
    test_users = np.sort(rng.choice(eligible, size=min(n_test, len(eligible)), replace=False))
    train_ratings = ratings[~ratings["user_id"].isin(test_users)]
    assert not set(train_ratings["user_id"]) & set(test_users)

    print(f"{dataset}: simulating labelers from {train_ratings['user_id'].nunique()} raters "
          f"({len(test_users)} test users held out)", file=sys.stderr, flush=True)
    rows = simulate_catalog(train_ratings, movies, content, max_labelers=max_labelers, seed=seed)
    spec, selection = choose_combiner(rows, seed=seed)
    print(f"  combiner selection on held-out simulated labelers:\n{selection.to_string(index=False)}",
          file=sys.stderr, flush=True)
    combiner = fit_combiner(rows, spec["kind"], spec.get("C") or 1.0, seed)
    signals = build_signals(train_ratings, movies, content=content, seed=seed)
    model = SharedTasteModel.from_parts(combiner, signals)
    fit_seconds = time.perf_counter() - t0

    votes = pd.to_numeric(movies.set_index("movie_id")["vote_average"], errors="coerce")
    has_votes = votes.notna().any()
    popularity = train_ratings.groupby("movie_id").size().astype(float)
    per_user, curve_rows = [], []
    for user_id in test_users:
        mine = ratings[ratings["user_id"] == user_id]
        ids = mine["movie_id"].to_numpy(dtype=np.int64)
        liked = (mine["rating"].to_numpy(dtype=float) >= LIKE_THRESHOLD).astype(int)
        blocks = labeler_blocks(liked, 5, np.random.default_rng(seed + int(user_id)))
        test, pool = blocks == 0, blocks != 0
        if liked[test].min() == liked[test].max():
            continue
        p = model.predict_flagged(ids[pool], liked[pool], ids[test], signals=signals).values
        crowd = signals.crowd[signals.positions(ids[test]), 0]
        row = {"user_id": int(user_id), "n_ratings": int(len(ids)), "n_known": int(pool.sum()), "n_test": int(test.sum()),
               "positive_rate": float(liked.mean()), "model_auc": float(roc_auc_score(liked[test], p)),
               "crowd_mean_auc": float(roc_auc_score(liked[test], crowd))}
        if has_votes:
            v = votes.reindex(ids[test])
            row["vote_average_auc"] = float(roc_auc_score(liked[test], v.fillna(votes.median()).to_numpy()))
        per_user.append(row)
        if curves:
            for strategy in STRATEGIES:
                aucs = queue_curve(model, signals, ids[pool], liked[pool], ids[test], liked[test], strategy,
                                   popularity=popularity, seed=seed + int(user_id))
                curve_rows += [{"user_id": int(user_id), "strategy": strategy, "n_labels": n, "auc": a}
                               for n, a in aucs.items()]
    frame = pd.DataFrame(per_user)
    lift = frame["model_auc"] - frame["crowd_mean_auc"]
    summary = {
        "dataset": dataset, "catalog": name, "min_ratings": min_ratings, "seed": seed,
        "eligible_users": int(len(eligible)), "test_users": int(len(frame)),
        "training_raters": int(train_ratings["user_id"].nunique()),
        "simulated_labelers": int(rows["user_id"].nunique()), "training_rows": int(len(rows)),
        "combiner": spec, "selection": selection.to_dict("records"),
        "model_auc": mean_interval(frame["model_auc"], seed),
        "crowd_mean_auc": mean_interval(frame["crowd_mean_auc"], seed),
        "vote_average_auc": mean_interval(frame["vote_average_auc"], seed) if has_votes else None,
        "lift_over_crowd": mean_interval(lift, seed),
        "share_users_above_crowd": float((lift > 0).mean()),
        "share_users_above_vote_average": float((frame["model_auc"] > frame["vote_average_auc"]).mean()) if has_votes else None,
        "fit_seconds": round(fit_seconds, 1),
        "per_user": frame.round(4).to_dict("records"),
    }
    if curves and curve_rows:
        curve = pd.DataFrame(curve_rows)
        table = curve.groupby(["strategy", "n_labels"])["auc"].agg(["mean", "count"]).reset_index()
        summary["learning_curve"] = table.round(4).to_dict("records")
        means = curve.groupby("strategy")["auc"].mean()
        summary["fastest_queue"] = str(means.idxmax())
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k", choices=["ml-100k", "ml-latest-small"])
    parser.add_argument("--min-ratings", type=int, default=150)
    parser.add_argument("--test-users", type=int, default=60)
    parser.add_argument("--max-labelers", type=int, help="cap the simulated labelers (speed; default: all)")
    parser.add_argument("--no-curves", action="store_true", help="skip the queue learning curves")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output")
    args = parser.parse_args(argv)

    from core.config import shared_data_dir

    if not (shared_data_dir() / args.dataset).exists():
        print(f"error: {args.dataset} not found under {shared_data_dir()}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-newlabeler-"))
    os.environ.setdefault("MARQUEE_DATA_DIR", str(work / "data"))
    os.environ.setdefault("MARQUEE_ARTIFACTS_DIR", str(work / "artifacts"))
    start = time.perf_counter()
    summary = run(args.dataset, args.min_ratings, args.test_users, args.seed, not args.no_curves, args.max_labelers)
    summary["seconds"] = round(time.perf_counter() - start, 1)
    summary["load_average"] = os.getloadavg()
    m, c, lift = summary["model_auc"], summary["crowd_mean_auc"], summary["lift_over_crowd"]
    vote = summary["vote_average_auc"]
    print(f"{args.dataset} (users with >= {args.min_ratings} ratings, {summary['test_users']} held out): "
          f"model {m['mean']:.3f} | crowd mean {c['mean']:.3f} | vote average "
          f"{'n/a' if vote is None else format(vote['mean'], '.3f')} | lift {lift['mean']:+.3f} "
          f"[{lift['low']:+.3f}, {lift['high']:+.3f}] | beats crowd for {100 * summary['share_users_above_crowd']:.0f}% "
          f"| combiner {summary['combiner']} | {summary['seconds']:.0f}s")
    for row in summary.get("learning_curve", []):
        print(f"  {row['strategy']:>9} after {row['n_labels']:>3} labels: AUC {row['mean']:.3f} ({row['count']} users)")
    output = Path(args.output or ROOT / "benchmarks" / "results" / f"newlabeler-{args.dataset}-{args.min_ratings}.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"saved {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
