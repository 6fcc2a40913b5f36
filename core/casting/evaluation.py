"""Holdout metrics of the casting model: ranking, calibration, per-year PR-AUC, importance."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from core.metrics import brier_score, expected_calibration_error


def probability_metrics(y, p) -> dict[str, float]:
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    both = len(np.unique(y)) == 2
    return {
        "auroc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "brier": brier_score(y, p),
        "ece": expected_calibration_error(y, p),
    }


def holdout_metrics(holdout: pd.DataFrame) -> dict:
    """Headline metrics use the calibrated probability; the base head is reported beside it."""
    y = holdout["label"].to_numpy(dtype=int)
    cal = probability_metrics(y, holdout["p_cal"])
    base = probability_metrics(y, holdout["p_base"])
    return {
        **cal, "n_rows": int(len(y)), "n_films": int(holdout["movie_id"].nunique()),
        "positive_rate": float(y.mean()) if len(y) else float("nan"),
        "years": [int(holdout["year"].min()), int(holdout["year"].max())] if len(y) else [],
        "base": base,
        "per_year": per_year_pr_auc(holdout),
    }


def per_year_pr_auc(holdout: pd.DataFrame) -> list[dict]:
    """Per holdout year: ranking (PR-AUC, AUROC) and reliability (mean p_cal vs observed rate, ECE)."""
    rows = []
    for year, group in holdout.groupby("year", sort=True):
        y = group["label"].to_numpy(dtype=int)
        both = 0 < y.sum() < len(y)
        rows.append({
            "year": int(year), "n_rows": int(len(y)), "positive_rate": float(y.mean()),
            "pr_auc": float(average_precision_score(y, group["p_cal"])) if both else None,
            "auroc": float(roc_auc_score(y, group["p_cal"])) if both else None,
            "mean_p_cal": float(group["p_cal"].mean()), "ece": expected_calibration_error(y, group["p_cal"]),
        })
    return rows


def paired_auroc_difference(y, p_a, p_b, groups, n_boot: int = 500, random_state: int = 0) -> dict:
    """AUROC(p_a) − AUROC(p_b) on the same rows, with a 95 % bootstrap interval that resamples
    whole groups (films: every cast row of a film shares its label)."""
    y, p_a, p_b = np.asarray(y, dtype=int), np.asarray(p_a, dtype=float), np.asarray(p_b, dtype=float)
    codes, _ = pd.factorize(pd.Series(np.asarray(groups)))
    if len(np.unique(y)) < 2:
        return {"difference": None, "low": None, "high": None, "n_boot": 0}
    members = pd.Series(np.arange(len(y))).groupby(codes).apply(np.array).to_list()
    rng = np.random.default_rng(random_state)
    diffs = []
    for _ in range(n_boot):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        if len(np.unique(y[rows])) < 2:
            continue
        diffs.append(roc_auc_score(y[rows], p_a[rows]) - roc_auc_score(y[rows], p_b[rows]))
    low, high = np.quantile(diffs, [0.025, 0.975])
    return {"difference": float(roc_auc_score(y, p_a) - roc_auc_score(y, p_b)), "low": float(low),
            "high": float(high), "n_boot": len(diffs), "groups": int(len(members))}


def auroc_interval(y, p, groups, n_boot: int = 500, random_state: int = 0) -> dict:
    """AUROC with a 95 % bootstrap interval that resamples whole groups (films)."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    if len(np.unique(y)) < 2:
        return {"auroc": None, "low": None, "high": None, "n_boot": 0}
    codes, _ = pd.factorize(pd.Series(np.asarray(groups)))
    members = pd.Series(np.arange(len(y))).groupby(codes).apply(np.array).to_list()
    rng = np.random.default_rng(random_state)
    scores = []
    for _ in range(n_boot):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        if len(np.unique(y[rows])) == 2:
            scores.append(roc_auc_score(y[rows], p[rows]))
    low, high = np.quantile(scores, [0.025, 0.975])
    return {"auroc": float(roc_auc_score(y, p)), "low": float(low), "high": float(high), "n_boot": len(scores)}


def feature_groups(names: list[str]) -> dict[str, list[str]]:
    """Each feature on its own, except the film's genre flags, which move together."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault("film_genres" if name.startswith("genre_") else name, []).append(name)
    return groups


def importance(model, X: pd.DataFrame, y, max_rows: int = 2000, n_repeats: int = 2,
               random_state: int = 0) -> pd.DataFrame:
    """Permutation importance: the drop in holdout AUROC when a feature group's values are shuffled."""
    y = np.asarray(y, dtype=int)
    rng = np.random.default_rng(random_state)
    if len(X) > max_rows:
        pick = np.sort(rng.choice(len(X), size=max_rows, replace=False))
        X, y = X.iloc[pick], y[pick]
    X = X[model.feature_names_].reset_index(drop=True)
    baseline = roc_auc_score(y, model.predict_base(X))
    rows = []
    for group, columns in feature_groups(model.feature_names_).items():
        drops = []
        for _ in range(n_repeats):
            shuffled = X.copy()
            shuffled[columns] = X[columns].to_numpy()[rng.permutation(len(X))]
            drops.append(baseline - roc_auc_score(y, model.predict_base(shuffled)))
        rows.append({"feature": group, "importance": float(np.mean(drops)), "std": float(np.std(drops))})
    table = pd.DataFrame(rows)
    return table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
