"""Shared fixtures.

Every test session gets its own data and artifacts folders (set before any test imports core),
so tests never touch the user's ``data/`` or ``artifacts/``. Expensive catalogs are built once
per session. Tests needing ``../shared/data`` skip with a reason when it is absent, except under
``CI=true`` where its absence is a failure.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_SESSION_ROOT = Path(tempfile.mkdtemp(prefix="marquee-tests-"))
os.environ["MARQUEE_DATA_DIR"] = str(_SESSION_ROOT / "data")
os.environ["MARQUEE_ARTIFACTS_DIR"] = str(_SESSION_ROOT / "artifacts")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def require_shared_data(*parts: str) -> Path:
    """Path inside ``../shared/data``; skip (or fail under CI) when it is missing."""
    from core.config import shared_data_dir

    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        message = f"real data not found at {path} (expected ../shared/data beside the project)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; CI always has it")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return require_shared_data()


@pytest.fixture(scope="session")
def session_data_dir() -> Path:
    return Path(os.environ["MARQUEE_DATA_DIR"])


@pytest.fixture
def isolated_dirs(tmp_path, monkeypatch) -> Path:
    """Point data and artifacts at a fresh empty folder for one test."""
    monkeypatch.setenv("MARQUEE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MARQUEE_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    return tmp_path


@pytest.fixture(scope="session")
def demo_catalog(session_data_dir):
    """The synthetic demo catalog (default size, default seed), built once per session."""
    from core.catalog import store
    from core.catalog.demo import build_demo_catalog

    if not store.exists("demo"):
        build_demo_catalog("demo")
    return store.load_catalog("demo")


# --- Real-data catalogs (importers helper): each built once per session, then loaded. ---------

def _real_catalog(name: str, data_dir: Path, build):
    from core.catalog import store
    from core.catalog.importers.base import save_import

    if not store.exists(name, data_dir):
        save_import(build(), name, data_dir=data_dir)
    return store.load_catalog(name, data_dir=data_dir)


@pytest.fixture(scope="session")
def wikipedia_catalog(session_data_dir):
    """All Wikipedia decades as catalog "wiki" (~36k films, no ratings)."""
    from core.catalog.importers.wikipedia import import_wikipedia

    folder = require_shared_data("wikipedia-movies")
    return _real_catalog("wiki", session_data_dir, lambda: import_wikipedia(folder))


@pytest.fixture(scope="session")
def imdb5000_catalog(session_data_dir):
    """The IMDB 5000 table as catalog "imdb5000" (~4.9k films, directors, 3 billed actors)."""
    from core.catalog.importers.imdb5000 import import_imdb5000

    path = require_shared_data("imdb-5000", "movie_metadata.csv")
    return _real_catalog("imdb5000", session_data_dir, lambda: import_imdb5000(path))


@pytest.fixture(scope="session")
def wiki_imdb_catalog(session_data_dir, wikipedia_catalog, imdb5000_catalog):
    """Wikipedia enriched with IMDB 5000 (budgets, directors, imdb ids) as catalog "wiki_imdb"."""
    from core.catalog.merge import merge_catalogs

    return _real_catalog("wiki_imdb", session_data_dir, lambda: merge_catalogs(wikipedia_catalog, imdb5000_catalog))


@pytest.fixture(scope="session")
def ml100k_catalog(session_data_dir):
    """MovieLens 100K (+ IMDb details) as catalog "ml100k": 1,682 films, 100,000 ratings."""
    from core.catalog.importers.movielens import import_movielens

    folder = require_shared_data("ml-100k")
    return _real_catalog("ml100k", session_data_dir, lambda: import_movielens(folder))


@pytest.fixture(scope="session")
def ml_small_catalog(session_data_dir):
    """MovieLens latest-small as catalog "ml_small": 9,742 films, 100,836 ratings, imdb/tmdb ids."""
    from core.catalog.importers.movielens import import_movielens

    folder = require_shared_data("ml-latest-small")
    return _real_catalog("ml_small", session_data_dir, lambda: import_movielens(folder))
