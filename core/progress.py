"""Progress reporting shared by the CLI (stderr lines) and the app (``st.progress``).

Long-running core functions take an optional ``progress`` callable with the signature
``progress(done, total, message)``; ``total`` may be ``None`` when unknown.

Cancelling: a background job (``core.jobs``) hands in a progress function that raises
``Cancelled`` once a person asked to stop. Core functions need nothing special for that: report
progress regularly (every few seconds of work at most) and write through ``core.io.staged_dir``
or other ``finally``-based cleanup, so the exception unwinds without leaving half-written files.
Do not catch it: it derives from ``BaseException`` (like ``KeyboardInterrupt``), so ordinary
``except Exception`` handlers let it through. Whatever was cached before the cancel (embeddings,
fetched pages) is what a resumed job starts from.
"""
from __future__ import annotations

import sys
import time
from typing import Callable, Optional

ProgressFn = Callable[[int, Optional[int], str], None]


class Cancelled(BaseException):
    """Raised by a job's progress function when a person cancelled the work (see module doc)."""


def null_progress(done: int, total: int | None, message: str = "") -> None:
    """Progress sink that ignores everything (the default)."""


class StderrProgress:
    """Prints at most a few lines per second to stderr, with rate and ETA."""

    def __init__(self, label: str = "", min_interval: float = 0.5, stream=None):
        self.label = label
        self.min_interval = min_interval
        self.stream = stream or sys.stderr
        self._start = time.monotonic()
        self._last = 0.0

    def __call__(self, done: int, total: int | None, message: str = "") -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if not finished and now - self._last < self.min_interval:
            return
        self._last = now
        elapsed = max(now - self._start, 1e-9)
        rate = done / elapsed
        parts = [self.label] if self.label else []
        parts.append(f"{done}/{total}" if total is not None else f"{done}")
        if total:
            parts.append(f"{100.0 * done / total:5.1f}%")
            if rate > 0 and not finished:
                parts.append(f"ETA {(total - done) / rate:.0f}s")
        parts.append(f"{rate:.1f}/s")
        if message:
            parts.append(message)
        print(" ".join(parts), file=self.stream, flush=True)
