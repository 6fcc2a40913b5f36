"""Collaborative filtering on MovieLens 100K: 5-fold RMSE/MAE/R² and fit time of every model in
the comparison table, plus the small grid that chose the champion configuration.

    python benchmarks/bench_cf.py                 # grid (3-fold) + 5-fold table incl. SVD++
    python benchmarks/bench_cf.py --skip-svdpp    # without SVD++ (minutes per fold on 2 cores)
    python benchmarks/bench_cf.py --skip-grid     # only the 5-fold table

Reads ``../shared/data/ml-100k`` through the MovieLens importer (``MARQUEE_SHARED_DATA``
overrides), prints the table and writes ``benchmarks/results/cf.json``. Every model sees the same
seeded folds (``core.cf.kfold_indices``).
"""
from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The grid searched with 3-fold CV; the best point is reported and compared with the champion.
GRID = {"n_factors": [50, 100], "n_epochs": [60], "lr_all": [0.007], "reg_all": [0.06, 0.08, 0.1],
        "reg_bias": [0.02], "init_std_dev": [0.05], "n_bags": [5]}


def load_ratings():
    from core.catalog.importers.movielens import import_movielens
    from core.config import shared_data_dir

    folder = shared_data_dir() / "ml-100k"
    if not folder.exists():
        raise SystemExit(f"MovieLens 100K not found at {folder}")
    return import_movielens(folder).tables["ratings"][["user_id", "movie_id", "rating", "timestamp"]]


def grid_search(ratings, folds: int, seed: int) -> list[dict]:
    """3-fold RMSE of every grid point through the same CFRecommender the app deploys."""
    from core.cf import CFRecommender, compare_models

    points = [dict(zip(GRID, values)) for values in itertools.product(*GRID.values())]
    factories = {f"grid{i}": (lambda p=p: CFRecommender(**p)) for i, p in enumerate(points)}
    rows = compare_models(ratings, tuple(factories), folds=folds, seed=seed, factories=factories)
    results = [{"params": p, "rmse": row["rmse"], "mae": row["mae"], "fit_seconds": row["fit_seconds"]}
               for p, row in zip(points, rows)]
    return sorted(results, key=lambda r: r["rmse"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-svdpp", action="store_true")
    parser.add_argument("--skip-grid", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "cf.json"))
    args = parser.parse_args()

    from core.cf import CHAMPION_PARAMS, DEFAULT_MODELS, MODELS, CFRecommender, compare_models
    from core.progress import StderrProgress

    started = time.perf_counter()
    ratings = load_ratings()
    print(f"MovieLens 100K: {len(ratings):,} ratings, {ratings['user_id'].nunique()} users, "
          f"{ratings['movie_id'].nunique()} films", flush=True)
    result = {"dataset": "ml-100k", "ratings": int(len(ratings)), "folds": args.folds, "seed": args.seed,
              "champion_params": CHAMPION_PARAMS, "machine": {"python": platform.python_version(),
                                                              "cpus": __import__("os").cpu_count()}}
    factories = {}
    if not args.skip_grid:
        grid = grid_search(ratings, 3, args.seed)
        result["grid"] = {"folds": 3, "space": GRID, "results": grid}
        best = grid[0]["params"]
        print(f"grid best (3-fold RMSE {grid[0]['rmse']:.4f}): {best}", flush=True)
        if best != CHAMPION_PARAMS:
            factories["svd_grid_best"] = lambda: CFRecommender(**best)
    models = list(DEFAULT_MODELS) + list(factories) + ([] if args.skip_svdpp else ["svdpp"])
    rows = compare_models(ratings, tuple(models), folds=args.folds, seed=args.seed, factories=factories,
                          progress=StderrProgress("bench_cf"))
    for row in rows:
        if row["model"] == "svd_grid_best":
            row["description"] = f"CFRecommender with the grid's best point {best}"
    result["models"] = rows
    result["champion"] = next(r for r in rows if r["model"] == "svd_tuned")
    result["target_rmse"] = 0.905
    result["seconds"] = round(time.perf_counter() - started, 1)

    print(f"\n{'model':<16}{'RMSE':>8}{'±':>7}{'MAE':>8}{'R²':>8}{'fit s':>8}{'pred s':>8}")
    for row in rows:
        print(f"{row['model']:<16}{row['rmse']:>8.4f}{row['rmse_std']:>7.4f}{row['mae']:>8.4f}{row['r2']:>8.4f}"
              f"{row['fit_seconds']:>8.2f}{row['predict_seconds']:>8.2f}  {MODELS.get(row['model'], (row['description'],))[0]}")
    print(f"\nchampion (svd_tuned) RMSE {result['champion']['rmse']:.4f} (target ≤ {result['target_rmse']}); "
          f"total {result['seconds']:.0f}s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
