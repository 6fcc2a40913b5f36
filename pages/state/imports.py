"""Import page state: where an import's files come from (a folder on this server, or an upload
confined to a temporary folder) and the background jobs that import and merge with the same core
calls as ``python -m core import`` / ``merge``.

Uploads are written into a fresh folder under ``<data dir>/.uploads`` with their base names only
(no path a browser sends can leave that folder); a zip is extracted member by member, refusing
absolute names, ``..``, links, more than ``MAX_MEMBERS`` files or ``MAX_UNZIPPED_BYTES``
uncompressed; the folder is removed when the import job ends, whatever the outcome.
"""
from __future__ import annotations

import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core import config, validation
from core.catalog import save_import
from core.errors import MarqueeError
from pages.state import catalogs, jobs

SOURCES = {
    "wikipedia": "Wikipedia films (JSON files, one per decade)",
    "imdb5000": "IMDB 5000 (movie_metadata.csv)",
    "movielens": "MovieLens ratings (folder or zip: 100K or latest)",
}
UPLOAD_TYPES = {"wikipedia": ["json"], "imdb5000": ["csv"], "movielens": ["zip"]}
MAX_MEMBERS = 10_000
MAX_UNZIPPED_BYTES = 2_000_000_000
_SAFE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.() -]{0,120}")


@dataclass(frozen=True)
class Choice:
    """A candidate input on the server: what the picker shows and the absolute path."""

    label: str
    path: Path


# ------------------------------------------------------------------ a folder on this server
def server_root() -> Path:
    """The folder whose data sets the page offers (``MARQUEE_SHARED_DATA``, default ``../shared/data``)."""
    return config.shared_data_dir()


def server_choices(source: str, root: Path | None = None) -> list[Choice]:
    """Inputs for ``source`` found under the server folder (two levels deep)."""
    root = (root or server_root()).resolve()
    if not root.is_dir():
        return []
    found: list[Path] = []
    for path in sorted([root, *root.glob("*"), *root.glob("*/*")]):
        if path.is_symlink():
            continue
        if source == "wikipedia" and (path.is_dir() and any(path.glob("movies-*.json"))
                                      or path.is_file() and re.fullmatch(r"movies-\d{4}s\.json", path.name)):
            found.append(path)
        elif source == "imdb5000" and path.is_file() and path.suffix.lower() == ".csv" \
                and "imdb" in str(path.relative_to(root)).lower():
            found.append(path)
        elif source == "movielens" and (path.is_dir() and ((path / "u.data").is_file() or (path / "ratings.csv").is_file())
                                        or path.is_file() and path.suffix.lower() == ".zip"):
            found.append(path)
    return [Choice(str(p.relative_to(root)) or ".", p) for p in found]


def server_path(choice: str, root: Path | None = None) -> Path:
    """The chosen server input, confined to the server folder."""
    root = (root or server_root()).resolve()
    return validation.confined_path(root / choice, root, "data set", what="the server's data folder")


# ------------------------------------------------------------------ uploads
def uploads_root() -> Path:
    return config.data_dir() / ".uploads"


def safe_file_name(name: str) -> str:
    """The base name of an uploaded file, if it is an ordinary one (else one clear error)."""
    base = Path(str(name).replace("\\", "/")).name
    if not _SAFE_FILE.fullmatch(base) or base in (".", ".."):
        raise MarqueeError(f"upload: file name {validation.shown(name)} is not allowed: use letters, digits, "
                           "'.', '_', '-', spaces or parentheses")
    return base


