"""The recent window is counted once (core.cf.data.recent_counts) for the recommender's recent
lists, the recent-most-rated baseline and blends built from fitted members; epoch-second and
datetime timestamps give the same counts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.cf import KNN_PARAMS, CFRecommender
from core.cf.data import recent_counts
from core.cf.evaluation import popularity_lists
from core.errors import MarqueeError
from tests.cf.test_candidates import low_rank_ratings


@pytest.fixture(scope="module")
def ratings():
    return low_rank_ratings(seed=4, users=60, films=50, per_user=20)


def _epoch_seconds(frame: pd.DataFrame) -> pd.DataFrame:
    seconds = (frame["timestamp"] - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)
    return frame.assign(timestamp=seconds.astype(np.int64))


def _direct_counts(frame: pd.DataFrame, days: float, ids) -> np.ndarray:
    recent = frame["timestamp"] > frame["timestamp"].max() - pd.Timedelta(days=days)
    return frame[recent].groupby("movie_id").size().reindex(ids, fill_value=0).to_numpy()


def test_recent_counts_read_epoch_seconds_like_datetimes(ratings):
    ids = np.sort(ratings["movie_id"].unique())
    expected = _direct_counts(ratings, 0.1, ids)
    assert 0 < expected.sum() < len(ratings)
    np.testing.assert_array_equal(recent_counts(ratings, 0.1, ids), expected)
    np.testing.assert_array_equal(recent_counts(_epoch_seconds(ratings), 0.1, ids), expected)
    assert recent_counts(ratings.drop(columns="timestamp"), 0.1, ids) is None


def test_recent_most_rated_baseline_reads_epoch_seconds(ratings):
    """MovieLens timestamps are epoch seconds: read as nanoseconds the whole table fell in the
    window and recent-most-rated equalled most-rated."""
    users = np.sort(ratings["user_id"].unique())[:10]
    as_dates = popularity_lists(ratings, users, 5, "recent-most-rated", 0.1)
    assert popularity_lists(_epoch_seconds(ratings), users, 5, "recent-most-rated", 0.1) == as_dates
    assert as_dates != popularity_lists(ratings, users, 5, "most-rated")


def test_blend_of_counts_the_blends_own_window(ratings):
    svd = CFRecommender(n_factors=2, n_epochs=5, random_state=0).fit(ratings)  # recent_days 14: every rating
    knn = CFRecommender(**KNN_PARAMS).fit(ratings)
    assert svd.recent_counts_.sum() == len(ratings)
    narrow = {"list_by": "recent", "recent_days": 0.05}
    with pytest.raises(MarqueeError, match="recount"):
        CFRecommender.blend_of([svd, knn], [1.0, 1.0], **narrow)
    blend = CFRecommender.blend_of([svd, knn], [1.0, 1.0], ratings=ratings, **narrow)
    direct = CFRecommender(n_factors=2, n_epochs=5, **narrow).fit(ratings)
    np.testing.assert_array_equal(blend.recent_counts_, direct.recent_counts_)
    assert blend.recent_counts_.sum() == _direct_counts(ratings, 0.05, blend.model_.item_ids).sum() < len(ratings)
    # same window as the members: their counts are the blend's
    same = CFRecommender.blend_of([svd, knn], [1.0, 1.0], list_by="recent")
    np.testing.assert_array_equal(same.recent_counts_, svd.recent_counts_)


def test_recent_and_score_lists_come_back_in_the_same_order(ratings):
    """Both list paths return rows sorted by (user_id, rank), whatever order the ids are asked in."""
    users = [7, 3, 99999, 1]
    for list_by in ("score", "recent"):
        model = CFRecommender(n_factors=2, n_epochs=5, random_state=0, list_by=list_by, recent_days=0.1).fit(ratings)
        recs = model.recommend(ratings, user_ids=users, n=3)
        assert list(recs["user_id"].unique()) == sorted(users), list_by
        assert recs.equals(recs.sort_values(["user_id", "rank"], kind="stable").reset_index(drop=True))
