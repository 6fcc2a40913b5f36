"""Search fixtures: one encoder, the 2010s Wikipedia slice and the demo catalog, each indexed once.

Embeddings are cached by content hash + model id in ``MARQUEE_EMBEDDING_CACHE`` (default here:
``~/.cache/marquee-test-embeddings``), so only the first run on a machine pays for embedding
(about 5,500 short documents, ~2-3 minutes on 2 idle cores).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import require_shared_data

os.environ.setdefault("MARQUEE_EMBEDDING_CACHE", str(Path("~/.cache/marquee-test-embeddings").expanduser()))

WIKI_SLICE = "wiki2010s"


@pytest.fixture(scope="session")
def encoder():
    from core.search.embeddings import Encoder

    return Encoder()


@pytest.fixture(scope="session")
def wiki_slice(session_data_dir):
    """American films of 2010-2019 from Wikipedia (about 2,500) as catalog ``wiki2010s``."""
    from core.catalog import store
    from core.catalog.importers.base import save_import
    from core.catalog.importers.wikipedia import import_wikipedia

    folder = require_shared_data("wikipedia-movies")
    if not store.exists(WIKI_SLICE):
        save_import(import_wikipedia(folder, years=(2010, 2019)), WIKI_SLICE)
    return store.load_catalog(WIKI_SLICE, verify=False)


@pytest.fixture(scope="session")
def wiki_build(wiki_slice, encoder):
    """(index, build statistics) for the Wikipedia slice."""
    from core.search.index import build_index

    return build_index(WIKI_SLICE, encoder=encoder)


@pytest.fixture(scope="session")
def wiki_searcher(wiki_build, encoder):
    from core.search.engine import Searcher

    return Searcher(wiki_build[0], encoder)


@pytest.fixture(scope="session")
def demo_searcher(demo_catalog, encoder):
    """The session demo catalog (3,000 synthetic films in ten languages), indexed and saved."""
    from core.search.engine import Searcher
    from core.search.index import build_index

    index, _ = build_index("demo", encoder=encoder)
    return Searcher(index, encoder)
