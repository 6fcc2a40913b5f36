"""Labels as CSV: the export a person downloads and the import that validates every row first.

Exported text cells that a spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``,
tab or carriage return) get a leading apostrophe, the OWASP-recommended neutralisation; the
importer removes exactly that apostrophe again, so an export imports back unchanged.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import MarqueeError
from core.io import FORMULA_LEADS, neutralise_formula
from core.personal.labels import LABELS, SKIP

CSV_COLUMNS = ("movie_id", "label", "labeled_at", "title")
_TEXT_COLUMNS = ("label", "labeled_at", "title")


def restore_formula(value: str) -> str:
    """Undo :func:`neutralise_formula` (only the apostrophe it added is removed)."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_LEADS):
        return value[1:]
    return value


def labels_to_csv(labels: pd.DataFrame) -> str:
    """CSV text of a labels frame (``CSV_COLUMNS``) with formula-leading text cells neutralised.

    ``movie_id`` is written as an integer and is never altered (``-1`` is an id, not a formula)."""
    frame = labels[list(CSV_COLUMNS)].copy()
    for column in _TEXT_COLUMNS:
        frame[column] = frame[column].map(neutralise_formula)
    # Text cells quoted (QUOTE_NONNUMERIC): the csv module leaves a lone carriage return unquoted
    # with "\n" line ends, which would split the row on reading. The header stays plain.
    return ",".join(CSV_COLUMNS) + "\n" + frame.to_csv(index=False, header=False, quoting=csv.QUOTE_NONNUMERIC)


def read_csv_text(source: Path | str | io.IOBase, name: str | None = None) -> tuple[str, str]:
    """(text, name) of an uploaded or on-disk CSV; not-found and non-UTF-8 become one clear line."""
    if isinstance(source, (str, Path)):
        name = name or str(source)
        try:
            # newline="": a carriage return inside a quoted cell stays what it was
            with open(source, encoding="utf-8-sig", newline="") as handle:
                return handle.read(), name
        except FileNotFoundError:
            raise MarqueeError(f"{name}: file not found") from None
        except IsADirectoryError:
            raise MarqueeError(f"{name}: is a folder, not a CSV file") from None
        except UnicodeDecodeError as exc:
            raise MarqueeError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    raw = source.read()
    name = name or getattr(source, "name", "uploaded CSV")
    try:
        return (raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw), name
    except UnicodeDecodeError as exc:
        raise MarqueeError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def parse_labels_csv(source: Path | str | io.IOBase, known_movie_ids: set[int] | None = None,
                     name: str | None = None) -> list[dict[str, Any]]:
    """Read and validate a labels CSV completely; raise on the first bad row.

    Rows are dicts (movie_id, label, labeled_at, title); ``labeled_at`` is None when the file has
    none (the store stamps the import time)."""
    text, name = read_csv_text(source, name)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise MarqueeError(f"{name}: empty file (expected a header with movie_id,label)")
    missing = [c for c in ("movie_id", "label") if c not in header]
    if missing:
        raise MarqueeError(f"{name}: missing column(s) {', '.join(missing)} (header is: {', '.join(header)})")
    rows, seen = [], {}
    for line, record in enumerate(reader, start=2):
        record = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else v for k, v in record.items()}
        where = f"{name} line {line}"
        raw_id = record.get("movie_id", "")
        try:
            movie_id = int(float(raw_id)) if raw_id and float(raw_id).is_integer() else int(raw_id)
        except (TypeError, ValueError, OverflowError):
            raise MarqueeError(f"{where}, field movie_id: not an integer id ({raw_id!r})") from None
        if not -2**63 <= movie_id < 2**63:
            raise MarqueeError(f"{where}, field movie_id: {raw_id!r} is out of the 64-bit id range")
        label = restore_formula(record.get("label", ""))
        if label not in LABELS:
            hint = "; skips are not labels and cannot be imported" if label == SKIP else ""
            raise MarqueeError(f"{where}, field label: {label!r} is not one of {', '.join(LABELS)}{hint}")
        if known_movie_ids is not None and movie_id not in known_movie_ids:
            raise MarqueeError(f"{where}, field movie_id: {movie_id} is not a film of this catalog")
        if movie_id in seen:
            raise MarqueeError(f"{where}, field movie_id: {movie_id} already labeled on line {seen[movie_id]}")
        seen[movie_id] = line
        labeled_at = restore_formula(record.get("labeled_at") or "")
        if labeled_at:
            try:
                labeled_at = pd.Timestamp(labeled_at).isoformat()
            except (ValueError, TypeError):
                raise MarqueeError(f"{where}, field labeled_at: not a date/time ({labeled_at!r})") from None
        rows.append({"movie_id": movie_id, "label": label, "labeled_at": labeled_at or None,
                     "title": restore_formula(record.get("title") or "") or None})
    if not rows:
        raise MarqueeError(f"{name}: no label rows after the header")
    return rows
