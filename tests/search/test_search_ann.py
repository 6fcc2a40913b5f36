"""The approximate dense index option: HNSW / IVF agree with the exact index on clustered
vectors, small masks are searched exactly, ``auto`` switches at ``ANN_FROM`` films.
(Recall and latency at 1M vectors: benchmarks/bench_search_ann.py.)"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import MarqueeError
from core.search import index as search_index
from core.search.bm25 import BM25


def clustered(n: int, d: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, d))
    data = centres[rng.integers(0, 40, n)] + 0.3 * rng.standard_normal((n, d))
    return (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)


def make(vectors: np.ndarray, ann: str) -> search_index.SearchIndex:
    docs = pd.DataFrame({"text": ["x"] * len(vectors)})
    return search_index.SearchIndex(docs, vectors, search_index._faiss_from(vectors, ann), BM25().fit(["x"] * len(vectors)))


@pytest.mark.parametrize("ann", ["hnsw", "ivf"])
def test_approximate_index_finds_the_exact_neighbours(ann):
    vectors = clustered(3000)
    exact, approx = make(vectors, "flat"), make(vectors, ann)
    queries = clustered(40, seed=1)
    overlap = [len(set(exact.dense_search(q, 10)[0]) & set(approx.dense_search(q, 10)[0])) / 10 for q in queries]
    assert np.mean(overlap) >= 0.9


def test_a_small_mask_is_searched_exactly_on_any_index():
    vectors = clustered(3000)
    mask = np.zeros(3000, dtype=bool)
    mask[::7] = True
    query = clustered(1, seed=2)[0]
    expected = np.flatnonzero(mask)[np.argsort(-(vectors[mask] @ query), kind="stable")[:10]]
    for ann in ("flat", "hnsw", "ivf"):
        rows, scores = make(vectors, ann).dense_search(query, 10, mask)
        assert rows.tolist() == expected.tolist() and np.all(np.diff(scores) <= 1e-6)


def test_auto_switches_to_hnsw_for_large_catalogs():
    assert search_index.ann_kind(search_index.ANN_FROM - 1) == "flat"
    assert search_index.ann_kind(search_index.ANN_FROM) == "hnsw"
    assert search_index.ann_kind(10, "ivf") == "ivf"
    with pytest.raises(MarqueeError, match="unknown index kind"):
        search_index.ann_kind(10, "lsh")
