"""The residual-history candidate of benchmarks/bench_casting_residual.py (measured on validation
years, not in the contract) is strictly as of the row's year: its validation figures are honest only
if no feature of a row of year Y moves when any film of year >= Y changes.

On a slice of the demo catalog (every other film up to 2010: the residuals stop at 2010 anyway),
which keeps over 200 labelled films before 1998, so the out-of-time logistic expectation, not the
running-rate fallback, is what the check watches; the check is shown to fail when that expectation
sees its own year."""
from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.casting.features import CastingFeaturizer
from core.casting.longtable import build_long_table
from tests.casting.conftest import catalog_with, change_films_from, unmoved_rows

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_casting_residual.py"


@pytest.fixture(scope="module")
def residual_bench():
    spec = importlib.util.spec_from_file_location("bench_casting_residual", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small_catalog(demo_catalog):
    movies = demo_catalog.movies[demo_catalog.movies["year"] <= 2010].iloc[::2]
    credits = demo_catalog.credits[demo_catalog.credits["movie_id"].isin(set(movies["movie_id"]))]
    return catalog_with(demo_catalog, movies=movies, credits=credits)


@pytest.fixture(scope="module")
def featurizer(small_catalog):
    return CastingFeaturizer(cutoff=2010, n_genres=40, feature_set="brief").fit(build_long_table(small_catalog))


def _residuals(bench, catalog, featurizer):
    data = featurizer.annotate(build_long_table(catalog))
    X = featurizer.transform(data, featurizer.histories(data))
    return data, bench.residual_features(featurizer, data, X)


@pytest.fixture(scope="module")
def unchanged(residual_bench, small_catalog, featurizer):
    return _residuals(residual_bench, small_catalog, featurizer)


def _before_and_after(bench, catalog, featurizer, unchanged, year):
    """Every film of year >= Y changes (change_films_from) except a kept half of year Y's films: the
    residual features of the rows before Y and of the kept films, before and after."""
    movies, credits, kept, _ = change_films_from(catalog, year, np.random.default_rng(year))
    data, R = unchanged
    data_p, R_p = _residuals(bench, catalog_with(catalog, movies=movies, credits=credits), featurizer)
    return unmoved_rows(data, R, year, kept), unmoved_rows(data_p, R_p, year, kept)


@pytest.mark.parametrize("year", [1998, 2008])
def test_residual_history_never_sees_year_y_or_later(small_catalog, featurizer, residual_bench, unchanged, year):
    films = small_catalog.movies
    assert (films["year"] < year).sum() > 2 * residual_bench.MIN_FILMS  # the logistic expectation is in play
    before, after = _before_and_after(residual_bench, small_catalog, featurizer, unchanged, year)
    assert len(before) > 100 and before[["movie_id", "person_id"]].equals(after[["movie_id", "person_id"]])
    assert before["actor_resid"].abs().gt(0).any() and before["director_resid"].abs().gt(0).any()
    pd.testing.assert_frame_equal(before, after)


def test_the_check_fails_when_the_expectation_sees_its_own_year(small_catalog, featurizer, residual_bench,
                                                               unchanged, monkeypatch):
    """The same check with the film expectation fitted on films of years <= Y instead of < Y."""
    source = inspect.getsource(residual_bench.film_expectation)
    assert source.count("(years < year)") == 1
    namespace = dict(vars(residual_bench))
    exec(source.replace("(years < year)", "(years <= year)"), namespace)
    monkeypatch.setattr(residual_bench, "film_expectation", namespace["film_expectation"])
    before, after = _before_and_after(residual_bench, small_catalog, featurizer, unchanged, 2008)
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(before, after)
