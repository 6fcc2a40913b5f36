"""Saved taste models: one artifact slot per (catalog, profile) in the shared artifact store.

``artifacts/personal/<catalog>/<profile>/vNNNN/`` holds the ``TasteModel`` files
(``model.json``, ``booster.json``, ``normalisation.json``), ``item_features.parquet`` (the exact
features it was trained on, so predictions never drift with a library upgrade), ``cv.json``
(the training report with metrics and grid), ``reliability.parquet`` (``label``, ``p``: the
out-of-fold predictions, read by monitoring) and the store's ``manifest.json``. Every new model
becomes the slot's champion. Loading checks the catalog's data checksum: a model trained on an
earlier version of the catalog is refused with a message saying to retrain it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from core.artifacts import ArtifactNotFound, ArtifactStore, Slot, StaleArtifact, Version
from core.errors import MarqueeError
from core.io import read_json, write_json_atomic, write_parquet_atomic
from core.personal.features import PEOPLE_COLUMNS, ItemFeatures
from core.personal.guards import Reliability
from core.personal.labels import WOULD_NOT_WATCH, validate_profile
from core.personal.model import TasteModel
from core.personal.shared import SharedTasteModel

KIND = "personal"
SHARED_KIND = SharedTasteModel.kind      # one shared model per catalog: artifacts/personal-shared/<catalog>/
FEATURES_FILE, REPORT_FILE, RELIABILITY_FILE = "item_features.parquet", "cv.json", "reliability.parquet"


def slot(profile: str, catalog_name: str) -> Slot:
    return Slot(KIND, catalog_name, validate_profile(profile))


def _retrain_hint(profile: str, catalog_name: str) -> str:
    return f"train it again (Labeling page → Model → Train, or `python -m core personal train --profile {profile} " \
           f"--catalog {catalog_name}`)"


@dataclass
class TrainedModel:
    """A loaded taste model with the features it was trained on and its training report."""

    profile: str
    catalog: str
    model: TasteModel
    features: ItemFeatures
    version: Version

    @property
    def path(self) -> Path:
        return self.version.path

    @property
    def manifest(self) -> dict[str, Any]:
        return self.version.manifest

    def report(self) -> dict[str, Any]:
        return read_json(self.path / REPORT_FILE)["report"]

    def reliability(self) -> Reliability:
        return self.model.reliability()


def save_trained(profile: str, catalog, model: TasteModel, features: ItemFeatures, report: dict[str, Any],
                 oof: dict[str, Any], labels_version: int, artifacts: ArtifactStore | None = None) -> Version:
    """Write a new version of the profile's model and make it the champion."""
    artifacts = artifacts or ArtifactStore()
    target = slot(profile, catalog.name)
    watched = np.array([0 if label == WOULD_NOT_WATCH else 1 for label in oof["label"]], dtype=np.int64)
    reliability = pa.table({"label": pa.array(watched, pa.int64()),
                            "p": pa.array(np.asarray(oof["p_watch"], dtype=float), pa.float64())})

    def write(folder: Path) -> None:
        model.save(folder)
        write_parquet_atomic(folder / FEATURES_FILE,
                             pa.Table.from_pandas(features.numeric.join(features.people), preserve_index=True))
        write_json_atomic(folder / REPORT_FILE, {"report": report, "oof": oof})
        write_parquet_atomic(folder / RELIABILITY_FILE, reliability)

    metrics = {k: report["metrics"][k] for k in ("roc_auc", "pr_auc", "brier", "accuracy")}
    version = artifacts.save(target, write, data_checksum=catalog.data_checksum, metrics=metrics,
                             parameters={**model.get_params(), "text_source": report["text_source"],
                                         "n_splits": report["n_splits"], "mode": report["mode"]},
                             note=f"{report['n_labels']} labels", labels_version=labels_version,
                             n_labels=report["n_labels"], classes=list(model.classes_),
                             feature_groups=features.groups, feature_parameters=features.parameters)
    artifacts.promote(target, version.name)
    artifacts.log_decision(target, {"champion": version.name, "promoted": True,
                                    "reasons": [f"retrained on {report['n_labels']} labels "
                                                f"(CV ROC-AUC {metrics['roc_auc']:.3f})"]})
    return version


