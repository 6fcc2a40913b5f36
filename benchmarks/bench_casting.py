"""Casting benchmark: holdout quality, training time, re-fit (load) time and brief latency.

Builds the real IMDB-5000 and Wikipedia + IMDB-5000 catalogs in a temporary folder, trains the
casting model on each with cutoff 2010 (holdout 2011–2016) with the seed-style and film-only
baselines and the casting lift measured in the same run, reloads it from its artifact
(deterministic re-fit), then times a spread of briefs. On IMDB-5000 a model trained on permuted
labels is measured too (chance AUROC expected). The synthetic demo catalog is measured the same way, plus how well the
model's scores follow the demo's hidden star power. Results: ``benchmarks/results/casting.json``.

    python benchmarks/bench_casting.py [--repeat 3] [--briefs 30] [--skip-demo]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "casting.json"
METRIC_KEYS = ("auroc", "pr_auc", "brier", "ece", "n_rows", "n_films", "positive_rate", "years", "head",
               "calibrator", "selection_auroc", "atr3_only_auroc")


def _build_real(shared: Path) -> str:
    from core.catalog import store
    from core.catalog.importers.base import save_import
    from core.catalog.importers.imdb5000 import import_imdb5000
    from core.catalog.importers.wikipedia import import_wikipedia
    from core.catalog.merge import merge_catalogs

    save_import(import_wikipedia(shared / "wikipedia-movies"), "wiki")
    save_import(import_imdb5000(shared / "imdb-5000" / "movie_metadata.csv"), "imdb5000")
    save_import(merge_catalogs(store.load_catalog("wiki"), store.load_catalog("imdb5000")), "wiki_imdb")
    return ["imdb5000", "wiki_imdb"]


def _briefs(trained, count: int):
    import numpy as np

    from core.casting import Brief

    rng = np.random.default_rng(0)
    first, last = trained.featurizer.year_range_
    genres = trained.featurizer.genres_[:10]
    films = trained.data.films
    directors = films["director"].dropna().value_counts().index[:50].tolist()
    low = max(first + 1, trained.config.cutoff + 1)
    for i in range(count):
        chosen = tuple(rng.choice(genres, size=int(rng.integers(1, 3)), replace=False))
        yield Brief(year=int(rng.integers(low, last + 2)), budget_musd=float(np.round(np.exp(rng.normal(3.3, 1.0)), 1)),
                    genres=chosen, bill_order=int(rng.integers(1, 6)), n=int(rng.choice([5, 10])),
                    director=directors[i % len(directors)] if (i % 3 == 0 and directors) else None)


def _measure(name: str, repeat: int, n_briefs: int, feature_set: str = "brief") -> dict:
    from core.casting import CastingConfig, bind, cast_brief, load_model, train_and_save
    from core.catalog import store

    catalog = store.load_catalog(name)
    cfg = CastingConfig(cutoff=2010, baselines=True, feature_set=feature_set)
    train_times = []
    for _ in range(repeat):
        start = time.perf_counter()
        trained = train_and_save(catalog, cfg)
        train_times.append(time.perf_counter() - start)
    start = time.perf_counter()
    model, _ = load_model(catalog)
    reloaded = bind(model, store.load_catalog(name))  # a fresh catalog object: the history index is rebuilt
    load_seconds = time.perf_counter() - start
    latencies, slate_only = [], []
    briefs = list(_briefs(trained, n_briefs + 1))
    start = time.perf_counter()
    cast_brief(trained, briefs.pop())  # the first brief builds the per-catalog lookups (actors' roles, directors)
    first_brief = time.perf_counter() - start
    for brief in briefs:
        start = time.perf_counter()
        result = cast_brief(trained, brief)
        latencies.append(time.perf_counter() - start)
        slate_only.append(result.timings["slate_s"])
    latencies.sort()
    metrics = trained.metrics
    return {
        "catalog": name, "rows_long_table": int(len(trained.data.rows)), "labelled_train_rows": metrics["train_rows"],
        "holdout": {k: metrics[k] for k in METRIC_KEYS},
        "baselines_and_lift": metrics.get("baselines"),
        "without_co_stars": metrics.get("without_co_stars"),
        "prior_shift": metrics.get("prior_shift"),
        "cycle_head": metrics.get("cycle_head"),
        "holdout_base_head": metrics["base"],
        "per_year": metrics["per_year"],
        "director_head": metrics["director_head"],
        "train_seconds": {"median": round(statistics.median(train_times), 3), "all": [round(t, 3) for t in train_times]},
        "load_refit_seconds": round(load_seconds, 3),
        "load_reproduced_holdout": _same_holdout(trained, reloaded, cfg.cutoff),
        "brief_latency_seconds": {
            "n": len(latencies), "median": round(statistics.median(latencies), 4),
            "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 4), "max": round(latencies[-1], 4),
            "slate_only_median": round(statistics.median(slate_only), 4), "target_p95": 0.3,
            "first_brief": round(first_brief, 4), "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "top_importance": trained.importance.head(8).to_dict(orient="records"),
    }


def _permuted(name: str) -> dict:
    """Film scores shuffled across films: the model must fall to chance (about 0.5)."""
    import dataclasses

    import numpy as np

    from core.casting import CastingConfig, train_casting
    from core.catalog import store

    catalog = store.load_catalog(name)
    movies = catalog.movies.copy()
    movies["vote_average"] = np.random.default_rng(3).permutation(movies["vote_average"].to_numpy())
    trained = train_casting(dataclasses.replace(catalog, movies=movies), CastingConfig(cutoff=2010))
    return {"auroc": round(trained.metrics["auroc"], 4), "n_films": trained.metrics["n_films"], "seed": 3}


def _same_holdout(trained, reloaded, cutoff: int) -> bool:
    """The loaded model predicts the holdout rows exactly as the freshly trained one."""
    import numpy as np

    rows = reloaded.data.rows
    X = reloaded.featurizer.transform(reloaded.data, reloaded.hist).loc[(rows["year"] > cutoff) & rows["label"].notna()]
    return bool(np.array_equal(reloaded.head.predict_base(X), trained.head.predict_base(X)))


def _star_power(name: str) -> dict:
    import pandas as pd

    from core.casting import Brief, candidate_pool, get_model
    from core.catalog import store

    catalog = store.load_catalog(name)
    trained = get_model(catalog)
    truth = pd.read_parquet(catalog.path / "ground_truth" / "actors.parquet")
    pool = candidate_pool(trained, Brief(2016, 40.0, ("Drama",), 1, 5)).frame.merge(truth, on="person_id")
    quintile = pd.qcut(pool["star_power"], 5, labels=False)
    means = pool.groupby(quintile)["p_base"].mean()
    return {"brief": "2016, $40M, Drama, top billed", "actors": int(len(pool)),
            "spearman_p_base_vs_star_power": round(float(pool["p_base"].corr(pool["star_power"], method="spearman")), 4),
            "mean_p_base_by_star_power_quintile": [round(float(v), 4) for v in means]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=1, help="training repeats (median reported)")
    parser.add_argument("--briefs", type=int, default=30)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-permuted", action="store_true")
    parser.add_argument("--feature-set", default="brief", choices=["brief", "brief_co_stars"],
                        help="brief_co_stars: the opt-in model with the co-star record (results in casting_brief_co_stars.json)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-casting-"))
    os.environ["MARQUEE_DATA_DIR"] = str(work / "data")
    os.environ["MARQUEE_ARTIFACTS_DIR"] = str(work / "artifacts")
    sys.path.insert(0, str(ROOT))

    out = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                       "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
           "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    start = time.perf_counter()
    names = _build_real(args.shared_data)
    out["build_real_catalog_seconds"] = round(time.perf_counter() - start, 2)
    for name in names:
        key = "real" if name == "wiki_imdb" else name
        out[key] = _measure(name, args.repeat, args.briefs, args.feature_set)
        r = out[key]
        lift = (r["baselines_and_lift"] or {}).get("casting_lift", {})
        actor = (r["baselines_and_lift"] or {}).get("actor_lift", {})
        interval = r["baselines_and_lift"]["full_auroc_interval"]
        print(f"{name}: AUROC {r['holdout']['auroc']:.3f} [{interval['low']:.3f}, {interval['high']:.3f}] "
              f"ECE {r['holdout']['ece']:.3f} "
              f"(seed {r['baselines_and_lift']['seed']['auroc']:.3f}, film-only "
              f"{r['baselines_and_lift']['film_only']['auroc']:.3f}, lift {lift.get('difference', 0):+.3f} "
              f"[{lift.get('low', 0):+.3f}, {lift.get('high', 0):+.3f}]; film+director "
              f"{r['baselines_and_lift']['film_director']['auroc']:.3f}, actor lift {actor.get('difference', 0):+.3f} "
              f"[{actor.get('low', 0):+.3f}, {actor.get('high', 0):+.3f}]); train {r['train_seconds']['median']:.1f}s; "
              f"brief median {r['brief_latency_seconds']['median'] * 1000:.0f} ms, p95 "
              f"{r['brief_latency_seconds']['p95'] * 1000:.0f} ms", flush=True)
        if r.get("without_co_stars"):
            print(f"{name} holdout briefs naming no co-star: AUROC {r['without_co_stars']['auroc']:.3f} "
                  f"ECE {r['without_co_stars']['ece']:.3f}", flush=True)
    if not args.skip_permuted:
        out["imdb5000_permuted_labels"] = _permuted("imdb5000")
        print(f"imdb5000 permuted labels: AUROC {out['imdb5000_permuted_labels']['auroc']:.3f}")
    if not args.skip_demo:
        from core.catalog.demo import build_demo_catalog

        build_demo_catalog("demo")
        out["demo"] = _measure("demo", 1, args.briefs)
        out["demo"]["star_power"] = _star_power("demo")
        print(f"demo: AUROC {out['demo']['holdout']['auroc']:.3f}; star-power Spearman "
              f"{out['demo']['star_power']['spearman_p_base_vs_star_power']:.3f}")
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results = RESULTS if args.feature_set == "brief" else RESULTS.with_name(f"casting_{args.feature_set}.json")
    out["feature_set"] = args.feature_set
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
