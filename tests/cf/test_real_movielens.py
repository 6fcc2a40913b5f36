"""The recommender on MovieLens 100K (real data, through the importer)."""
from __future__ import annotations

import numpy as np

from core.cf import SIMULATION_PARAMS, CFRecommender, split_ratings
from core.metrics import rmse
from core.simulation import rating_step


def test_svd_on_ml100k_beats_the_fallback_and_never_recommends_seen(ml100k_catalog):
    ratings = ml100k_catalog.ratings
    assert len(ratings) == 100_000 and rating_step(ratings["rating"]) == 1.0
    train, test = split_ratings(ratings, "random", 0.2, seed=0)
    model = CFRecommender(**SIMULATION_PARAMS).fit(train)
    predicted = model.predict(test["user_id"], test["movie_id"], history=train)
    fallback = model.fallback_.predict(test["movie_id"])
    assert rmse(test["rating"], predicted) < 0.95 < rmse(test["rating"], fallback)
    assert predicted.min() >= 1.0 and predicted.max() <= 5.0
    users = np.sort(ratings["user_id"].unique())[:50]
    recs = model.recommend(ratings, user_ids=users, n=20)
    seen = set(zip(ratings["user_id"], ratings["movie_id"]))
    assert len(recs) == 50 * 20
    assert not any(pair in seen for pair in zip(recs["user_id"], recs["movie_id"]))
