"""Casting fixtures: one model trained on the demo catalog per session, shared by every test."""
from __future__ import annotations

import dataclasses

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
