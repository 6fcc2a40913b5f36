"""Background jobs in this process: long work (index builds, casting training, simulations) run in
a thread with live progress, a measured rate and ETA, cancel, and resume.

A job wraps one call ``work(progress=…, **kwargs)`` of a core function that takes a ``ProgressFn``.
The progress function the job hands in records counts and timestamps and, once ``cancel()`` was
asked for, raises ``Cancelled`` at the work's next progress call — so every core function that
reports progress is cancellable without knowing about jobs, and its staged writes clean up as the
exception unwinds. ``resume`` starts the same call again; the work picks up from what it cached
(the embedding cache for index builds, for example).

Jobs live in a process-wide registry (``RUNNER``), so a page that reruns, or a person who
navigates away and comes back, finds the job where it is. One job runs per ``key`` (say
``"search-index:demo"``): starting it again while it runs returns the running job.

Rates are measured, never assumed: the ETA comes from the last 30 seconds of the current phase,
and the rate of each finished job's main phase (the one that took longest, from its first to its
last progress call, so start-up time does not dilute it) is kept per kind in
``<data dir>/.jobs/throughput.json``; the next estimate before a start is "N items at the last
measured rate".
"""
from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from core import config
from core.errors import MarqueeError
from core.io import read_json, write_json_atomic
from core.logs import log_exception, user_message
from core.progress import Cancelled

RATE_WINDOW_S = 30.0
STATUSES = ("running", "cancelling", "complete", "failed", "cancelled")
FINISHED = ("complete", "failed", "cancelled")


@dataclass(frozen=True)
class Snapshot:
    """What a page shows of a job at one moment (plain values, safe to read from any thread)."""

    id: int
    kind: str
    key: str
    title: str
    status: str
    phase: str
    done: int
    total: int | None
    fraction: float
    rate: float | None          # items per second over the last 30 s of this phase
    eta_s: float | None         # remaining items / rate
    elapsed_s: float
    error: str | None
    result: Any
    cancellable: bool = True

    @property
    def running(self) -> bool:
        return self.status not in FINISHED

    def outcome(self) -> str:
        """One line for a job that stopped early: what it got through, and what Resume does."""
        where = f" in {self.phase}" if self.phase else ""
        counts = f" after {self.done:,} of {self.total:,}{where}" if self.total else ""
        if self.status == "cancelled":
            return f"{self.title}: cancelled{counts}. Resume continues from what was saved."
        return f"{self.title}: {self.error or self.status}."

    def describe(self) -> str:
        """One line: phase, counts, rate, ETA (or the outcome)."""
        counts = f"{self.done:,}/{self.total:,}" if self.total else f"{self.done:,}"
        parts = [self.title, self.phase or "starting", counts]
        if self.running and self.rate:
            parts.append(f"{self.rate:,.1f}/s")
        if self.running and self.eta_s is not None:
            parts.append(f"about {format_duration(self.eta_s)} left")
        elif self.running:  # no rate measured yet (the first step of a phase): at least how long it has run
            parts.append(f"running for {format_duration(self.elapsed_s)}, no rate measured yet")
        if not self.running:
            parts.append(f"{self.status} after {format_duration(self.elapsed_s)}")
        return " · ".join(parts)


