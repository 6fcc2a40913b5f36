"""The recommender: arrays equal Surprise's model, seen films are never recommended, cold users
get the popularity fallback, fold-in gives new users personal scores, saved arrays round-trip."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.cf import FOLD_IN, POPULARITY, SVD, CFRecommender, FactorModel, PopularityFallback, build_trainset
from core.errors import MarqueeError
from core.models import Flag, ModelIntegrityError, NonFiniteModel, NotFittedError

PARAMS = {"n_factors": 20, "n_epochs": 15, "random_state": 3}


@pytest.fixture(scope="module")
def fitted(cf_catalog):
    return CFRecommender(**PARAMS).fit(cf_catalog.ratings)


def test_arrays_reproduce_surprise_predictions(cf_catalog):
    from surprise import SVD as SurpriseSVD

    ratings = cf_catalog.ratings
    trainset = build_trainset(ratings)
    algo = SurpriseSVD(n_factors=8, n_epochs=5, random_state=0).fit(trainset)
    model = FactorModel.from_surprise(algo, trainset)
    users = np.r_[ratings["user_id"].to_numpy()[:200], 99999, 1]      # one unknown user
    items = np.r_[ratings["movie_id"].to_numpy()[:200], 1, 99999]     # one unknown film
    expected = [algo.predict(int(u), int(i)).est for u, i in zip(users, items)]
    np.testing.assert_allclose(model.predict(users, items), expected, atol=1e-9)


def test_trainset_builder_matches_surprise_loader(tiny_ratings):
    from surprise import Dataset, Reader

    ours = build_trainset(tiny_ratings)
    theirs = Dataset.load_from_df(tiny_ratings[["user_id", "movie_id", "rating"]],
                                  Reader(rating_scale=(1, 5))).build_full_trainset()
    assert sorted(ours.all_ratings()) == sorted(theirs.all_ratings())
    assert ours.global_mean == pytest.approx(theirs.global_mean)
    assert [ours.to_raw_uid(u) for u in range(ours.n_users)] == [theirs.to_raw_uid(u) for u in range(theirs.n_users)]


def test_seen_films_are_never_recommended(cf_catalog, fitted):
    ratings = cf_catalog.ratings
    # A few cold users (2 ratings each) so the popularity path is checked too.
    cold = pd.DataFrame({"user_id": [90001, 90001, 90002, 90002], "movie_id": ratings["movie_id"].iloc[:4].to_numpy(),
                         "rating": [4.0, 3.0, 5.0, 1.0], "timestamp": ratings["timestamp"].iloc[:4].to_numpy()})
    history = pd.concat([ratings, cold], ignore_index=True)
    recs = fitted.recommend(history, n=15)
    assert set(recs["source"]) == {SVD, POPULARITY}
    seen = set(zip(history["user_id"], history["movie_id"]))
    assert not any((u, m) in seen for u, m in zip(recs["user_id"], recs["movie_id"]))
    assert (recs.groupby("user_id").size() == 15).all()
    personal = recs[recs["source"] == SVD]
    assert personal.groupby("user_id")["score"].apply(lambda s: s.is_monotonic_decreasing).all()
    # the cold-start list is most-rated first (its scores are the films' damped means)
    counts = fitted.fallback_.counts_[fitted.fallback_._index.get_indexer(recs.loc[recs["source"] == POPULARITY, "movie_id"])]
    cold = recs[recs["source"] == POPULARITY].assign(count=counts)
    assert cold.groupby("user_id")["count"].apply(lambda s: s.is_monotonic_decreasing).all()


def test_cold_start_users_get_the_fallback(cf_catalog, fitted):
    history = cf_catalog.ratings
    films = fitted.fallback_.movie_ids_[fitted.fallback_.ranking_[:3]]
    newcomer = pd.DataFrame({"user_id": 80001, "movie_id": films[:2], "rating": [5.0, 5.0]})
    full = pd.concat([history, newcomer], ignore_index=True)
    recs = fitted.recommend(full, user_ids=[80001], n=5)
    assert (recs["source"] == POPULARITY).all()
    expected, _ = fitted.fallback_.top_n(5, seen=set(films[:2]))
    assert recs["movie_id"].tolist() == expected.tolist()
    assert films[2] == recs["movie_id"].iloc[0]  # the best film not yet seen leads
    predicted = fitted.predict([80001, 80001], films[:2], history=full)
    np.testing.assert_allclose(predicted, fitted.fallback_.predict(films[:2]))


def test_fallback_is_a_damped_mean_with_minimum_votes(tiny_ratings):
    fallback = PopularityFallback(min_votes=4, damping=2.0).fit(tiny_ratings)
    mu = tiny_ratings["rating"].mean()
    # film 10: ratings 5, 4, 1, 5 → (15 + 2μ) / 6
    assert fallback.predict([10])[0] == pytest.approx((15 + 2 * mu) / 6)
    assert fallback.predict([999])[0] == pytest.approx(mu)
    # films 11, 13, 14 have only three ratings: never recommended with min_votes=4
    movies, _ = fallback.top_n(10)
    assert set(movies) == {10, 12}


def test_fold_in_gives_new_users_personal_scores(cf_catalog):
    ratings = cf_catalog.ratings
    rng = np.random.default_rng(0)
    newcomers = rng.choice(ratings["user_id"].unique(), 40, replace=False)
    train = ratings[~ratings["user_id"].isin(newcomers)]
    model = CFRecommender(**PARAMS).fit(train)
    theirs = ratings[ratings["user_id"].isin(newcomers)].sort_values(["user_id", "timestamp"])
    given = theirs.groupby("user_id").head(12)
    rest = theirs.drop(given.index)
    history = pd.concat([train, given], ignore_index=True)
    vectors = model.resolve_users(newcomers, history)
    assert set(vectors.source) == {FOLD_IN}
    assert np.abs(vectors.pu).sum() > 0
    personal = model.predict(rest["user_id"], rest["movie_id"], history=history)
    popular = model.fallback_.predict(rest["movie_id"])
    truth = rest["rating"].to_numpy()
    assert np.sqrt(np.mean((personal - truth) ** 2)) < np.sqrt(np.mean((popular - truth) ** 2))
    recs = model.recommend(history, user_ids=newcomers[:3], n=5)
    assert (recs["source"] == FOLD_IN).all()


def test_fold_in_recovers_a_trained_user(fitted, cf_catalog):
    ratings = cf_catalog.ratings
    user = int(ratings["user_id"].value_counts().index[0])
    mine = ratings[ratings["user_id"] == user]
    model = fitted.model_
    bu, pu, used = model.fold_in(mine["movie_id"].to_numpy(), mine["rating"].to_numpy(), reg=fitted.reg_all)
    assert used == len(mine)
    inner = model.user_inner([user])[0]
    trained = model.score_matrix(model.bu[[inner]], model.pu[[inner]])[0]
    folded = model.score_matrix(np.array([bu]), pu[None, :])[0]
    assert np.corrcoef(trained, folded)[0, 1] > 0.9


def test_saved_arrays_round_trip(fitted, cf_catalog, tmp_path):
    fitted.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["factors.npz", "model.json", "state.npz"]
    loaded = CFRecommender.load(tmp_path / "model")
    assert loaded.get_params() == fitted.get_params()
    ratings = cf_catalog.ratings.head(500)
    np.testing.assert_array_equal(loaded.predict(ratings["user_id"], ratings["movie_id"]),
                                  fitted.predict(ratings["user_id"], ratings["movie_id"]))
    pd.testing.assert_frame_equal(loaded.recommend(cf_catalog.ratings, user_ids=[1, 2], n=5),
                                  fitted.recommend(cf_catalog.ratings, user_ids=[1, 2], n=5))


def test_clear_errors():
    with pytest.raises(NotFittedError, match="not fitted"):
        CFRecommender().predict([1], [1])
    with pytest.raises(MarqueeError, match="missing column"):
        CFRecommender().fit(pd.DataFrame({"user_id": [1], "movie_id": [2]}))
    with pytest.raises(ModelIntegrityError, match="no saved model"):
        CFRecommender.load("/nonexistent/model")


@pytest.mark.parametrize("params, field", [
    ({"lr_all": float("nan")}, "lr_all"), ({"lr_all": float("inf")}, "lr_all"), ({"lr_all": 0.0}, "lr_all"),
    ({"reg_all": -1.0}, "reg_all"), ({"n_factors": 0}, "n_factors"), ({"n_epochs": -3}, "n_epochs"),
    ({"n_bags": 0}, "n_bags"), ({"random_state": -1}, "random_state"), ({"fold_in_prior": float("nan")}, "fold_in_prior"),
    ({"rating_scale": (5.0, 1.0)}, "rating_scale"), ({"n_factors": 2.5}, "n_factors"),
])
def test_bad_hyper_parameters_fail_before_training(tiny_ratings, params, field):
    with pytest.raises(MarqueeError, match=field):
        CFRecommender(**params).fit(tiny_ratings)


def test_a_diverging_fit_is_refused_not_served(tiny_ratings):
    """A huge learning rate makes SGD overflow to NaN/inf: the model refuses to exist."""
    with pytest.raises(NonFiniteModel, match="non-finite"):
        CFRecommender(n_factors=3, n_epochs=50, lr_all=5.0, min_ratings=1).fit(tiny_ratings)


def test_every_prediction_carries_a_flag(fitted, cf_catalog):
    ratings = cf_catalog.ratings
    trained_user = int(ratings["user_id"].iloc[0])
    film = int(ratings["movie_id"].iloc[0])
    cold = pd.DataFrame({"user_id": [70001, 70001], "movie_id": ratings["movie_id"].iloc[:2].to_numpy(),
                         "rating": [4.0, 2.0]})
    newcomer = ratings[ratings["user_id"] == trained_user].assign(user_id=70002)  # enough ratings to fold in
    history = pd.concat([ratings, cold, newcomer], ignore_index=True)
    result = fitted.predict_flagged([trained_user, trained_user, 70001, 70002, 70003],
                                    [film, 999_999_999, film, film, film], history=history)
    assert list(result.flags) == [Flag.OK, Flag.UNKNOWN_ITEM, Flag.COLD_START, Flag.FOLD_IN, Flag.UNKNOWN_USER]
    assert np.isfinite(result.values).all() and result.ok.tolist() == [True, False, False, False, False]
    recs = fitted.recommend(history, user_ids=[trained_user, 70001, 70002, 70003], n=3)
    assert recs.groupby("user_id")["flag"].first().to_dict() == {
        trained_user: "ok", 70001: "cold_start", 70002: "fold_in", 70003: "unknown_user"}


@pytest.mark.parametrize("ids, message", [([2 ** 63], "user_id: must be a whole number"), ([1.5], "got 1.5"),
                                          ([float("nan")], "got nan"), (["x"], "got 'x'"), ([1e20], "user_id")])
def test_ids_out_of_range_are_one_clear_error(fitted, ids, message):
    with pytest.raises(MarqueeError, match=message):
        fitted.predict(ids, [1] * len(ids))


def test_from_factors_serves_like_a_trained_model(fitted, cf_catalog, tmp_path):
    """Factors learned elsewhere (the Spark ALS path) become an ordinary recommender."""
    f = fitted.model_
    rebuilt = CFRecommender.from_factors(
        mu=f.mu, bu=f.bu, bi=f.bi, pu=f.pu, qi=f.qi, user_ids=f.user_ids, item_ids=f.item_ids,
        rating_scale=f.rating_scale, user_counts=fitted.train_counts_, item_sums=fitted.fallback_.sums_,
        item_counts=fitted.fallback_.counts_, algorithm="spark-als", reg_all=0.1)
    assert rebuilt.algorithm == "spark-als" and rebuilt.n_factors == f.n_factors
    ratings = cf_catalog.ratings
    np.testing.assert_allclose(rebuilt.predict(ratings["user_id"][:300], ratings["movie_id"][:300], history=ratings),
                               fitted.predict(ratings["user_id"][:300], ratings["movie_id"][:300], history=ratings))
    loaded = CFRecommender.load(rebuilt.save(tmp_path / "als"))
    pd.testing.assert_frame_equal(loaded.recommend(ratings, user_ids=[1, 2], n=5),
                                  fitted.recommend(ratings, user_ids=[1, 2], n=5))
    with pytest.raises(MarqueeError, match="user factors"):
        CFRecommender.from_factors(mu=f.mu, bu=f.bu, bi=f.bi, pu=f.pu[:-1], qi=f.qi, user_ids=f.user_ids,
                                   item_ids=f.item_ids, rating_scale=f.rating_scale, user_counts=fitted.train_counts_,
                                   item_sums=fitted.fallback_.sums_, item_counts=fitted.fallback_.counts_)
    poisoned = f.qi.copy()
    poisoned[0, 0] = np.inf
    with pytest.raises(NonFiniteModel):
        CFRecommender.from_factors(mu=f.mu, bu=f.bu, bi=f.bi, pu=f.pu, qi=poisoned, user_ids=f.user_ids,
                                   item_ids=f.item_ids, rating_scale=f.rating_scale, user_counts=fitted.train_counts_,
                                   item_sums=fitted.fallback_.sums_, item_counts=fitted.fallback_.counts_)


def test_bagged_model_is_the_average_of_its_members(tiny_ratings):
    params = {"n_factors": 3, "n_epochs": 10, "min_ratings": 1, "random_state": 4}
    bagged = CFRecommender(**params, n_bags=3).fit(tiny_ratings)
    members = [CFRecommender(**{**params, "random_state": 4 + k}).fit(tiny_ratings).model_ for k in range(3)]
    assert bagged.model_.n_factors == 9
    users, items = tiny_ratings["user_id"].to_numpy(), tiny_ratings["movie_id"].to_numpy()
    raw = [m.mu + m.user_terms(m.user_inner(users))[0] + m.item_terms(m.item_inner(items))[0]
           + np.einsum("nk,nk->n", m.user_terms(m.user_inner(users))[1], m.item_terms(m.item_inner(items))[1])
           for m in members]
    np.testing.assert_allclose(bagged.predict(users, items), np.clip(np.mean(raw, axis=0), 1, 5), atol=1e-12)
