"""Metric functions shared by every package: pure functions over arrays and ranked lists.

* probability quality: :func:`brier_score`, :func:`reliability_table`,
  :func:`expected_calibration_error`;
* rating accuracy: :func:`rmse`, :func:`mae`, :func:`r2`, :func:`accuracy`, and
  :func:`segment_metrics` (global and per-segment accuracy with standard errors, the currency of
  drift checks for any regression model);
* ranking, per user then averaged over users with at least one relevant item:
  :func:`precision_at_k`, :func:`recall_at_k`, :func:`ndcg_at_k` (binary gains, log2 discount);
* beyond accuracy: :func:`catalog_coverage`, :func:`diversity` (mean pairwise cosine distance
  inside each list) and :func:`personalization` (1 − mean cosine similarity between users' lists).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

Lists = Mapping[object, Sequence]          # user → ranked item ids, best first
Relevant = Mapping[object, set]             # user → relevant item ids


def brier_score(y_true, p) -> float:
    y_true, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    return float(np.mean((p - y_true) ** 2)) if len(y_true) else float("nan")


def reliability_table(y_true, p, n_bins: int = 10) -> pd.DataFrame:
    """Equal-width probability bins: mean predicted vs observed frequency and count per bin."""
    y_true, p = np.asarray(y_true, dtype=float), np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.digitize(p, edges[1:-1], right=False), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = bins == b
        count = int(mask.sum())
        rows.append({
            "bin": b, "bin_low": edges[b], "bin_high": edges[b + 1], "count": count,
            "mean_predicted": float(p[mask].mean()) if count else np.nan,
            "observed_rate": float(y_true[mask].mean()) if count else np.nan,
        })
    return pd.DataFrame(rows)


def expected_calibration_error(y_true, p, n_bins: int = 10) -> float:
    """Count-weighted mean |observed − predicted| over equal-width bins."""
    table = reliability_table(y_true, p, n_bins)
    filled = table[table["count"] > 0]
    if filled.empty:
        return float("nan")
    gaps = (filled["observed_rate"] - filled["mean_predicted"]).abs()
    return float((gaps * filled["count"]).sum() / filled["count"].sum())


# ---------------------------------------------------------------------------------- rating accuracy
def rmse(y_true, y_pred) -> float:
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2))) if len(y_true) else float("nan")


def mae(y_true, y_pred) -> float:
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred))) if len(y_true) else float("nan")


def r2(y_true, y_pred) -> float:
    """1 − SS_res / SS_tot around the mean of ``y_true`` (NaN when ``y_true`` is constant)."""
    y_true, y_pred = _pair(y_true, y_pred)
    total = float(np.sum((y_true - y_true.mean()) ** 2)) if len(y_true) else 0.0
    if total == 0.0:
        return float("nan")
    return 1.0 - float(np.sum((y_true - y_pred) ** 2)) / total


def accuracy(y_true, y_pred) -> dict[str, float]:
    return {"rmse": rmse(y_true, y_pred), "mae": mae(y_true, y_pred), "r2": r2(y_true, y_pred), "count": int(len(y_true))}


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has {y_pred.shape}")
    return y_true, y_pred


def accuracy_with_errors(y_true, y_pred) -> dict[str, float]:
    """:func:`accuracy` plus the standard errors of the mean squared error and of R² (for z tests)."""
    y_true, y_pred = _pair(y_true, y_pred)
    squared = (y_true - y_pred) ** 2
    se = float(squared.std(ddof=1) / np.sqrt(len(squared))) if len(squared) > 1 else float("nan")
    variance = float(y_true.var()) if len(y_true) else 0.0
    # R² = 1 − MSE / Var(y): its standard error is about that of the MSE over Var(y).
    return {**accuracy(y_true, y_pred), "mse_se": se, "r2_se": se / variance if variance > 0 else float("nan")}


def segment_metrics(frame: pd.DataFrame, segments: pd.DataFrame, segment_column: str = "genre",
                    key: str = "movie_id") -> dict:
    """Global and per-segment accuracy of ``frame`` (columns ``key``, rating, prediction).

    ``segments`` maps ``key`` to one or more segments (one row per pair: a film counts in every
    one of its genres). Plain dicts, so the result goes straight into manifests and JSON::

        {"global": {"rmse", "mae", "r2", "count", "mse_se", "r2_se"}, "segments": {name: {...}}}
    """
    result = {"global": accuracy_with_errors(frame["rating"].to_numpy(float), frame["prediction"].to_numpy(float)),
              "segments": {}}
    joined = frame[[key, "rating", "prediction"]].merge(segments[[key, segment_column]], on=key)
    for segment, part in joined.groupby(segment_column, sort=True):
        result["segments"][str(segment)] = accuracy_with_errors(part["rating"].to_numpy(float),
                                                                part["prediction"].to_numpy(float))
    return result


# ---------------------------------------------------------------------------------- ranking
def _per_user(lists: Lists, relevant: Relevant, k: int, score) -> float:
    values = [score(list(lists.get(user, ()))[:k], rel) for user, rel in relevant.items() if rel]
    return float(np.mean(values)) if values else float("nan")


def precision_at_k(lists: Lists, relevant: Relevant, k: int) -> float:
    """Hits in the top ``k`` divided by ``k`` (a short list still divides by ``k``)."""
    return _per_user(lists, relevant, k, lambda top, rel: len(set(top) & rel) / k)


def recall_at_k(lists: Lists, relevant: Relevant, k: int) -> float:
    return _per_user(lists, relevant, k, lambda top, rel: len(set(top) & rel) / len(rel))


def ndcg_at_k(lists: Lists, relevant: Relevant, k: int) -> float:
    def score(top, rel):
        dcg = sum(1.0 / np.log2(rank + 2) for rank, item in enumerate(top) if item in rel)
        ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(len(rel), k)))
        return dcg / ideal
    return _per_user(lists, relevant, k, score)


# --------------------------------------------------------------------------- beyond accuracy
def catalog_coverage(lists: Lists, n_items: int) -> float:
    """Share of the catalog's ``n_items`` films that appear in at least one list."""
    if n_items <= 0:
        return float("nan")
    shown = {item for items in lists.values() for item in items}
    return len(shown) / n_items


