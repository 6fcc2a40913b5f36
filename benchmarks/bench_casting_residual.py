"""One bounded honest attempt at a stronger people signal (issue 18), on VALIDATION years only.

Residual history, strictly as of the row's year: did the earlier films of this actor (director,
actor + co-star pair) beat what their film attributes predicted?

1. Film-only expectation, out of time: for every year s, a film-level logistic model on the film
   attributes (``features.film_attribute_columns``: nothing derived from a person) is fitted on the
   labelled films of years before s and predicts the films of year s (with fewer than
   ``MIN_FILMS`` earlier films, the running label rate of the earlier years). A film's residual
   is its label minus that expectation: it depends on the film itself and earlier films only.
2. Residual history features of a row of year Y: sums over the person's (pair's) films of years
   before Y (``TrailingHistory``: films of the same year never see each other), shrunk towards 0
   with ``SHRINK`` pseudo-films; recency-weighted versions use the contract's half-life.

Groups, each added to today's full brief contract alone, then the kept ones together:
- actor residual: ``actor_resid`` (career), ``actor_resid_recent`` (recency-weighted);
- director residual: ``director_resid``;
- pair residual: the row's (actor, co-star) pairs' earlier films together, pooled
  (``pair_resid``, ``pair_films``).
A group is kept only if it raises the chosen head's mean within-year validation AUROC (the model
selection's metric) by >= +0.005 over the full contract. Same rows, heads, head rule and rolling
protocol as ``bench_casting_lift_ceiling.py`` (2008-10; labelled rows up to 2010; no label of a
later year read). Results: ``benchmarks/results/casting_residual.json``.

    MARQUEE_DATA_DIR=... nice -n 19 python benchmarks/bench_casting_residual.py imdb5000 [wiki_imdb]
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results" / "casting_residual.json"
CUTOFF = 2010
SHRINK = 3.0
MIN_FILMS = 200
KEEP_MARGIN = 0.005
N_BOOT = 1000
GROUPS = {"actor residual": ["actor_resid", "actor_resid_recent"], "director residual": ["director_resid"],
          "pair residual": ["pair_resid", "pair_films"]}


def film_expectation(films: pd.DataFrame, F: pd.DataFrame, last_year: int) -> np.ndarray:
    """Out-of-time film-only P(label) of every film of years <= ``last_year`` (NaN after it, and for
    unlabelled films' years only the earlier films are used anyway). ``F``: film attribute rows
    aligned with ``films``."""
    from core.casting.heads import LogitHead

    years = films["year"].to_numpy()
    label = films["label"].to_numpy(float)
    labelled = np.isfinite(label)
    expect = np.full(len(films), np.nan)
    for year in np.unique(years[years <= last_year]):
        earlier = labelled & (years < year)
        now = years == year
        if earlier.sum() >= MIN_FILMS and len(np.unique(label[earlier])) == 2:
            expect[now] = LogitHead().fit(F[earlier], label[earlier].astype(int)).predict_proba(F[now])[:, 1]
        elif earlier.any():
            expect[now] = float(label[earlier].mean())
    return expect


def residual_features(featurizer, data, X: pd.DataFrame, last_year: int = CUTOFF) -> pd.DataFrame:
    """Residual history features of every long-table row (rows of years <= ``last_year`` are exact;
    no label of a later film is read)."""
    from core.casting.features import RECENCY_HALF_LIFE, co_star_pairs, film_attribute_columns
    from core.casting.history import TrailingHistory

    rows, films = data.rows, data.films
    columns = film_attribute_columns(list(featurizer.feature_names_))
    # film attributes are the same on every cast row of a film: one row per film
    first_row = pd.Series(np.arange(len(rows))).groupby(data.row_film).first()
    in_cast = np.zeros(len(films), dtype=bool)
    in_cast[first_row.index.to_numpy()] = True
    F = pd.DataFrame(np.nan, index=np.arange(len(films)), columns=columns)
    F.iloc[first_row.index.to_numpy()] = X[columns].to_numpy()[first_row.to_numpy()]
    cast_films = films[in_cast].reset_index(drop=True)
    expect = np.full(len(films), np.nan)
    expect[in_cast] = film_expectation(cast_films, F[in_cast].reset_index(drop=True), last_year)
    resid = films["label"].to_numpy(float) - expect
    resid[films["year"].to_numpy() > last_year] = np.nan
    row_resid = resid[data.row_film]
    years = rows["year"].to_numpy(np.int64)
    weight = np.exp(np.log(2.0) * (years - 2000.0) / RECENCY_HALF_LIFE)
    known = np.isfinite(row_resid).astype(float)
    actor = TrailingHistory(rows["person_id"].to_numpy(), years, {
        "res": np.nan_to_num(row_resid), "n": known,
        "res_w": np.nan_to_num(row_resid) * weight, "n_w": known * weight})
    at = actor.locate(rows["person_id"].to_numpy(), years)
    now = weight
    out = pd.DataFrame(index=rows.index)
    out["actor_resid"] = actor.total("res", at) / (actor.total("n", at) + SHRINK)
    out["actor_resid_recent"] = (actor.total("res_w", at) / now) / (actor.total("n_w", at) / now + SHRINK)
    directed = films["director_id"].notna().to_numpy()
    director = TrailingHistory(films.loc[directed, "director_id"].to_numpy(float), films.loc[directed, "year"].to_numpy(),
                               {"res": np.nan_to_num(resid[directed]), "n": np.isfinite(resid[directed]).astype(float)})
    d_at = director.locate(rows["director_id"].to_numpy(float), years)
    d_res = director.total("res", d_at) / (director.total("n", d_at) + SHRINK)
    out["director_resid"] = np.where(rows["director_id"].notna().to_numpy(), d_res, np.nan)
    mine, theirs = co_star_pairs(rows["movie_id"].to_numpy(), rows["person_id"].to_numpy())
    person = rows["person_id"].to_numpy(np.int64)
    keys = [f"{a}|{b}" for a, b in zip(person[mine], person[theirs])]
    pair = TrailingHistory(keys, years[mine], {"res": np.nan_to_num(row_resid[mine]), "n": known[mine]})
    p_at = pair.locate(keys, years[mine])
    n_rows = len(rows)
    total = np.bincount(mine, weights=pair.total("res", p_at), minlength=n_rows)
    count = np.bincount(mine, weights=pair.total("n", p_at), minlength=n_rows)
    out["pair_resid"] = total / (count + SHRINK)
    out["pair_films"] = count
    return out


def measure(name: str) -> dict:
    from threadpoolctl import threadpool_limits

    from bench_casting_lift_ceiling import VALIDATION_YEARS, choose, featurized, labelled, rolling_predictions
    from core.casting.evaluation import auroc_interval, paired_auroc_difference
    from core.casting.features import film_attribute_columns
    from core.casting.heads import per_year_auroc

    catalog, featurizer, data, X = featurized(name)
    started = time.perf_counter()
    R = residual_features(featurizer, data, X)
    residual_seconds = round(time.perf_counter() - started, 1)
    contract = list(featurizer.feature_names_)
    keep, y, years, films = labelled(data)
    X = pd.concat([X, R], axis=1)[keep]
    scored = np.isin(years, VALIDATION_YEARS)
    ys, yrs, fs = y[scored], years[scored], films[scored]
    variants = {"film_only": film_attribute_columns(contract), "full (today's contract)": contract,
                **{f"full + {g}": contract + cols for g, cols in GROUPS.items()},
                "full + every residual group": contract + [c for cols in GROUPS.values() for c in cols]}
    out, chosen = {}, {}

    def run(variant, columns):
        preds = {h: p[scored] for h, p in rolling_predictions(X, y, years, columns).items()}
        within = {h: round(per_year_auroc(ys, p, yrs), 4) for h, p in preds.items()}
        head = choose(within)
        chosen[variant] = preds[head]
        out[variant] = {"n_features": len(columns), "within_year_auroc": within, "head": head,
                        "chosen_within_year_auroc": within[head]}
        print(name, variant, within, head, flush=True)

    with threadpool_limits(1, user_api="openmp"):
        for variant, columns in variants.items():
            run(variant, columns)
        full = out["full (today's contract)"]["chosen_within_year_auroc"]
        kept = [g for g in GROUPS if out[f"full + {g}"]["chosen_within_year_auroc"] - full >= KEEP_MARGIN]
        if len(kept) > 1:
            run("full + kept groups", contract + [c for g in kept for c in GROUPS[g]])
    base_within = out["film_only"]["chosen_within_year_auroc"]
    for variant, p in chosen.items():
        out[variant]["pooled_auroc"] = auroc_interval(ys, p, fs, n_boot=N_BOOT)
        if variant != "film_only":
            out[variant]["gain_over_full_within_year"] = round(out[variant]["chosen_within_year_auroc"] - full, 4)
            out[variant]["lift_vs_film_only"] = {
                **paired_auroc_difference(ys, p, chosen["film_only"], fs, n_boot=N_BOOT),
                "within_year": round(out[variant]["chosen_within_year_auroc"] - base_within, 4)}
    return {"data_checksum": catalog.data_checksum, "validation_rows": int(scored.sum()),
            "validation_films": int(len(np.unique(fs))), "residual_features_seconds": residual_seconds,
            "kept_groups": kept, "variants": out}


def main() -> int:
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    names = sys.argv[1:] or ["imdb5000"]
    results = {
        "started_at": started,
        "protocol": "validation years 2008-10 only, rolling, labelled rows up to 2010, head per variant by the "
                    "model's rule; a residual group is kept if the chosen head's mean within-year AUROC rises by "
                    f">= {KEEP_MARGIN} over today's full contract; lift = pooled AUROC - film_only with a 95 % paired "
                    f"bootstrap over films ({N_BOOT}). No label after 2010 is read, no holdout row scored.",
        "features": {g: cols for g, cols in GROUPS.items()},
        "residual": f"label - out-of-time film-only logistic expectation (fitted on earlier years' films; running "
                    f"label rate with < {MIN_FILMS} earlier films); sums over earlier films shrunk with {SHRINK} "
                    "pseudo-films towards 0",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "catalogs": {name: measure(name) for name in names},
    }
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