def format_duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Job:
    """One run of ``work`` in a daemon thread. Read it through ``snapshot()``."""

    def __init__(self, job_id: int, kind: str, key: str, title: str, work: Callable[..., Any],
                 kwargs: dict[str, Any], on_finish: Callable[["Job"], None] | None = None, cancellable: bool = True):
        self.id, self.kind, self.key, self.title = job_id, kind, key, title
        self.cancellable = cancellable  # False: the work reports no progress, so a cancel could not reach it
        self.work, self.kwargs = work, kwargs
        self.status, self.phase = "running", ""
        self.done, self.total = 0, None
        self.error: str | None = None
        self.result: Any = None
        self.started = time.monotonic()
        self.finished: float | None = None
        self._cancel = threading.Event()
        self._samples: deque[tuple[float, int]] = deque(maxlen=512)
        self._phase_key: tuple = ()
        self._phases: dict[tuple, list] = {}  # phase → [first time, first count, last time, last count]
        self._on_finish = on_finish
        self._thread = threading.Thread(target=self._run, name=f"job-{kind}-{job_id}", daemon=True)

    # ------------------------------------------------------------ control
    def start(self) -> "Job":
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the work to stop at its next progress call (the job ends as ``cancelled``)."""
        if self.status == "running":
            self.status = "cancelling"
        self._cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True when it has finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # ------------------------------------------------------------ progress
    def progress(self, done: int, total: int | None, message: str = "") -> None:
        """The ``ProgressFn`` handed to the work: records counts; raises ``Cancelled`` once asked."""
        if self._cancel.is_set():
            raise Cancelled(f"{self.title} was cancelled")
        phase = str(message).split(":", 1)[0].strip()
        now = time.monotonic()
        if (phase, total) != self._phase_key:  # a new phase counts from its own start
            self._phase_key = (phase, total)
            self._samples.clear()
        self.phase, self.done, self.total = phase, int(done), (int(total) if total is not None else None)
        self._samples.append((now, self.done))
        span = self._phases.setdefault(self._phase_key, [now, self.done, now, self.done])
        span[2:] = [now, self.done]

    def main_phase_rate(self) -> tuple[str, float, int, float] | None:
        """(phase, items/s, items, seconds) of the phase that took longest, when it measured a
        real stretch of work (at least 20 items over at least a second)."""
        spans = [(key[0], t1 - t0, d1 - d0) for key, (t0, d0, t1, d1) in self._phases.items()]
        if not spans:
            return None
        phase, seconds, items = max(spans, key=lambda s: s[1])
        if items < 20 or seconds < 1.0:
            return None
        return phase, items / seconds, items, seconds

    def rate(self) -> float | None:
        """Items per second over the last ``RATE_WINDOW_S`` of the current phase."""
        samples = list(self._samples)
        if len(samples) < 2:
            return None
        now = samples[-1][0]
        window = [s for s in samples if now - s[0] <= RATE_WINDOW_S]
        if len(window) < 2:
            window = samples[-2:]
        (t0, d0), (t1, d1) = window[0], window[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 and d1 > d0 else None

    def snapshot(self) -> Snapshot:
        rate = self.rate() if self.status in ("running", "cancelling") else None
        total = self.total
        remaining = total - self.done if total is not None else None
        return Snapshot(
            id=self.id, kind=self.kind, key=self.key, title=self.title, status=self.status, phase=self.phase,
            done=self.done, total=total, fraction=min(1.0, self.done / total) if total else 0.0,
            rate=round(rate, 2) if rate else None,
            eta_s=round(remaining / rate, 1) if rate and remaining is not None and remaining >= 0 else None,
            elapsed_s=round((self.finished or time.monotonic()) - self.started, 1), error=self.error,
            result=self.result, cancellable=self.cancellable)

    # ------------------------------------------------------------ the thread
    def _run(self) -> None:
        try:
            self.result = self.work(progress=self.progress, **self.kwargs)
            self.status = "complete"
        except Cancelled:
            self.status = "cancelled"
        except Exception as exc:  # the page shows one line; the traceback goes to the log
            incident = None if isinstance(exc, MarqueeError) else log_exception(exc, f"job {self.title}")
            self.status, self.error = "failed", user_message(exc, self.title, incident)
        finally:
            self.finished = time.monotonic()
            if self._on_finish is not None:
                try:
                    self._on_finish(self)
                except Exception as exc:  # bookkeeping must never turn a finished job into a crash
                    log_exception(exc, f"job {self.title} bookkeeping")


class JobRunner:
    """The registry of this process's jobs (one running job per key)."""

    def __init__(self, throughput_file: Path | None = None):
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._throughput_file = throughput_file

    def start(self, kind: str, key: str, work: Callable[..., Any], *, title: str | None = None,
              cancellable: bool = True, **kwargs: Any) -> Job:
        """Run ``work(progress=…, **kwargs)`` in the background, or return the job already running
        for ``key``. ``cancellable=False`` marks work that reports no progress (no Cancel offered)."""
        with self._lock:
            running = self.current(key)
            if running is not None and running.running:
                return running
            job = Job(next(self._ids), kind, key, title or kind, work, kwargs, on_finish=self._record,
                      cancellable=cancellable)
            self._jobs[job.id] = job
        return job.start()

    def resume(self, job: Job) -> Job:
        """The same call again; the work picks up from what it cached."""
        return self.start(job.kind, job.key, job.work, title=job.title, cancellable=job.cancellable, **job.kwargs)

    def get(self, job_id: int | None) -> Job | None:
        return self._jobs.get(job_id) if job_id is not None else None

    def current(self, key: str) -> Job | None:
        """The latest job for ``key`` (running or finished), if any."""
        matching = [j for j in self._jobs.values() if j.key == key]
        return max(matching, key=lambda j: j.id) if matching else None

    def jobs(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.id)

    def forget(self, key: str) -> None:
        """Drop finished jobs of ``key`` (a page acknowledges an outcome)."""
        with self._lock:
            for job_id in [i for i, j in self._jobs.items() if j.key == key and not j.running]:
                del self._jobs[job_id]

    # ------------------------------------------------------------ measured rates
    def _file(self) -> Path:
        return self._throughput_file or config.data_dir() / ".jobs" / "throughput.json"

    def measured_rate(self, kind: str) -> float | None:
        """Items per second of the last finished job of this kind (None: never measured)."""
        try:
            entry = read_json(self._file()).get(kind)
        except (OSError, ValueError):
            return None
        rate = entry.get("rate") if isinstance(entry, dict) else None
        return float(rate) if isinstance(rate, (int, float)) and rate > 0 else None

    def estimate_s(self, kind: str, items: int) -> float | None:
        """Seconds ``items`` would take at the last measured rate of ``kind`` (None: no measurement)."""
        rate = self.measured_rate(kind)
        return items / rate if rate and items >= 0 else None

    def _record(self, job: Job) -> None:
        """Keep the rate of a finished job's main phase (the one that took longest)."""
        measured = job.main_phase_rate() if job.status == "complete" else None
        if measured is None:
            return
        phase, rate, items, seconds = measured
        path = self._file()
        try:
            table = read_json(path)
        except (OSError, ValueError):
            table = {}
        table[job.kind] = {"rate": round(rate, 3), "items": items, "seconds": round(seconds, 2), "phase": phase,
                           "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, table)


RUNNER = JobRunner()
