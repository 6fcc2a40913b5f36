"""API fixtures: a small demo catalog (200 films) with its search index, built once per session.

Embeddings come from the shared test cache (``MARQUEE_EMBEDDING_CACHE``, as in tests/search), so
only the first run on a machine embeds the 200 documents.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MARQUEE_EMBEDDING_CACHE", str(Path("~/.cache/marquee-test-embeddings").expanduser()))

API_CATALOG = "apidemo"


@pytest.fixture(scope="session")
def encoder():
    from core.search.embeddings import Encoder

    return Encoder()


@pytest.fixture(scope="session")
def api_catalog(session_data_dir, encoder) -> str:
    """Catalog ``apidemo`` (200 synthetic films) with an up-to-date search index; made active."""
    from core.catalog import store
    from core.catalog.demo import build_demo_catalog
    from core.search import build_index, index_status

    if not store.exists(API_CATALOG):
        build_demo_catalog(API_CATALOG, n_movies=200)
    if not index_status(API_CATALOG)["fresh"]:
        build_index(API_CATALOG, encoder=encoder)
    store.set_active(API_CATALOG)
    return API_CATALOG


@pytest.fixture(scope="session")
def app(api_catalog, encoder):
    from core.service import Settings, create_app

    return create_app(Settings(), encoder=encoder)


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


PROFILE = "api-alice"


@pytest.fixture(scope="session")
def trained(api_catalog) -> dict:
    """Casting, CF, a profile's taste model and the shared taste model of ``apidemo``, trained once
    (small grids: about a minute on a quiet machine)."""
    from core import personal
    from core.casting import train_and_save
    from core.catalog import load_catalog
    from core.cf import train_champion

    catalog = load_catalog(API_CATALOG)
    casting = train_and_save(catalog)
    cf = train_champion(catalog)
    labels = personal.open_store()
    user = int(catalog.ratings["user_id"].value_counts().index[0])
    personal.import_user_ratings(labels, PROFILE, catalog, user, threshold=3.5)
    personal.train(PROFILE, catalog, store=labels, grid={"max_depth": [2], "learning_rate": [0.05]}, n_splits=3)
    personal.train_shared(catalog, max_labelers=20)
    return {"catalog": catalog, "casting_version": casting.extra["version"], "cf_version": cf["version"],
            "profile": PROFILE, "user": user}
