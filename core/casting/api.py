"""The casting entry points the CLI, the pages and other areas call.

``get_model(catalog)`` returns the catalog's champion model bound to the catalog (loading the
saved version, or training and saving one); nothing is cached here: the app caches the result
with ``st.cache_resource``. ``holdout_predictions`` reads a saved model's holdout rows without
training anything.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from core.artifacts import ArtifactStore, Version, default_store
from core.casting import artifacts
from core.casting.config import CastingConfig
from core.casting.model import HOLDOUT_FILE, CastingModel
from core.casting.trained import TrainedCasting, bind
from core.catalog.store import Catalog
from core.errors import MarqueeError
from core.progress import ProgressFn

log = logging.getLogger(__name__)


def train_casting(catalog: Catalog, config: CastingConfig | None = None,
                  progress: ProgressFn | None = None) -> TrainedCasting:
    """Train a casting model on ``catalog`` (nothing is saved) and bind it for serving."""
    config = config or CastingConfig()
    model = CastingModel.from_config(config).fit(catalog, progress=progress)
    return bind(model, catalog, config)


def train_and_save(catalog: Catalog, config: CastingConfig | None = None, progress: ProgressFn | None = None,
                   store: ArtifactStore | None = None) -> TrainedCasting:
    """Train, save a new version in the artifact store and (unless unreliable) make it champion."""
    trained = train_casting(catalog, config, progress)
    version = artifacts.save_model(trained.model, store)
    trained.extra["version"] = version.name
    trained.extra["manifest"] = version.manifest
    return trained


def get_model(catalog: Catalog, config: CastingConfig | None = None, train_if_missing: bool = True,
              progress: ProgressFn | None = None, store: ArtifactStore | None = None) -> TrainedCasting:
    """The catalog's champion casting model, ready to serve.

    ``config`` None: whatever was saved (training the defaults if nothing was). A saved model
    trained with other parameters than ``config`` asks, or a stale one, is replaced by training
    when ``train_if_missing`` (else a ``MarqueeError`` says what to run).
    """
    store = store or default_store()
    try:
        model, version = artifacts.load_model(catalog, store)
    except MarqueeError as exc:  # none saved yet, or stale
        if not train_if_missing:
            raise
        log.info("casting: %s; training", exc)
        return train_and_save(catalog, config, progress, store)
    if config is not None and model.config().training_key() != config.training_key():
        if not train_if_missing:
            raise MarqueeError(f"the saved casting model for {catalog.name!r} was trained with other settings: "
                               f"{artifacts.fix_hint(catalog.name)}")
        return train_and_save(catalog, config, progress, store)
    trained = bind(model, catalog, config or model.config())
    trained.extra["version"] = version.name
    trained.extra["manifest"] = version.manifest
    return trained


def holdout_predictions(artifact_dir: Path | str | None = None, catalog_name: str | None = None,
                        store: ArtifactStore | None = None) -> pd.DataFrame:
    """Saved holdout rows of a trained casting model (a version folder, or the catalog's champion).

    Columns: movie_id, title, year, person_id, actor, bill_order, label (0/1), p_base, p_cal, atr3.
    ``frame["label"]`` and ``frame["p_cal"]`` are what a reliability diagram needs (the version
    folder's ``reliability.parquet`` holds the same as label, p, segment).
    """
    if artifact_dir is not None:
        path = Path(artifact_dir) / HOLDOUT_FILE
        if not path.exists():
            raise MarqueeError(f"no casting holdout predictions in {artifact_dir}: train a casting model first")
        return pd.read_parquet(path)
    if catalog_name is None:
        from core.catalog.store import get_active

        catalog_name = get_active()
        if catalog_name is None:
            raise MarqueeError("no catalog is active, so there is no casting model to read")
    version: Version | None = artifacts.current_version(catalog_name, store)
    if version is None:
        raise MarqueeError(f"no casting model for catalog {catalog_name!r}: {artifacts.fix_hint(catalog_name)}")
    return artifacts.holdout_frame(version)


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
        "countries": list(getattr(featurizer, "known_countries_", [])),
    }

