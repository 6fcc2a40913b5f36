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


def test_fixed_noise_is_used_instead_of_sampled(synthetic):
    """``noise_sd`` fixes the rating noise of the Gibbs sampler: a huge noise lets the prior win
    (predictions shrink towards the mean), a realistic one learns the taste; seeded; a noise of 0
    or below is refused naming the field."""
    params = {"algorithm": "bayes-mf", "n_factors": 3, "n_epochs": 30, "burn_in": 5, "random_state": 1}
    films = synthetic["movie_id"].to_numpy()
    users = synthetic["user_id"].to_numpy()
    fixed = CFRecommender(**params, noise_sd=0.5).fit(synthetic)
    again = CFRecommender(**params, noise_sd=0.5).fit(synthetic)
    np.testing.assert_array_equal(fixed.model_.qi, again.model_.qi)
    sampled = CFRecommender(**params).fit(synthetic)
    assert not np.allclose(fixed.model_.qi, sampled.model_.qi)
    vague = CFRecommender(**params, noise_sd=50.0).fit(synthetic)
    spread = {name: float(np.std(model.predict(users, films))) for name, model in
              (("fixed", fixed), ("vague", vague))}
    assert spread["vague"] < 0.25 * spread["fixed"]
    assert rmse(synthetic["rating"], fixed.predict(users, films)) < 0.6
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(MarqueeError, match="noise_sd"):
            CFRecommender(**params, noise_sd=bad).check_params()


def test_a_vanishing_noise_is_refused_naming_the_field_and_the_lower_bound_fits(synthetic):
    """A positive noise_sd so small that 1/noise_sd² overflows (1e-200: ZeroDivisionError in fit)
    or is inf/NaN downstream (1e-160) is refused by check_params and by fit as a MarqueeError
    naming ``noise_sd``; the smallest accepted value, 1e-3, fits to finite predictions."""
    params = {"algorithm": "bayes-mf", "n_factors": 2, "n_epochs": 6, "burn_in": 2, "random_state": 1}
    for bad in (1e-200, 1e-160, 9.9e-4):
        with pytest.raises(MarqueeError, match="noise_sd"):
            CFRecommender(**params, noise_sd=bad).check_params()
        with pytest.raises(MarqueeError, match="noise_sd"):
            CFRecommender(**params, noise_sd=bad).fit(synthetic)
    smallest = CFRecommender(**params, noise_sd=1e-3).fit(synthetic)
    predicted = smallest.predict(synthetic["user_id"].to_numpy(), synthetic["movie_id"].to_numpy())
    assert np.isfinite(predicted).all()


def test_per_user_noise_fits_an_erratic_user_more_loosely(synthetic):
    """``user_noise_prior``: each user's noise precision is drawn from their own residuals, so a
    user who rates at random gets a wider noise and smaller taste factors than under one fixed
    noise for everyone, while consistent users keep theirs; seeded; needs ``noise_sd``."""
    rng = np.random.default_rng(7)
    erratic = synthetic[synthetic["user_id"] <= 10].copy()
    erratic["rating"] = rng.integers(1, 6, len(erratic)).astype(float)
    ratings = pd.concat([erratic, synthetic[synthetic["user_id"] > 10]], ignore_index=True)
    params = {"algorithm": "bayes-mf", "n_factors": 3, "n_epochs": 40, "burn_in": 10, "random_state": 3,
              "noise_sd": 0.5}
    one = CFRecommender(**params).fit(ratings)
    own = CFRecommender(**params, user_noise_prior=5.0).fit(ratings)
    again = CFRecommender(**params, user_noise_prior=5.0).fit(ratings)
    np.testing.assert_array_equal(own.model_.pu, again.model_.pu)

    def taste(model, users):
        rows = model.model_.user_inner(np.asarray(users))
        return float(np.linalg.norm(model.model_.pu[rows], axis=1).mean())

    random_users, steady_users = np.arange(1, 11), np.arange(11, 121)
    assert taste(own, random_users) < 0.6 * taste(one, random_users)
    assert taste(own, steady_users) > 0.8 * taste(one, steady_users)
    with pytest.raises(MarqueeError, match="user_noise_prior"):
        CFRecommender(algorithm="bayes-mf", user_noise_prior=5.0).check_params()


