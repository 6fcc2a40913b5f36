"""Fixtures for the personal taste model tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def label_store(tmp_path):
    from core.personal.store import SQLiteLabelStore

    return SQLiteLabelStore(tmp_path / "labels.sqlite")


@pytest.fixture(scope="session")
def ml100k_user(ml100k_catalog):
    """A real MovieLens user with plenty of ratings, standing in for a labeler."""
    counts = ml100k_catalog.ratings.groupby("user_id").size()
    eligible = counts[(counts >= 150) & (counts <= 250)]
    return int(eligible.index[0])
