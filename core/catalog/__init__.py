"""Canonical catalog: the typed tables and their checksummed store, the importers for public
data (Wikipedia, IMDB 5000, MovieLens) and their merge, the synthetic demo, profiling, EDA
summaries, title lookup and time splits.

- ``store``: ``Catalog`` (loaded tables), ``load_catalog``/``write_catalog`` (staged, verified),
  the active-catalog pointer, manifests and profiles.
- ``importers``: one module per source, each returning an ``ImportResult`` saved by ``save_import``.
- ``merge``: film matching (ids, then title + year) and ``merge_catalogs``.
- ``eda``: the EDA page's summary and figures; ``lookup``: title cards and title search.

The public names below are loaded on first use (PEP 562): importing the package does not load
pandas, and the importers (which import the store) cannot form a cycle through this file.
"""
from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    # store
    "Catalog", "load_catalog", "write_catalog", "verify_catalog", "list_catalogs", "catalog_exists",
    "get_active", "set_active", "read_manifest", "read_profile", "catalog_summaries", "validate_name",
    # importers and merge
    "ImportResult", "save_import", "import_wikipedia", "import_imdb5000", "import_movielens",
    "match_movies", "merge_catalogs",
    # demo, EDA, lookup
    "build_demo_catalog", "EdaSummary", "EdaFigures", "summarize", "build_figures", "readable_skew",
    "title_card", "search_titles",
]

_HOME = {
    "Catalog": "store", "load_catalog": "store", "write_catalog": "store", "verify_catalog": "store",
    "list_catalogs": "store", "catalog_exists": "store", "get_active": "store", "set_active": "store",
    "read_manifest": "store", "read_profile": "store", "catalog_summaries": "store", "validate_name": "store",
    "ImportResult": "importers.base", "save_import": "importers.base",
    "import_wikipedia": "importers.wikipedia", "import_imdb5000": "importers.imdb5000",
    "import_movielens": "importers.movielens",
    "match_movies": "merge", "merge_catalogs": "merge",
    "build_demo_catalog": "demo",
    "EdaSummary": "eda", "EdaFigures": "eda", "summarize": "eda", "build_figures": "eda",
    "readable_skew": "eda",
    "title_card": "lookup", "search_titles": "lookup",
}
_RENAMED = {"catalog_exists": "exists"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'core.catalog' has no attribute {name!r}")
    module = importlib.import_module(f"core.catalog.{_HOME[name]}")
    return getattr(module, _RENAMED.get(name, name))


def __dir__() -> list[str]:
    return sorted(__all__)