def films_of(ratings: pd.DataFrame) -> pd.DataFrame:
    """A films table for ``ratings`` (genres and year, seeded): side information to train with."""
    ids = np.sort(ratings["movie_id"].unique())
    rng = np.random.default_rng(0)
    return pd.DataFrame({"movie_id": ids, "genres": [list(rng.choice(["A", "B", "C"], size=2, replace=False))
                                                     for _ in ids], "year": rng.integers(1950, 2000, len(ids))})


def fold_in_vs_refit(params: dict, ratings: pd.DataFrame, new_user: int):
    """(folded, expected, popularity) for every film: ``new_user`` folded in over ``ratings`` by a
    model trained without them, a refit with them, and the without-model's popularity answer.
    Both fits get the same films table (used by a model with ``side_info``)."""
    films = films_of(ratings)
    without = CFRecommender(**params).fit(ratings[ratings["user_id"] != new_user], films=films)
    refit = CFRecommender(**params).fit(ratings, films=films)
    films = np.sort(ratings["movie_id"].unique())
    users = np.full(len(films), new_user)
    folded = without.predict_flagged(users, films, history=ratings)
    assert {str(f) for f in folded.flags} == {"fold_in"}
    return folded.values, refit.predict(users, films), without.fallback_.predict(films)


def test_fold_in_scores_like_a_refit(synthetic):
    """A user unknown at training time, folded in over fixed film factors, gets nearly the scores
    of a model refitted with their ratings (seeded, so deterministic)."""
    params = {"n_factors": 4, "n_epochs": 60, "lr_all": 0.01, "reg_all": 0.05, "random_state": 0, "min_ratings": 5}
    folded, expected, popularity = fold_in_vs_refit(params, synthetic, new_user=1)
    gap = np.abs(folded - expected)
    assert np.corrcoef(folded, expected)[0, 1] > 0.95
    assert gap.mean() < 0.1
    assert gap.mean() < 0.5 * np.abs(popularity - expected).mean()  # far closer than the non-personal answer


def test_champion_shaped_blend_folds_in_like_a_refit(synthetic):
    """The champion's shape (two per-user-noise Gibbs chains with the films' side information +
    the item KNN, ``CHAMPION_PARAMS`` with fewer sweeps): a user unknown at training time, folded
    in, scores like a refit with them."""
    from core.cf import CHAMPION_PARAMS

    members = [{**m, "n_factors": 4, "n_epochs": 40, "burn_in": 10} if m.get("algorithm") == "bayes-mf" else m
               for m in CHAMPION_PARAMS["members"]]
    assert any(m.get("noise_sd") for m in members) and any(m.get("algorithm") == "knn-baseline" for m in members)
    params = {**CHAMPION_PARAMS, "members": members, "random_state": 0, "min_ratings": 5}
    folded, expected, popularity = fold_in_vs_refit(params, synthetic, new_user=1)
    gap = np.abs(folded - expected)
    assert np.corrcoef(folded, expected)[0, 1] > 0.9
    assert gap.mean() < 0.15
    assert gap.mean() < 0.5 * np.abs(popularity - expected).mean()


# ---------------------------------------------------------------- implicit feedback (watch logs)
def watch_log(seed: int = 0, users: int = 150, films: int = 120, per_user: int = 25) -> pd.DataFrame:
    """Each user watches films drawn by a rank-2 taste (softmax over affinities); no ratings."""
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(0, 1.2, (users, 2)), rng.normal(0, 1.2, (films, 2))
    popularity = rng.normal(0, 0.5, films)
    rows = []
    for u in range(users):
        logits = P[u] @ Q.T + popularity
        weights = np.exp(logits - logits.max())
        for i in rng.choice(films, size=per_user, replace=False, p=weights / weights.sum()):
            rows.append((u + 1, int(i) + 500, np.nan, len(rows)))
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])


