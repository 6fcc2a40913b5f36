"""SQLite back end of the labels store (the default): a file under ``data/personal/``.

WAL journal, ``synchronous=FULL``, one ``BEGIN IMMEDIATE`` transaction per change and a busy
timeout plus retries, so several processes can write to the same profile and a label is on disk
when ``set_label`` returns.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from core.errors import MarqueeError
from core.personal.store.sql import LabelStore


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
