"""The taste model on real labels: a MovieLens user (rating >= 4 = would watch) as the labeler."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import personal
from core.personal.evaluate import user_cv_benchmark
from core.personal.features import build_item_features, collaborative_features

GRID = {"max_depth": [2, 3], "n_estimators": [120]}


@pytest.fixture(scope="module")
def trained_user(ml100k_catalog, ml100k_user):
    store = personal.open_store()
    profile = f"ml-user-{ml100k_user}"
    summary = personal.import_user_ratings(store, profile, ml100k_catalog, ml100k_user)
    report = personal.train(profile, ml100k_catalog, store=store, grid=GRID, n_splits=5)
    return profile, store, summary, report


def test_train_reports_cv_metrics_on_real_labels(trained_user, ml100k_catalog, ml100k_user):
    profile, store, summary, report = trained_user
    ratings = ml100k_catalog.ratings[ml100k_catalog.ratings["user_id"] == ml100k_user]
    assert summary["imported"] == len(ratings) == report["n_labels"]
    assert summary["would_watch"] == int((ratings["rating"] >= 4).sum())
    assert report["mode"] == "binary" and report["exclude_user"] == ml100k_user
    metrics = report["metrics"]
    assert metrics["roc_auc"] > 0.6, metrics
    assert len(report["grid"]) == 2 and np.array(metrics["confusion_matrix"]["matrix"]).sum() == len(ratings)
    assert {"meta", "text", "collab"} <= set(report["feature_groups"])
    assert all(r["p_watch"] >= 0.5 for r in report["false_positives"])
    assert report["reliable"] and report["labels_needed"] == 0
    labels, p = personal.oof_predictions(profile, "ml100k")
    assert len(labels) == len(p) == len(ratings) and set(np.unique(labels)) == {0, 1}
    assert labels.sum() == summary["would_watch"] and ((p >= 0) & (p <= 1)).all()
    trained = personal.load_trained(profile, ml100k_catalog)
    assert trained.version.name == report["version"] and trained.path.parts[-4:-1] == ("personal", "ml100k", profile)
    assert sorted(f.name for f in trained.path.iterdir()) == [
        "booster.json", "cv.json", "item_features.parquet", "manifest.json", "model.json", "normalisation.json",
        "reliability.parquet"]
    reliability = pd.read_parquet(trained.path / "reliability.parquet")
    assert list(reliability.columns) == ["label", "p"] and reliability["label"].tolist() == labels.tolist()
    assert any(row["profile"] == profile for row in personal.list_trained())


def test_predict_explain_and_recommend(trained_user, ml100k_catalog):
    profile, store, _, _ = trained_user
    labeled = store.labels(profile, "ml100k")
    unlabeled = sorted(set(ml100k_catalog.movies["movie_id"]) - set(labeled["movie_id"]))
    store.exclude(profile, "ml100k", unlabeled[:5], reason="not on my services")
    trained = personal.load_trained(profile, ml100k_catalog)
    top = personal.recommend(trained, ml100k_catalog, store, top=30)
    assert len(top) == 30 and top["p_watch"].is_monotonic_decreasing and (top["flag"] == "ok").all()
    assert list(top.columns[:5]) == ["rank", "title", "year", "p_watch", "reason"] and top.index.name == "movie_id"
    assert not set(top.index) & (set(labeled["movie_id"]) | set(unlabeled[:5]))
    # a skip is not a decline: a skipped title can still be recommended
    store.skip(profile, "ml100k", int(top.index[0]))
    assert int(top.index[0]) in set(personal.recommend(trained, ml100k_catalog, store, top=30).index)
    explained = personal.explain(trained, ml100k_catalog, int(top.index[0]), store=store)
    assert 0.0 <= explained["p_watch"] <= 1.0 and explained["your_label"] is None and explained["flag"] == "ok"
    assert explained["top_positive"] or explained["top_negative"]
    liked = set(labeled.loc[labeled["label"] != "would_not_watch", "movie_id"])
    assert explained["because_you_liked"] and {s["movie_id"] for s in explained["because_you_liked"]} <= liked
    predicted = personal.predict_titles(trained, top.index[:3])
    assert np.allclose(predicted["p_watch"], top["p_watch"].head(3), atol=1e-3)


def test_collaborative_features_leave_the_labeler_out(ml100k_catalog, ml100k_user):
    ratings = ml100k_catalog.ratings
    ids = pd.Index(ml100k_catalog.movies["movie_id"])
    excluded = collaborative_features(ratings, ids, 8, exclude_user=ml100k_user)
    without = collaborative_features(ratings[ratings["user_id"] != ml100k_user], ids, 8)
    pd.testing.assert_frame_equal(excluded, without)
    with_user = collaborative_features(ratings, ids, 8)
    assert not np.allclose(with_user["cf_mean_rating"].fillna(0), excluded["cf_mean_rating"].fillna(0))
    features = build_item_features(ml100k_catalog, exclude_user=ml100k_user)
    assert features.parameters["exclude_user"] == ml100k_user


def test_user_benchmark_against_label_free_baselines(ml100k_catalog, ml100k_user):
    result = user_cv_benchmark(ml100k_catalog, ml100k_user, params={"n_estimators": 120})
    for key in ("model_auc", "vote_average_auc", "others_mean_auc"):
        assert 0.3 < result[key] < 1.0, result
    assert result["n"] >= 150
