"""Metric functions (core.metrics) against values worked out by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core import metrics as ev
from core.cf import genre_table
from core.cf.evaluation import genre_vectors
from core.metrics import segment_metrics


def test_rating_accuracy_by_hand():
    y, p = [3, 4, 5, 1], [2.5, 4, 4, 2]
    # errors 0.5, 0, 1, -1 → squared 0.25, 0, 1, 1 → MSE 0.5625
    assert ev.rmse(y, p) == pytest.approx(math.sqrt(0.5625))
    assert ev.mae(y, p) == pytest.approx(2.5 / 4)
    # mean 3.25; SS_tot = 0.0625 + 0.5625 + 3.0625 + 5.0625 = 8.75; SS_res = 2.25
    assert ev.r2(y, p) == pytest.approx(1 - 2.25 / 8.75)
    assert math.isnan(ev.r2([3, 3], [3, 3]))
    with pytest.raises(ValueError):
        ev.rmse([1, 2], [1])


LISTS = {"a": [1, 2, 3, 4], "b": [5, 6, 7, 8], "c": [1, 2, 9, 10]}
RELEVANT = {"a": {2, 4, 11}, "b": {9}, "c": {1}, "d": set()}


def test_ranking_metrics_by_hand():
    # a: hits 2 (rank 2) and 4 (rank 4); b: none; c: 1 at rank 1; d has nothing relevant → skipped
    assert ev.precision_at_k(LISTS, RELEVANT, 4) == pytest.approx((2 / 4 + 0 + 1 / 4) / 3)
    assert ev.recall_at_k(LISTS, RELEVANT, 4) == pytest.approx((2 / 3 + 0 + 1) / 3)
    dcg_a = 1 / math.log2(3) + 1 / math.log2(5)
    idcg_a = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ev.ndcg_at_k(LISTS, RELEVANT, 4) == pytest.approx((dcg_a / idcg_a + 0 + 1) / 3)
    # k truncates the lists: at k=1 only c hits
    assert ev.precision_at_k(LISTS, RELEVANT, 1) == pytest.approx(1 / 3)
    assert ev.ndcg_at_k({"x": [3, 1]}, {"x": {1, 3}}, 2) == pytest.approx(1.0)


def test_coverage_diversity_personalization_by_hand():
    assert ev.catalog_coverage(LISTS, 20) == pytest.approx(10 / 20)
    vectors = {1: np.array([1.0, 0.0]), 2: np.array([0.0, 1.0]), 3: np.array([1.0, 1.0])}
    # pairs: (1,2) cos 0, (1,3) cos 1/√2, (2,3) cos 1/√2 → mean similarity (√2)/3
    assert ev.diversity({"u": [1, 2, 3]}, vectors) == pytest.approx(1 - math.sqrt(2) / 3)
    assert ev.diversity({"u": [1, 1]}, vectors) == pytest.approx(0.0)
    # overlaps: a∩b 0, a∩c 2, b∩c 0 out of 4 → mean similarity (0 + 0.5 + 0) / 3
    assert ev.personalization(LISTS) == pytest.approx(1 - 0.5 / 3)
    assert ev.personalization({"a": [1, 2], "b": [1, 2]}) == pytest.approx(0.0)


def test_genre_vectors_and_segments_by_hand():
    movies = pd.DataFrame({"movie_id": [1, 2, 3], "genres": [["Drama"], ["Drama", "Comedy"], []]})
    vectors = genre_vectors(movies)
    assert set(vectors) == {1, 2} and vectors[2].tolist() == [1.0, 1.0]  # vocabulary: Comedy, Drama
    frame = pd.DataFrame({"movie_id": [1, 2, 3], "rating": [4.0, 2.0, 3.0], "prediction": [3.0, 2.0, 5.0]})
    metrics = segment_metrics(frame, genre_table(movies))
    assert metrics["global"]["rmse"] == pytest.approx(math.sqrt((1 + 0 + 4) / 3))
    assert metrics["segments"]["Drama"]["rmse"] == pytest.approx(math.sqrt(0.5))
    assert metrics["segments"]["Drama"]["count"] == 2
    assert metrics["segments"]["Comedy"]["mae"] == pytest.approx(0.0)
    assert set(metrics["segments"]) == {"Drama", "Comedy"}
