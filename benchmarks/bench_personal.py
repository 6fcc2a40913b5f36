"""Personal taste model on real labels: MovieLens users stand in for labelers.

For every user with at least ``--min-ratings`` ratings (rating ≥ 4 → "would watch", else "would
not watch"), a stratified 5-fold CV ROC-AUC of the taste model (default hyper-parameters, no
grid: the grid would need nested CV to stay honest) is compared with two baselines that use no
personal labels: the catalog's vote average (IMDb rating from the ML-100K details file) and the
mean rating of the *other* users. The user's own ratings are left out of the collaborative
features and of the second baseline.

    python benchmarks/bench_personal.py                     # ML-100K, every user with ≥150 ratings
    python benchmarks/bench_personal.py --small             # also MovieLens latest-small (60 sampled users)
    python benchmarks/bench_personal.py --text-source minilm  # MiniLM text components instead of TF-IDF
    python benchmarks/bench_personal.py --max-users 40      # a seeded sample (reported)

Prints a summary and writes ``benchmarks/results/personal.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_CATALOG = None


def _init(data_dir: str, artifacts_dir: str, name: str) -> None:
    global _CATALOG
    os.environ["MARQUEE_DATA_DIR"], os.environ["MARQUEE_ARTIFACTS_DIR"] = data_dir, artifacts_dir
    from core.catalog import store

    _CATALOG = store.load_catalog(name, verify=False)


def _one(args: tuple[int, dict]) -> dict:
    from core.personal.evaluate import user_cv_benchmark

    user_id, params, text_source = args
    start = time.perf_counter()
    result = user_cv_benchmark(_CATALOG, user_id, params=params, text_source=text_source)
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


def run_catalog(name: str, folder: Path, min_ratings: int, max_users: int | None, params: dict,
                workers: int, seed: int, text_source: str = "tfidf") -> dict:
    import numpy as np
    import pandas as pd

    from core.catalog import store
    from core.catalog.importers.base import save_import
    from core.catalog.importers.movielens import import_movielens
    from core.personal.features import build_item_features

    if not store.exists(name):
        save_import(import_movielens(folder), name)
    catalog = store.load_catalog(name, verify=False)
    build_item_features(catalog, text_source=text_source)  # fills the text-feature cache once for the workers
    counts = catalog.ratings.groupby("user_id").size()
    eligible = sorted(int(u) for u in counts[counts >= min_ratings].index)
    users = eligible
    if max_users and len(eligible) > max_users:
        users = sorted(np.random.default_rng(seed).choice(eligible, size=max_users, replace=False).tolist())
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, initializer=_init,
                             initargs=(os.environ["MARQUEE_DATA_DIR"], os.environ["MARQUEE_ARTIFACTS_DIR"], name)) as pool:
        rows = []
        for i, row in enumerate(pool.map(_one, [(u, params, text_source) for u in users]), start=1):
            rows.append(row)
            if i % 20 == 0 or i == len(users):
                print(f"  {name}: {i}/{len(users)} users, {time.perf_counter() - start:.0f}s", file=sys.stderr, flush=True)
    frame = pd.DataFrame([r for r in rows if "model_auc" in r])
    summary = {
        "catalog": name, "source": str(folder), "min_ratings": min_ratings, "eligible_users": len(eligible),
        "users_evaluated": int(len(frame)), "sampled": len(users) < len(eligible),
        "users_skipped": [r for r in rows if "model_auc" not in r],
        "mean_model_auc": float(frame["model_auc"].mean()),
        "mean_vote_average_auc": _mean(frame["vote_average_auc"]),
        "mean_others_mean_auc": float(frame["others_mean_auc"].mean()),
        "median_model_auc": float(frame["model_auc"].median()),
        "median_vote_average_auc": _mean(frame["vote_average_auc"], "median"),
        "share_users_model_beats_vote_average": _mean(frame["model_auc"] > frame["vote_average_auc"].astype(float))
        if frame["vote_average_auc"].notna().any() else None,
        "share_users_model_beats_others_mean": float((frame["model_auc"] > frame["others_mean_auc"]).mean()),
        "mean_positive_rate": float(frame["positive_rate"].mean()),
        "mean_labels_per_user": float(frame["n"].mean()),
        "seconds": round(time.perf_counter() - start, 1),
        "per_user": frame.round(4).to_dict("records"),
    }
    return summary


def _mean(series, how: str = "mean"):
    series = series.dropna().astype(float)
    return float(getattr(series, how)()) if len(series) else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--min-ratings", type=int, default=150)
    parser.add_argument("--max-users", type=int, help="evaluate a seeded random sample of the eligible users")
    parser.add_argument("--small", action="store_true", help="also run MovieLens latest-small (no cast/overview there)")
    parser.add_argument("--small-max-users", type=int, default=60,
                        help="seeded sample size for latest-small (its users have up to 2,700 ratings; default 60)")
    parser.add_argument("--text-source", default="tfidf", help="text features: tfidf (default), minilm, none")
    parser.add_argument("--params", default="{}", help="TasteModel parameters as JSON (default: the model's defaults)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "personal.json"))
    args = parser.parse_args(argv)

    from core.config import shared_data_dir

    shared = shared_data_dir()
    if not (shared / "ml-100k").exists():
        print(f"error: MovieLens not found under {shared}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-personal-"))
    os.environ.setdefault("MARQUEE_DATA_DIR", str(work / "data"))
    os.environ.setdefault("MARQUEE_ARTIFACTS_DIR", str(work / "artifacts"))
    params = {"n_jobs": 1, **json.loads(args.params)}
    from core.personal.model import TasteModel

    results = {"benchmark": "personal taste model, per-user stratified 5-fold CV ROC-AUC",
               "label_rule": "rating >= 4 -> would_watch, else would_not_watch",
               "model_params": TasteModel(**params).get_params(), "runs": []}
    datasets = [("bench_ml100k", shared / "ml-100k", args.max_users)]
    if args.small:
        datasets.append(("bench_ml_small", shared / "ml-latest-small", args.small_max_users))
    results["text_source"] = args.text_source
    for name, folder, max_users in datasets:
        summary = run_catalog(name, folder, args.min_ratings, max_users, params, args.workers, args.seed, args.text_source)
        results["runs"].append(summary)
        vote = summary["mean_vote_average_auc"]
        print(f"{name}: {summary['users_evaluated']} users (of {summary['eligible_users']} with >= {args.min_ratings} ratings) "
              f"mean ROC-AUC model {summary['mean_model_auc']:.3f} | vote average "
              f"{'n/a (no vote averages)' if vote is None else f'{vote:.3f}'} "
              f"| others' mean rating {summary['mean_others_mean_auc']:.3f} | model beats others' mean for "
              f"{100 * summary['share_users_model_beats_others_mean']:.0f}% of users | {summary['seconds']:.0f}s")
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"saved {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
