"""Ceiling of the people signal for the casting lift (issue 18), on VALIDATION years only.

LEAKY UPPER BOUND, NEVER SERVED. The "oracle" people features below are what no honest model can
ever have: each actor's and director's record over ALL the catalog's films except the row's own
film (leave-one-film-out, future films included), and likewise for the row's co-stars and its
(actor, co-star) pairs. They are added to today's full brief contract ("full + oracle") and the
validation lift over the film-only model is measured with the same rows, heads, head-selection
rule and rolling protocol as the model selection (``ActorHead``): validation years 2008-10, each
year scored by heads fitted on the earlier years, labelled rows up to the 2010 cutoff only.

If even the oracle lift stays below the issue's +0.05, no strictly as-of people feature set can
reach it on this catalog: an as-of feature sees a subset of the films an oracle feature sees.

Two oracle windows: ``all years`` (as the lead asked: the other films of every year, 2011-16
included; those films' labels enter the oracle features of validation rows only, no row of a
year after 2010 is ever scored) and ``to 2010`` (only films up to the cutoff: no label after 2010
is read at all).

The honest lift of today's model (full contract vs film-only) is measured in the same run.
Heads per variant: logit, gbm, ens (mean of the two); the chosen head follows the model's rule
(logit stays unless another wins the mean within-year AUROC by more than 0.005). The lift is the
pooled AUROC over 2008-10 of the chosen heads, with a 95 % paired bootstrap over films; the mean
within-year lift is reported beside it.

    MARQUEE_DATA_DIR=... nice -n 19 python benchmarks/bench_casting_lift_ceiling.py imdb5000 [wiki_imdb]
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
RESULTS = ROOT / "benchmarks" / "results" / "casting_lift_ceiling.json"
VALIDATION_YEARS = (2008, 2009, 2010)
CUTOFF = 2010
SHRINK = 3.0  # pseudo-films, as the honest actor/director rates (features.ACTOR_SHRINK / DIRECTOR_SHRINK)
FLIP_MARGIN = 0.005
N_BOOT = 1000

ORACLE_ACTOR = ["oracle_actor_rate", "oracle_actor_pct", "oracle_actor_films"]
ORACLE_DIRECTOR = ["oracle_director_rate", "oracle_director_pct", "oracle_director_films"]
ORACLE_CAST = ["oracle_costar_rate", "oracle_costar_pct", "oracle_pair_rate", "oracle_pair_films"]


def _lofo(keys: pd.Series, label: np.ndarray, pct: np.ndarray, counts: np.ndarray, base: float,
          shrink: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the key's (person's) shrunk label rate, shrunk mean percentile and number of films over
    the contributing films (``counts`` 1/0) except the row's own film."""
    frame = pd.DataFrame({"key": keys.to_numpy(), "lab": np.nan_to_num(label) * counts,
                          "pct": np.nan_to_num(pct) * counts, "n": counts})
    sums = frame.groupby("key", sort=False)[["lab", "pct", "n"]].transform("sum").to_numpy(float)
    own = frame[["lab", "pct", "n"]].to_numpy(float)
    rest = sums - own                      # leave the row's own film out
    rate = (rest[:, 0] + shrink * base) / (rest[:, 2] + shrink)
    mean_pct = (rest[:, 1] + shrink * 0.5) / (rest[:, 2] + shrink)
    return rate, mean_pct, rest[:, 2]


