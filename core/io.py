"""Atomic file writes, checksums and manifests shared by catalogs and artifacts."""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import tempfile
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


def replace_dir_atomic(staging: Path, target: Path) -> None:
    """Swap a fully written staging folder into place of ``target``.

    A rename of a folder is atomic on one filesystem; the old folder is moved aside first and
    removed only after the new one is in place, so a crash leaves either the old or the new one.
    """
    staging, target = Path(staging), Path(target)
    os.chmod(staging, 0o755)  # mkdtemp makes owner-only folders
    backup = None
    if target.exists():
        backup = target.with_name(f".{target.name}.old-{os.getpid()}-{utc_now().strftime('%Y%m%d%H%M%S%f')}")
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
