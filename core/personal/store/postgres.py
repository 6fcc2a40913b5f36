"""PostgreSQL back end of the labels store, for a shared household server.

Opened from a ``postgresql://`` URL through the optional ``psycopg`` package (not a project
dependency: a clear ``MarqueeError`` when it is missing). Writers of one database are serialised
by a transaction-scoped advisory lock, mirroring SQLite's ``BEGIN IMMEDIATE``, so undo and the
event log stay consistent. Passwords in the URL never appear in messages.
"""
from __future__ import annotations

import re

from core.errors import MarqueeError
from core.personal.store.sql import LabelStore

ADVISORY_LOCK_KEY = 7301
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


class PostgresLabelStore(LabelStore):
    """PostgreSQL store (needs ``psycopg``); same SQL and semantics as the SQLite store."""

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
        return redact_url(self.url)

    def _connect(self):
        import psycopg

        try:
            return psycopg.connect(self.url)
        except psycopg.Error as exc:
            # libpq's reasons run over several lines (a hint after a tab): one line for the user
            reason = " ".join(redact_url(str(exc)).split())
            raise MarqueeError(f"cannot connect to the labels database {self.describe()}: {reason}") from exc

    def _begin(self, conn) -> None:
        conn.execute(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")

    def _is_retryable(self, exc: Exception) -> bool:
        return getattr(exc, "sqlstate", None) in RETRYABLE_SQLSTATES


def redact_url(text: str) -> str:
    """``postgresql://***@host/db`` for ``postgresql://user:secret@host/db`` (anywhere in ``text``)."""
    return re.sub(r"//[^@/\s]*@", "//***@", text)