def oracle_features(data, base: float, last_year: int | None, shrink: float = SHRINK) -> pd.DataFrame:
    """The leaky people features of every long-table row (films of years <= ``last_year`` contribute;
    None: every labelled film). Never served, never in a contract."""
    from core.casting.features import co_star_pairs

    rows = data.rows
    label = rows["label"].to_numpy(float)
    pct = rows["pct"].to_numpy(float)
    contributes = np.isfinite(label) & np.isfinite(pct)
    if last_year is not None:
        contributes &= rows["year"].to_numpy() <= last_year
    counts = contributes.astype(float)
    out = pd.DataFrame(index=rows.index)
    # actor: rows are unique per (film, actor) (build_long_table drops duplicate credits)
    rate, mean_pct, n = _lofo(rows["person_id"], label, pct, counts, base, shrink)
    out["oracle_actor_rate"], out["oracle_actor_pct"], out["oracle_actor_films"] = rate, mean_pct, n
    # director: one event per film
    films = data.films
    f_label, f_pct = films["label"].to_numpy(float), films["pct"].to_numpy(float)
    f_contrib = np.isfinite(f_label) & np.isfinite(f_pct) & films["director_id"].notna().to_numpy()
    if last_year is not None:
        f_contrib &= films["year"].to_numpy() <= last_year
    keys = films["director_id"].fillna(-1.0)
    d_rate, d_pct, d_n = _lofo(keys, f_label, f_pct, f_contrib.astype(float), base, shrink)
    no_director = films["director_id"].isna().to_numpy()
    d_rate, d_pct, d_n = (np.where(no_director, np.nan, v) for v in (d_rate, d_pct, d_n))
    out["oracle_director_rate"] = d_rate[data.row_film]
    out["oracle_director_pct"] = d_pct[data.row_film]
    out["oracle_director_films"] = d_n[data.row_film]
    # co-stars: the mean leave-this-film-out record of the film's other billed actors, and the
    # (actor, co-star) pairs' films together other than this one
    mine, theirs = co_star_pairs(rows["movie_id"].to_numpy(), rows["person_id"].to_numpy())
    n_rows = len(rows)
    k = np.bincount(mine, minlength=n_rows).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["oracle_costar_rate"] = np.where(k > 0, np.bincount(mine, weights=rate[theirs], minlength=n_rows) / k, np.nan)
        out["oracle_costar_pct"] = np.where(k > 0, np.bincount(mine, weights=mean_pct[theirs], minlength=n_rows) / k, np.nan)
    person = rows["person_id"].to_numpy(np.int64)
    pair_key = pd.Series([f"{a}|{b}" for a, b in zip(person[mine], person[theirs])])
    pair = pd.DataFrame({"key": pair_key, "lab": np.nan_to_num(label[mine]) * counts[mine], "n": counts[mine]})
    sums = pair.groupby("key", sort=False)[["lab", "n"]].transform("sum").to_numpy(float)
    rest = sums - pair[["lab", "n"]].to_numpy(float)
    pair_lab = np.bincount(mine, weights=rest[:, 0], minlength=n_rows)
    pair_n = np.bincount(mine, weights=rest[:, 1], minlength=n_rows)
    out["oracle_pair_rate"] = (pair_lab + shrink * rate) / (pair_n + shrink)
    out["oracle_pair_films"] = pair_n
    return out


def _bootstrap_weights(groups, n_boot: int, random_state: int = 0) -> tuple[np.ndarray, int]:
    """Row weights of ``n_boot`` resamples of whole groups (films), drawn exactly as
    ``core.casting.evaluation.paired_auroc_difference`` draws them (same generator, same order): a row
    counts as often as its film was drawn."""
    codes, _ = pd.factorize(pd.Series(np.asarray(groups)))
    n_groups = int(codes.max()) + 1
    rng = np.random.default_rng(random_state)
    draws = np.stack([np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups) for _ in range(n_boot)])
    return draws[:, codes].astype(float), n_groups


