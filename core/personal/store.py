"""The labels store: durable per-profile "would I watch it?" labels.

One small interface (``LabelStore``) with two back ends sharing the same SQL:

* ``SQLiteLabelStore`` (default): a file under ``data/personal/``, WAL journal, ``synchronous=FULL``,
  one ``BEGIN IMMEDIATE`` transaction per label, a busy timeout plus retries so several
  processes can write to the same profile. A label is on disk when ``set_label`` returns.
* ``PostgresLabelStore``: for a household server, opened from a ``postgresql://`` URL through the
  optional ``psycopg`` package (not a project dependency; a clear ``MarqueeError`` when missing).

Every change is an event (label, skip, clear, exclude) carrying a snapshot of the state it replaced, so
``undo`` restores exactly the previous state. A skip is stored apart from labels and is never a
negative label. Labels are keyed by (profile, catalog, movie_id) because movie ids belong to a
catalog.
"""
from __future__ import annotations

import abc
import contextlib
import csv
import io
import logging
import os
import random
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import pandas as pd

from core import config
from core.errors import MarqueeError
from core.io import utc_now

log = logging.getLogger(__name__)

WOULD_WATCH, WOULD_NOT_WATCH, WOULD_WATCH_MANY = "would_watch", "would_not_watch", "would_watch_many"
LABELS = (WOULD_NOT_WATCH, WOULD_WATCH, WOULD_WATCH_MANY)
LABEL_TEXT = {WOULD_WATCH: "Would watch", WOULD_NOT_WATCH: "Would not watch",
              WOULD_WATCH_MANY: "Would watch many times"}
SKIP, CLEAR, EXCLUDE, UNEXCLUDE = "skip", "clear", "exclude", "unexclude"
PROFILE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
CSV_COLUMNS = ("movie_id", "label", "labeled_at", "title")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
    name TEXT PRIMARY KEY, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS labels (
    profile TEXT NOT NULL, catalog TEXT NOT NULL, movie_id BIGINT NOT NULL, label TEXT NOT NULL,
    labeled_at TEXT NOT NULL, title TEXT, PRIMARY KEY (profile, catalog, movie_id));
CREATE TABLE IF NOT EXISTS skips (
    profile TEXT NOT NULL, catalog TEXT NOT NULL, movie_id BIGINT NOT NULL, skipped_at TEXT NOT NULL,
    PRIMARY KEY (profile, catalog, movie_id));
CREATE TABLE IF NOT EXISTS exclusions (
    profile TEXT NOT NULL, catalog TEXT NOT NULL, movie_id BIGINT NOT NULL, reason TEXT,
    created_at TEXT NOT NULL, PRIMARY KEY (profile, catalog, movie_id));
CREATE TABLE IF NOT EXISTS profile_users (
    profile TEXT NOT NULL, catalog TEXT NOT NULL, user_id BIGINT NOT NULL, PRIMARY KEY (profile, catalog));
