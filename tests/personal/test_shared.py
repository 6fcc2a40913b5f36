"""The shared (new-labeler) taste model: no held-out rating reaches a feature, fold-in matches a
refit, the combiner learns on simulated labelers, the learning curve and queues work."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core.personal import shared, signals
from core.personal.shared import SharedTasteModel, learning_curve, queue_curve, simulate_catalog
from core.personal.signals import FEATURES, als_item_factors, build_signals, fold_in, labeler_features


def taste_world(n_users: int = 80, n_films: int = 60, per_user: int = 35, seed: int = 0):
    """Ratings driven by two hidden tastes (genre A vs B lovers) plus film quality."""
    rng = np.random.default_rng(seed)
    genre = rng.integers(0, 2, size=n_films)
    quality = rng.normal(0, 0.6, size=n_films)
    taste = rng.integers(0, 2, size=n_users)
    rows = []
    for user in range(n_users):
        for film in rng.choice(n_films, size=per_user, replace=False):
            score = 3.2 + quality[film] + (1.0 if genre[film] == taste[user] else -1.0) + rng.normal(0, 0.5)
            rows.append((user + 1, film + 1, float(np.clip(np.round(score), 1, 5)), 1_000_000 + len(rows)))
    ratings = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])
    movies = pd.DataFrame({"movie_id": np.arange(1, n_films + 1), "title": [f"Film {i}" for i in range(1, n_films + 1)],
                           "genres": [["A"] if g == 0 else ["B"] for g in genre],
                           "vote_average": 6 + quality + rng.normal(0, 0.3, n_films)})
    return SimpleNamespace(name="world", ratings=ratings, movies=movies, data_checksum="world-v1")


@pytest.fixture(scope="module")
def world():
    return taste_world()


def test_excluded_users_ratings_never_reach_the_signals(world):
    """Signals built without user 7 are identical whatever user 7 rated, however often."""
    ratings = world.ratings
    mine = ratings["user_id"] == 7
    changed = ratings.copy()
    changed.loc[mine, "rating"] = 6 - changed.loc[mine, "rating"]            # every opinion reversed
    extra = pd.DataFrame({"user_id": 7, "movie_id": np.arange(1, 61), "rating": 5.0, "timestamp": 0})
    changed = pd.concat([changed, extra], ignore_index=True)                   # and films they never rated
    a = build_signals(ratings, world.movies, exclude_users=[7])
    b = build_signals(changed, world.movies, exclude_users=[7])
    for key, value in a.arrays().items():
        np.testing.assert_array_equal(value, b.arrays()[key], err_msg=key)
    included = build_signals(ratings, world.movies)
    assert not np.array_equal(a.crowd, included.crowd)  # the check can fail: user 7 does move the signals


def test_a_candidates_own_label_never_feeds_its_features(world):
    sig = build_signals(world.ratings, world.movies, exclude_users=[3])
    mine = world.ratings[world.ratings["user_id"] == 3]
    ids = mine["movie_id"].to_numpy()
    liked = (mine["rating"].to_numpy() >= 4).astype(int)
    X = labeler_features(sig, ids, liked, ids)
    flipped = liked.copy()
    flipped[0] = 1 - flipped[0]
    Y = labeler_features(sig, ids, flipped, ids)
    np.testing.assert_allclose(X[0], Y[0])
    assert not np.allclose(X[1:], Y[1:])  # the other films do learn from film 0's label


def test_simulation_never_lets_a_labeler_into_their_own_signals(world, monkeypatch):
    """Fails if any simulated labeler's ratings are among the ratings their features come from."""
    calls = []
    real_build, real_rows = shared.build_signals, shared.simulate_rows

    def recording_build(ratings, movies, **kwargs):
        built = real_build(ratings, movies, **kwargs)
        built.raters_used = set(ratings["user_id"]) - set(built.excluded_users)
        return built

    def recording_rows(sig, labelers, **kwargs):
        calls.append((sig.raters_used, set(labelers)))
        return real_rows(sig, labelers, **kwargs)

    monkeypatch.setattr(shared, "build_signals", recording_build)
    monkeypatch.setattr(shared, "simulate_rows", recording_rows)
    rows = simulate_catalog(world.ratings, world.movies, n_folds=4, seed=1)
    assert len(calls) == 4 and set().union(*(labelers for _, labelers in calls)) == set(rows["user_id"])
    for used, labelers in calls:
        assert labelers and not used & labelers