def weighted_auroc(y, p, weights: np.ndarray) -> np.ndarray:
    """AUROC of ``p`` for each row of ``weights`` (rows repeated by their weight; ties count half):
    the Mann-Whitney statistic over tie groups, for every resample at once."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    p, y, w = p[order], y[order], weights[:, order]
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    group = np.cumsum(np.r_[True, p[1:] != p[:-1]]) - 1
    neg = np.add.reduceat(w * (1.0 - y), starts, axis=1)          # negatives per tie group
    below = np.cumsum(neg, axis=1) - neg                            # negatives strictly below each group
    pos = np.add.reduceat(w * y, starts, axis=1)
    wins = (pos * (below + 0.5 * neg)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return wins / (pos.sum(axis=1) * neg.sum(axis=1))


def fast_paired_difference(y, p_a, p_b, groups, n_boot: int = N_BOOT, random_state: int = 0) -> dict:
    """``paired_auroc_difference`` (same resamples, same statistic, same 95 % interval), vectorised."""
    from sklearn.metrics import roc_auc_score

    weights, n_groups = _bootstrap_weights(groups, n_boot, random_state)
    y = np.asarray(y, dtype=int)
    both = ((weights * y).sum(axis=1) > 0) & ((weights * (1 - y)).sum(axis=1) > 0)
    diffs = (weighted_auroc(y, p_a, weights) - weighted_auroc(y, p_b, weights))[both]
    low, high = np.quantile(diffs, [0.025, 0.975])
    return {"difference": float(roc_auc_score(y, p_a) - roc_auc_score(y, p_b)), "low": float(low),
            "high": float(high), "n_boot": int(both.sum()), "groups": n_groups}


def fast_auroc_interval(y, p, groups, n_boot: int = N_BOOT, random_state: int = 0) -> dict:
    """``auroc_interval`` (same resamples), vectorised."""
    from sklearn.metrics import roc_auc_score

    weights, _ = _bootstrap_weights(groups, n_boot, random_state)
    y = np.asarray(y, dtype=int)
    both = ((weights * y).sum(axis=1) > 0) & ((weights * (1 - y)).sum(axis=1) > 0)
    low, high = np.quantile(weighted_auroc(y, p, weights)[both], [0.025, 0.975])
    return {"auroc": float(roc_auc_score(y, p)), "low": float(low), "high": float(high), "n_boot": int(both.sum())}


def rolling_predictions(X: pd.DataFrame, y: np.ndarray, years: np.ndarray, columns: list[str]) -> dict:
    """Out-of-time predictions of logit, gbm and their mean on each validation year."""
    from core.casting.heads import make_head

    preds = {name: np.full(len(y), np.nan) for name in ("logit", "gbm")}
    for year in VALIDATION_YEARS:
        train, test = years < year, years == year
        for name in preds:
            preds[name][test] = make_head(name, 0).fit(X.loc[train, columns], y[train]).predict_proba(
                X.loc[test, columns])[:, 1]
    preds["ens"] = (preds["logit"] + preds["gbm"]) / 2
    return preds


def choose(scores: dict[str, float]) -> str:
    """The model's flip guard: logit (the first candidate) stays unless another head wins by > 0.005."""
    best = max(scores, key=scores.get)
    return best if scores[best] > scores["logit"] + FLIP_MARGIN else "logit"


def featurized(name: str):
    """Catalog ``name``'s long table through the casting featurizer (fitted with ``cutoff`` = 2010):
    (catalog, featurizer, annotated data, today's contract features of every row)."""
    from core.casting.config import CastingConfig
    from core.casting.features import CastingFeaturizer
    from core.casting.longtable import build_long_table
    from core.catalog import store

    catalog = store.load_catalog(name)
    config = CastingConfig(cutoff=CUTOFF)
    table = build_long_table(catalog)
    featurizer = CastingFeaturizer(config.target, config.quantile, config.cutoff, config.n_genres,
                                   config.n_languages, config.feature_set).fit(table)
    data = featurizer.annotate(table)
    return catalog, featurizer, data, featurizer.transform(data, featurizer.histories(data))


