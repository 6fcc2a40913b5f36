"""Fixtures for the CF tests: a small synthetic catalog (1,000 films, 200 users, ~16k ratings),
built once per session, and a tiny hand-made ratings table."""
from __future__ import annotations

import pandas as pd
import pytest

CF_CATALOG = "demo_cf"  # sorts after "demo", which stays the default active catalog


@pytest.fixture(scope="session")
def cf_catalog(session_data_dir):
    from core.catalog import store
    from core.catalog.demo import build_demo_catalog

    if not store.exists(CF_CATALOG):
        build_demo_catalog(CF_CATALOG, seed=11, n_movies=1000)
    return store.load_catalog(CF_CATALOG)


@pytest.fixture
def tiny_ratings() -> pd.DataFrame:
    """Four users, five films; user 4 is cold (two ratings)."""
    rows = [(1, 10, 5.0), (1, 11, 4.0), (1, 12, 1.0), (1, 13, 4.0), (1, 14, 2.0),
            (2, 10, 4.0), (2, 11, 5.0), (2, 12, 2.0), (2, 13, 3.0), (2, 14, 1.0),
            (3, 10, 1.0), (3, 11, 2.0), (3, 12, 5.0), (3, 13, 4.0), (3, 14, 5.0),
            (4, 10, 5.0), (4, 12, 1.0)]
    frame = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"])
    frame["timestamp"] = pd.date_range("2020-01-01", periods=len(frame), freq="D", tz="UTC")
    return frame
