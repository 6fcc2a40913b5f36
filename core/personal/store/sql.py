"""The labels store's interface and the SQL every back end shares.

``LabelStore`` holds all the statements; a back end only supplies a DB-API connection, the way to
start a writer-serialising transaction and which errors are worth a retry (``sqlite.py``,
``postgres.py``). The SQL is written with ``?`` placeholders and the common subset of SQLite and
PostgreSQL (``ON CONFLICT … DO UPDATE``), rewritten to ``%s`` for drivers that need it.

Every change is an event (label, skip, clear, exclude) carrying a snapshot of the state it replaced,
so ``undo`` restores exactly the previous state. A skip is stored apart from labels and is never a
negative label. Labels are keyed by (profile, catalog, movie_id) because movie ids belong to a
catalog.
"""
from __future__ import annotations

import abc
import contextlib
import io
import logging
import random
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

import pandas as pd

from core.errors import MarqueeError
from core.io import utc_now, write_text_atomic
from core.personal.labels import CLEAR, EXCLUDE, LABELS, SKIP, UNEXCLUDE, UndoResult, validate_label, validate_profile
from core.personal.store.csv_io import labels_to_csv, parse_labels_csv

log = logging.getLogger(__name__)

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
                    (name, now_text()))

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
        movie_id, at = int(movie_id), labeled_at or now_text()

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
        movie_id, at = int(movie_id), now_text()

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
            self._record(cur, profile, catalog, movie_id, CLEAR, now_text())
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
                            (profile, catalog, movie_id, prev_excluded, now_text()))
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
        at = now_text()

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
                self._record(cur, profile, catalog, int(movie_id), UNEXCLUDE, now_text())
                cur.execute(self._sql("DELETE FROM exclusions WHERE profile = ? AND catalog = ? AND movie_id = ?"),
                            (profile, catalog, int(movie_id)))
        self._write(write)

    def exclusions(self, profile: str, catalog: str) -> pd.DataFrame:
        rows = self._query("SELECT movie_id, reason, created_at FROM exclusions WHERE profile = ? AND catalog = ? "
                           "ORDER BY movie_id", (profile, catalog))
        return pd.DataFrame(rows, columns=["movie_id", "reason", "created_at"]).astype({"movie_id": "int64"})

    # ------------------------------------------------------------------ CSV
    def export_csv(self, profile: str, catalog: str, path: Path | None = None) -> str:
        """The profile's labels as CSV text (also written to ``path`` atomically when given).

        Text cells that a spreadsheet would run as a formula are neutralised (see ``labels_to_csv``)."""
        text = labels_to_csv(self.labels(profile, catalog))
        if path is not None:
            write_text_atomic(Path(path), text)
        return text

    def import_csv(self, profile: str, catalog: str, source: Path | str | io.IOBase,
                   known_movie_ids: set[int] | None = None, name: str | None = None) -> int:
        """Import labels from CSV (columns movie_id, label[, labeled_at, title]).

        Every row is checked first; any bad row raises ``MarqueeError`` naming file, row and field,
        and nothing is imported. Valid files are written in one transaction.
        """
        validate_profile(profile)
        return self.import_rows(profile, catalog, parse_labels_csv(source, known_movie_ids, name))

    def import_rows(self, profile: str, catalog: str, rows: Sequence[dict[str, Any]]) -> int:
        """Write already validated label rows (movie_id, label, labeled_at, title) in one transaction:
        all of them or, on any failure, none."""
        validate_profile(profile)
        rows = [dict(row, movie_id=int(row["movie_id"]), label=validate_label(row["label"]),
                     labeled_at=row.get("labeled_at") or now_text(), title=row.get("title")) for row in rows]

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


def now_text() -> str:
    """The time stamp format of every stored change (UTC, microseconds)."""
    return utc_now().isoformat(timespec="microseconds")
