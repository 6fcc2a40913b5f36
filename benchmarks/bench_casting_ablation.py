"""Casting ablation on validation years only (2008-2010, rolling: each year scored by heads fitted
on earlier years). Never reads a holdout label. Feature groups are removed one at a time from the
full brief contract, and candidate people groups that are not in the contract are added one at a
time; per catalog and head, the mean within-year AUROC is written to
``benchmarks/results/casting_ablation.json``.

Candidate groups (computed here, strictly as of the row's year, like every contract feature):

- actor-director pair history: earlier films of this actor with this director (count, and their
  mean outcome percentile shrunk towards the actor's recent mean);
- co-star pair history: earlier films of this actor with any of the film's other billed actors
  (count, shrunk mean percentile);
- co-star record (the opt-in "brief_co_stars" feature set since it was measured here): the other
  billed actors' own as-of records (mean ATR3, shrunk rate, recent percentile, earlier roles; the
  actor left out). The same for every candidate of a brief naming those co-stars, so it is
  film-level for a slate. "all" below is the default contract, "+ co-star record" adds it
  (with every co-star known: the training-time masking of ``CastingModel.fit`` is not applied).
- film facts (country, content rating, picture format; ``features.FACT_GROUPS``): each group and
  all three added to the contract as it was before them ("all (the brief contract before the film
  facts)"), and to the film-only model (``features.film_attribute_columns``: nothing derived from
  a person). "film + director" is everything fixed for a brief, the director's history included.

    MARQUEE_DATA_DIR=... python benchmarks/bench_casting_ablation.py imdb5000 wiki_imdb
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "casting_ablation.json"
SHRINK = 3.0
VALIDATION_YEARS = (2008, 2009, 2010)
PAIR = ["pair_films_prior", "pair_pct"]
COSTAR = ["costar_films_prior", "costar_pct"]


def candidate_groups(data, hist, X: pd.DataFrame) -> pd.DataFrame:
    """The candidate people groups for every long-table row, as of the row's year."""
    from core.casting.features import co_star_pairs, pair_keys
    from core.casting.history import TrailingHistory

    rows = data.rows
    years = rows["year"].to_numpy(np.int64)
    person = rows["person_id"].to_numpy(np.int64)
    pct = rows["pct"].to_numpy(float)
    recent = X["actor_pct_recent"].to_numpy(float)
    out = pd.DataFrame(index=X.index)
    at = hist.pair.locate(pair_keys(person, rows["director_id"].to_numpy(float)), years)
    out["pair_films_prior"] = at.count.astype(float)
    out["pair_pct"] = (hist.pair.total("pct", at) + SHRINK * recent) / (hist.pair.valid_count("pct", at) + SHRINK)
    # every ordered pair of billed actors of one film is an event of that pair in the film's year
    mine, theirs = co_star_pairs(rows["movie_id"].to_numpy(), person)
    keys = [f"{a}|{b}" for a, b in zip(person[mine], person[theirs])]
    costar = TrailingHistory(keys, years[mine], {"pct": pct[mine]})
    at = costar.locate(keys, years[mine])
    n = len(rows)
    count = np.bincount(mine, weights=at.count, minlength=n)
    scored = np.bincount(mine, weights=costar.valid_count("pct", at), minlength=n)
    total = np.bincount(mine, weights=costar.total("pct", at), minlength=n)
    out["costar_films_prior"] = count
    out["costar_pct"] = (total + SHRINK * recent) / (scored + SHRINK)
    return out


def ablate(name: str, heads=("logit", "gbm")) -> dict:
    from threadpoolctl import threadpool_limits

    from core.casting.features import (ACTOR_FEATURES, CO_STAR_FEATURES, DIRECTOR_EXTRA, FACT_GROUPS, PEOPLE_EXTRA,
                                       CastingFeaturizer, film_attribute_columns)
    from core.casting.heads import make_head, per_year_auroc
    from core.casting.longtable import build_long_table
    from core.catalog import store

    table = build_long_table(store.load_catalog(name))
    featurizer = CastingFeaturizer(cutoff=2010, n_genres=40, feature_set="brief_co_stars",
                                   fact_groups=FACT_GROUPS).fit(table)
    data = featurizer.annotate(table)
    hist = featurizer.histories(data)
    X = featurizer.transform(data, hist)
    X = pd.concat([X, candidate_groups(data, hist, X)], axis=1)
    rows = data.rows
    keep = (rows["label"].notna() & (rows["year"] <= 2010)).to_numpy()
    X, y, years = X[keep], rows.loc[keep, "label"].astype(int).to_numpy(), rows.loc[keep, "year"].to_numpy()
    facts = {g: featurizer.fact_columns((g,)) for g in FACT_GROUPS}
    every_fact = [c for cols in facts.values() for c in cols]
    names = [n for n in featurizer.feature_names_ if n not in CO_STAR_FEATURES and n not in every_fact]
    film = film_attribute_columns(names)
    drop = lambda *cols: [n for n in names if n not in cols and not n.startswith(tuple(c for c in cols if c.endswith("_")))]
    variants = {
        "all (the brief contract before the film facts)": names,
        "film + director (no actor-derived features, no co-star record)": [n for n in names if n not in ACTOR_FEATURES],
        "film_only (no person-derived feature)": film,
        **{f"film_only + {g}": film + facts[g] for g in FACT_GROUPS},
        "film_only + all film facts": film + every_fact,
        **{f"+ {g}": names + facts[g] for g in FACT_GROUPS},
        "+ all film facts": names + every_fact,
        "+ country and content_rating": names + facts["country"] + facts["content_rating"],
        "+ actor-director pair history": names + PAIR, "+ co-star pair history": names + COSTAR,
        "+ both pair histories": names + PAIR + COSTAR, "+ co-star record": names + list(CO_STAR_FEATURES),
        "without step-B people features": drop(*PEOPLE_EXTRA),
        "without actor-by-genre": drop("actor_genre_pct"),
        "without shrunk rate / recency / trend": drop("actor_rate", "actor_pct_recent", "actor_trend"),
        "without director history": drop("dtr3", "director_films_prior", *DIRECTOR_EXTRA),
        "without runtime": drop("runtime"), "without language": drop("lang_"),
        "without budget vs genre-year": drop("budget_vs_genre_year"), "without release year": drop("release_year"),
    }
    scored = np.isin(years, VALIDATION_YEARS)
    out = {}
    with threadpool_limits(1, user_api="openmp"):
        for variant, columns in variants.items():
            preds = {}
            for head in heads:
                p = np.full(len(y), np.nan)
                for year in VALIDATION_YEARS:
                    train, test = years < year, years == year
                    p[test] = make_head(head, 0).fit(X.loc[train, columns], y[train]).predict_proba(
                        X.loc[test, columns])[:, 1]
                preds[head] = p[scored]
            scores = {h: round(per_year_auroc(y[scored], p, years[scored]), 4) for h, p in preds.items()}
            if {"logit", "gbm"} <= set(preds):
                scores["ens"] = round(per_year_auroc(y[scored], (preds["logit"] + preds["gbm"]) / 2, years[scored]), 4)
            out[variant] = {"n_features": len(columns), **scores}
            print(name, variant, scores, flush=True)
    return out


def main() -> int:
    sys.path.insert(0, str(ROOT))
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results = {"started_at": started, "protocol": "rolling validation 2008-2010 (heads fitted on earlier years), "
                                                  "mean within-year AUROC; no holdout label read",
               "load_average_at_start": [round(x, 2) for x in __import__("os").getloadavg()],
               "catalogs": {name: ablate(name) for name in (sys.argv[1:] or ["imdb5000"])}}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
