"""Casting ablation on validation years only (2008-2010, rolling: each year scored by heads fitted
on earlier years). Never reads a holdout label. Feature groups are removed one at a time from the
full brief contract; per catalog and head, the mean within-year AUROC is written to
``benchmarks/results/casting_ablation.json``.

    MARQUEE_DATA_DIR=... python benchmarks/bench_casting_ablation.py imdb5000 wiki_imdb
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "casting_ablation.json"


def ablate(name: str, heads=("logit", "gbm")) -> dict:
    from threadpoolctl import threadpool_limits

    from core.casting.features import ACTOR_FEATURES, DIRECTOR_EXTRA, PEOPLE_EXTRA, CastingFeaturizer
    from core.casting.heads import make_head, per_year_auroc
    from core.casting.longtable import build_long_table
    from core.catalog import store

    table = build_long_table(store.load_catalog(name))
    featurizer = CastingFeaturizer(cutoff=2010, n_genres=40, feature_set="brief").fit(table)
    data = featurizer.annotate(table)
    X = featurizer.transform(data, featurizer.histories(data))
    rows = data.rows
    keep = (rows["label"].notna() & (rows["year"] <= 2010)).to_numpy()
    X, y, years = X[keep], rows.loc[keep, "label"].astype(int).to_numpy(), rows.loc[keep, "year"].to_numpy()
    names = list(X.columns)
    drop = lambda *cols: [n for n in names if n not in cols and not n.startswith(tuple(c for c in cols if c.endswith("_")))]
    variants = {
        "all": names, "film_only (no actor-derived features)": [n for n in names if n not in ACTOR_FEATURES],
        "without new people features": drop(*PEOPLE_EXTRA),
        "without actor-by-genre": drop("actor_genre_pct"),
        "without shrunk rate / recency / trend": drop("actor_rate", "actor_pct_recent", "actor_trend"),
        "without director history": drop("dtr3", "director_films_prior", *DIRECTOR_EXTRA),
        "without runtime": drop("runtime"), "without language": drop("lang_"),
        "without budget vs genre-year": drop("budget_vs_genre_year"), "without release year": drop("release_year"),
    }
    out = {}
    with threadpool_limits(1, user_api="openmp"):
        for variant, columns in variants.items():
            preds = {}
            for head in heads:
                p = np.full(len(y), np.nan)
                for year in (2008, 2009, 2010):
                    train, test = years < year, years == year
                    p[test] = make_head(head, 0).fit(X.loc[train, columns], y[train]).predict_proba(
                        X.loc[test, columns])[:, 1]
                preds[head] = p
            scores = {h: round(per_year_auroc(y[np.isfinite(p)], p[np.isfinite(p)], years[np.isfinite(p)]), 4)
                      for h, p in preds.items()}
            if {"logit", "gbm"} <= set(preds):
                e = (preds["logit"] + preds["gbm"]) / 2
                scores["ens"] = round(per_year_auroc(y[np.isfinite(e)], e[np.isfinite(e)], years[np.isfinite(e)]), 4)
            out[variant] = {"n_features": len(columns), **scores}
            print(name, variant, scores, flush=True)
    return out


def main() -> int:
    sys.path.insert(0, str(ROOT))
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results = {"started_at": started, "protocol": "rolling validation 2008-2010, mean within-year AUROC",
               "catalogs": {name: ablate(name) for name in (sys.argv[1:] or ["imdb5000"])}}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