CREATE TABLE IF NOT EXISTS events (
    id {serial} PRIMARY KEY, profile TEXT NOT NULL, catalog TEXT NOT NULL, movie_id BIGINT NOT NULL,
    action TEXT NOT NULL, created_at TEXT NOT NULL, prev_label TEXT, prev_labeled_at TEXT,
    prev_title TEXT, prev_skipped_at TEXT, prev_excluded TEXT, undone INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS events_by_profile ON events (profile, catalog, undone, id);
"""


@dataclass(frozen=True)
class UndoResult:
    movie_id: int
    action: str          # the action that was undone
    restored: str | None  # the label now in force for that title (None: unlabeled)


def validate_profile(name: str) -> str:
    if not PROFILE_PATTERN.match(name or ""):
        raise MarqueeError(f"profile name {name!r} is not allowed: use letters, digits, '.', '_', '@' or '-' (max 64)")
    return name


def validate_label(label: str) -> str:
    if label not in LABELS:
        hint = " (a skip is not a label: use skip())" if label == SKIP else ""
        raise MarqueeError(f"unknown label {label!r}: expected one of {', '.join(LABELS)}{hint}")
    return label


class LabelStore(abc.ABC):
    """Storage interface. Subclasses provide a DB-API connection; the SQL is shared."""

    placeholder = "?"
    dialect = "sqlite"

    # ------------------------------------------------------------------ back-end hooks
    @abc.abstractmethod
    def _connect(self):
        """A new DB-API connection."""

    @abc.abstractmethod
    def _begin(self, conn) -> None:
        """Start a write transaction that serialises writers of the store."""

    def _is_retryable(self, exc: Exception) -> bool:
        return False

    def describe(self) -> str:
        return self.dialect

    # ------------------------------------------------------------------ plumbing
    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _init_schema(self) -> None:
        serial = "INTEGER" if self.dialect == "sqlite" else "BIGSERIAL"
        statements = [s.strip() for s in _SCHEMA.format(serial=serial).split(";") if s.strip()]

        def create(cur):
            for statement in statements:
                cur.execute(statement)
        self._write(create)

    @contextlib.contextmanager
    def _read(self) -> Iterator[Any]:
        conn = self._connect()
        try:
            yield conn.cursor()
        finally:
            conn.rollback()
            conn.close()

    def _write(self, fn, attempts: int = 8):
        """Run ``fn(cursor)`` in one transaction; retry when the store is busy."""
        delay = 0.05
        for attempt in range(attempts):
            conn = self._connect()
            try:
                self._begin(conn)
                result = fn(conn.cursor())
                conn.commit()
                return result
            except Exception as exc:  # noqa: BLE001 - rolled back and re-raised below
                conn.rollback()
                if self._is_retryable(exc) and attempt < attempts - 1:
                    log.info("labels store busy (%s); retry %d", exc, attempt + 1)
                    time.sleep(delay * (1 + random.random()))
                    delay = min(delay * 2, 2.0)
                    continue
                if self._is_retryable(exc):
                    raise MarqueeError(f"the labels store {self.describe()} stayed busy; try again ({exc})") from exc
                raise
            finally:
                conn.close()

    def _query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        with self._read() as cur:
            cur.execute(self._sql(sql), tuple(params))
            return cur.fetchall()

    # ------------------------------------------------------------------ profiles
    def create_profile(self, name: str) -> None:
        validate_profile(name)
        self._write(lambda cur: self._ensure_profile(cur, name))

    def _ensure_profile(self, cur, name: str) -> None:
        cur.execute(self._sql("INSERT INTO profiles (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"),
                    (name, _now()))

    def profiles(self) -> list[str]:
        return [row[0] for row in self._query("SELECT name FROM profiles ORDER BY name")]

    def link_user(self, profile: str, catalog: str, user_id: int) -> None:
        """Record that ``profile`` is catalog user ``user_id`` (its ratings are then left out of
        the collaborative factors the profile's model learns from)."""
        validate_profile(profile)

        def write(cur):
            self._ensure_profile(cur, profile)
            cur.execute(self._sql("INSERT INTO profile_users (profile, catalog, user_id) VALUES (?, ?, ?) "
                                  "ON CONFLICT (profile, catalog) DO UPDATE SET user_id = excluded.user_id"),
                        (profile, catalog, int(user_id)))
        self._write(write)

    def linked_user(self, profile: str, catalog: str) -> int | None:
        rows = self._query("SELECT user_id FROM profile_users WHERE profile = ? AND catalog = ?", (profile, catalog))
        return int(rows[0][0]) if rows else None

    # ------------------------------------------------------------------ labels, skips, undo
    def _state(self, cur, profile: str, catalog: str, movie_id: int) -> tuple:
        cur.execute(self._sql("SELECT label, labeled_at, title FROM labels WHERE profile = ? AND catalog = ? AND movie_id = ?"),
                    (profile, catalog, movie_id))
        label_row = cur.fetchone() or (None, None, None)
        cur.execute(self._sql("SELECT skipped_at FROM skips WHERE profile = ? AND catalog = ? AND movie_id = ?"),
                    (profile, catalog, movie_id))
        skip_row = cur.fetchone()
        cur.execute(self._sql("SELECT COALESCE(reason, '') FROM exclusions WHERE profile = ? AND catalog = ? AND movie_id = ?"),
                    (profile, catalog, movie_id))
        excluded_row = cur.fetchone()
        return (*label_row, skip_row[0] if skip_row else None, excluded_row[0] if excluded_row else None)

    def _record(self, cur, profile: str, catalog: str, movie_id: int, action: str, at: str) -> None:
        prev = self._state(cur, profile, catalog, movie_id)
        cur.execute(self._sql("INSERT INTO events (profile, catalog, movie_id, action, created_at, prev_label, "
                              "prev_labeled_at, prev_title, prev_skipped_at, prev_excluded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                    (profile, catalog, movie_id, action, at, *prev))

    def set_label(self, profile: str, catalog: str, movie_id: int, label: str, title: str | None = None,
                  labeled_at: str | None = None) -> None:
        """Store one label in its own transaction; durable when this returns."""
        validate_profile(profile)
        validate_label(label)
        movie_id, at = int(movie_id), labeled_at or _now()

        def write(cur):
            self._ensure_profile(cur, profile)
            self._record(cur, profile, catalog, movie_id, label, at)
            cur.execute(self._sql("INSERT INTO labels (profile, catalog, movie_id, label, labeled_at, title) "
                                  "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (profile, catalog, movie_id) DO UPDATE SET "
                                  "label = excluded.label, labeled_at = excluded.labeled_at, title = excluded.title"),
                        (profile, catalog, movie_id, label, at, title))
            cur.execute(self._sql("DELETE FROM skips WHERE profile = ? AND catalog = ? AND movie_id = ?"),
                        (profile, catalog, movie_id))
        self._write(write)

    def skip(self, profile: str, catalog: str, movie_id: int) -> None:
        """Record "not now" for a title: it leaves the queue but is never a negative label."""
        validate_profile(profile)
        movie_id, at = int(movie_id), _now()

        def write(cur):
            self._ensure_profile(cur, profile)
            self._record(cur, profile, catalog, movie_id, SKIP, at)
            cur.execute(self._sql("INSERT INTO skips (profile, catalog, movie_id, skipped_at) VALUES (?, ?, ?, ?) "
                                  "ON CONFLICT (profile, catalog, movie_id) DO UPDATE SET skipped_at = excluded.skipped_at"),
                        (profile, catalog, movie_id, at))
        self._write(write)

    def clear(self, profile: str, catalog: str, movie_id: int) -> None:
        """Remove a title's label and skip (undoable like any other change)."""
        movie_id = int(movie_id)

        def write(cur):
            self._record(cur, profile, catalog, movie_id, CLEAR, _now())
            self._delete_state(cur, profile, catalog, movie_id)
        self._write(write)

    def _delete_state(self, cur, profile: str, catalog: str, movie_id: int, tables=("labels", "skips")) -> None:
        for table in tables:
            cur.execute(self._sql(f"DELETE FROM {table} WHERE profile = ? AND catalog = ? AND movie_id = ?"),
                        (profile, catalog, movie_id))

    def undo(self, profile: str, catalog: str) -> UndoResult | None:
        """Revert the latest change of this profile in this catalog; None when there is none."""

        def write(cur):
            cur.execute(self._sql("SELECT id, movie_id, action, prev_label, prev_labeled_at, prev_title, prev_skipped_at, "
                                  "prev_excluded FROM events WHERE profile = ? AND catalog = ? AND undone = 0 ORDER BY id DESC LIMIT 1"),
                        (profile, catalog))
            row = cur.fetchone()
            if row is None:
                return None
            event_id, movie_id, action, prev_label, prev_at, prev_title, prev_skipped, prev_excluded = row
            self._delete_state(cur, profile, catalog, movie_id, tables=("labels", "skips", "exclusions"))
            if prev_label is not None:
                cur.execute(self._sql("INSERT INTO labels (profile, catalog, movie_id, label, labeled_at, title) "
                                      "VALUES (?, ?, ?, ?, ?, ?)"), (profile, catalog, movie_id, prev_label, prev_at, prev_title))
            if prev_skipped is not None:
                cur.execute(self._sql("INSERT INTO skips (profile, catalog, movie_id, skipped_at) VALUES (?, ?, ?, ?)"),
                            (profile, catalog, movie_id, prev_skipped))
            if prev_excluded is not None:
                cur.execute(self._sql("INSERT INTO exclusions (profile, catalog, movie_id, reason, created_at) VALUES (?, ?, ?, ?, ?)"),
                            (profile, catalog, movie_id, prev_excluded, _now()))
            cur.execute(self._sql("UPDATE events SET undone = 1 WHERE id = ?"), (event_id,))
            return UndoResult(int(movie_id), action, prev_label)
        return self._write(write)

    def labels(self, profile: str, catalog: str) -> pd.DataFrame:
        rows = self._query("SELECT movie_id, label, labeled_at, title FROM labels WHERE profile = ? AND catalog = ? "
                           "ORDER BY labeled_at, movie_id", (profile, catalog))
        frame = pd.DataFrame(rows, columns=["movie_id", "label", "labeled_at", "title"])
        frame["movie_id"] = frame["movie_id"].astype("int64")
        return frame

    def skipped(self, profile: str, catalog: str) -> set[int]:
        return {int(r[0]) for r in self._query("SELECT movie_id FROM skips WHERE profile = ? AND catalog = ?", (profile, catalog))}

    def counts(self, profile: str, catalog: str) -> dict[str, int]:
        rows = self._query("SELECT label, COUNT(*) FROM labels WHERE profile = ? AND catalog = ? GROUP BY label", (profile, catalog))
        counts = {label: 0 for label in LABELS}
        counts.update({label: int(n) for label, n in rows})
        counts[SKIP] = int(self._query("SELECT COUNT(*) FROM skips WHERE profile = ? AND catalog = ?", (profile, catalog))[0][0])
        return counts

    def version(self, profile: str, catalog: str) -> int:
        """Changes so far (including undos): a cache key for anything derived from the labels."""
        rows = self._query("SELECT COUNT(*), COALESCE(SUM(undone), 0) FROM events WHERE profile = ? AND catalog = ?",
                           (profile, catalog))
        return int(rows[0][0]) + int(rows[0][1])

    # ------------------------------------------------------------------ exclusions
    def exclude(self, profile: str, catalog: str, movie_ids: Sequence[int], reason: str = "") -> int:
        """Never recommend these titles to the profile (e.g. not on its services); undoable."""
        validate_profile(profile)
        at = _now()

        def write(cur):
            self._ensure_profile(cur, profile)
            for movie_id in movie_ids:
                self._record(cur, profile, catalog, int(movie_id), EXCLUDE, at)
                cur.execute(self._sql("INSERT INTO exclusions (profile, catalog, movie_id, reason, created_at) "
                                      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (profile, catalog, movie_id) DO UPDATE SET "
                                      "reason = excluded.reason"), (profile, catalog, int(movie_id), reason, at))
            return len(movie_ids)
        return self._write(write)

    def unexclude(self, profile: str, catalog: str, movie_ids: Sequence[int]) -> None:
        def write(cur):
            for movie_id in movie_ids:
                self._record(cur, profile, catalog, int(movie_id), UNEXCLUDE, _now())
                cur.execute(self._sql("DELETE FROM exclusions WHERE profile = ? AND catalog = ? AND movie_id = ?"),
                            (profile, catalog, int(movie_id)))
        self._write(write)

    def exclusions(self, profile: str, catalog: str) -> pd.DataFrame:
        rows = self._query("SELECT movie_id, reason, created_at FROM exclusions WHERE profile = ? AND catalog = ? "
                           "ORDER BY movie_id", (profile, catalog))
        return pd.DataFrame(rows, columns=["movie_id", "reason", "created_at"]).astype({"movie_id": "int64"})

    # ------------------------------------------------------------------ CSV
    def export_csv(self, profile: str, catalog: str, path: Path | None = None) -> str:
        """The profile's labels as CSV text (also written to ``path`` atomically when given)."""
        text = self.labels(profile, catalog)[list(CSV_COLUMNS)].to_csv(index=False)
        if path is not None:
            from core.io import write_text_atomic
            write_text_atomic(Path(path), text)
        return text

    def import_csv(self, profile: str, catalog: str, source: Path | str | io.IOBase,
                   known_movie_ids: set[int] | None = None, name: str | None = None) -> int:
        """Import labels from CSV (columns movie_id, label[, labeled_at, title]).

        Every row is checked first; any bad row raises ``MarqueeError`` naming file, row and field,
        and nothing is imported. Valid files are written in one transaction.
        """
        validate_profile(profile)
        rows = parse_labels_csv(source, known_movie_ids, name)

        def write(cur):
            self._ensure_profile(cur, profile)
            for row in rows:
                self._record(cur, profile, catalog, row["movie_id"], row["label"], row["labeled_at"])
                cur.execute(self._sql("INSERT INTO labels (profile, catalog, movie_id, label, labeled_at, title) "
                                      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (profile, catalog, movie_id) DO UPDATE SET "
                                      "label = excluded.label, labeled_at = excluded.labeled_at, title = excluded.title"),
                            (profile, catalog, row["movie_id"], row["label"], row["labeled_at"], row["title"]))
            return len(rows)
        return self._write(write)


def parse_labels_csv(source: Path | str | io.IOBase, known_movie_ids: set[int] | None = None,
                     name: str | None = None) -> list[dict[str, Any]]:
    """Read and validate a labels CSV completely; raise on the first bad row."""
    if isinstance(source, (str, Path)):
        name = name or str(source)
        try:
            text = Path(source).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise MarqueeError(f"{name}: file not found") from None
        except UnicodeDecodeError as exc:
            raise MarqueeError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    else:
        raw = source.read()
        name = name or getattr(source, "name", "uploaded CSV")
        try:
            text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as exc:
            raise MarqueeError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
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
        except (TypeError, ValueError):
            raise MarqueeError(f"{where}, field movie_id: not an integer id ({raw_id!r})") from None
        label = record.get("label", "")
        if label not in LABELS:
            hint = "; skips are not labels and cannot be imported" if label == SKIP else ""
            raise MarqueeError(f"{where}, field label: {label!r} is not one of {', '.join(LABELS)}{hint}")
        if known_movie_ids is not None and movie_id not in known_movie_ids:
            raise MarqueeError(f"{where}, field movie_id: {movie_id} is not a film of this catalog")
        if movie_id in seen:
            raise MarqueeError(f"{where}, field movie_id: {movie_id} already labeled on line {seen[movie_id]}")
        seen[movie_id] = line
        labeled_at = record.get("labeled_at") or ""
        if labeled_at:
            try:
                labeled_at = pd.Timestamp(labeled_at).isoformat()
            except (ValueError, TypeError):
                raise MarqueeError(f"{where}, field labeled_at: not a date/time ({labeled_at!r})") from None
        rows.append({"movie_id": movie_id, "label": label, "labeled_at": labeled_at or _now(),
                     "title": record.get("title") or None})
    if not rows:
        raise MarqueeError(f"{name}: no label rows after the header")
    return rows


class SQLiteLabelStore(LabelStore):
    """SQLite file store (WAL, synchronous=FULL, BEGIN IMMEDIATE, busy timeout + retries)."""

    def __init__(self, path: Path | str, busy_timeout_ms: int = 10_000):
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._init_schema()

    def describe(self) -> str:
        return str(self.path)

    def _connect(self):
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise MarqueeError(f"cannot open the labels store {self.path}: {exc}") from exc
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self._with_retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    def _with_retry(self, fn, attempts: int = 20):
        for attempt in range(attempts):
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not self._is_retryable(exc) or attempt == attempts - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _begin(self, conn) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def _is_retryable(self, exc: Exception) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


class PostgresLabelStore(LabelStore):
    """PostgreSQL store for a shared household server (needs the optional ``psycopg`` package).

    Writers of one database are serialised by a transaction-scoped advisory lock, mirroring
    SQLite's ``BEGIN IMMEDIATE``, so undo and the event log stay consistent.
    """

    placeholder = "%s"
    dialect = "postgresql"

    def __init__(self, url: str):
        try:
            import psycopg  # noqa: F401 - optional dependency
        except ImportError:
            raise MarqueeError("a PostgreSQL labels store needs the 'psycopg' package "
                               "(pip install 'psycopg[binary]'); it is not installed") from None
        self.url = url
        self._init_schema()

    def describe(self) -> str:
        return re.sub(r"//[^@/]*@", "//***@", self.url)  # never show a password

    def _connect(self):
        import psycopg

        try:
            return psycopg.connect(self.url)
        except psycopg.Error as exc:
            raise MarqueeError(f"cannot connect to the labels database {self.describe()}: {exc}") from exc

    def _begin(self, conn) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(7301)")

    def _is_retryable(self, exc: Exception) -> bool:
        return getattr(exc, "sqlstate", None) in {"40001", "40P01"}


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


def _now() -> str:
    return utc_now().isoformat(timespec="microseconds")