def labelled(data) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The labelled rows up to 2010 (no later label is read): (mask, label, year, movie_id)."""
    rows = data.rows
    keep = (rows["label"].notna() & (rows["year"] <= CUTOFF)).to_numpy()
    return (keep, rows.loc[keep, "label"].astype(int).to_numpy(), rows.loc[keep, "year"].to_numpy(),
            rows.loc[keep, "movie_id"].to_numpy())


def measure(name: str) -> dict:
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    from core.casting.features import film_attribute_columns, film_level_columns
    from core.casting.heads import per_year_auroc

    catalog, featurizer, data, X = featurized(name)
    contract = list(featurizer.feature_names_)
    oracles = {"all years": oracle_features(data, featurizer.base_rate_, None),
               "to 2010": oracle_features(data, featurizer.base_rate_, CUTOFF),
               "all years, shrink 1": oracle_features(data, featurizer.base_rate_, None, shrink=1.0)}
    keep, y, years, films = labelled(data)
    frames = [X] + [o.add_suffix(f" [{w}]") for w, o in oracles.items()]
    X = pd.concat(frames, axis=1)[keep]
    film_only = film_attribute_columns(contract)
    variants = {"film_only": film_only, "film_director": film_level_columns(contract), "full (today's contract)": contract}
    for window in oracles:
        tag = lambda cols: [f"{c} [{window}]" for c in cols]
        if "shrink" in window:  # the lighter-shrinkage robustness check: every oracle group only
            variants[f"full + every oracle [{window}]"] = contract + tag(ORACLE_ACTOR + ORACLE_DIRECTOR + ORACLE_CAST)
            continue
        variants.update({
            f"full + oracle actor [{window}]": contract + tag(ORACLE_ACTOR),
            f"full + oracle director [{window}]": contract + tag(ORACLE_DIRECTOR),
            f"full + oracle actor, co-stars, pairs [{window}]": contract + tag(ORACLE_ACTOR + ORACLE_CAST),
            f"full + every oracle [{window}]": contract + tag(ORACLE_ACTOR + ORACLE_DIRECTOR + ORACLE_CAST),
        })
    scored = np.isin(years, VALIDATION_YEARS)
    ys, yrs, fs = y[scored], years[scored], films[scored]
    chosen, out = {}, {}
    with threadpool_limits(1, user_api="openmp"):
        for variant, columns in variants.items():
            started = time.perf_counter()
            preds = {h: p[scored] for h, p in rolling_predictions(X, y, years, columns).items()}
            within = {h: round(per_year_auroc(ys, p, yrs), 4) for h, p in preds.items()}
            head = choose(within)
            chosen[variant] = preds[head]
            out[variant] = {"n_features": len(columns), "within_year_auroc": within, "head": head,
                            "pooled_auroc": fast_auroc_interval(ys, preds[head], fs),
                            "seconds": round(time.perf_counter() - started, 1)}
            print(name, variant, within, head, flush=True)
    base = chosen["film_only"]
    for variant, p in chosen.items():
        if variant == "film_only":
            continue
        lift = fast_paired_difference(ys, p, base, fs)
        lift["within_year"] = round(per_year_auroc(ys, p, yrs) - per_year_auroc(ys, base, yrs), 4)
        out[variant]["lift_vs_film_only"] = lift
        print(name, variant, "lift", {k: lift[k] for k in ("difference", "low", "high", "within_year")}, flush=True)
    # the oracle features on their own (how well the leaky record of the people ranks films by itself)
    alone = {}
    for window, frame in oracles.items():
        f = frame[keep][scored]
        alone[window] = {c: round(float(roc_auc_score(ys, f[c].fillna(f[c].median()))), 4)
                         for c in ("oracle_actor_rate", "oracle_director_rate", "oracle_costar_rate", "oracle_pair_rate")}
    return {"data_checksum": catalog.data_checksum, "validation_rows": int(scored.sum()),
            "validation_films": int(len(np.unique(fs))), "positive_rate": round(float(ys.mean()), 4),
            "variants": out, "oracle_feature_alone_auroc": alone}


def main() -> int:
    sys.path.insert(0, str(ROOT))
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    names = sys.argv[1:] or ["imdb5000"]
    results = {
        "started_at": started,
        "label": "LEAKY UPPER BOUND, never served: oracle people features use other films of every year "
                 "(leave-one-film-out), which no brief-time model can have",
        "protocol": "validation years 2008-10 only, rolling (each year scored by heads fitted on earlier years), "
                    "labelled rows up to 2010; head chosen per variant by the model's rule (logit unless another "
                    "wins the mean within-year AUROC by > 0.005); lift = pooled AUROC(variant) - AUROC(film_only), "
                    f"95 % paired bootstrap over films ({N_BOOT} resamples, drawn as core.casting.evaluation draws "
                    "them, computed vectorised). No row after 2010 is scored.",
        "oracle_windows": {"all years": "every labelled film of the catalog except the row's own (2011-16 labels "
                                        "enter validation rows' oracle features only)",
                           "to 2010": "labelled films up to 2010 except the row's own (no label after 2010 read)",
                           "all years, shrink 1": "as 'all years' with 1 pseudo-film of shrinkage instead of 3"},
        "oracle_features": {"actor": ORACLE_ACTOR, "director": ORACLE_DIRECTOR, "co-stars and pairs": ORACLE_CAST,
                            "shrinkage": f"{SHRINK} pseudo-films towards the training base rate / percentile 0.5"},
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "catalogs": {},
    }
    for name in names:  # written after each catalog, so a finished catalog is kept if a later one is stopped
        results["catalogs"][name] = measure(name)
        results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS} ({', '.join(results['catalogs'])})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
