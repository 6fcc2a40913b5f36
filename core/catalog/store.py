"""A catalog is a folder of typed Parquet tables plus its profile, checksums and manifest.

Layout of ``<data dir>/<name>/``::

    movies.parquet  people.parquet  credits.parquet  ratings.parquet
    movies_by_year/year=YYYY/part-0.parquet   # the movies table partitioned by year
    sample_movies.csv                         # a small human-readable sample
    data_profile.json  manifest.json  checksums.txt
    ground_truth/…  splits/…                  # optional extras (demo truth, temporal splits)

Writes go to a hidden staging folder that is renamed into place only when every file is
complete, so a crash or a validation error never leaves a half-written catalog.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from core import config, validation
from core.catalog.profile import profile_tables
from core.catalog.schema import SCHEMA_VERSION, SCHEMAS, conform, to_frame
from core.errors import CatalogNotFound, IntegrityError, MarqueeError
from core.io import (build_manifest, read_json, sha256_file, sha256_file_cached, sha256_text, staged_dir, write_json_atomic,
                     write_text_atomic)

TABLES = ("movies", "people", "credits", "ratings")
CHECKSUMS = "checksums.txt"
MANIFEST = "manifest.json"
PROFILE = "data_profile.json"
ACTIVE_FILE = ".active_catalog"
SAMPLE_ROWS = 50


@dataclass
class Catalog:
    """An opened catalog: the four canonical tables as DataFrames plus its manifest."""

    name: str
    path: Path
    movies: pd.DataFrame
    people: pd.DataFrame
    credits: pd.DataFrame
    ratings: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic", False))

    @property
    def data_checksum(self) -> str:
        return self.manifest.get("data_checksum", "")

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def cast(self) -> pd.DataFrame:
        """Cast credits joined to names, ordered by film then billing."""
        cast = self.credits[self.credits["role"] == "cast"]
        cast = cast.merge(self.people[["person_id", "name"]], on="person_id", how="left")
        return cast.sort_values(["movie_id", "bill_order"], kind="stable").reset_index(drop=True)

    def directors(self) -> pd.DataFrame:
        crew = self.credits[(self.credits["role"] == "crew") & (self.credits["job"] == "Director")]
        return crew.merge(self.people[["person_id", "name"]], on="person_id", how="left").reset_index(drop=True)


def validate_name(name: str) -> str:
    """``name`` if it can name a catalog folder (matched whole: no trailing newline, no path)."""
    return validation.name(name, "catalog name")


def catalog_path(name: str, data_dir: Path | None = None) -> Path:
    return (data_dir or config.data_dir()) / validate_name(name)


def list_catalogs(data_dir: Path | None = None) -> list[str]:
    root = data_dir or config.data_dir()
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).exists())


def exists(name: str, data_dir: Path | None = None) -> bool:
    return (catalog_path(name, data_dir) / MANIFEST).exists()


def get_active(data_dir: Path | None = None) -> str | None:
    """The active catalog: the one recorded by ``set_active`` if it still exists, else the first."""
    root = data_dir or config.data_dir()
    names = list_catalogs(root)
    marker = root / ACTIVE_FILE
    if marker.exists():
        chosen = marker.read_text(encoding="utf-8").strip()
        if chosen in names:
            return chosen
    return names[0] if names else None


def set_active(name: str, data_dir: Path | None = None) -> None:
    root = data_dir or config.data_dir()
    if not exists(name, root):
        raise CatalogNotFound(f"no catalog named {name!r} in {root}")
    write_text_atomic(root / ACTIVE_FILE, name + "\n")


def write_catalog(name: str, tables: dict[str, pd.DataFrame | pa.Table], *, source: str,
                  parameters: dict[str, Any] | None = None, synthetic: bool = False,
                  extras: dict[str, Callable[[Path], None]] | None = None,
                  report: dict[str, Any] | None = None, data_dir: Path | None = None) -> Path:
    """Validate ``tables`` against the canonical schema and write the catalog atomically.

    ``extras`` maps a sub-folder name to a function that writes into it (ground truth, splits);
    they are written inside the staging folder and covered by the checksums. ``report`` holds
    importer statistics (repairs, match rates) stored in the manifest.
    """
    target = catalog_path(name, data_dir)
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise MarqueeError(f"unknown catalog tables: {', '.join(sorted(unknown))}")
    typed = {}
    for table_name in TABLES:
        data = tables.get(table_name)
        if data is None:
            typed[table_name] = SCHEMAS[table_name].empty_table()
        elif isinstance(data, pa.Table):
            typed[table_name] = conform(to_frame(data, table_name), table_name, source)
        else:
            typed[table_name] = conform(data, table_name, source)
    _check_references(typed, source)

    with staged_dir(target) as staging:
        for table_name, table in typed.items():
            pq.write_table(table, staging / f"{table_name}.parquet", compression="zstd")
        _write_year_partitions(typed["movies"], staging / "movies_by_year")
        sample = to_frame(typed["movies"].slice(0, SAMPLE_ROWS), "movies")
        sample.to_csv(staging / "sample_movies.csv", index=False)
        write_json_atomic(staging / PROFILE, profile_tables(typed))
        for folder, writer in (extras or {}).items():
            (staging / folder).mkdir(parents=True, exist_ok=True)
            writer(staging / folder)
        checksums = _checksum_lines(staging)
        manifest = build_manifest(
            "catalog", parameters or {}, data_checksum=sha256_text(checksums),
            name=name, source=source, synthetic=synthetic, schema_version=SCHEMA_VERSION,
            row_counts={t: typed[t].num_rows for t in TABLES}, report=report or {},
        )
        write_json_atomic(staging / MANIFEST, manifest)
        # The manifest is checksummed too (after it exists); data_checksum covers the data files.
        write_text_atomic(staging / CHECKSUMS, _checksum_lines(staging))
    return target


def _check_references(typed: dict[str, pa.Table], source: str) -> None:
    movie_ids = set(typed["movies"].column("movie_id").to_pylist())
    person_ids = set(typed["people"].column("person_id").to_pylist())
    where = f"{source}: " if source else ""
    for table_name, column, known in (("credits", "movie_id", movie_ids), ("credits", "person_id", person_ids),
                                      ("ratings", "movie_id", movie_ids)):
        values = typed[table_name].column(column).to_pylist()
        for row, value in enumerate(values):
            if value not in known:
                raise MarqueeError(f"{where}{table_name}.{column} row {row}: id {value} has no matching row "
                                   f"in {'movies' if column == 'movie_id' else 'people'}")


def _write_year_partitions(movies: pa.Table, folder: Path) -> None:
    with_year = movies.filter(pc.is_valid(movies.column("year")))
    ds.write_dataset(with_year, folder, format="parquet", partitioning=["year"], partitioning_flavor="hive",
                     basename_template="part-{i}.parquet", existing_data_behavior="overwrite_or_ignore")


def _checksum_lines(root: Path) -> str:
    lines = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != CHECKSUMS):
        lines.append(f"{sha256_file(path)}  {path.relative_to(root).as_posix()}")
    return "\n".join(lines) + "\n"


def _read_listing(root: Path) -> tuple[dict[str, str], list[str]]:
    """``checksums.txt`` as {relative path: digest}, plus the problems of lines that name
    anything but a plain relative path inside the catalog (those files are never read)."""
    listing = root / CHECKSUMS
    recorded: dict[str, str] = {}
    problems: list[str] = []
    try:
        text = listing.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return recorded, [f"{CHECKSUMS}: unreadable ({type(exc).__name__})"]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, sep, rel = line.partition("  ")
        if not sep or not re.fullmatch(r"[0-9a-f]{64}", digest):
            problems.append(f"{CHECKSUMS} line {number}: not '<sha256>  <file>' (not read)")
            continue
        parts = Path(rel).parts
        if (not rel or rel.startswith("/") or ".." in parts or rel != Path(rel).as_posix()
                or validation.control_characters(rel)):
            problems.append(f"{CHECKSUMS} line {number}: {validation.shown(rel)} is outside the catalog (not read)")
            continue
        recorded[rel] = digest
    return recorded, problems


def _file_problem(root: Path, rel: str) -> str | None:
    """Why ``root/rel`` cannot be checked: missing, a link, or not a regular file. Every parent
    is checked too, so a symlinked folder cannot lead out of the catalog."""
    path = root
    for part in Path(rel).parts:
        path = path / part
        try:
            info = path.lstat()
        except FileNotFoundError:
            return f"{rel}: missing"
        except OSError as exc:
            return f"{rel}: unreadable ({exc.strerror or type(exc).__name__})"
        if stat.S_ISLNK(info.st_mode):
            return f"{rel}: is a symbolic link (not read)"
    if not stat.S_ISREG(info.st_mode):
        return f"{rel}: not a regular file (not read)"
    return None


def _present_files(root: Path) -> tuple[set[str], list[str]]:
    """Regular files under ``root`` (symlinks are not followed), and the special entries found."""
    files, odd = set(), []
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        for name in [*names, *[d for d in dirs if (here / d).is_symlink()]]:
            path = here / name
            rel = path.relative_to(root).as_posix()
            info = path.lstat()
            if stat.S_ISREG(info.st_mode):
                files.add(rel)
            else:
                odd.append(f"{rel}: {'is a symbolic link' if stat.S_ISLNK(info.st_mode) else 'not a regular file'} (not read)")
    files.discard(CHECKSUMS)
    return files, odd


def verify_catalog(name_or_path: str | Path, data_dir: Path | None = None,
                   only: tuple[str, ...] | None = None) -> list[str]:
    """Problems of a catalog's files against ``checksums.txt``: mismatched, missing, unlisted.

    Reads only regular files inside the catalog: a listing line naming ``/dev/zero``, ``../x``
    or a symlink is reported and never opened. ``only`` restricts the check to those files
    (what a partial load reads). Digests are cached per file version (``sha256_file_cached``).
    """
    root = Path(name_or_path) if isinstance(name_or_path, Path) else catalog_path(name_or_path, data_dir)
    listing_problem = _file_problem(root, CHECKSUMS)
    if listing_problem:
        return [listing_problem]
    recorded, problems = _read_listing(root)
    wanted = recorded if only is None else {rel: recorded.get(rel) for rel in only}
    for rel, digest in wanted.items():
        if digest is None:
            problems.append(f"{rel}: not in {CHECKSUMS}")
            continue
        problem = _file_problem(root, rel)
        if problem is None:
            try:
                if sha256_file_cached(root / rel) != digest:
                    problem = f"{rel}: checksum mismatch"
            except OSError as exc:
                problem = f"{rel}: unreadable ({exc.strerror or type(exc).__name__})"
        if problem:
            problems.append(problem)
    if only is None:
        present, odd = _present_files(root)
        problems += odd + [f"{rel}: not in {CHECKSUMS}" for rel in sorted(present - set(recorded))]
    return problems


def load_catalog(name: str, data_dir: Path | None = None, verify: bool = True,
                 tables: tuple[str, ...] = TABLES) -> Catalog:
    """Open a catalog, verified: a tampered, truncated or swapped file raises ``IntegrityError``.

    Every load checks the files it reads (the tables and the manifest) against
    ``checksums.txt``; digests are cached per file version, so reloading an unchanged catalog
    costs a ``stat`` per file. ``verify=False`` is accepted for old callers and no longer skips
    the check (pages, ``personal`` and ``index build`` used it and served edited files).
    """
    root = catalog_path(name, data_dir)
    if not (root / MANIFEST).exists():
        raise CatalogNotFound(f"no catalog named {name!r} (run `python -m core catalogs`)")
    files = (MANIFEST, *(f"{t}.parquet" for t in TABLES if t in tables))
    problems = verify_catalog(root, only=files)
    if problems:
        raise IntegrityError(f"catalog {name!r} failed its checksum check: " + "; ".join(problems[:5])
                             + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
                             + "; re-import or rebuild it")
    frames = {}
    for table_name in TABLES:
        if table_name in tables:
            frames[table_name] = _read_table(root, name, table_name)
        else:
            frames[table_name] = to_frame(SCHEMAS[table_name].empty_table(), table_name)
    return Catalog(name=name, path=root, manifest=_manifest(root, name), **frames)


def _read_table(root: Path, name: str, table_name: str) -> pd.DataFrame:
    try:
        return to_frame(pq.read_table(root / f"{table_name}.parquet", schema=SCHEMAS[table_name]), table_name)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise IntegrityError(f"catalog {name!r}: {table_name}.parquet is unreadable ({type(exc).__name__}); "
                             "re-import or rebuild it") from None


def _manifest(root: Path, name: str) -> dict[str, Any]:
    try:
        manifest = read_json(root / MANIFEST)
    except FileNotFoundError:
        raise CatalogNotFound(f"no catalog named {name!r}") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise IntegrityError(f"catalog {name!r}: {MANIFEST} is unreadable ({type(exc).__name__}); "
                             "re-import or rebuild it") from None
    if not isinstance(manifest, dict):
        raise IntegrityError(f"catalog {name!r}: {MANIFEST} is not a JSON object; re-import or rebuild it")
    return manifest


def read_manifest(name: str, data_dir: Path | None = None) -> dict[str, Any]:
    """A catalog's manifest; an unreadable one is one ``IntegrityError`` line naming the catalog."""
    return _manifest(catalog_path(name, data_dir), name)


