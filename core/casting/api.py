"""The casting entry points used by the CLI, the pages and other areas.

``get_model`` returns the catalog's trained model: from the per-process cache, by re-fitting a
saved artifact, or by training (and saving) one. ``holdout_predictions`` reads the saved holdout
(label, p_cal) rows without training anything, for the Monitoring page.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import threading
from pathlib import Path

import pandas as pd

from core.casting import artifacts
from core.casting.config import CastingConfig
from core.casting.training import TrainedCasting, train_casting
from core.catalog import store
from core.errors import MarqueeError
from core.progress import ProgressFn

log = logging.getLogger(__name__)
_CACHE: dict[tuple, TrainedCasting] = {}
_LOCK = threading.Lock()


def _key(name: str, checksum: str, cfg: CastingConfig) -> tuple:
    return name, checksum, json.dumps(cfg.training_key(), sort_keys=True)


def _with_serving(trained: TrainedCasting, cfg: CastingConfig) -> TrainedCasting:
    """The same fitted model with other serving weights (alpha_cycle, director_weight)."""
    return trained if trained.config == cfg else dataclasses.replace(trained, config=cfg)


def train_and_save(catalog: store.Catalog, cfg: CastingConfig, progress: ProgressFn | None = None) -> TrainedCasting:
    trained = train_casting(catalog, cfg, progress=progress)
    artifacts.save_trained(trained)
    with _LOCK:
        _CACHE[_key(catalog.name, catalog.data_checksum, cfg)] = trained
    return trained


def get_model(catalog_name: str, cfg: CastingConfig | None = None, train_if_missing: bool = True,
              progress: ProgressFn | None = None) -> TrainedCasting:
    """The trained model for a catalog (``cfg`` None: whatever was saved, else the defaults)."""
    manifest = artifacts.read_artifact_manifest(artifacts.artifact_dir(catalog_name))
    checksum = store.read_manifest(catalog_name).get("data_checksum", "")
    saved_cfg = CastingConfig.from_dict(manifest["parameters"]) if manifest else None
    wanted = cfg or saved_cfg or CastingConfig()
    key = _key(catalog_name, checksum, wanted)
    with _LOCK:
        if key in _CACHE:
            return _with_serving(_CACHE[key], wanted)
    catalog = store.load_catalog(catalog_name, verify=False)
    fresh = manifest is not None and manifest.get("data_checksum") == checksum
    if fresh and saved_cfg is not None and saved_cfg.training_key() == wanted.training_key():
        trained = artifacts.load_trained(catalog, progress=progress)
    elif train_if_missing:
        return _with_serving(train_and_save(catalog, wanted, progress), wanted)
    else:
        raise MarqueeError(f"no up-to-date casting model for catalog {catalog_name!r}: "
                           f"run `python -m core casting train --catalog {catalog_name}`")
    with _LOCK:
        _CACHE[key] = trained
    return _with_serving(trained, wanted)


def with_weights(trained: TrainedCasting, alpha_cycle: float | None = None,
                 director_weight: float | None = None) -> TrainedCasting:
    """The same fitted model with other serving weights (no re-fit)."""
    changes = {k: float(v) for k, v in {"alpha_cycle": alpha_cycle, "director_weight": director_weight}.items()
               if v is not None}
    return _with_serving(trained, dataclasses.replace(trained.config, **changes)) if changes else trained


def holdout_predictions(artifact_dir: Path | str | None = None, catalog_name: str | None = None) -> pd.DataFrame:
    """Saved holdout rows of a trained casting model (``artifact_dir`` or the catalog's default).

    Columns: movie_id, title, year, person_id, actor, bill_order, label (0/1), p_base, p_cal, atr3.
    ``frame["label"]`` and ``frame["p_cal"]`` are what a reliability diagram needs.
    """
    if artifact_dir is None:
        name = catalog_name or store.get_active()
        if name is None:
            raise MarqueeError("no catalog is active, so there is no casting model to read")
        artifact_dir = artifacts.artifact_dir(name)
    return artifacts.holdout_frame(Path(artifact_dir))


def brief_options(trained: TrainedCasting) -> dict:
    """What a brief form can offer: genres, the year range, directors (most films first), languages."""
    featurizer = trained.featurizer
    first, last = featurizer.year_range_
    films = trained.data.films
    directors = films["director"].dropna().value_counts()
    return {
        "genres": list(featurizer.known_genres_), "popular_genres": list(featurizer.genres_),
        "year_min": first + 1, "year_max": last + 1, "default_year": last,
        "directors": sorted(directors.index[directors >= 2]), "languages": list(featurizer.known_languages_),
        "default_language": featurizer.default_language_,
    }
