"""Side information in the Bayesian MF prior (``side_info``, :mod:`core.cf.side`): the link
matrix draw, the features built from a films table, learning from it, and the refusals."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.cf import CFRecommender
from core.cf.bayes import _sample_link
from core.cf.side import film_features
from core.errors import MarqueeError
from core.metrics import rmse


def test_link_draws_centre_on_the_ridge_solution_with_the_right_spread():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    B = np.array([[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]])
    lam = np.array([[4.0, 1.0], [1.0, 2.0]])
    R = X @ B + rng.multivariate_normal(np.zeros(2), np.linalg.inv(lam), size=200)
    draws = np.stack([_sample_link(X, R, lam, 1.0, rng) for _ in range(3000)])
    A = X.T @ X + np.eye(3)
    np.testing.assert_allclose(draws.mean(axis=0), np.linalg.solve(A, X.T @ R), atol=0.01)
    # Cov(B[a, c], B[a', c']) = (A⁻¹)[a, a'] (Λ⁻¹)[c, c']
    expected = np.kron(np.linalg.inv(A), np.linalg.inv(lam))
    np.testing.assert_allclose(np.cov(draws.reshape(len(draws), -1).T), expected, atol=2e-4)


def test_film_features_from_a_films_table():
    films = pd.DataFrame({"movie_id": [1, 2, 3], "genres": [["Drama"], ["Comedy", "Drama"], []],
                          "year": [1990, None, 2000], "vote_average": [7.0, 5.0, None],
                          "vote_count": [100, 10_000, 5], "runtime": [90.0, 120.0, 100.0]})
    table = film_features(films, ["genres", "year"])
    assert list(table.columns) == ["genre:Comedy", "genre:Drama", "year"]
    assert table.loc[2, "genre:Comedy"] == 1.0 and table.loc[3, ["genre:Comedy", "genre:Drama"]].sum() == 0.0
    assert table.loc[2, "year"] == 0.0 and table.loc[1, "year"] < 0 < table.loc[3, "year"]  # missing -> the mean
    assert {"vote_average", "log_vote_count", "runtime"} <= set(film_features(films, ["imdb"]).columns)
    with pytest.raises(MarqueeError, match="side_info"):
        film_features(films, ["budget"])


def genre_world(seed: int = 0, users: int = 120, films: int = 150):
    """A film's appeal is set by its genre (+1 for 'Up' films, -1 for 'Down'); most films are
    rated by few users, so their own ratings barely pin the bias down."""
    rng = np.random.default_rng(seed)
    genre = np.where(np.arange(films) % 2 == 0, "Up", "Down")
    appeal = np.where(genre == "Up", 1.0, -1.0) + 0.1 * rng.normal(size=films)
    rows = []
    for u in range(users):
        for i in rng.choice(films, size=12, replace=False):
            rows.append((u + 1, int(i) + 1000, float(np.clip(np.round(3 + appeal[i] + 0.6 * rng.normal()), 1, 5))))
    table = pd.DataFrame({"movie_id": np.arange(films) + 1000, "genres": [[g] for g in genre],
                          "year": 1990 + np.arange(films) % 10})
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"]), table


def test_genre_prior_helps_films_with_few_ratings_and_is_seeded():
    ratings, films = genre_world()
    rng = np.random.default_rng(1)
    test_mask = rng.random(len(ratings)) < 0.3
    train, test = ratings[~test_mask], ratings[test_mask]
    params = {"algorithm": "bayes-mf", "n_factors": 2, "n_epochs": 40, "burn_in": 10, "random_state": 0,
              "noise_sd": 0.8, "min_ratings": 1}
    plain = CFRecommender(**params).fit(train, films=films)  # no side_info: the films table is ignored
    side = CFRecommender(**params, side_info=["genres", "year"]).fit(train, films=films)
    again = CFRecommender(**params, side_info=["genres", "year"]).fit(train, films=films)
    np.testing.assert_array_equal(side.model_.bi, again.model_.bi)
    users, items = test["user_id"].to_numpy(), test["movie_id"].to_numpy()
    assert rmse(test["rating"], side.predict(users, items)) < rmse(test["rating"], plain.predict(users, items)) - 0.015
    # and the served model is an ordinary factor model: saved and loaded like any other
    assert side.model_.pu.shape[0] == train["user_id"].nunique()


def test_side_info_is_checked_and_needs_the_films_table():
    ratings, films = genre_world(users=20, films=30)
    params = {"algorithm": "bayes-mf", "n_factors": 2, "n_epochs": 6, "burn_in": 2, "min_ratings": 1}
    with pytest.raises(MarqueeError, match="films table"):
        CFRecommender(**params, side_info=["genres"]).fit(ratings)
    with pytest.raises(MarqueeError, match="side_info"):
        CFRecommender(**params, side_info=["budget"]).check_params()
    with pytest.raises(MarqueeError, match="side_info"):
        CFRecommender(algorithm="svd", side_info=["genres"]).check_params()
    with pytest.raises(MarqueeError, match="side_info"):
        CFRecommender(**params, side_info="genres").check_params()


def test_champion_shape_with_side_info_folds_in_like_a_refit():
    """A user unknown at training time (no side information of their own: only the films have
    it) is folded in over the side-informed film factors and scores like a refit with them."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_candidates import fold_in_vs_refit, low_rank_ratings

    from core.cf.params import CHAMPION_PARAMS, KNN_PARAMS
    from core.cf.params import BAYES_SIDE_PARAMS

    members = [{**BAYES_SIDE_PARAMS, "n_factors": 4, "n_epochs": 40, "burn_in": 10, "weight": 0.8},
               {**KNN_PARAMS, "weight": 0.2}]
    params = {**CHAMPION_PARAMS, "members": members, "random_state": 0, "min_ratings": 5}
    folded, expected, popularity = fold_in_vs_refit(params, low_rank_ratings(), new_user=1)
    gap = np.abs(folded - expected)
    assert np.corrcoef(folded, expected)[0, 1] > 0.9
    assert gap.mean() < 0.15
    assert gap.mean() < 0.5 * np.abs(popularity - expected).mean()
