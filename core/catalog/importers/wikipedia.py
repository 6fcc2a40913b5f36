"""Wikipedia American films (one JSON array per decade, ``movies-1900s.json`` ...).

Choices:
- ``movie_id`` is a stable hash of (href, title, year) plus an occurrence number when the same
  triple repeats with different content, so ids do not depend on which decades are imported.
- ``original_language`` stays null: the lists hold silent films and non-English American
  productions and nothing in a record says which; merging with IMDB-5000 fills it where known.
- Exact duplicate records are dropped and counted; stray cast tokens are dropped and counted.
- A year outside 1870-2100 (e.g. 0) becomes null and is counted.
"""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pandas as pd

from core.catalog.importers.base import (CreditsBuilder, ImportResult, Report, file_fingerprint,
                                         progress_or_null, require_file, stable_id)
from core.io import sha256_text
from core.catalog.schema import YEAR_RANGE
from core.errors import CatalogImportError
from core.validation import safe_image_url, shown
from core.progress import ProgressFn

log = logging.getLogger(__name__)

FILE_PATTERN = re.compile(r"^movies-(\d{4})s\.json$")
SOURCE = "wikipedia"


def parse_years(text: str | None) -> tuple[int, int] | None:
    """ "1990-1999" -> (1990, 1999); "1994" -> (1994, 1994); None -> None."""
    if not text:
        return None
    match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?", text)
    if not match:
        raise CatalogImportError(f"--years {text!r}: expected YEAR or FIRST-LAST, e.g. 1990-1999")
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    if first > last:
        raise CatalogImportError(f"--years {text!r}: the first year is after the last")
    return first, last


def decade_files(path: Path, years: tuple[int, int] | None = None) -> list[Path]:
    """The decade files to read: the file itself, or every ``movies-NNNNs.json`` in a folder
    (only the decades that overlap ``years``)."""
    path = Path(path)
    if not path.exists():
        raise CatalogImportError(f"{path}: not found (expected a movies-NNNNs.json file or a folder of them)")
    if path.is_file():
        return [require_file(path, "Wikipedia movies JSON")]
    if not path.is_dir():
        raise CatalogImportError(f"{path}: not a regular file or folder (expected a movies-NNNNs.json file or a folder "
                           "of them)")
    files = sorted(p for p in path.iterdir() if FILE_PATTERN.match(p.name))
    if not files:
        raise CatalogImportError(f"{path}: no movies-NNNNs.json files in this folder")
    if years:
        files = [p for p in files
                 if int(FILE_PATTERN.match(p.name).group(1)) <= years[1]
                 and int(FILE_PATTERN.match(p.name).group(1)) + 9 >= years[0]]
    return files


