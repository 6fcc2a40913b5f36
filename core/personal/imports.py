"""Labels from the CSV exports people already have: Letterboxd, IMDb ratings, Trakt.

Two steps, so nothing is written before a person has seen what will be:

1. :func:`preview_import` reads the file, recognises its format from the header, turns each
   rating into a label and matches each film to the catalog with the merge module's matcher
   (``core.catalog.merge.match_movies``: IMDb id, then TMDb id, then normalised title + year, then
   title ± 1 year when unambiguous). It returns an :class:`ImportPreview`: the matched rows (what
   would be written) and the unmatched ones with the reason.
2. :func:`apply_import` writes the matched rows in one transaction (all or nothing).

Formats (header names as the services write them; matched case-insensitively):

* **Letterboxd** ``ratings.csv`` (``Date, Name, Year, Letterboxd URI, Rating``) and ``diary.csv``
  (… ``Rating, Rewatch, Tags, Watched Date``): ratings 0.5–5; no external ids, so films match
  by title and year; a film logged several times keeps its latest entry.
* **IMDb** ratings export (``Const, Your Rating, Date Rated, Title, … Year …``): ratings 1–10,
  ``Const`` is the IMDb id.
* **Trakt** ratings export (``rated_at, type, title, year, …, imdb_id, tmdb_id, …, rating``):
  ratings 1–10, rows of ``type`` other than ``movie`` are left out.

A rating of at least ``threshold`` (default 70 % of the scale: 3.5 of 5, 7 of 10) is "would
watch", at least ``many_threshold`` (default 90 %: 4.5 of 5, 9 of 10) "would watch many times",
anything lower "would not watch". A row without a rating (a diary entry only logged as watched)
is not a label and is listed as unmatched. Structural problems (not a CSV, unknown header, a
rating that is not a number of the scale, a date that is not a date) stop the preview with one
line naming file, line and field.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.catalog.merge import match_movies
from core.catalog.titles import normalise_title
from core.errors import MarqueeError
from core.personal.labels import WOULD_NOT_WATCH, WOULD_WATCH, WOULD_WATCH_MANY
from core.personal.store import LabelStore
from core.personal.store.csv_io import read_csv_text
from core.validation import finite_float

FORMATS = ("letterboxd", "imdb", "trakt")
SCALES = {"letterboxd": (0.5, 5.0), "imdb": (1.0, 10.0), "trakt": (1.0, 10.0)}
WOULD_WATCH_SHARE, MANY_SHARE = 0.7, 0.9
PREVIEW_COLUMNS = ["line", "title", "year", "rating", "label", "movie_id", "catalog_title", "matched_by"]
UNMATCHED_COLUMNS = ["line", "title", "year", "rating", "reason"]
_IMDB_ID = re.compile(r"tt(\d{1,10})")


@dataclass
class ImportPreview:
    """What an import would write (``matched``) and what it leaves out (``unmatched``, with reasons)."""

    source: str
    format: str
    matched: pd.DataFrame
    unmatched: pd.DataFrame
    threshold: float
    many_threshold: float

    def summary(self) -> str:
        return (f"{self.source} ({self.format}): {len(self.matched)} rows match films of the catalog, "
                f"{len(self.unmatched)} do not")

    def label_rows(self) -> list[dict[str, Any]]:
        return [{"movie_id": int(r.movie_id), "label": r.label, "labeled_at": r.labeled_at, "title": r.catalog_title}
                for r in self.matched.itertuples()]


def _normalised_header(fieldnames) -> dict[str, str]:
    return {(name or "").strip().lower(): name for name in fieldnames or []}


def detect_format(header: dict[str, str]) -> str | None:
    if {"letterboxd uri", "name", "year"} <= set(header):
        return "letterboxd"
    if {"const", "your rating"} <= set(header):
        return "imdb"
    if {"rated_at", "title", "year", "rating"} <= set(header) or {"trakt_id", "title", "year", "rating"} <= set(header):
        return "trakt"
    return None


def preview_import(catalog, source: Path | str | io.IOBase, *, name: str | None = None, fmt: str = "auto",
                   threshold: float | None = None, many_threshold: float | None = None) -> ImportPreview:
    """Read an export, label its ratings and match its films to ``catalog``; write nothing."""
    text, name = read_csv_text(source, name)
    reader = csv.DictReader(io.StringIO(text))
    header = _normalised_header(reader.fieldnames)
    if not header:
        raise MarqueeError(f"{name}: empty file (expected a Letterboxd, IMDb or Trakt export)")
    detected = detect_format(header)
    if fmt == "auto":
        if detected is None:
            raise MarqueeError(f"{name}: not a Letterboxd, IMDb or Trakt export (header is: "
                               f"{', '.join(list(header)[:8])})")
        fmt = detected
    elif fmt not in FORMATS:
        raise MarqueeError(f"format {fmt!r}: expected auto, {', '.join(FORMATS)}")
    elif detected != fmt:
        raise MarqueeError(f"{name}: the header does not look like a {fmt} export")
    low, high = SCALES[fmt]
    threshold = finite_float(threshold if threshold is not None else round(WOULD_WATCH_SHARE * high * 2) / 2,
                             "threshold", low=low, high=high)
    many_threshold = finite_float(many_threshold if many_threshold is not None else round(MANY_SHARE * high * 2) / 2,
                                  "many_threshold", low=threshold, high=high)
    rows = _read_rows(reader, header, fmt, name, low, high)
    return _match(catalog, rows, fmt, name, threshold, many_threshold)


def _field(record: dict, header: dict[str, str], key: str) -> str:
    original = header.get(key)
    value = record.get(original) if original is not None else None
    return value.strip() if isinstance(value, str) else ""


def _read_rows(reader: csv.DictReader, header: dict[str, str], fmt: str, name: str, low: float, high: float) -> pd.DataFrame:
    spec = {"letterboxd": {"title": "name", "year": "year", "rating": "rating", "date": ("watched date", "date")},
            "imdb": {"title": "title", "year": "year", "rating": "your rating", "date": ("date rated",), "imdb": "const"},
            "trakt": {"title": "title", "year": "year", "rating": "rating", "date": ("rated_at", "watched_at"),
                      "imdb": "imdb_id", "tmdb": "tmdb_id", "type": "type"}}[fmt]
    rows = []
    try:
        for line, record in enumerate(reader, start=2):
            where = f"{name} line {line}"
            if fmt == "trakt" and _field(record, header, "type") not in ("", "movie"):
                continue  # shows, seasons and episodes are not films
            title = _field(record, header, spec["title"])
            year = _optional_number(_field(record, header, spec["year"]), where, "year", integer=True)
            rating = _optional_number(_field(record, header, spec["rating"]), where, spec["rating"])
            if rating is not None and not low <= rating <= high:
                raise MarqueeError(f"{where}, field {spec['rating']}: {rating:g} is outside the {fmt} scale {low:g}–{high:g}")
            date = next((_field(record, header, d) for d in spec["date"] if _field(record, header, d)), "")
            if date:
                try:
                    date = pd.Timestamp(date).isoformat()
                except (ValueError, TypeError):
                    raise MarqueeError(f"{where}, field {spec['date'][0]}: not a date ({date!r})") from None
            imdb = _field(record, header, spec["imdb"]) if "imdb" in spec else ""
            match = _IMDB_ID.fullmatch(imdb) if imdb else None
            tmdb = _optional_number(_field(record, header, spec["tmdb"]), where, "tmdb_id", integer=True) \
                if "tmdb" in spec else None
            rows.append({"line": line, "title": title, "year": year, "rating": rating, "labeled_at": date or None,
                         "imdb_id": f"tt{int(match.group(1)):07d}" if match else None,
                         "tmdb_id": float(tmdb) if tmdb is not None else None})
    except csv.Error as exc:
        raise MarqueeError(f"{name} line {reader.line_num}: not readable as CSV ({exc})") from None
    if not rows:
        raise MarqueeError(f"{name}: no film rows after the header")
    return pd.DataFrame(rows)


def _optional_number(text: str, where: str, field: str, integer: bool = False) -> float | None:
    if text == "":
        return None
    try:
        value = finite_float(text, field)
    except MarqueeError:
        raise MarqueeError(f"{where}, field {field}: not a number ({text[:40]!r})") from None
    if integer and not float(value).is_integer():
        raise MarqueeError(f"{where}, field {field}: not a whole number ({text[:40]!r})")
    return value


def _match(catalog, rows: pd.DataFrame, fmt: str, name: str, threshold: float, many: float) -> ImportPreview:
    rated = rows[rows["rating"].notna()]
    unrated = rows[rows["rating"].isna()].assign(reason="no rating (only logged as watched): not a label")
    # One film logged several times (a diary) is one film to match: rows with the same id, or the
    # same normalised title and year, share their first line as the matcher's film id.
    key = [imdb if isinstance(imdb, str) else f"tmdb:{tmdb:.0f}" if pd.notna(tmdb) else f"{normalise_title(t)}|{y}"
           for imdb, tmdb, t, y in zip(rated["imdb_id"], rated["tmdb_id"], rated["title"], rated["year"])]
    rated = rated.assign(film=pd.Series(key, index=rated.index).map(
        pd.Series(rated["line"].to_numpy(), index=key).groupby(level=0).first()).astype("int64"))
    films = rated.drop_duplicates("film")
    other = films.assign(movie_id=films["film"], year=pd.to_numeric(films["year"]),
                         tmdb_id=pd.to_numeric(films["tmdb_id"]))[["movie_id", "title", "year", "imdb_id", "tmdb_id"]]
    base = catalog.movies[[c for c in ("movie_id", "title", "year", "imdb_id", "tmdb_id") if c in catalog.movies]]
    matches, _ = match_movies(base, other)
    by_film = matches.set_index("other_id")
    by_line = pd.DataFrame({"base_id": rated["film"].map(by_film["base_id"]).to_numpy(),
                            "method": rated["film"].map(by_film["method"]).to_numpy()},
                           index=rated["line"].to_numpy()).dropna(subset=["base_id"])
    found = rated[rated["line"].isin(by_line.index)].copy()
    found["movie_id"] = found["line"].map(by_line["base_id"]).astype("int64")
    found["matched_by"] = found["line"].map(by_line["method"])
    found["catalog_title"] = found["movie_id"].map(catalog.movies.set_index("movie_id")["title"])
    found["label"] = np.where(found["rating"] >= many, WOULD_WATCH_MANY,
                              np.where(found["rating"] >= threshold, WOULD_WATCH, WOULD_NOT_WATCH))
    # A film logged more than once (a diary's rewatches): the latest entry is the label.
    found = found.sort_values(["labeled_at", "line"], na_position="first", kind="stable")
    later = found.duplicated("movie_id", keep="last")
    kept_line = found.drop_duplicates("movie_id", keep="last").set_index("movie_id")["line"]
    superseded = found[later].assign(reason=lambda f: [f"the same film again on line {kept_line[m]} (that one is used)"
                                                        for m in f["movie_id"]])
    found = found[~later].sort_values("line")
    missing = rated[~rated["line"].isin(by_line.index)].assign(
        reason=lambda f: np.where(f["year"].isna() & f["imdb_id"].isna() & f["tmdb_id"].isna(),
                                  "no year or id to match by", "no film of this title and year (or id) in the catalog"))
    unmatched = pd.concat([missing, superseded, unrated], ignore_index=True).sort_values("line")
    matched = found[PREVIEW_COLUMNS + ["labeled_at"]].reset_index(drop=True)
    matched["year"] = matched["year"].astype("Int64")
    unmatched = unmatched[UNMATCHED_COLUMNS].reset_index(drop=True)
    unmatched["year"] = unmatched["year"].astype("Int64")
    return ImportPreview(source=name, format=fmt, matched=matched, unmatched=unmatched, threshold=threshold,
                         many_threshold=many)


def apply_import(store: LabelStore, profile: str, catalog_name: str, preview: ImportPreview) -> int:
    """Write the preview's matched rows as labels, all in one transaction (nothing on failure)."""
    if preview.matched.empty:
        raise MarqueeError(f"{preview.source}: no row matches a film of catalog {catalog_name!r}; nothing imported")
    return store.import_rows(profile, catalog_name, preview.label_rows())
