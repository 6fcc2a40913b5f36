"""The labels store: durable per-profile "would I watch it?" labels, skips, exclusions and undo.

By role:

* ``core.personal.labels`` — the vocabulary (labels, actions, profile names), no database;
* ``sql`` — the ``LabelStore`` interface and every SQL statement, shared by the back ends;
* ``sqlite`` — ``SQLiteLabelStore``, the default file store under ``data/personal/``;
* ``postgres`` — ``PostgresLabelStore`` for a household server (optional ``psycopg``);
* ``csv_io`` — CSV export (formula cells neutralised) and the validate-everything-first import.

``open_store(location)`` picks the back end from a path or URL.
"""
from __future__ import annotations

import os
from pathlib import Path

from core import config
from core.personal.labels import (CLEAR, EXCLUDE, LABEL_TEXT, LABELS, SKIP, UNEXCLUDE, WOULD_NOT_WATCH,
                                  WOULD_WATCH, WOULD_WATCH_MANY, UndoResult, validate_label, validate_profile)
from core.personal.store.csv_io import CSV_COLUMNS, labels_to_csv, neutralise_formula, parse_labels_csv
from core.personal.store.postgres import PostgresLabelStore
from core.personal.store.sql import LabelStore
from core.personal.store.sqlite import SQLiteLabelStore

__all__ = [
    "CLEAR", "CSV_COLUMNS", "EXCLUDE", "LABELS", "LABEL_TEXT", "SKIP", "UNEXCLUDE",
    "WOULD_NOT_WATCH", "WOULD_WATCH", "WOULD_WATCH_MANY",
    "LabelStore", "PostgresLabelStore", "SQLiteLabelStore", "UndoResult",
    "default_location", "labels_to_csv", "neutralise_formula", "open_store", "parse_labels_csv",
    "validate_label", "validate_profile",
]


def default_location() -> str:
    """``MARQUEE_LABELS_URL`` if set, else ``data/personal/labels.sqlite``."""
    return os.environ.get("MARQUEE_LABELS_URL") or str(config.data_dir() / "personal" / "labels.sqlite")


def open_store(location: str | Path | None = None) -> LabelStore:
    """A store from a path, ``sqlite:///path`` or ``postgresql://…`` URL (default: see above)."""
    location = str(location or default_location())
    if location.startswith(("postgresql://", "postgres://")):
        return PostgresLabelStore(location)
    if location.startswith("sqlite:///"):
        location = location[len("sqlite:///"):]
    return SQLiteLabelStore(location)
