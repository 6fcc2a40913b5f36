"""Where a simulation run lives, and how it is written without ever being half-written.

A run is the artifact slot ``Slot("simulation", catalog, run)``::

    artifacts/simulation/<catalog>/<run>/
        config.json            scenario, behaviour, monitor settings, seed, noise, data checksum
        models/                the run's own artifact store: Slot("cf", catalog) holds every
                               champion and challenger version, the champion pointer and the
                               decision log (core.artifacts)
        state/                 everything a round changes, replaced whole after each round:
            rounds.json  simulated.parquet  segments.parquet  new_films.parquet  world.npz

The run folder is created whole through :func:`core.io.staged_dir`; each round's state folder is
swapped in whole too, so a crash leaves the run as it was after the previous round.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pyarrow as pa

from core.artifacts import ArtifactStore, Slot, default_store
from core.errors import MarqueeError
from core.io import read_json, staged_dir, write_json_atomic, write_parquet_atomic

KIND = "simulation"
CONFIG, STATE, MODELS = "config.json", "state", "models"
ROUNDS, SIMULATED, SEGMENTS, NEW_FILMS = "rounds.json", "simulated.parquet", "segments.parquet", "new_films.parquet"
HISTORY_COLUMNS = ("user_id", "movie_id", "rating", "timestamp")
SEGMENT_COLUMNS = ["round", "segment", "count", "rmse", "baseline_rmse", "status"]


def run_slot(catalog_name: str, run: str) -> Slot:
    """The slot of one run (validates the run name like any slot part)."""
    try:
        return Slot(KIND, catalog_name, run)
    except MarqueeError as exc:
        raise MarqueeError(str(exc).replace("profile", "run name", 1)) from None


def list_runs(catalog_name: str, store: ArtifactStore | None = None) -> list[str]:
    """Names of the complete runs of a catalog, sorted."""
    store = store or default_store()
    root = store.root / KIND / catalog_name
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / CONFIG).is_file())


class RunFiles:
    """Reads and writes one run's folder; knows nothing about what a round does."""

    def __init__(self, run_dir: Path, catalog_name: str):
        self.run_dir = Path(run_dir)
        self.catalog_name = catalog_name

    @property
    def models(self) -> ArtifactStore:
        return ArtifactStore(self.run_dir / MODELS)

    @property
    def model_slot(self) -> Slot:
        return Slot("cf", self.catalog_name)

    @property
    def state_dir(self) -> Path:
        return self.run_dir / STATE

    def exists(self) -> bool:
        return (self.run_dir / CONFIG).is_file() and self.state_dir.is_dir()

    def config(self) -> dict[str, Any]:
        try:
            config = read_json(self.run_dir / CONFIG)
        except (OSError, ValueError, UnicodeDecodeError):
            raise MarqueeError(f"simulation {self.run_dir.name!r}: its config.json is unreadable; "
                               f"start a new simulation") from None
        if not isinstance(config, dict):
            raise MarqueeError(f"simulation {self.run_dir.name!r}: config.json is not a run configuration")
        return config

    def rounds(self) -> list[dict]:
        path = self.state_dir / ROUNDS
        try:
            rounds = read_json(path) if path.exists() else []
        except (ValueError, UnicodeDecodeError):
            raise MarqueeError(f"simulation {self.run_dir.name!r}: rounds.json is unreadable") from None
        return rounds if isinstance(rounds, list) else []

    def table(self, name: str, columns: list[str]) -> pd.DataFrame:
        path = self.state_dir / name
        if not path.exists():
            return pd.DataFrame(columns=columns)
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise MarqueeError(f"simulation {self.run_dir.name!r}: {name} is unreadable ({type(exc).__name__})") from None

    # ------------------------------------------------------------------ writing
    @staticmethod
    def create(run_dir: Path, write: Callable[[Path], None]) -> None:
        """Build a whole run folder in staging (``write`` fills it) and swap it in."""
        with staged_dir(run_dir) as staging:
            write(staging)

    @staticmethod
    def write_state(folder: Path, rounds: list[dict], tables: dict[str, pd.DataFrame],
                    extra: Callable[[Path], None] | None = None) -> None:
        """Write a state folder's files (used for the first state and by :meth:`commit_state`)."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            if len(frame):
                write_parquet_atomic(folder / name, pa.Table.from_pandas(frame, preserve_index=False))
        if extra is not None:
            extra(folder)
        write_json_atomic(folder / ROUNDS, rounds)

    def commit_state(self, rounds: list[dict], tables: dict[str, pd.DataFrame],
                     extra: Callable[[Path], None] | None = None) -> None:
        """Replace the state folder whole with this round's."""
        with staged_dir(self.state_dir) as staging:
            self.write_state(staging, rounds, tables, extra)

    @staticmethod
    def write_config(folder: Path, config: dict[str, Any]) -> None:
        write_json_atomic(folder / CONFIG, config)
