"""Champion candidates served by our own scorer: SVD++ arrays reproduce Surprise's predictions,
a blend predicts the weighted mean of its members, Bayesian MF learns low-rank taste, and a new
user folded in scores films as a refit that includes them would."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.cf import CFRecommender, FactorModel, build_trainset
from core.errors import MarqueeError
from core.metrics import rmse


def low_rank_ratings(seed: int = 0, users: int = 120, films: int = 80, per_user: int = 40, noise: float = 0.3,
                     ) -> pd.DataFrame:
    """Ratings from a rank-2 taste model with film and user biases, plus noise, rounded to 1..5."""
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(0, 0.8, (users, 2)), rng.normal(0, 0.8, (films, 2))
    bu, bi = rng.normal(0, 0.3, users), rng.normal(0, 0.4, films)
    rows = []
    for u in range(users):
        for i in rng.choice(films, size=per_user, replace=False):
            value = 3.4 + bu[u] + bi[i] + P[u] @ Q[i] + rng.normal(0, noise)
            rows.append((u + 1, int(i) + 1000, float(np.clip(np.round(value), 1, 5))))
    frame = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])
    frame["timestamp"] = pd.Timestamp("2020-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(frame)), unit="min")
    return frame


@pytest.fixture(scope="module")
def synthetic():
    return low_rank_ratings()


def test_svdpp_arrays_reproduce_surprise_predictions(synthetic):
    """SVD++ is served as mu + b_u + b_i + (p_u + |N(u)|^-1/2 Σ y_j)·q_i: the same numbers as Surprise."""
    from surprise import SVDpp

    ratings = synthetic.head(1500)
    trainset = build_trainset(ratings)
    algo = SVDpp(n_factors=5, n_epochs=4, random_state=0, cache_ratings=False).fit(trainset)
    model = FactorModel.from_surprise(algo, trainset)
    users = np.r_[ratings["user_id"].to_numpy()[:300], 99999, 1]
    items = np.r_[ratings["movie_id"].to_numpy()[::5][:300], 1000, 99999]
    expected = [algo.predict(int(u), int(i)).est for u, i in zip(users, items)]
    np.testing.assert_allclose(model.predict(users, items), expected, atol=1e-9)
    # and the implicit part matters: without it the scores differ
    plain = FactorModel(mu=model.mu, bu=model.bu, bi=model.bi, pu=np.asarray(algo.pu), qi=model.qi,
                        user_ids=model.user_ids, item_ids=model.item_ids, rating_scale=model.rating_scale)
    assert np.abs(plain.predict(users, items) - np.asarray(expected)).max() > 1e-4


def test_blend_predicts_the_weighted_mean_of_its_members(synthetic):
    a = CFRecommender(n_factors=3, n_epochs=10, random_state=0).fit(synthetic).model_
    b = CFRecommender(n_factors=5, n_epochs=10, random_state=7).fit(synthetic).model_
    blend = FactorModel.blend([a, b], [1.0, 3.0])
    expected = 0.25 * a.score_matrix(a.bu, a.pu) + 0.75 * b.score_matrix(b.bu, b.pu)
    np.testing.assert_allclose(blend.score_matrix(blend.bu, blend.pu), expected, atol=1e-9)
    with pytest.raises(MarqueeError, match="positive"):
        FactorModel.blend([a, b], [1.0, -1.0])


def test_blend_recommender_equals_its_members_mixed(synthetic):
    members = [{"algorithm": "svd", "n_factors": 3, "n_epochs": 10, "random_state": 0, "weight": 2.0},
               {"algorithm": "bayes-mf", "n_factors": 2, "n_epochs": 15, "burn_in": 5, "random_state": 4, "weight": 1.0}]
    blend = CFRecommender(algorithm="blend", members=members).fit(synthetic)
    first = CFRecommender(**{k: v for k, v in members[0].items() if k != "weight"}).fit(synthetic)
    second = CFRecommender(**{k: v for k, v in members[1].items() if k != "weight"}).fit(synthetic)
    users, films = synthetic["user_id"].to_numpy()[:500], synthetic["movie_id"].to_numpy()[:500]
    raw = lambda m: m.model_.mu + m.model_.bu[m.model_.user_inner(users)] + m.model_.bi[m.model_.item_inner(films)] \
        + np.einsum("nk,nk->n", m.model_.pu[m.model_.user_inner(users)], m.model_.qi[m.model_.item_inner(films)])
    np.testing.assert_allclose(raw(blend), (2 * raw(first) + raw(second)) / 3, atol=1e-9)


def test_blend_parameters_are_checked():
    with pytest.raises(MarqueeError, match="members"):
        CFRecommender(algorithm="blend").check_params()
    with pytest.raises(MarqueeError, match=r"members\[0\]"):
        CFRecommender(algorithm="blend", members=[{"algorithm": "blend", "weight": 1}]).check_params()
    with pytest.raises(MarqueeError, match=r"members\[0\]\.weight"):
        CFRecommender(algorithm="blend", members=[{"algorithm": "svd", "weight": 0}]).check_params()


def test_bayes_mf_learns_low_rank_taste_and_is_seeded(synthetic):
    rng = np.random.default_rng(1)
    test_mask = rng.random(len(synthetic)) < 0.2
    train, test = synthetic[~test_mask], synthetic[test_mask]
    params = {"algorithm": "bayes-mf", "n_factors": 4, "n_epochs": 40, "burn_in": 10, "random_state": 2}
    model = CFRecommender(**params).fit(train)
    again = CFRecommender(**params).fit(train)
    np.testing.assert_array_equal(model.model_.qi, again.model_.qi)
    predicted = model.predict(test["user_id"], test["movie_id"], history=train)
    fallback = model.fallback_.predict(test["movie_id"])
    # the film-mean fallback ignores taste; the low-rank model recovers much of it
    assert rmse(test["rating"], predicted) < rmse(test["rating"], fallback) - 0.2
    assert model.model_.n_factors == 4 * ((40 - 10 + 1) // 2)  # kept samples, thinned by 2


def test_fold_in_scores_like_a_refit(synthetic):
    """A user unknown at training time, folded in over fixed film factors, gets nearly the scores
    of a model refitted with their ratings (seeded, so deterministic)."""
    new_user = 1
    params = {"n_factors": 4, "n_epochs": 60, "lr_all": 0.01, "reg_all": 0.05, "random_state": 0, "min_ratings": 5}
    without = CFRecommender(**params).fit(synthetic[synthetic["user_id"] != new_user])
    refit = CFRecommender(**params).fit(synthetic)
    films = np.sort(synthetic["movie_id"].unique())
    users = np.full(len(films), new_user)
    folded = without.predict_flagged(users, films, history=synthetic)
    assert {str(f) for f in folded.flags} == {"fold_in"}
    expected = refit.predict(users, films)
    popularity = without.fallback_.predict(films)
    gap = np.abs(folded.values - expected)
    assert np.corrcoef(folded.values, expected)[0, 1] > 0.95
    assert gap.mean() < 0.1
    assert gap.mean() < 0.5 * np.abs(popularity - expected).mean()  # far closer than the non-personal answer
