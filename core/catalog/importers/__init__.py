"""Importers for public film data sets; each returns an ``ImportResult`` of canonical tables.

Write one with ``save_import(result, name)`` (atomic, checksummed); enrich a catalog with
another with ``core.catalog.merge.merge_catalogs``.
"""
from core.catalog.importers.base import ImportResult, save_import
from core.catalog.importers.imdb5000 import import_imdb5000
from core.catalog.importers.movielens import import_movielens
from core.catalog.importers.wikipedia import import_wikipedia

__all__ = ["ImportResult", "save_import", "import_imdb5000", "import_movielens", "import_wikipedia"]
