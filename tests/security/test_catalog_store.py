"""Issue 12 items 5, 7-9 for the catalog store: ``verify`` reads only regular files inside the
catalog, every load is verified (cheaply), corrupt catalogs and manifests are one clear line
without breaking the others, a catalog is never merged with itself, debris of killed writers is
cleaned on the next write."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from core import io as core_io
from core.catalog import store
from core.catalog.importers.base import ImportResult, save_import
from core.catalog.merge import merge_catalogs
from core.errors import IntegrityError, MarqueeError
from tests.foundation.test_schema_and_store import tiny_tables
from tests.security.conftest import PROJECT_ROOT, assert_one_line_error, run_cli


@pytest.fixture
def tiny(isolated_dirs):
    return store.write_catalog("tiny", tiny_tables(), source="unit")


def _listing(root, extra_lines: list[str]) -> None:
    path = root / store.CHECKSUMS
    path.write_text(path.read_text() + "\n".join(extra_lines) + "\n")


@pytest.mark.parametrize("line,fragment", [
    ("0" * 64 + "  /dev/zero", "outside the catalog"),
    ("0" * 64 + "  ../other/movies.parquet", "outside the catalog"),
    ("0" * 64 + "  sub/../../x", "outside the catalog"),
    ("0" * 64 + "  /etc/passwd", "outside the catalog"),
    ("0" * 64 + "  ./movies.parquet", "outside the catalog"),
    ("not-a-digest  movies.parquet", "not '<sha256>  <file>'"),
    ("garbage line without separator", "not '<sha256>  <file>'"),
])
def test_verify_never_reads_outside_the_catalog(tiny, line, fragment, monkeypatch):
    opened = []
    real = core_io.sha256_file
    monkeypatch.setattr(core_io, "sha256_file", lambda p, *a: opened.append(str(p)) or real(p, *a))
    _listing(tiny, [line])
    started = time.monotonic()
    problems = store.verify_catalog("tiny")
    assert time.monotonic() - started < 10
    assert any(fragment in p for p in problems), problems
    assert all(str(tiny) in p for p in opened) and not any(p.startswith(("/dev", "/etc")) for p in opened)


def test_verify_reports_links_and_special_files_without_opening_them(tiny, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    (tiny / "link.parquet").symlink_to(secret)
    (tiny / "dir_link").symlink_to(tmp_path)
    os.mkfifo(tiny / "pipe")  # opening a FIFO for reading would hang
    _listing(tiny, [core_io.sha256_file(secret) + "  link.parquet", "0" * 64 + "  pipe"])
    started = time.monotonic()
    problems = store.verify_catalog("tiny")
    assert time.monotonic() - started < 10
    assert "link.parquet: is a symbolic link (not read)" in problems
    assert "pipe: not a regular file (not read)" in problems
    assert "dir_link: is a symbolic link (not read)" in problems


def test_cli_verify_with_a_hostile_listing_is_quick_and_exits_1(isolated_dirs, tiny):
    _listing(tiny, ["0" * 64 + "  /dev/zero", "0" * 64 + "  ../../../../dev/urandom"])
    proc = run_cli(["verify", "--catalog", "tiny", "--json"], {"MARQUEE_DATA_DIR": str(isolated_dirs / "data")},
                   timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert sum("outside the catalog" in p for p in json.loads(proc.stdout)["problems"]) == 2


@pytest.mark.parametrize("verify", [True, False])
def test_every_load_is_verified_even_with_verify_false(tiny, verify):
    store.load_catalog("tiny")
    movies = tiny / "movies.parquet"
    stat = movies.stat()
    frame = pd.read_parquet(movies)
    frame.loc[0, "title"] = "Edited"
    frame.to_parquet(movies)
    os.utime(movies, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # put the old time back: ctime still moves
    with pytest.raises(IntegrityError, match="movies.parquet: checksum mismatch") as caught:
        store.load_catalog("tiny", verify=verify)
    assert "\n" not in str(caught.value)


def test_verification_is_cached_per_file_version(tiny, monkeypatch):
    hashed = []
    real = core_io.sha256_file
    monkeypatch.setattr(core_io, "sha256_file", lambda p, *a: hashed.append(p.name) or real(p, *a))
    core_io._DIGESTS.clear()
    store.load_catalog("tiny")
    first = len(hashed)
    store.load_catalog("tiny")
    store.load_catalog("tiny", tables=("movies",))
    assert first == 5 and len(hashed) == first  # 4 tables + manifest, hashed once
    (tiny / "ratings.parquet").write_bytes((tiny / "ratings.parquet").read_bytes())  # same bytes, new version
    store.load_catalog("tiny")
    assert hashed[first:] == ["ratings.parquet"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "folder"])
def test_a_corrupt_table_is_one_line(tiny, damage):
    movies = tiny / "movies.parquet"
    if damage == "truncate":
        movies.write_bytes(movies.read_bytes()[:100])
    elif damage == "garbage":
        movies.write_bytes(os.urandom(2000))
    elif damage == "empty":
        movies.write_bytes(b"")
    else:
        movies.unlink()
        movies.mkdir()
    with pytest.raises(IntegrityError) as caught:
        store.load_catalog("tiny")
    message = str(caught.value)
    assert "\n" not in message and "movies.parquet" in message and "re-import or rebuild" in message


@pytest.mark.parametrize("manifest", [b"{\"name\": \"tiny\",", b"[1, 2]", b"\xff\xfe\x00", b"[" * 50_000])
def test_one_bad_manifest_does_not_break_the_others(isolated_dirs, tiny, manifest):
    store.write_catalog("good", tiny_tables(), source="unit")
    (tiny / store.MANIFEST).write_bytes(manifest)
    rows = {r["name"]: r for r in store.catalog_summaries()}
    assert rows["good"]["problem"] is None and rows["good"]["row_counts"]["movies"] == 3
    assert "manifest.json is unreadable" in rows["tiny"]["problem"] or "not a JSON object" in rows["tiny"]["problem"] \
        or "checksum" in rows["tiny"]["problem"]
    with pytest.raises(MarqueeError) as caught:
        store.read_manifest("tiny")
    assert "\n" not in str(caught.value)
    with pytest.raises(IntegrityError):
        store.load_catalog("tiny")
    env = {"MARQUEE_DATA_DIR": str(isolated_dirs / "data")}
    listing = run_cli(["catalogs"], env)
    assert listing.returncode == 0 and "good" in listing.stdout and "tiny" in listing.stdout
    assert "unusable" in listing.stdout and "Traceback" not in listing.stderr
    assert_one_line_error(run_cli(["profile", "--catalog", "tiny"], env), "tiny")


def test_a_catalog_is_never_merged_with_itself(isolated_dirs, tiny):
    catalog = store.load_catalog("tiny")
    with pytest.raises(MarqueeError, match="same data"):
        merge_catalogs(catalog, catalog)
    store.rewrite_catalog(catalog, name="copy")
    with pytest.raises(MarqueeError, match="same data"):
        merge_catalogs(catalog, store.load_catalog("copy"))
    env = {"MARQUEE_DATA_DIR": str(isolated_dirs / "data")}
    assert_one_line_error(run_cli(["merge", "tiny", "tiny", "--into", "tiny"], env), "with itself")
    assert_one_line_error(run_cli(["merge", "tiny", "copy", "--into", "tiny"], env), "same data")
    assert_one_line_error(run_cli(["merge", "tiny", "copy", "--into", "x", "--year-tolerance", "1e9"], env),
                          "--year-tolerance")
    assert len(store.load_catalog("tiny").ratings) == 2  # untouched


def test_debris_of_killed_writers_is_cleaned_on_the_next_write(isolated_dirs, tiny):
    data = isolated_dirs / "data"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a process that has exited
    debris = [data / f".tiny{core_io.STAGING_MARK}p{pid}-20240101000000000000-abc",
              data / f".tiny{core_io.BACKUP_MARK}p{pid}-20240101000000000000",
              data / ".tiny.staging-oldformat"]
    live = data / f".tiny{core_io.STAGING_MARK}p{os.getpid()}-20990101000000000000-live"
    for folder in (*debris, live):
        folder.mkdir()
        (folder / "movies.parquet").write_bytes(b"half")
    save_import(ImportResult(tables=tiny_tables(), source="unit"), "tiny")
    assert not any(p.exists() for p in debris) and live.exists()
    assert store.list_catalogs() == ["tiny"] and len(store.load_catalog("tiny").movies) == 3


def test_sigkilled_import_leaves_nothing_that_survives_the_next_write(isolated_dirs):
    """A real import killed mid-write: its staging folder is removed by the next write."""
    data = isolated_dirs / "data"
    script = (
        "import os, signal, pandas as pd\n"
        "from core.catalog import store\n"
        "from tests.foundation.test_schema_and_store import tiny_tables\n"
        "real = store.profile_tables\n"
        "def kill(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "store.profile_tables = kill\n"
        "store.write_catalog('victim', tiny_tables(), source='unit')\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env={**os.environ, "MARQUEE_DATA_DIR": str(data)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9
    assert [p.name for p in data.iterdir() if "staging" in p.name]  # the killed writer's debris
    store.write_catalog("victim", tiny_tables(), source="unit")
    assert sorted(p.name for p in data.iterdir()) == ["victim"]
    assert store.verify_catalog("victim") == []
