"""TasteModel: scikit-learn contract, in-fold people encodings, JSON persistence (no pickle)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from core.errors import MarqueeError
from core.models import Flag, ModelIntegrityError, NotFittedError
from core.personal.evaluate import classification_metrics, cross_val_proba, error_lists, grid_search
from core.personal.model import TasteModel

FAST = {"n_estimators": 60, "max_depth": 2}


def synthetic(n=300, seed=0, directors_per=10, signal=True):
    """Films whose label depends on a numeric feature and on their director (shared by 10 films)."""
    rng = np.random.default_rng(seed)
    director = rng.integers(0, n // directors_per, size=n)
    director_taste = rng.normal(0, 1.5, size=n // directors_per)
    x = rng.normal(size=n)
    score = (x + director_taste[director]) if signal else rng.normal(size=n)
    y = np.where(score + rng.normal(0, 0.5, n) > 0, "would_watch", "would_not_watch").astype(object)
    X = pd.DataFrame({"x": x, "noise": rng.normal(size=n), "directors": [[int(d)] for d in director],
                      "cast": [[int(d) + 1000, int(rng.integers(5000, 5100))] for d in director]})
    return X, y


def test_sklearn_contract_and_unfitted_error():
    model = TasteModel(**FAST)
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict_proba(pd.DataFrame({"x": [1.0]}))
    X, y = synthetic()
    assert model.fit(X, y) is model
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    assert set(model.predict(X)) <= {"would_watch", "would_not_watch"}
    assert {"directors_te_mean", "cast_te_max", "x"} <= set(model.feature_names_)


def test_people_encodings_are_learned_inside_folds_only():
    # Every film has its own director and labels are pure noise: any leak of a film's own label
    # through its director encoding would show up as a high cross-validated AUC.
    rng = np.random.default_rng(3)
    n = 300
    X = pd.DataFrame({"noise": rng.normal(size=n), "directors": [[i] for i in range(n)], "cast": [[i + 10_000] for i in range(n)]})
    y = rng.choice(np.array(["would_watch", "would_not_watch"], dtype=object), size=n)
    proba = cross_val_proba(X, y, FAST, n_splits=5)
    assert roc_auc_score(y == "would_watch", proba[:, 1]) < 0.62
    # ... while a director shared by many films is learned from the training folds.
    X2, y2 = synthetic(signal=True)
    proba2 = cross_val_proba(X2.drop(columns=["x"]), y2, FAST, n_splits=5)
    assert roc_auc_score(y2 == "would_watch", proba2[:, 1]) > 0.75


def test_save_load_round_trip_is_json_only(tmp_path):
    X, y = synthetic()
    y = y.copy()
    y[::7] = "would_watch_many"
    model = TasteModel(**FAST).fit(X, y)
    assert list(model.classes_) == ["would_not_watch", "would_watch", "would_watch_many"]
    model.save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files == ["booster.json", "model.json", "normalisation.json"]
    loaded = TasteModel.load(tmp_path / "m")
    assert np.allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-6)
    assert loaded.get_params() == model.get_params()
    contributions = loaded.contributions(X.head(3))
    assert list(contributions.columns) == loaded.feature_names_
    with pytest.raises(ModelIntegrityError, match="no saved model here"):
        TasteModel.load(tmp_path)


def test_guard_rails_flag_a_model_too_weak_to_trust():
    X, y = synthetic(n=13, seed=2)
    y = np.array(["would_watch"] * 8 + ["would_not_watch"] * 5, dtype=object)
    weak = TasteModel(**FAST).fit(X, y)
    reliability = weak.reliability()
    assert not reliability.ok and reliability.labels_needed == 17
    assert "trained on 13 labels (needs at least 30)" in reliability.message and "17 more" in reliability.message
    assert set(weak.predict_flagged(X).flags) == {Flag.UNRELIABLE_MODEL}
    X, y = synthetic(n=200, seed=2)
    strong = TasteModel(**FAST).fit(X, y)
    assert strong.reliability().ok and strong.predict_flagged(X).ok.all()
    strong.metrics_ = {"roc_auc": 0.225}  # what cross-validation said about it
    assert "no better than chance" in strong.reliability().message
    assert not strong.predict_flagged(X).ok.any()
    few_negatives = np.where(np.arange(200) < 4, "would_not_watch", "would_watch").astype(object)
    lopsided = TasteModel(**FAST).fit(X, few_negatives).reliability()
    assert not lopsided.ok and "only 4 'would not watch' labels (needs 5)" in lopsided.message
    assert lopsided.labels_needed == 1


def test_grid_search_metrics_and_error_lists():
    X, y = synthetic(seed=5)
    result = grid_search(X, y, {"max_depth": [1, 3]}, base_params={"n_estimators": 40}, n_splits=4)
    assert len(result["grid"]) == 2 and result["best_point"]["max_depth"] in (1, 3)
    metrics = result["metrics"]
    assert metrics["roc_auc"] == max(row["roc_auc"] for row in result["grid"])
    assert metrics["roc_auc"] > 0.8 and 0 < metrics["pr_auc"] <= 1
    matrix = np.array(metrics["confusion_matrix"]["matrix"])
    assert matrix.sum() == len(y) and matrix.shape == (2, 2)
    p_watch = result["oof_proba"][:, 1]
    errors = error_lists(np.arange(len(y)), [f"t{i}" for i in range(len(y))], y, p_watch, n=5)
    assert all(r["label"] == "would_not_watch" and r["p_watch"] >= 0.5 for r in errors["false_positives"])
    assert all(r["label"] == "would_watch" and r["p_watch"] < 0.5 for r in errors["false_negatives"])
    three = classification_metrics(np.where(np.arange(len(y)) % 5 == 0, "would_watch_many", y).astype(object),
                                   np.tile([0.3, 0.4, 0.3], (len(y), 1)))
    assert np.array(three["confusion_matrix"]["matrix"]).shape == (3, 3) and "roc_auc_ovr_macro" in three


def test_training_needs_both_sides():
    X, _ = synthetic(n=40)
    with pytest.raises(MarqueeError, match="both"):
        TasteModel(**FAST).fit(X, np.array(["would_watch"] * 40, dtype=object))


def test_text_sources_are_pluggable(tmp_path):
    from core.catalog import store
    from core.catalog.demo import build_demo_catalog
    from core.personal.features import TEXT_SOURCES, build_item_features, register_text_source

    build_demo_catalog("personal-tiny", n_movies=80, seed=3, data_dir=tmp_path)
    tiny = store.load_catalog("personal-tiny", data_dir=tmp_path)

    class Constant:
        name = "constant"

        def components(self, catalog):
            return np.tile(np.arange(3.0), (len(catalog.movies), 1)) + catalog.movies[["movie_id"]].to_numpy()

    register_text_source("constant", lambda n: Constant())
    try:
        features = build_item_features(tiny, text_source="constant", use_cache=False)
        assert features.groups["text"] == ["text_0", "text_1", "text_2"]
        assert features.numeric.loc[5, "text_2"] == 7.0
    finally:
        TEXT_SOURCES.pop("constant")
    tfidf = build_item_features(tiny, text_source="tfidf")
    assert len(tfidf.groups["text"]) > 3 and not tfidf.numeric[tfidf.groups["text"]].isna().all().any()
    minilm = build_item_features(tiny, text_source="minilm", n_text=8)
    assert len(minilm.groups["text"]) == 8 and minilm.numeric[minilm.groups["text"]].notna().all().all()
    with pytest.raises(MarqueeError, match="unknown text source"):
        build_item_features(tiny, text_source="nope", use_cache=False)


def test_three_way_mode_selection():
    from core.personal.training import training_targets

    def frame(n_not, n_once, n_many):
        return pd.DataFrame({"label": ["would_not_watch"] * n_not + ["would_watch"] * n_once + ["would_watch_many"] * n_many})

    y, mode = training_targets(frame(20, 20, 12))
    assert mode == "three-way" and set(y) == {"would_not_watch", "would_watch", "would_watch_many"}
    y, mode = training_targets(frame(20, 20, 4))  # too few "many" to cross-validate: merged
    assert mode == "binary" and (y == "would_watch").sum() == 24
    y, mode = training_targets(frame(20, 20, 12), three_way="binary")
    assert mode == "binary"
    with pytest.raises(MarqueeError, match="three-way training needs"):
        training_targets(frame(20, 20, 3), three_way="three-way")
    with pytest.raises(MarqueeError, match="label more titles first"):
        training_targets(frame(3, 20, 0))
