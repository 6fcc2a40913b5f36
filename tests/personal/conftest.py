"""Fixtures for the personal taste model tests."""
from __future__ import annotations

import itertools

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def store_locations(request, tmp_path):
    """``new()`` -> location of a fresh, empty labels store: a SQLite file, or a schema on the
    PostgreSQL test server (skipped locally without one, required under CI)."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_schemas")
    counter = itertools.count()
    return lambda: str(tmp_path / f"labels-{next(counter)}.sqlite")


@pytest.fixture
def label_store(store_locations):
    """A fresh labels store of each back end: every test using it runs on SQLite and PostgreSQL."""
    from core.personal.store import open_store

    return open_store(store_locations())


@pytest.fixture(scope="session")
def ml100k_user(ml100k_catalog):
    """A real MovieLens user with plenty of ratings, standing in for a labeler."""
    counts = ml100k_catalog.ratings.groupby("user_id").size()
    eligible = counts[(counts >= 150) & (counts <= 250)]
    return int(eligible.index[0])
