"""Pure metric functions over arrays and ranked lists (small enough to check by hand).

Rating accuracy: :func:`rmse`, :func:`mae`, :func:`r2`. Ranking, per user then averaged over
users with at least one relevant film: :func:`precision_at_k`, :func:`recall_at_k`,
:func:`ndcg_at_k` (binary gains, log2 discount). Beyond accuracy: :func:`catalog_coverage`,
:func:`diversity` (mean pairwise cosine distance inside each list) and :func:`personalization`
(1 − mean cosine similarity between users' lists; for equal-length lists that is 1 − mean overlap).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy import sparse

Lists = Mapping[object, Sequence]          # user → ranked film ids, best first
Relevant = Mapping[object, set]             # user → relevant film ids


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


def genre_vectors(movies, genre_column: str = "genres") -> dict[int, np.ndarray]:
    """Multi-hot genre vector per film id (films without genres get none)."""
    vocabulary = sorted({g for genres in movies[genre_column] if genres is not None for g in genres})
    index = {g: i for i, g in enumerate(vocabulary)}
    vectors = {}
    for movie_id, genres in zip(movies["movie_id"], movies[genre_column]):
        if genres is None or len(genres) == 0:
            continue
        vector = np.zeros(len(vocabulary))
        vector[[index[g] for g in genres]] = 1.0
        vectors[int(movie_id)] = vector
    return vectors