def save_uploads(files, source: str) -> tuple[Path, Path]:
    """Write uploaded files into a fresh folder; a MovieLens zip is extracted there. Returns the
    path to import (the folder, the one CSV, or the folder holding the MovieLens files) and the
    folder to remove once the import is over."""
    if not files:
        raise MarqueeError("upload: choose at least one file")
    allowed = UPLOAD_TYPES[source]
    uploads_root().mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=uploads_root()))
    try:
        written = []
        for upload in files:
            name = safe_file_name(upload.name)
            if name.rsplit(".", 1)[-1].lower() not in allowed:
                raise MarqueeError(f"upload: {name} is not a {' or '.join(allowed)} file")
            target = folder / name
            with open(target, "wb") as out:
                shutil.copyfileobj(upload, out, length=1 << 20)
            written.append(target)
        if source == "imdb5000":
            if len(written) != 1:
                raise MarqueeError("upload: IMDB 5000 is one CSV file")
            return written[0], folder
        if source == "movielens":
            if len(written) != 1:
                raise MarqueeError("upload: MovieLens is one zip file")
            return movielens_folder(extract_zip(written[0], folder / "unzipped")), folder
        return folder, folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def extract_zip(archive: Path, target: Path) -> Path:
    """Extract ``archive`` into ``target`` member by member, refusing anything that could escape
    it or exhaust the disk."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if len(members) > MAX_MEMBERS:
                raise MarqueeError(f"upload: {archive.name} has {len(members):,} files (at most {MAX_MEMBERS:,})")
            if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                raise MarqueeError(f"upload: {archive.name} unzips to more than {MAX_UNZIPPED_BYTES / 1e9:.0f} GB")
            target.mkdir(parents=True, exist_ok=True)
            for member in members:
                name = member.filename
                if name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name:
                    raise MarqueeError(f"upload: {archive.name} holds an unsafe path {validation.shown(name)}")
                if stat.S_ISLNK(member.external_attr >> 16):
                    raise MarqueeError(f"upload: {archive.name} holds a link ({validation.shown(name)})")
                destination = validation.confined_path(target / name, target, "zip member", what="the upload folder")
                if member.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out, length=1 << 20)
    except zipfile.BadZipFile:
        raise MarqueeError(f"upload: {archive.name} is not a readable zip file") from None
    return target


def movielens_folder(root: Path) -> Path:
    """The folder inside an extracted zip that holds the MovieLens files."""
    for folder in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        if (folder / "u.data").is_file() or (folder / "ratings.csv").is_file():
            return folder
    raise MarqueeError("upload: the zip holds no MovieLens files (u.data, or ratings.csv with movies.csv)")


# ------------------------------------------------------------------ jobs
def import_job_key() -> str:
    return "catalog-import"


def _import(progress, source: str, path: Path, catalog: str, years: str | None, cleanup: Path | None) -> dict:
    from core.catalog import import_imdb5000, import_movielens, import_wikipedia

    try:
        if source == "wikipedia":
            result = import_wikipedia(path, progress=progress, years=years)
        elif source == "imdb5000":
            result = import_imdb5000(path, progress=progress)
        else:
            result = import_movielens(path, progress=progress)
        save_import(result, catalog)
    except OSError as exc:  # unreadable file, disk full: one line, like the command line
        raise MarqueeError(f"{Path(exc.filename or path).name}: {exc.strerror or exc}") from None
    finally:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
    return {"kind": "import", "catalog": catalog, "source": result.source, "rows": result.rows(),
            "report": result.report}


def _merge(progress, base: str, other: str, into: str) -> dict:
    from core.catalog import merge_catalogs

    result = merge_catalogs(catalogs.load(base), catalogs.load(other), progress=progress)
    save_import(result, into)
    return {"kind": "merge", "catalog": into, "source": result.source, "rows": result.rows(),
            "report": result.report}


def check_new_name(name: str) -> str:
    return validation.name((name or "").strip(), "catalog name")


def start_import(source: str, path: Path, catalog: str, years: str | None = None, cleanup: Path | None = None):
    catalog = check_new_name(catalog)
    return jobs.start("catalog-import", import_job_key(), _import, title=f"Import of {catalog}", source=source,
                      path=path, catalog=catalog, years=years or None, cleanup=cleanup)


def start_from(source: str, chosen: tuple, catalog: str, years: str | None = None):
    """Start an import from ``choose_input``'s answer (uploads are written to disk now)."""
    kind, value = chosen
    check_new_name(catalog)
    if kind == "upload":
        path, cleanup = save_uploads(value, source)
    else:
        path, cleanup = value, None
        if source == "movielens" and path.is_file():  # a zip on the server: extract a private copy
            uploads_root().mkdir(parents=True, exist_ok=True)
            cleanup = Path(tempfile.mkdtemp(prefix="upload-", dir=uploads_root()))
            path = movielens_folder(extract_zip(path, cleanup / "unzipped"))
    return start_import(source, path, catalog, years, cleanup)


def start_merge(base: str, other: str, into: str):
    into = check_new_name(into)
    if base == other:
        raise MarqueeError("merge: choose two different catalogs")
    return jobs.start("catalog-merge", import_job_key(), _merge, title=f"Merge into {into}", base=base, other=other,
                      into=into)


# ------------------------------------------------------------------ the report as tables
def report_tables(outcome: dict) -> dict[str, pd.DataFrame]:
    """An import or merge outcome as readable tables (rows, repairs, matches, filled fields)."""
    report = outcome.get("report") or {}
    tables = {"Rows written": pd.DataFrame({"table": list(outcome["rows"]), "rows": list(outcome["rows"].values())})}
    repairs = report.get("repairs") or {}
    if repairs:
        examples = report.get("repair_examples") or {}
        tables["Repairs"] = pd.DataFrame({"repair": [k.replace("_", " ") for k in repairs],
                                          "count": list(repairs.values()),
                                          "examples": ["; ".join(map(str, examples.get(k, []))) for k in repairs]})
    if outcome["kind"] == "merge":
        tables["Matches"] = pd.DataFrame([
            {"side": "base", "films": report.get("base_films"), "matched": report.get("matched_base"),
             "share": report.get("match_rate_base")},
            {"side": "other", "films": report.get("other_films"), "matched": report.get("matched_other"),
             "share": report.get("match_rate_other")}])
        if report.get("by_method"):
            tables["Matched by"] = pd.DataFrame({"method": list(report["by_method"]),
                                                 "films": list(report["by_method"].values())})
        if report.get("filled"):
            tables["Fields filled from the other catalog"] = pd.DataFrame(report["filled"])
    return tables
