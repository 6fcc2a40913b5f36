"""Where the Monitoring page finds (label, probability) pairs: in the artifact store, generically.

Any classification model that should be plotted writes ``reliability.parquet`` into its artifact
version folder — columns ``label`` (0/1), ``p`` (probability), optional ``segment`` (text, e.g.
the holdout year). This module reads the current version (champion, else newest) of every slot of
the catalog that has one, whatever its kind, so a new model kind needs no code here.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.artifacts import ArtifactStore, Slot, default_store
from core.errors import MarqueeError

log = logging.getLogger(__name__)
RELIABILITY_FILE = "reliability.parquet"


@dataclass(frozen=True)
class ReliabilitySource:
    """One model version's labelled probabilities (or, with ``problem``, why they are unusable)."""

    name: str
    slot: Slot
    version: str
    label: np.ndarray
    p: np.ndarray
    segment: np.ndarray | None = None
    stale: bool = False            # built from another version of the catalog
    problem: str | None = None     # unreadable or invalid file: shown, never plotted


def source_name(slot: Slot, version: str) -> str:
    return f"{slot.kind}" + (f": {slot.profile}" if slot.profile else "") + f" {version}"


def reliability_sources(catalog, store: ArtifactStore | None = None) -> list[ReliabilitySource]:
    """The reliability data of every model kind trained on ``catalog`` (a loaded Catalog)."""
    store = store or default_store()
    found = []
    for slot in store.slots():
        if slot.catalog != catalog.name:
            continue
        try:
            version = store.current(slot)
        except MarqueeError as exc:
            log.warning("skipping %s: %s", slot, exc)
            continue
        if version is None or not (version.path / RELIABILITY_FILE).is_file():
            continue
        found.append(read_source(slot, version.name, version.path / RELIABILITY_FILE,
                                 stale=version.info.get("data_checksum") not in (None, catalog.data_checksum)))
    return found


def read_source(slot: Slot, version: str, path, stale: bool = False) -> ReliabilitySource:
    name = source_name(slot, version)
    empty = np.zeros(0)
    try:
        frame = pd.read_parquet(path)
        label, p = _labels(frame), _probabilities(frame)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problem = f"{name}: {RELIABILITY_FILE} is unusable ({exc if isinstance(exc, ValueError) else type(exc).__name__})"
        return ReliabilitySource(name, slot, version, empty, empty, stale=stale, problem=problem)
    segment = frame["segment"].astype(str).to_numpy() if "segment" in frame.columns else None
    return ReliabilitySource(name, slot, version, label, p, segment, stale=stale)


def _labels(frame: pd.DataFrame) -> np.ndarray:
    label = pd.to_numeric(frame["label"], errors="coerce").to_numpy(float)
    if not np.isin(label, (0.0, 1.0)).all():
        raise ValueError("column label must hold only 0 and 1")
    return label.astype(int)


def _probabilities(frame: pd.DataFrame) -> np.ndarray:
    p = pd.to_numeric(frame["p"], errors="coerce").to_numpy(float)
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError("column p must hold finite probabilities in [0, 1]")
    return p
