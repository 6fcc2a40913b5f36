"""Atomic file writes, checksums and manifests shared by catalogs and artifacts."""
from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

MARQUEE_VERSION = "0.1.0"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


_DIGESTS: dict[str, tuple[tuple[int, ...], str]] = {}


def sha256_file_cached(path: Path) -> str:
    """``sha256_file``, computed once per process per file version.

    A file's version is its (device, inode, size, mtime, ctime): rewriting, replacing or editing
    the file changes it (ctime cannot be set back by ``touch``), so a tampered file is hashed
    again while an unchanged one costs one ``stat``. Loaders verify their files with this.
    """
    path = Path(path)
    info = os.stat(path)
    version = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    key = str(path.resolve())
    cached = _DIGESTS.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    digest = sha256_file(path)
    after = os.stat(path)
    if (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns, after.st_ctime_ns) == version:
        _DIGESTS[key] = (version, digest)  # not cached when the file changed while being read
    return digest


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` only on success.

    Readers never see a half-written file: either the old file or the complete new one.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes owner-only files; outputs are ordinary files
        _fsync_path(tmp)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(path: Path, payload: Any) -> None:
    write_text_atomic(path, json.dumps(payload, indent=2, sort_keys=True, default=_json_default) + "\n")


def write_parquet_atomic(path: Path, table: pa.Table) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


STAGING_MARK = ".staging-"
BACKUP_MARK = ".old-"
# A staging or backup folder older than this, whose writer is gone, is debris from a killed write.
STALE_AFTER_SECONDS = 15 * 60


def fsync_tree(root: Path) -> None:
    """Flush every file and folder under ``root`` (and ``root`` itself) to disk."""
    root = Path(root)
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_symlink():
            continue
        _fsync_path(path)
    _fsync_path(root)


def _fsync_path(path: Path) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on folders; the rename is still atomic
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def target_lock(target: Path) -> Iterator[None]:
    """An exclusive advisory lock for one target path (``.<name>.lock`` beside it).

    For read-modify-write sequences that span more than one rename (the artifact store's
    registry); the lock file is tiny and left in place on purpose (deleting it would let a third
    writer lock a different inode).
    """
    import fcntl

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target.parent / f".{target.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive advisory lock on a folder itself (no lock file left behind).

    ``staged_dir`` holds it on the target's parent only while renaming, so concurrent writers of
    targets in one folder queue for a moment instead of racing their renames.
    """
    import fcntl

    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _writer_alive(name: str) -> bool:
    """Staging and backup names carry the writer's pid; a folder whose pid is gone is debris."""
    match = re.search(r"-p(\d+)-", name)
    if not match:
        return False
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_siblings(target: Path, max_age: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Remove staging and backup folders of ``target`` left by killed writers; returns them.

    A folder is removed when its writer process is gone, or when it is older than ``max_age``
    seconds (pids get reused); a live writer's staging folder is never touched.
    """
    target = Path(target)
    removed = []
    if not target.parent.exists():
        return removed
    now = time.time()
    for mark in (STAGING_MARK, BACKUP_MARK):
        for path in target.parent.glob(f".{glob.escape(target.name)}{mark}*"):
            try:
                age = now - path.lstat().st_mtime
            except FileNotFoundError:
                continue
            if not _writer_alive(path.name) or age > max_age:
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _stamp() -> str:
    return f"p{os.getpid()}-{utc_now().strftime('%Y%m%d%H%M%S%f')}"


@contextlib.contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; on success it replaces ``target`` whole.

    The one way this project writes a folder: files are written into the staging folder, flushed
    to disk (files, then the folder), and the folder is renamed into place under a per-target
    lock on the parent folder, so readers see either the old folder or the complete new one and
    concurrent writers of one target never interleave. On any exception the staging folder is removed and ``target``
    is untouched. Debris of earlier killed writes is cleaned first.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_siblings(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}{STAGING_MARK}{_stamp()}-", dir=target.parent))
    try:
        yield staging
        os.chmod(staging, 0o755)  # mkdtemp makes owner-only folders
        fsync_tree(staging)
        with folder_lock(target.parent):
            _swap_into_place(staging, target)
        _fsync_path(target.parent)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` over ``target``; the old folder is moved aside first and removed only
    after the new one is in place, so a crash leaves either the old or the new one."""
    backup = None
    if target.exists():
        backup = target.with_name(f".{target.name}{BACKUP_MARK}{_stamp()}")
        os.replace(target, backup)
    os.replace(staging, target)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def library_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of the libraries that shape results, for manifests."""
    from importlib import metadata

    versions = {"python": platform.python_version(), "marquee": MARQUEE_VERSION}
    for name in ("pandas", "pyarrow", "numpy", *extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


# Whole key names (not substrings: "keywords" or "stray_token" counts are not secrets).
SECRET_KEY_NAMES = frozenset({
    "key", "api_key", "apikey", "token", "bearer", "bearer_token", "access_token", "secret",
    "password", "authorization", "tmdb_api_key", "tmdb_bearer_token", "tmdb_read_access_token",
})


def _scrub(value: Any) -> Any:
    """Drop credential-named entries before anything reaches a manifest."""
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if str(k).lower() not in SECRET_KEY_NAMES}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def build_manifest(kind: str, parameters: dict[str, Any], data_checksum: str | None,
                   extra_versions: tuple[str, ...] = (), **fields: Any) -> dict[str, Any]:
    """The manifest every catalog and artifact carries: what, with which inputs, when, by what."""
    manifest = {
        "kind": kind,
        "created_at": utc_now().isoformat(timespec="seconds"),
        "parameters": _scrub(parameters),
        "data_checksum": data_checksum,
        "versions": library_versions(extra_versions),
    }
    manifest.update(_scrub(fields))
    return manifest


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def save_npz(path: Path, arrays: dict[str, Any]) -> Path:
    """Write NumPy arrays to a compressed ``.npz`` atomically (plain arrays only: no pickling)."""
    import numpy as np

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **{name: np.asarray(value) for name, value in arrays.items()})
    return Path(path)


def load_npz(path: Path, what: str) -> dict[str, Any]:
    """Read every array of an ``.npz`` with pickling refused; a missing, truncated or edited
    file is one clear error naming ``what``, never a traceback from the zip reader."""
    import zipfile

    import numpy as np

    path = Path(path)
    if not path.is_file():
        from core.errors import MarqueeError

        raise MarqueeError(f"{path.name}: {what} not found")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        from core.errors import MarqueeError

        raise MarqueeError(f"{path.name}: {what} is unreadable ({type(exc).__name__}); rebuild it") from None


# --------------------------------------------------------------------------- CSV for spreadsheets
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """``'=HYPERLINK(…)`` for ``=HYPERLINK(…)``: a spreadsheet shows such a text cell as text.

    A text that already reads ``'=…`` gets one more apostrophe, so the change can be undone
    exactly (``core.personal.store.csv_io.restore_formula``). Numbers are never changed."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_LEADS):
        return "'" + value
    return value


def spreadsheet_csv(frame) -> str:
    """CSV text of a table for people to download: text cells neutralised (see above)."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or str(safe[column].dtype) in ("str", "string"):
            safe[column] = safe[column].map(neutralise_formula)
    safe.columns = [neutralise_formula(str(c)) for c in safe.columns]
    return safe.to_csv(index=False)
