"""The work folder of a crawl: ``<data dir>/.tmdb-work/<catalog>/``.

Everything fetched is written here, atomically, before it counts as done, so a crawl killed at
any instant (even ``SIGKILL``) resumes without fetching anything already checkpointed::

    state.json                     kind, parameters (never the key), start time, target ids
    windows/<key>.json             a finished discover window: its total and raw results
    windows/<key>.split.json       a window that was split: its total and its children
    details/batch-000001.jsonl     raw /movie/{id} JSON, one film per line, one file per batch
    lock                           pid of the running crawl

A folder whose ``state.json`` describes a different job refuses to be reused unless restarted.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterator

from core import config
from core.catalog.store import validate_name
from core.errors import MarqueeError
from core.io import atomic_path, read_json, utc_now, write_json_atomic
from core.tmdb.windowing import Window, WindowStore

WORK_FOLDER = ".tmdb-work"


class WorkDir:
    def __init__(self, name: str, data_dir: Path | None = None):
        self.name = validate_name(name)
        self.root = (data_dir or config.data_dir()) / WORK_FOLDER / self.name
        self.windows = self.root / "windows"
        self.details = self.root / "details"

    # ------------------------------------------------------------------ state
    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    def load_state(self) -> dict[str, Any] | None:
        return read_json(self.state_path) if self.state_path.exists() else None

    def save_state(self, state: dict[str, Any]) -> None:
        write_json_atomic(self.state_path, state)

    def open(self, kind: str, parameters: dict[str, Any], restart: bool = False) -> dict[str, Any]:
        """The state of this job, created fresh or resumed; a different unfinished job is refused."""
        state = self.load_state()
        if state is not None and not restart and (state.get("kind") != kind or state.get("parameters") != parameters):
            raise MarqueeError(
                f"an unfinished TMDb {state.get('kind')} for catalog {self.name!r} with other parameters is in "
                f"{self.root}; finish it with the same parameters, or restart (--restart) to discard it")
        if state is None or restart:
            self.clear()
            state = {"kind": kind, "parameters": parameters, "started_at": utc_now().isoformat(timespec="seconds")}
            self.save_state(state)
        return state

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def clear(self) -> None:
        """Everything but the lock (the caller holds it)."""
        if self.root.exists():
            for child in self.root.iterdir():
                if child.name != "lock":
                    shutil.rmtree(child) if child.is_dir() else child.unlink()

    # ------------------------------------------------------------------ lock
    def acquire(self) -> None:
        """One crawl per work folder at a time; a lock left by a killed process is taken over."""
        lock = self.root / "lock"
        self.root.mkdir(parents=True, exist_ok=True)
        if lock.exists():
            try:
                pid, owner = lock.read_text().split(":", 1)
                alive = _pid_alive(int(pid))
            except (ValueError, OSError):
                alive = False
            if alive:
                raise MarqueeError(f"a TMDb crawl for catalog {self.name!r} is already running ({owner.strip()}, "
                                   f"pid {pid}); stop it first")
        lock.write_text(f"{os.getpid()}:{self.name}")

    def release(self) -> None:
        (self.root / "lock").unlink(missing_ok=True)

    # ------------------------------------------------------------------ discover windows
    def _window_file(self, window: Window, suffix: str) -> Path:
        return self.windows / f"{window.key()}{suffix}"

    def window_store(self) -> WindowStore:
        def load(suffix):
            def reader(window: Window):
                path = self._window_file(window, suffix)
                return read_json(path) if path.exists() else None
            return reader

        def save(suffix):
            def writer(window: Window, record: dict) -> None:
                with atomic_path(self._window_file(window, suffix)) as tmp:
                    tmp.write_text(json.dumps(record, separators=(",", ":")), encoding="utf-8")
            return writer

        return WindowStore(load(".json"), save(".json"), load(".split.json"), save(".split.json"))

    def listing(self) -> tuple[dict[int, dict], int]:
        """Distinct films of every finished window, and how many repeats were dropped."""
        films: dict[int, dict] = {}
        repeats = 0
        for path in sorted(self.windows.glob("*.json")) if self.windows.exists() else []:
            if path.name.endswith(".split.json"):
                continue
            for item in read_json(path)["results"]:
                repeats += int(item["id"]) in films
                films.setdefault(int(item["id"]), item)
        return films, repeats

    # ------------------------------------------------------------------ details batches
    def batch_files(self) -> list[Path]:
        return sorted(self.details.glob("batch-*.jsonl")) if self.details.exists() else []

    def write_batch(self, records: list[dict]) -> Path:
        files = self.batch_files()
        number = int(files[-1].stem.split("-")[1]) + 1 if files else 1
        path = self.details / f"batch-{number:06d}.jsonl"
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as handle:
                for record in records:
                    handle.write(json.dumps(record, separators=(",", ":")) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        return path

    def detail_records(self) -> Iterator[dict]:
        for path in self.batch_files():
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        yield json.loads(line)

    def done_detail_ids(self) -> set[int]:
        return {int(r["id"]) for r in self.detail_records()}


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