def _load_array(path: Path) -> list[Any]:
    raw = path.read_bytes()
    if not raw.strip():
        raise CatalogImportError(f"{path}: file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogImportError(f"{path}: not valid UTF-8 at byte {exc.start} ({exc.reason}); JSON must be UTF-8") from None
    try:
        data = json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise CatalogImportError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise CatalogImportError(f"{path}: JSON nested too deeply (a film list is an array of flat objects)") from None
    if not isinstance(data, list):
        raise CatalogImportError(f"{path}: expected a JSON array of films, found {type(data).__name__}")
    return data


class HugeInt:
    """A JSON integer too long to be any field of a film (Python refuses to parse past 4,300
    digits); kept as its digit count so the film can be named in the error or repair."""

    def __init__(self, digits: int):
        self.digits = digits

    def __repr__(self) -> str:
        return f"a {self.digits:,}-digit number"


def _bounded_int(text: str) -> int | HugeInt:
    return int(text) if len(text) <= 30 else HugeInt(len(text.lstrip("-")))


def _film(record: dict, index: int) -> str:
    title = record.get("title")
    return f"film #{index} ({shown(title)})" if isinstance(title, str) else f"film #{index}"


def _field(record: dict, key: str, kind: type, path: Path, index: int, required: bool = False):
    value = record.get(key)
    if value is None:
        if required:
            raise CatalogImportError(f"{path}: film #{index}: missing field {key!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, kind):
        raise CatalogImportError(f"{path}: {_film(record, index)}: field {key!r} should be {_KIND_NAMES[kind]}, "
                           f"got {type(value).__name__ if not isinstance(value, HugeInt) else 'number'} {shown(value)}")
    return value


_KIND_NAMES = {str: "text", int: "a whole number", list: "a list"}


def _name_list(record: dict, key: str, path: Path, index: int) -> list[str]:
    """A list of names (cast); an entry that is not text (a dict, a number, a list) is a
    structural error naming the film, not a name to invent from its repr."""
    values = _field(record, key, list, path, index) or []
    for value in values:
        if value is not None and not isinstance(value, str):
            raise CatalogImportError(f"{path}: {_film(record, index)}: field {key!r} should be a list of names, "
                               f"found {type(value).__name__} {shown(value)}")
    return values


def _image_url(value: str | None, report: Report, title: str) -> str | None:
    """Only absolute http(s) image URLs are kept; a local path or other scheme is dropped, counted."""
    url = safe_image_url(value)
    if value and url is None:
        report.repair("poster_url_not_http_dropped", example=f"{title!r}: {shown(value)}")
    return url


def _content_hash(record: dict) -> str:
    """Hash of a record's full content, to spot exact duplicates without keeping the records."""
    return sha256_text(json.dumps(record, sort_keys=True, default=repr, ensure_ascii=False))


def import_wikipedia(path_file_or_dir: str | Path, progress: ProgressFn | None = None,
                     years: tuple[int, int] | str | None = None) -> ImportResult:
    """Import one decade file or a folder of them (optionally only ``years``) into canonical tables."""
    progress = progress_or_null(progress)
    if isinstance(years, str):
        years = parse_years(years)
    files = decade_files(Path(path_file_or_dir), years)
    report = Report(files=[p.name for p in files], language_policy="original_language left null (see importer docs)")
    credits = CreditsBuilder(report)
    rows: list[dict[str, Any]] = []
    seen_content: dict[str, list[str]] = {}  # per (href, title, year): hashes of the records seen
    ids: dict[int, str] = {}
    raw_total = 0
    for done, path in enumerate(files):
        progress(done, len(files), f"reading {path.name}")
        data = _load_array(path)
        raw_total += len(data)
        for index, record in enumerate(data):
            if not isinstance(record, dict):
                raise CatalogImportError(f"{path}: film #{index}: expected an object, got {type(record).__name__}")
            title = _field(record, "title", str, path, index, required=True).strip()
            if not title:
                raise CatalogImportError(f"{path}: film #{index}: field 'title' is empty")
            year = record.get("year")
            if isinstance(year, HugeInt):
                report.repair("year_out_of_range_nulled", example=f"{path.name} #{index} {title!r}: {year!r}")
                year = None
            year = _field({**record, "year": year}, "year", int, path, index)
            if year is not None and not (YEAR_RANGE[0] <= year <= YEAR_RANGE[1]):
                report.repair("year_out_of_range_nulled", example=f"{path.name} #{index} {title!r}: {year}")
                year = None
            if years and (year is None or not years[0] <= year <= years[1]):
                continue
            href = _field(record, "href", str, path, index)
            key = f"{href or ''}|{title}|{year}"
            content = _content_hash(record)
            if content in seen_content.setdefault(key, []):
                report.repair("duplicate_records_dropped", example=f"{title} ({year})")
                continue
            seen_content[key].append(content)
            occurrence = len(seen_content[key])
            movie_id = stable_id(SOURCE, key if occurrence == 1 else f"{key}#{occurrence}")
            if movie_id in ids:
                raise CatalogImportError(f"{path}: film #{index}: id collision with {ids[movie_id]!r}")
            ids[movie_id] = key
            raw_genres = _field(record, "genres", list, path, index) or []
            genres = [g.strip() for g in raw_genres if isinstance(g, str) and g.strip()]
            report.repair("genre_not_text_dropped", sum(1 for g in raw_genres if g is not None and not isinstance(g, str)),
                          example=f"{title!r}")
            credits.add_cast(movie_id, _name_list(record, "cast", path, index))
            extract = _field(record, "extract", str, path, index)
            rows.append({
                "movie_id": movie_id, "title": title, "year": year,
                "overview": extract.strip() or None if extract else None,
                "genres": list(dict.fromkeys(genres)),
                "poster_url": _image_url(_field(record, "thumbnail", str, path, index), report, title),
                "wikipedia_href": href,
            })
    progress(len(files), len(files), "building tables")
    if not rows:
        raise CatalogImportError(f"{path_file_or_dir}: no films found" + (f" in years {years[0]}-{years[1]}" if years else ""))
    movies = pd.DataFrame(rows)
    movies["year"] = movies["year"].astype("Int32")
    credit_rows = credits.credits()
    report.data.update(records_read=raw_total, films=len(movies),
                       films_with_overview=int(movies["overview"].notna().sum()),
                       films_without_cast=int(len(movies) - credit_rows["movie_id"].nunique()))
    log.info("wikipedia: %d films from %d file(s)", len(movies), len(files))
    return ImportResult(
        tables={"movies": movies, "people": credits.people(), "credits": credit_rows},
        report=report.as_dict(), source=SOURCE,
        parameters={"path": str(Path(path_file_or_dir).resolve()), "years": list(years) if years else None,
                    "files": file_fingerprint(files)})