def test_implicit_als_user_step_is_the_exact_weighted_least_squares_solution():
    from core.cf.implicit import _grouped, _solve

    rng = np.random.default_rng(0)
    Y = rng.normal(size=(12, 3))
    items = np.array([0, 3, 4, 7, 7, 11])[[0, 1, 2, 3, 5]]
    strength = np.array([1.0, 2.0, 1.0, 3.0, 1.0])
    alpha, reg = 5.0, 0.3
    got = _solve(_grouped(np.zeros(len(items), dtype=np.int64), items, alpha * strength, 1), Y, reg)[0]
    C = np.ones(12)
    C[items] += alpha * strength
    p = np.zeros(12)
    p[items] = 1.0
    expected = np.linalg.solve(Y.T @ (C[:, None] * Y) + reg * np.eye(3), Y.T @ (C * p))
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_implicit_als_ranks_held_out_watches_above_the_most_watched_list():
    from core.cf import popularity_lists
    from core.metrics import recall_at_k

    log = watch_log()
    rng = np.random.default_rng(3)
    test_mask = rng.random(len(log)) < 0.2
    train, test = log[~test_mask], log[test_mask]
    model = CFRecommender(algorithm="implicit-als", n_factors=4, n_epochs=10, reg_all=0.1, alpha=10.0).fit(train)
    assert model.implicit and model.model_.mu == 0.0 and not model.model_.bu.any()
    users = np.sort(test["user_id"].unique())
    relevant = test.groupby("user_id")["movie_id"].agg(set).to_dict()
    recs = model.recommend(train, user_ids=users, n=10)           # a history of empty ratings is a watch log
    assert set(recs["source"]) == {"svd"} and not (set(zip(recs["user_id"], recs["movie_id"]))
                                                    & set(zip(train["user_id"], train["movie_id"])))
    personal = recall_at_k(recs.groupby("user_id")["movie_id"].agg(list).to_dict(), relevant, 10)
    popular = recall_at_k(popularity_lists(train.assign(rating=1.0), users, 10), relevant, 10)
    assert personal > popular + 0.05


def test_cli_trains_implicit_feedback_and_recommends(cf_catalog, capsys):
    import json

    from core.cli import main

    assert main(["cf", "train", "--catalog", cf_catalog.name, "--feedback", "implicit", "--factors", "6",
                 "--epochs", "4", "--alpha", "5", "--no-promote", "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["params"]["algorithm"] == "implicit-als" and trained["params"]["alpha"] == 5.0
    assert main(["cf", "train", "--catalog", cf_catalog.name, "--alpha", "5"]) == 2
    assert "--feedback implicit" in capsys.readouterr().err


def test_ranking_comparison_scores_every_list_on_the_same_users(synthetic):
    from core.cf import popularity_lists, ranking_comparison

    movies = pd.DataFrame({"movie_id": np.sort(synthetic["movie_id"].unique())})
    movies["genres"] = [["A"] if m % 2 else ["B"] for m in movies["movie_id"]]
    report = ranking_comparison(synthetic, movies, {"svd": CFRecommender(n_factors=3, n_epochs=10)}, split="random", k=5,
                                per_user=True, recent_days=[30, 365])
    assert set(report["models"]) == {"most-rated", "best-rated", "recent-most-rated-30d", "recent-most-rated-365d", "svd"}
    per_user = report.pop("per_user_ndcg")  # one NDCG per ranked user and list, averaging to the list's NDCG
    assert set(per_user) == set(report["models"])
    for name, values in per_user.items():
        assert len(values) == report["users_ranked"]
        assert np.mean(list(values.values())) == pytest.approx(report["models"][name]["ndcg@5"])
    assert len({tuple(sorted(v.items())) for v in per_user.values()}) > 1  # the lists do differ per user
    assert report["users_ranked"] > 0 and report["users_returning"] == report["users_ranked"]  # random split
    for row in report["models"].values():
        assert 0 <= row["ndcg@5"] <= 1 and 0 <= row["returning_ndcg@5"] <= 1 and 0 < row["coverage"] <= 1
    train = synthetic.head(400)
    lists = popularity_lists(train, [1, 2], 5, "most-rated")
    counts = train.groupby("movie_id").size()
    seen = set(train.loc[train["user_id"] == 1, "movie_id"])
    assert not seen & set(lists[1]) and len(lists[1]) == 5
    assert counts.reindex(lists[1]).fillna(0).is_monotonic_decreasing


def test_cold_start_list_is_most_rated_first(tiny_ratings):
    from core.cf import PopularityFallback

    many = pd.concat([tiny_ratings, pd.DataFrame({"user_id": [5, 6, 7], "movie_id": [12, 12, 12],
                                                  "rating": [1.0, 1.0, 2.0], "timestamp": tiny_ratings["timestamp"].iloc[:3]})])
    by_count, _ = PopularityFallback(min_votes=1).fit(many).top_n(2)
    by_mean, _ = PopularityFallback(min_votes=1, rank_by="mean").fit(many).top_n(2)
    assert by_count[0] == 12 and 12 not in by_mean       # film 12: most ratings, poor mean
    with pytest.raises(MarqueeError, match="rank_by"):
        PopularityFallback(rank_by="votes").fit(many)
