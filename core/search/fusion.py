"""Pure functions over ranked lists: top-k, reciprocal rank fusion, min-max scaling, MMR."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None, positive_only: bool = False) -> np.ndarray:
    """Indices of the ``k`` highest scores (descending), optionally within ``mask``."""
    scores = np.asarray(scores, dtype=np.float64)
    allowed = np.ones(len(scores), dtype=bool) if mask is None else mask.copy()
    if positive_only:
        allowed &= scores > 0
    candidates = np.flatnonzero(allowed)
    if k <= 0 or not len(candidates):
        return np.zeros(0, dtype=np.int64)
    if len(candidates) > k:
        part = np.argpartition(-scores[candidates], k - 1)[:k]
        candidates = candidates[part]
    # Stable tie-break on index keeps results deterministic.
    return candidates[np.lexsort((candidates, -scores[candidates]))]


def rrf(ranked: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: float = 60.0) -> dict[int, float]:
    """Reciprocal rank fusion: ``sum_i w_i / (k + rank_i)`` with ranks starting at 1."""
    weights = list(weights) if weights is not None else [1.0] * len(ranked)
    if len(weights) != len(ranked):
        raise ValueError("one weight per ranked list")
    fused: dict[int, float] = {}
    for items, weight in zip(ranked, weights):
        for rank, item in enumerate(items, start=1):
            fused[int(item)] = fused.get(int(item), 0.0) + weight / (k + rank)
    return fused


def minmax(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant (or single) list becomes all ones."""
    values = np.asarray(values, dtype=np.float64)
    if not len(values):
        return values
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-12:
        return np.ones_like(values)
    return (values - low) / (high - low)


def mmr(relevance: np.ndarray, vectors: np.ndarray, k: int, lam: float = 0.7) -> list[int]:
    """Maximal marginal relevance: greedily pick ``argmax λ·rel − (1−λ)·max sim to picked``.

    ``relevance`` should be on a [0, 1] scale comparable with cosine similarity; ``vectors`` are
    the candidates' normalised embeddings. Returns positions into the candidate arrays.
    """
    n = len(relevance)
    k = min(k, n)
    if k <= 0:
        return []
    relevance = np.asarray(relevance, dtype=np.float64)
    vectors = np.asarray(vectors, dtype=np.float32)
    chosen: list[int] = []
    closest = np.full(n, -np.inf)
    available = np.ones(n, dtype=bool)
    for _ in range(k):
        penalty = np.where(np.isfinite(closest), closest, 0.0)
        gain = lam * relevance - (1.0 - lam) * penalty
        gain[~available] = -np.inf
        pick = int(np.argmax(gain))
        chosen.append(pick)
        available[pick] = False
        # One matrix-vector product per pick (not the full n×n matrix: a threaded BLAS
        # matrix product cost 14 ms per query on this busy machine).
        closest = np.maximum(closest, vectors @ vectors[pick])
    return chosen
