"""Casting model artifacts without pickle: a manifest plus deterministic re-fitting.

scikit-learn's HistGradientBoosting and RandomForest have no portable JSON form, and the project
never unpickles. An artifact folder ``artifacts/casting/<catalog>/`` therefore holds what defines
and checks the model rather than the trees themselves:

* ``manifest.json``: training parameters, the catalog's data checksum, the feature contract,
  model version, metrics summary, a checksum of the holdout base probabilities;
* ``metrics.json``, ``importance.csv``, ``holdout_predictions.parquet`` (read by monitoring).

Loading re-fits from the catalog with the saved parameters (fixed ``random_state``, one thread:
about as long as training) and checks that the feature contract and the holdout probabilities
come out the same; a changed catalog makes the artifact stale.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from core import config as app_config
from core.casting.config import CastingConfig
from core.casting.training import TrainedCasting, train_casting
from core.catalog.store import Catalog, validate_name
from core.errors import MarqueeError
from core.io import build_manifest, read_json, staged_dir, write_json_atomic, write_parquet_atomic
from core.progress import ProgressFn

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
HOLDOUT = "holdout_predictions.parquet"


class StaleModel(MarqueeError):
    """The artifact was trained on another version of the catalog or another feature set."""


def artifact_dir(catalog_name: str) -> Path:
    return app_config.artifacts_dir() / "casting" / validate_name(catalog_name)


def model_version(cfg: CastingConfig, data_checksum: str, contract: list[str]) -> str:
    payload = json.dumps({"config": cfg.training_key(), "data": data_checksum, "contract": contract}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def holdout_checksum(p_base) -> str:
    return hashlib.sha256(np.round(np.asarray(p_base, dtype=float), 9).tobytes()).hexdigest()


def save_trained(trained: TrainedCasting, folder: Path | None = None) -> Path:
    """Write the artifact folder atomically (staging folder renamed into place)."""
    folder = Path(folder or artifact_dir(trained.catalog_name))
    with staged_dir(folder) as staging:
        summary = {k: v for k, v in trained.metrics.items() if k not in ("per_year",)}
        manifest = build_manifest(
            "casting-model", trained.config.to_dict(), data_checksum=trained.data_checksum,
            extra_versions=("scikit-learn",), catalog=trained.catalog_name, synthetic=trained.synthetic,
            model_version=model_version(trained.config, trained.data_checksum, trained.feature_names),
            feature_contract=trained.feature_names, metrics=summary, train_seconds=round(trained.train_seconds, 3),
            holdout_checksum=holdout_checksum(trained.holdout["p_base"]),
            persistence="parameters + data checksum + contract; re-fitted deterministically on load (no pickle)")
        write_json_atomic(staging / MANIFEST, manifest)
        write_json_atomic(staging / "metrics.json", trained.metrics)
        trained.importance.to_csv(staging / "importance.csv", index=False)
        write_parquet_atomic(staging / HOLDOUT, pa.Table.from_pandas(trained.holdout, preserve_index=False))
    trained.extra["manifest"] = manifest
    return folder


def read_artifact_manifest(folder: Path) -> dict | None:
    path = Path(folder) / MANIFEST
    return read_json(path) if path.exists() else None


def load_trained(catalog: Catalog, folder: Path | None = None, progress: ProgressFn | None = None) -> TrainedCasting:
    """Re-fit the saved model on ``catalog`` and check it reproduces the saved one."""
    folder = Path(folder or artifact_dir(catalog.name))
    manifest = read_artifact_manifest(folder)
    if manifest is None:
        raise MarqueeError(f"no casting model in {folder}: run `python -m core casting train --catalog {catalog.name}`")
    if manifest.get("data_checksum") != catalog.data_checksum:
        raise StaleModel(f"the casting model in {folder} was trained on another version of catalog "
                         f"{catalog.name!r}: retrain with `python -m core casting train --catalog {catalog.name}`")
    cfg = CastingConfig.from_dict(manifest["parameters"])
    trained = train_casting(catalog, cfg, progress=progress)
    if trained.feature_names != manifest["feature_contract"]:
        raise StaleModel(f"the casting feature contract changed since {folder} was written: retrain the model")
    reproduced = holdout_checksum(trained.holdout["p_base"]) == manifest.get("holdout_checksum")
    if not reproduced:
        log.warning("re-fitted casting model differs from the saved holdout predictions in %s", folder)
    trained.extra.update({"manifest": manifest, "reproduced": reproduced})
    return trained


def holdout_frame(folder: Path) -> pd.DataFrame:
    path = Path(folder) / HOLDOUT
    if not path.exists():
        raise MarqueeError(f"no casting holdout predictions in {folder}: train a casting model first")
    return pd.read_parquet(path)