def load_trained(profile: str, catalog, artifacts: ArtifactStore | None = None) -> TrainedModel:
    """The profile's current model for this loaded catalog; refused when the catalog changed since."""
    artifacts = artifacts or ArtifactStore()
    fix = _retrain_hint(profile, catalog.name)
    try:
        version = artifacts.resolve(slot(profile, catalog.name), data_checksum=catalog.data_checksum,
                                    what=f"taste model of profile {profile!r}", fix=fix)
    except StaleArtifact:
        raise StaleArtifact(f"the taste model of profile {profile!r} was trained on an earlier version of catalog "
                            f"{catalog.name!r} (its films may have changed): {fix}") from None
    model = TasteModel.load(version.path)
    manifest = version.manifest
    try:
        frame = pd.read_parquet(version.path / FEATURES_FILE)
    except (OSError, ValueError) as exc:
        raise MarqueeError(f"{version.path / FEATURES_FILE}: unreadable ({type(exc).__name__}); {fix}") from None
    people = frame[list(PEOPLE_COLUMNS)].copy()
    for column in PEOPLE_COLUMNS:
        people[column] = people[column].map(lambda v: [int(x) for x in v] if v is not None else [])
    features = ItemFeatures(numeric=frame.drop(columns=list(PEOPLE_COLUMNS)), people=people,
                            groups=manifest.get("feature_groups", {}), parameters=manifest.get("feature_parameters", {}))
    return TrainedModel(profile, catalog.name, model, features, version)


def trained_version(profile: str, catalog_name: str, artifacts: ArtifactStore | None = None) -> str | None:
    """The name of the profile's current model version (None: never trained), for cache keys."""
    current = (artifacts or ArtifactStore()).current(slot(profile, catalog_name))
    return None if current is None else current.name


def list_trained(catalog_name: str | None = None, artifacts: ArtifactStore | None = None) -> list[dict[str, Any]]:
    """Every profile's current taste model: profile, catalog, version, when, labels, metrics."""
    artifacts = artifacts or ArtifactStore()
    rows = []
    for found in artifacts.slots(KIND):
        if found.profile is None or (catalog_name is not None and found.catalog != catalog_name):
            continue
        try:
            current = artifacts.current(found)
        except MarqueeError:
            continue
        if current is not None:
            rows.append({"profile": found.profile, "catalog": found.catalog, "version": current.name,
                         "created_at": current.info.get("created_at"), "note": current.info.get("note"),
                         **(current.info.get("metrics") or {})})
    return rows


def oof_predictions(profile: str, catalog_name: str, artifacts: ArtifactStore | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cross-validated out-of-fold (label, probability) of the profile's current model: label 1 =
    would watch (once or many times), probability = P(would watch). For reliability plots."""
    artifacts = artifacts or ArtifactStore()
    current = artifacts.current(slot(profile, catalog_name))
    if current is None:
        raise ArtifactNotFound(f"no taste model for profile {profile!r} in catalog {catalog_name!r} yet: "
                               f"{_retrain_hint(profile, catalog_name)}")
    frame = pd.read_parquet(current.path / RELIABILITY_FILE)
    return frame["label"].to_numpy(dtype=int), frame["p"].to_numpy(dtype=float)


# ------------------------------------------------------------------------------ the shared model
def shared_slot(catalog_name: str) -> Slot:
    return Slot(SHARED_KIND, catalog_name)


def save_shared(model: SharedTasteModel, catalog, artifacts: ArtifactStore | None = None) -> Version:
    """Save a fitted shared model as the catalog's new champion, with the held-out simulated
    labelers' (label, p) as ``reliability.parquet``."""
    artifacts = artifacts or ArtifactStore()
    target = shared_slot(catalog.name)
    reliability = pa.table({"label": pa.array(model.validation_["label"].to_numpy(), pa.int64()),
                            "p": pa.array(model.validation_["p"].to_numpy(dtype=float), pa.float64())})

    def write(folder: Path) -> None:
        model.save(folder)
        write_parquet_atomic(folder / RELIABILITY_FILE, reliability)

    version = artifacts.save(target, write, data_checksum=catalog.data_checksum, metrics=model.metrics_,
                             note=f"{model.labelers_} simulated labelers")
    artifacts.promote(target, version.name)
    artifacts.log_decision(target, {"champion": version.name, "promoted": True, "reasons": [
        f"trained on {model.labelers_} simulated labelers: held-out mean per-user AUC "
        f"{model.metrics_['mean_user_auc']:.3f} vs crowd {model.metrics_['crowd_mean_user_auc']:.3f}"]})
    return version


def load_shared(catalog, artifacts: ArtifactStore | None = None) -> SharedTasteModel:
    """The catalog's shared taste model; refused when the catalog changed since it was trained."""
    artifacts = artifacts or ArtifactStore()
    fix = f"train it again (Labeling page → Model, or `python -m core personal train-shared --catalog {catalog.name}`)"
    try:
        version = artifacts.resolve(shared_slot(catalog.name), data_checksum=catalog.data_checksum,
                                    what="shared taste model", fix=fix)
    except StaleArtifact:
        raise StaleArtifact(f"the shared taste model of catalog {catalog.name!r} was trained on an earlier version "
                            f"of the catalog: {fix}") from None
    return SharedTasteModel.load(version.path)


def shared_version(catalog_name: str, artifacts: ArtifactStore | None = None) -> str | None:
    """The name of the catalog's current shared model version (None: never trained), for cache keys."""
    current = (artifacts or ArtifactStore()).current(shared_slot(catalog_name))
    return None if current is None else current.name
