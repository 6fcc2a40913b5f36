"""Item KNN with baselines served by our own scorer: it reproduces Surprise's KNNBaseline, blends
with factor models as a weighted mean, folds a new user in as a refit would, survives save/load,
and blend weights fitted on validation predictions are a non-negative weighted mean."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.cf import CFRecommender, KNN_PARAMS, build_trainset, fit_blend_weights
from core.errors import MarqueeError
from tests.cf.test_candidates import fold_in_vs_refit, low_rank_ratings


@pytest.fixture(scope="module")
def synthetic():
    return low_rank_ratings(seed=3, users=90, films=70, per_user=30)


def test_knn_reproduces_surprise_knnbaseline(synthetic):
    from surprise import KNNBaseline

    algo = KNNBaseline(k=40, sim_options={"name": "pearson_baseline", "user_based": False},
                       verbose=False).fit(build_trainset(synthetic))
    model = CFRecommender(**KNN_PARAMS, min_ratings=1).fit(synthetic)
    films = np.sort(synthetic["movie_id"].unique())
    users = np.repeat(np.sort(synthetic["user_id"].unique())[:30], len(films))
    items = np.tile(films, 30)
    unrated = ~pd.MultiIndex.from_arrays([users, items]).isin(
        pd.MultiIndex.from_frame(synthetic[["user_id", "movie_id"]]))
    users, items = users[unrated], items[unrated]  # a rated film is its own neighbour in Surprise, never here
    expected = [algo.predict(int(u), int(i)).est for u, i in zip(users, items)]
    np.testing.assert_allclose(model.predict(users, items), expected, atol=1e-5)  # similarities kept as float32
    # and the neighbourhood term matters: the baselines alone differ
    baseline = model.model_.predict(users, items)
    assert np.abs(baseline - np.asarray(expected)).max() > 0.05


def test_fewer_kept_neighbours_changes_little(synthetic):
    full = CFRecommender(**KNN_PARAMS).fit(synthetic)
    short = CFRecommender(**{**KNN_PARAMS, "max_neighbours": 20}).fit(synthetic)
    assert short.neighbours_.neighbours.shape[1] == 20 < full.neighbours_.neighbours.shape[1]
    users, films = synthetic["user_id"].to_numpy()[:400], synthetic["movie_id"].to_numpy()[::-1][:400]
    gap = np.abs(full.predict(users, films) - short.predict(users, films))
    assert 0 < gap.max() and gap.mean() < 0.1


def test_blend_with_knn_is_the_weighted_mean_of_its_members(synthetic):
    svd = {"algorithm": "svd", "n_factors": 3, "n_epochs": 15, "random_state": 0}
    members = [{**svd, "weight": 3.0}, {**KNN_PARAMS, "weight": 1.0}]
    blend = CFRecommender(algorithm="blend", members=members).fit(synthetic)
    first = CFRecommender(**svd).fit(synthetic)
    knn = CFRecommender(**KNN_PARAMS).fit(synthetic)
    users = np.repeat(np.sort(synthetic["user_id"].unique())[:10], 70)
    films = np.tile(np.sort(synthetic["movie_id"].unique()), 10)
    unclipped = lambda m: m.score_matrix(m.resolve_users(np.unique(users)), np.unique(films))
    # scores before clipping: 0.75 svd + 0.25 knn
    mix = 0.75 * (first.model_.score_matrix(*_vectors(first, users))) + 0.25 * _knn_matrix(knn, users)
    got = blend.model_.score_matrix(*_vectors(blend, users)) + blend._neighbour_terms(
        blend.resolve_users(np.unique(users)), np.arange(10), np.arange(len(blend.model_.item_ids)))
    np.testing.assert_allclose(got, mix, atol=1e-6)
    assert blend.neighbour_weight_ == pytest.approx(0.25)
    # blend_of over already fitted members is the same recommender
    again = CFRecommender.blend_of([first, knn], [3.0, 1.0])
    np.testing.assert_allclose(again.predict(users, films), blend.predict(users, films), atol=1e-9)
    assert np.clip(unclipped(blend), 1, 5).shape == (10, 70)


def _vectors(model, users):
    vectors = model.resolve_users(np.unique(users))
    return vectors.bu, vectors.pu


def _knn_matrix(knn, users):
    vectors = knn.resolve_users(np.unique(users))
    return knn.model_.score_matrix(vectors.bu, vectors.pu) + knn._neighbour_terms(
        vectors, np.arange(len(vectors.user_ids)), np.arange(len(knn.model_.item_ids)))


def test_knn_fold_in_scores_like_a_refit(synthetic):
    folded, expected, popularity = fold_in_vs_refit(KNN_PARAMS, synthetic, new_user=5)
    gap = np.abs(folded - expected)
    # measured: correlation 0.979, mean gap 0.101 (one user of 90 moves the similarities a little)
    assert np.corrcoef(folded, expected)[0, 1] > 0.95 and gap.mean() < 0.15
    assert gap.mean() < 0.4 * np.abs(popularity - expected).mean()


def test_knn_recommends_unseen_films_and_round_trips(synthetic, tmp_path):
    model = CFRecommender(algorithm="blend", members=[
        {"algorithm": "svd", "n_factors": 3, "n_epochs": 10, "weight": 1.0}, {**KNN_PARAMS, "weight": 1.0}]).fit(synthetic)
    recs = model.recommend(synthetic, user_ids=[1, 2, 3], n=5)
    assert len(recs) == 15 and not (set(zip(recs["user_id"], recs["movie_id"]))
                                    & set(zip(synthetic["user_id"], synthetic["movie_id"])))
    for _, group in recs.groupby("user_id"):
        assert group["score"].is_monotonic_decreasing
    model.save(tmp_path / "m")
    loaded = CFRecommender.load(tmp_path / "m")
    users, films = synthetic["user_id"].to_numpy()[:200], synthetic["movie_id"].to_numpy()[::-1][:200]
    np.testing.assert_array_equal(loaded.predict(users, films), model.predict(users, films))
    assert loaded.neighbour_weight_ == model.neighbour_weight_ == pytest.approx(0.5)


def test_blend_takes_one_knn_member():
    with pytest.raises(MarqueeError, match="at most one knn"):
        CFRecommender(algorithm="blend", members=[{**KNN_PARAMS, "weight": 1}, {**KNN_PARAMS, "weight": 1}]).check_params()


def test_blend_weights_are_a_nonnegative_mean_fitted_by_least_squares():
    rng = np.random.default_rng(0)
    truth = rng.normal(3.5, 1.0, 5000)
    good, fair = truth + rng.normal(0, 0.3, 5000), truth + rng.normal(0, 0.6, 5000)
    useless = rng.normal(3.5, 1.0, 5000)  # would get a negative weight without the constraint
    weights = fit_blend_weights({"good": good, "fair": fair, "useless": useless}, truth)
    assert sum(weights.values()) == pytest.approx(1.0) and min(weights.values()) >= 0
    assert weights["good"] > weights["fair"] > weights["useless"]
    # two independent errors of variances 0.09 and 0.36 mix best at 0.8 / 0.2
    assert weights["good"] == pytest.approx(0.8, abs=0.05)
    with pytest.raises(MarqueeError):
        fit_blend_weights({"a": np.array([1.0, np.nan])}, np.array([1.0, 2.0]))


# ---------------------------------------------------------------- top-N from recently popular films
def test_recent_lists_rank_the_recent_pool_by_predicted_score(synthetic, tmp_path):
    ratings = synthetic.copy()
    end = ratings["timestamp"].max()
    recent_part = ratings["timestamp"] > end - pd.Timedelta(days=0.25)
    model = CFRecommender(n_factors=3, n_epochs=10, list_by="recent", recent_days=0.25, recent_pool=12).fit(ratings)
    counts = ratings[recent_part].groupby("movie_id").size()
    assert model.recent_counts_.sum() == recent_part.sum()
    np.testing.assert_array_equal(model.recent_counts_, counts.reindex(model.model_.item_ids, fill_value=0))
    recs = model.recommend(ratings, user_ids=[1, 2, 99999], n=5)
    order = model.model_.item_ids[model.recent_order()]
    for user, group in recs.groupby("user_id"):
        seen = set(ratings.loc[ratings["user_id"] == user, "movie_id"])
        pool = [m for m in order if m not in seen][:12]
        assert set(group["movie_id"]) <= set(pool) and not set(group["movie_id"]) & seen
        scores = model.predict(np.full(len(pool), user), pool, history=ratings)
        best = [pool[i] for i in np.argsort(-scores, kind="stable")[:5]]
        assert list(group["movie_id"]) == best  # the pool's best predicted scores, in order
        assert group["score"].is_monotonic_decreasing
    assert set(recs.loc[recs["user_id"] == 99999, "source"]) == {"popularity"}
    model.save(tmp_path / "recent")
    loaded = CFRecommender.load(tmp_path / "recent")
    pd.testing.assert_frame_equal(loaded.recommend(ratings, user_ids=[1, 2, 99999], n=5), recs)
    # without timestamps the pool is the most-rated films
    plain = CFRecommender(n_factors=3, n_epochs=10, list_by="recent").fit(ratings.drop(columns="timestamp"))
    assert plain.recent_counts_ is None
    counts_all = ratings.groupby("movie_id").size().reindex(plain.model_.item_ids).to_numpy()
    assert np.all(np.diff(counts_all[plain.recent_order()]) <= 0)
    with pytest.raises(MarqueeError, match="list_by"):
        CFRecommender(list_by="newest").check_params()


def test_knn_fold_in_uses_the_neighbourhoods_user_bias(synthetic):
    """A pure knn-baseline model serves a folded-in user with one b_u (the neighbourhood's
    least-squares step, λ_u = 15) in the baseline and in the residuals, as the module says."""
    new_user = 5
    without = CFRecommender(**KNN_PARAMS).fit(synthetic[synthetic["user_id"] != new_user])
    mine = synthetic[synthetic["user_id"] == new_user]
    vectors = without.resolve_users([new_user], history=synthetic)
    profile = vectors.profiles[0]
    assert str(vectors.flag[0]) == "fold_in" and vectors.bu[0] == pytest.approx(profile.bu, abs=1e-12)
    films = np.sort(synthetic["movie_id"].unique())
    items = without.model_.item_inner(films)
    nb = without.neighbours_
    expected = without.model_.clip(nb.baseline(profile, items) + nb.residual_term(profile, items))
    np.testing.assert_allclose(without.predict(np.full(len(films), new_user), films, history=mine), expected,
                               atol=1e-9)


def test_similarity_blocks_are_sized_from_the_catalog_and_do_not_change_the_result(synthetic):
    """Each dense work array of a similarity block stays under BLOCK_BYTES (float32): 512 films
    per block held five 512 × n float64 arrays, ~1.8 GB at 86k films; the block size changes
    nothing in the result."""
    from core.cf.neighbours import BLOCK_BYTES, Neighbourhood, block_rows

    assert block_rows(86_000) * 86_000 * 4 <= BLOCK_BYTES and block_rows(86_000) == 186
    assert block_rows(1_000) == 512 and block_rows(10**9) == 1
    whole = Neighbourhood.fit(synthetic)
    blocked = Neighbourhood.fit(synthetic, block=7)
    np.testing.assert_array_equal(blocked.neighbours, whole.neighbours)
    np.testing.assert_array_equal(blocked.similarity, whole.similarity)