def catalog_summaries(data_dir: Path | None = None) -> list[dict[str, Any]]:
    """One row per catalog for listings (CLI ``catalogs``, the sidebar): name, active, source,
    row counts; a catalog whose manifest is unreadable gets a ``problem`` instead of failing
    the whole list."""
    active = get_active(data_dir)
    rows = []
    for name in list_catalogs(data_dir):
        row = {"name": name, "active": name == active, "synthetic": False, "source": None, "row_counts": {},
               "created_at": None, "problem": None}
        try:
            manifest = read_manifest(name, data_dir)
            counts = manifest.get("row_counts")
            row.update(synthetic=bool(manifest.get("synthetic", False)), source=manifest.get("source"),
                       row_counts=counts if isinstance(counts, dict) else {}, created_at=manifest.get("created_at"))
        except MarqueeError as exc:
            row["problem"] = str(exc)
        rows.append(row)
    return rows


def read_profile(name: str, data_dir: Path | None = None) -> dict[str, Any]:
    return read_json(catalog_path(name, data_dir) / PROFILE)


def catalog_tables(catalog: Catalog) -> dict[str, pd.DataFrame]:
    return {t: catalog.table(t) for t in TABLES}


def copy_extras_writer(source_folder: Path) -> Callable[[Path], None]:
    """An ``extras`` writer that carries a sub-folder over from an existing catalog."""
    def write(dest: Path) -> None:
        shutil.copytree(source_folder, dest, dirs_exist_ok=True)
    return write


def rewrite_catalog(catalog: Catalog, *, name: str | None = None, source: str | None = None,
                    parameters: dict[str, Any] | None = None, extra_folders: tuple[str, ...] = (),
                    extra_writers: dict[str, Callable[[Path], None]] | None = None,
                    report: dict[str, Any] | None = None, data_dir: Path | None = None,
                    tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write ``catalog`` (possibly changed tables) again, keeping named extra folders.

    Extras are copied to a temporary folder first because the target may be the catalog itself.
    """
    keep = tempfile.mkdtemp(prefix=".keep-")
    try:
        writers = dict(extra_writers or {})
        for folder in extra_folders:
            src = catalog.path / folder
            if src.exists() and folder not in writers:
                shutil.copytree(src, Path(keep) / folder)
                writers[folder] = copy_extras_writer(Path(keep) / folder)
        manifest = catalog.manifest
        return write_catalog(
            name or catalog.name, tables or catalog_tables(catalog), source=source or manifest.get("source", ""),
            parameters=parameters if parameters is not None else manifest.get("parameters", {}),
            synthetic=catalog.synthetic, extras=writers,
            report=report if report is not None else manifest.get("report", {}), data_dir=data_dir)
    finally:
        shutil.rmtree(keep, ignore_errors=True)
