"""Casting models in the one artifact store: ``artifacts/casting/<catalog>/vNNNN``.

Each training run saves a new version (the model's files, ``model.json``, ``manifest.json``,
``reliability.parquet``), logs a promotion decision and, unless the model is unreliable, makes it
the champion. Loading resolves the champion, refuses a version built from another version of
the catalog (``StaleArtifact``) and re-checks every file's checksum.
"""
from __future__ import annotations

import hashlib
import json
import logging

import numpy as np
import pandas as pd

from core.artifacts import ArtifactStore, Slot, Version, default_store
from core.casting.model import HOLDOUT_FILE, RELIABILITY_FILE, CastingModel
from core.catalog.store import Catalog
from core.errors import MarqueeError

log = logging.getLogger(__name__)
KIND = "casting"
SUMMARY_KEYS = ("auroc", "pr_auc", "brier", "ece", "n_rows", "n_films", "positive_rate")


def slot(catalog_name: str) -> Slot:
    return Slot(KIND, catalog_name)


def fix_hint(catalog_name: str) -> str:
    return f"run `python -m core casting train --catalog {catalog_name}`"


def model_version(params: dict, data_checksum: str, contract: list[str]) -> str:
    """A short content id of a trained model: parameters, data and feature contract."""
    payload = json.dumps({"config": params, "data": data_checksum, "contract": contract}, sort_keys=True, default=list)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def summary_metrics(model: CastingModel) -> dict:
    """The finite headline numbers the registry keeps for each version."""
    return {k: model.metrics_[k] for k in SUMMARY_KEYS
            if isinstance(model.metrics_.get(k), (int, float)) and np.isfinite(model.metrics_[k])}


def save_model(model: CastingModel, store: ArtifactStore | None = None) -> Version:
    """Save a new version, log the decision and promote it unless it ranks no better than chance."""
    store = store or default_store()
    where = slot(model.catalog_name_)
    previous = store.champion(where)
    params = model.get_params(deep=False)
    version = store.save(where, model, data_checksum=model.data_checksum_, metrics=summary_metrics(model),
                         parameters={**params, "candidates": list(params["candidates"])},
                         model_version=model_version(model.config().training_key(), model.data_checksum_,
                                                     model.featurizer_.feature_names_),
                         note=f"cutoff {model.cutoff}, target {model.target}")
    unreliable = bool(model.metrics_.get("inverted"))
    reasons = [f"trained on request with cutoff {model.cutoff}, target {model.target}, quantile {model.quantile}"]
    if previous is not None:
        if previous.info.get("data_checksum") != model.data_checksum_:
            reasons.append(f"champion {previous.name} was built from another version of the catalog")
        reasons.append(f"champion {previous.name} holdout AUROC {previous.info.get('metrics', {}).get('auroc')}")
    if unreliable:
        reasons.append("not promoted: the head ranks worse than chance on its validation slice")
    else:
        store.promote(where, version.name)
    store.log_decision(where, {"champion": previous.name if previous else None, "challenger": version.name,
                               "promoted": not unreliable, "reasons": reasons,
                               "metrics": summary_metrics(model)})
    return version


def load_model(catalog: Catalog, store: ArtifactStore | None = None, version: str | None = None) -> tuple[CastingModel, Version]:
    """The champion (or ``version``) for ``catalog``; ``StaleArtifact`` when built from other data."""
    store = store or default_store()
    return store.load(CastingModel, slot(catalog.name), version, data_checksum=catalog.data_checksum,
                      fix=fix_hint(catalog.name))


def current_version(catalog_name: str, store: ArtifactStore | None = None) -> Version | None:
    return (store or default_store()).current(slot(catalog_name))


def holdout_frame(version: Version) -> pd.DataFrame:
    path = version.path / HOLDOUT_FILE
    if not path.exists():
        raise MarqueeError(f"no casting holdout predictions in {version.path}: train a casting model first")
    return pd.read_parquet(path)


def reliability(version: Version) -> pd.DataFrame:
    """label, p, segment (holdout year) of a saved version."""
    path = version.path / RELIABILITY_FILE
    if not path.exists():
        raise MarqueeError(f"no reliability table in {version.path}: retrain the casting model")
    return pd.read_parquet(path)