def test_simulate_rows_refuses_signals_that_contain_the_labeler(world):
    sig = build_signals(world.ratings, world.movies, exclude_users=[1])
    two = {u: world.ratings[world.ratings["user_id"] == u] for u in (1, 2)}
    with pytest.raises(Exception, match="not excluded from the signals"):
        shared.simulate_rows(sig, two)


def test_fold_in_matches_a_refit(world):
    """A new user folded into fixed item factors scores films as a refit with them would."""
    ratings = world.ratings
    index = pd.Index(world.movies["movie_id"])
    users, user = np.unique(ratings["user_id"], return_inverse=True)
    item = index.get_indexer(ratings["movie_id"])
    value = ratings["rating"].to_numpy(float) - ratings["rating"].mean()
    new = users[-1]
    rest = user != len(users) - 1
    V_without = als_item_factors(user[rest], item[rest], value[rest], len(users) - 1, len(index), k=4,
                                 reg=2.0, iterations=40)
    V_with = als_item_factors(user, item, value, len(users), len(index), k=4, reg=2.0, iterations=40)
    mine = ~rest
    w_fold = fold_in(V_without[item[mine]], value[mine], reg=2.0)
    w_refit = fold_in(V_with[item[mine]], value[mine], reg=2.0)  # the user step of the refit model
    folded, refit = V_without @ w_fold, V_with @ w_refit
    assert np.corrcoef(folded, refit)[0, 1] > 0.97
    assert np.abs(folded - refit).max() < 0.35 and np.abs(folded - refit).mean() < 0.1


@pytest.fixture(scope="module")
def fitted(world):
    return SharedTasteModel(combiner="auto", n_folds=4, min_labeler_ratings=10, seed=0).fit(world)


def test_shared_model_learns_taste_beyond_the_crowd(fitted, world):
    metrics = fitted.metrics_
    assert metrics["validation_users"] >= 10
    assert metrics["mean_user_auc"] > metrics["crowd_mean_user_auc"] + 0.05, metrics
    assert {row["combiner"] for row in fitted.selection_} == {"logistic", "boosted"}
    # a new person who loves genre A (films 1..60 with genre A) and dislikes B
    genre_a = world.movies["genres"].map(lambda g: g == ["A"]).to_numpy()
    ids = world.movies["movie_id"].to_numpy()
    known = np.r_[ids[genre_a][:8], ids[~genre_a][:8]]
    liked = np.r_[np.ones(8, int), np.zeros(8, int)]
    candidates = np.r_[ids[genre_a][8:], ids[~genre_a][8:]]
    p = fitted.predict_flagged(known, liked, candidates)
    assert p.ok.all()
    n_a = int(genre_a.sum()) - 8
    assert p.values[:n_a].mean() > p.values[n_a:].mean() + 0.2
    cold = fitted.predict_flagged(known[:2], liked[:2], candidates[:3])
    assert set(map(str, cold.flags)) == {"cold_start"}
    unknown = fitted.predict_flagged(known, liked, [candidates[0], 999_999])
    assert [str(f) for f in unknown.flags] == ["ok", "unknown_item"]


def test_learning_curve_and_queues(fitted, world):
    mine = world.ratings[world.ratings["user_id"] == 5].sort_values("timestamp")
    labels = pd.DataFrame({"movie_id": mine["movie_id"], "label": np.where(mine["rating"] >= 4, "would_watch",
                                                                          "would_not_watch")})
    curve = learning_curve(fitted, labels, checkpoints=(10, 20, 30))
    assert curve["n_labels"].tolist() == [10, 20, 30, 35]
    assert curve["auc"].between(0, 1).all() and curve["crowd_auc"].between(0, 1).all()
    ids = mine["movie_id"].to_numpy()
    liked = (mine["rating"].to_numpy() >= 4).astype(int)
    for strategy in ("popular", "random", "uncertain"):
        aucs = queue_curve(fitted, fitted.signals_, ids[:28], liked[:28], ids[28:], liked[28:], strategy,
                           sizes=(5, 10, 20))
        assert sorted(aucs) == [5, 10, 20] and all(0 <= a <= 1 for a in aucs.values())


def test_save_load_keeps_predictions(fitted, tmp_path, world):
    folder = fitted.save(tmp_path / "shared")
    loaded = SharedTasteModel.load(folder)
    ids = world.movies["movie_id"].to_numpy()
    before = fitted.predict_flagged(ids[:10], [1, 0] * 5, ids[10:40])
    after = loaded.predict_flagged(ids[:10], [1, 0] * 5, ids[10:40])
    np.testing.assert_allclose(after.values, before.values, rtol=1e-6)
    assert loaded.metrics_ == fitted.metrics_ and loaded.data_checksum_ == "world-v1"
