"""Crawls running in a background thread, for the Download page (which only polls snapshots).

A job wraps one call of ``crawl.discover``/``backfill``/``sync`` with a stop event and a
progress sink that keeps counts, a recent rate and an ETA. Jobs live in a process-wide
registry, so they survive page reruns; ``resume`` starts the same call again, which picks up
from the work folder's checkpoints.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from typing import Any

from core.errors import MarqueeError
from core.logs import log_exception, user_message
from core.tmdb import crawl

RUNNERS = {"discover": crawl.discover, "backfill": crawl.backfill, "sync": crawl.sync}
FINISHED = ("complete", "incomplete", "stopped", "failed")
_ids = itertools.count(1)
_JOBS: dict[int, "CrawlJob"] = {}
_LOCK = threading.Lock()


class CrawlJob:
    def __init__(self, kind: str, catalog: str, kwargs: dict[str, Any]):
        if kind not in RUNNERS:
            raise MarqueeError(f"unknown TMDb job {kind!r}")
        self.id = next(_ids)
        self.kind, self.catalog, self.kwargs = kind, catalog, kwargs
        self.status = "starting"
        self.phase, self.done, self.total = "", 0, None
        self.error: str | None = None
        self.result: dict[str, Any] | None = None
        self.started = time.monotonic()
        self.finished: float | None = None
        self._stop = threading.Event()
        self._samples: deque[tuple[float, int]] = deque(maxlen=240)
        self._thread = threading.Thread(target=self._run, name=f"tmdb-{kind}-{catalog}", daemon=True)

    def start(self) -> "CrawlJob":
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.status not in FINISHED:
            self.status = "stopping"
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _progress(self, done: int, total: int | None, message: str = "") -> None:
        phase = message.split(":", 1)[0]
        if phase != self.phase:
            self.phase = phase
            self._samples.clear()
        self.done, self.total = done, total
        self._samples.append((time.monotonic(), done))
        if self.status == "starting":
            self.status = "running"

    def _run(self) -> None:
        secret = self.kwargs.get("connection").api_key if self.kwargs.get("connection") else None
        try:
            self.result = RUNNERS[self.kind](self.catalog, progress=self._progress, stop=self._stop, **self.kwargs)
            self.status = self.result.get("status", "complete")
        except Exception as exc:  # a page must show the failure (one line), not lose the thread silently
            incident = None if isinstance(exc, MarqueeError) else log_exception(exc, f"TMDb {self.kind} job")
            self.status, self.error = "failed", user_message(exc, f"the TMDb {self.kind}", incident,
                                                             secrets=(secret or "",))
        finally:
            self.finished = time.monotonic()

    def rate(self) -> float:
        """Films per second over the last 30 seconds of this phase."""
        if len(self._samples) < 2:
            return 0.0
        now = self._samples[-1][0]
        window = [s for s in self._samples if now - s[0] <= 30] or list(self._samples)
        (t0, d0), (t1, d1) = window[0], window[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0

    def snapshot(self) -> dict[str, Any]:
        rate = self.rate()
        remaining = (self.total - self.done) if self.total is not None else None
        return {"id": self.id, "kind": self.kind, "catalog": self.catalog, "status": self.status,
                "phase": self.phase, "done": self.done, "total": self.total,
                "fraction": min(1.0, self.done / self.total) if self.total else 0.0,
                "rate": round(rate, 1), "eta_seconds": round(remaining / rate) if remaining and rate > 0 else None,
                "elapsed": round((self.finished or time.monotonic()) - self.started, 1),
                "error": self.error, "result": self.result}


def start_job(kind: str, catalog: str, **kwargs: Any) -> CrawlJob:
    """Start a crawl in the background; one running job per catalog."""
    with _LOCK:
        for job in _JOBS.values():
            if job.catalog == catalog and job.running:
                raise MarqueeError(f"a TMDb {job.kind} for catalog {catalog!r} is already running")
        job = CrawlJob(kind, catalog, kwargs)
        _JOBS[job.id] = job
    return job.start()


def resume(job: CrawlJob) -> CrawlJob:
    """The same call again: it resumes from the checkpoints of the stopped job."""
    return start_job(job.kind, job.catalog, **job.kwargs)


def get_job(job_id: int | None) -> CrawlJob | None:
    return _JOBS.get(job_id) if job_id is not None else None


def latest_job() -> CrawlJob | None:
    return _JOBS[max(_JOBS)] if _JOBS else None