def diversity(lists: Lists, vectors: Mapping[object, np.ndarray]) -> float:
    """Mean over lists of the mean pairwise cosine distance of their items' vectors.

    Items without a vector (or with a zero vector) are left out; lists with fewer than two
    usable items do not count.
    """
    per_list = []
    for items in lists.values():
        rows = [np.asarray(vectors[i], dtype=float) for i in items if i in vectors]
        rows = [v for v in rows if np.linalg.norm(v) > 0]
        if len(rows) < 2:
            continue
        matrix = np.vstack(rows)
        matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
        similarity = matrix @ matrix.T
        n = len(rows)
        mean_similarity = (similarity.sum() - np.trace(similarity)) / (n * (n - 1))
        per_list.append(1.0 - mean_similarity)
    return float(np.mean(per_list)) if per_list else float("nan")


def personalization(lists: Lists, max_users: int = 2000, seed: int = 0) -> float:
    """1 − mean cosine similarity of every pair of users' lists (binary item vectors).

    Above ``max_users`` lists a seeded sample of users is used, so the cost stays bounded.
    """
    users = [u for u, items in lists.items() if len(items)]
    if len(users) < 2:
        return float("nan")
    if len(users) > max_users:
        rng = np.random.default_rng(seed)
        users = [users[i] for i in sorted(rng.choice(len(users), max_users, replace=False))]
    vocabulary: dict[object, int] = {}
    rows, cols = [], []
    for row, user in enumerate(users):
        for item in set(lists[user]):
            rows.append(row)
            cols.append(vocabulary.setdefault(item, len(vocabulary)))
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(users), len(vocabulary)))
    norms = np.sqrt(np.asarray(matrix.sum(axis=1)).ravel())
    similarity = (matrix @ matrix.T).toarray() / np.outer(norms, norms)
    n = len(users)
    mean_similarity = (similarity.sum() - np.trace(similarity)) / (n * (n - 1))
    return float(1.0 - mean_similarity)
