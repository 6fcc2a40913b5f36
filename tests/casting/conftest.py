"""Casting fixtures: one model trained on the demo catalog per session, shared by every test."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def casting_demo(demo_catalog):
    """The default casting model (cutoff 2010) on the demo catalog, trained and saved once."""
    from core.casting import CastingConfig, train_and_save

    return train_and_save(demo_catalog, CastingConfig())


@pytest.fixture(scope="session")
def casting_demo_co_stars(demo_catalog):
    """The opt-in model with the co-star record, on the demo catalog (trained once, not saved)."""
    from core.casting import CastingConfig, train_casting

    return train_casting(demo_catalog, CastingConfig(feature_set="brief_co_stars"))


@pytest.fixture(scope="session")
def star_power(demo_catalog):
    import pandas as pd

    return pd.read_parquet(demo_catalog.path / "ground_truth" / "actors.parquet")


def catalog_with(catalog, movies=None, credits=None):
    """An in-memory copy of a catalog with some tables replaced (nothing is written)."""
    return dataclasses.replace(catalog, movies=catalog.movies if movies is None else movies,
                               credits=catalog.credits if credits is None else credits)


def change_films_from(catalog, year: int, rng):
    """The no-peek perturbation: every film of year >= ``year`` except a kept half of that year's
    films gets new outcomes (vote average, popularity), budget, runtime, language and genres and
    loses half its cast. Returns (movies, credits, kept movie ids, changed mask over movies)."""
    movies = catalog.movies.astype({"runtime": float, "budget": float, "popularity": float})
    in_year = movies.index[movies["year"] == year]
    kept = set(movies.loc[in_year[::2], "movie_id"])
    changed = (movies["year"] >= year) & ~movies["movie_id"].isin(kept)
    k = int(changed.sum())
    movies.loc[changed, "vote_average"] = rng.uniform(1, 10, k).round(1)
    movies.loc[changed, "popularity"] = rng.uniform(0, 100, k)
    movies.loc[changed, "budget"] = rng.uniform(1e5, 3e8, k)
    movies.loc[changed, "runtime"] = rng.uniform(60, 200, k)
    movies.loc[changed, "original_language"] = rng.choice(["en", "fr", "ja"], k)
    movies.loc[changed, "genres"] = pd.Series([["Horror"] if i % 2 else ["Drama", "War"] for i in range(k)],
                                              index=movies.index[changed])
    credits = catalog.credits
    drop = credits["movie_id"].isin(set(movies.loc[changed, "movie_id"])) & (np.arange(len(credits)) % 2 == 0)
    return movies, credits[~drop], kept, changed


def unmoved_rows(data, frame, year: int, kept) -> pd.DataFrame:
    """The rows ``frame`` (aligned with ``data.rows``) must keep under ``change_films_from``: those
    before ``year`` and those of the kept films, keyed by (movie_id, person_id) and sorted."""
    key = ["movie_id", "person_id"]
    rows = data.rows
    mask = (rows["year"] < year) | rows["movie_id"].isin(kept)
    return pd.concat([rows[key], frame], axis=1)[mask].sort_values(key).reset_index(drop=True)
