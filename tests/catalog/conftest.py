"""Fixtures for the importer and merge tests: tiny hand-made catalogs written to tmp folders."""
from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def make_catalog(tmp_path):
    """``make_catalog(name, movies, people=None, credits=None, ratings=None)`` -> loaded Catalog."""
    from core.catalog import store

    def make(name: str, movies: list[dict], people: list[dict] | None = None,
             credits: list[dict] | None = None, ratings: list[dict] | None = None):
        tables = {"movies": pd.DataFrame(movies)}
        for table, rows in (("people", people), ("credits", credits), ("ratings", ratings)):
            if rows:
                tables[table] = pd.DataFrame(rows)
        store.write_catalog(name, tables, source=f"test:{name}", data_dir=tmp_path / "data")
        return store.load_catalog(name, data_dir=tmp_path / "data")

    return make

