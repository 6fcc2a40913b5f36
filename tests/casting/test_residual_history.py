"""The residual-history candidate of benchmarks/bench_casting_residual.py (measured on validation
years, not in the contract) is strictly as of the row's year: its validation figures are honest only
if no feature of a row of year Y moves when any film of year >= Y changes."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.casting.features import CastingFeaturizer
from core.casting.longtable import build_long_table
from tests.casting.conftest import catalog_with

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_casting_residual.py"


@pytest.fixture(scope="module")
def residual_bench():
    spec = importlib.util.spec_from_file_location("bench_casting_residual", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def featurizer(demo_catalog):
    return CastingFeaturizer(cutoff=2010, n_genres=40, feature_set="brief").fit(build_long_table(demo_catalog))


def _residuals(bench, catalog, featurizer):
    data = featurizer.annotate(build_long_table(catalog))
    X = featurizer.transform(data, featurizer.histories(data))
    return data, bench.residual_features(featurizer, data, X)


@pytest.mark.parametrize("year", [1998, 2008])
def test_residual_history_never_sees_year_y_or_later(demo_catalog, featurizer, residual_bench, year):
    """Every film of year >= Y gets new outcomes, budget, genres, runtime and loses half its cast,
    except a kept half of year Y's films: no residual feature of a row before Y or of a kept film moves."""
    rng = np.random.default_rng(year)
    movies = demo_catalog.movies.astype({"runtime": float, "budget": float})
    in_year = movies.index[movies["year"] == year]
    kept = set(movies.loc[in_year[::2], "movie_id"])
    changed = (movies["year"] >= year) & ~movies["movie_id"].isin(kept)
    k = int(changed.sum())
    movies.loc[changed, "vote_average"] = rng.uniform(1, 10, k).round(1)
    movies.loc[changed, "budget"] = rng.uniform(1e5, 3e8, k)
    movies.loc[changed, "runtime"] = rng.uniform(60, 200, k)
    movies.loc[changed, "genres"] = pd.Series([["Horror"] if i % 2 else ["Drama", "War"] for i in range(k)],
                                              index=movies.index[changed])
    credits = demo_catalog.credits
    drop = credits["movie_id"].isin(set(movies.loc[changed, "movie_id"])) & (np.arange(len(credits)) % 2 == 0)
    data, R = _residuals(residual_bench, demo_catalog, featurizer)
    data_p, R_p = _residuals(residual_bench, catalog_with(demo_catalog, movies=movies, credits=credits[~drop]),
                             featurizer)
    key = ["movie_id", "person_id"]

    def watched(d, frame):
        rows = d.rows
        mask = (rows["year"] < year) | rows["movie_id"].isin(kept)
        return pd.concat([rows[key], frame], axis=1)[mask].sort_values(key).reset_index(drop=True)

    before, after = watched(data, R), watched(data_p, R_p)
    assert len(before) > 100 and before[key].equals(after[key])
    assert before["actor_resid"].abs().gt(0).any() and before["director_resid"].abs().gt(0).any()
    pd.testing.assert_frame_equal(before, after)
