"""A catalog with too little history before the cutoff: one clear line, not sklearn's error.

``casting train --cutoff 2013`` on a 2010-2016 slice used to stop with sklearn's "window shape
cannot be larger than input array shape" (its histogram trees cannot bin a feature that has no
value in any training row).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.casting import ActorHead, CastingConfig, train_casting
from core.errors import MarqueeError
from tests.casting.conftest import catalog_with


def test_a_feature_without_values_in_the_first_training_years_is_one_clear_line():
    rng = np.random.default_rng(3)
    years = np.repeat(np.arange(2000, 2006), 100)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["a", "year_sin", "year_cos"])
    X["budget_history"] = np.where(years >= 2004, rng.normal(size=600), np.nan)  # no value before 2004
    y = (X["a"] + rng.normal(size=600) > 0).astype(int)
    with pytest.raises(MarqueeError, match=r"^the training years before 2004 hold no value for budget_history: "
                                           r"the catalog has too little history before the cutoff"):
        ActorHead(candidates=("logit", "gbm", "ens"), calib_years=2).fit(X, y, years)
    # the logistic head alone imputes an empty feature, so it still trains
    assert ActorHead(candidates=("logit",), calib_years=2).fit(X, y, years).head_name_ == "logit"


def test_real_short_slice_says_why_it_cannot_train(wiki_imdb_catalog):
    movies = wiki_imdb_catalog.movies[wiki_imdb_catalog.movies["year"].between(2010, 2016)]
    credits = wiki_imdb_catalog.credits[wiki_imdb_catalog.credits["movie_id"].isin(movies["movie_id"])]
    sliced = catalog_with(wiki_imdb_catalog, movies=movies, credits=credits)
    with pytest.raises(MarqueeError, match="too little history before the cutoff") as error:
        train_casting(sliced, CastingConfig(cutoff=2013))
    assert "\n" not in str(error.value)
