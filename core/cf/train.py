"""Train the catalog's recommender and record it in the catalog's model registry.

``artifacts/cf/registry/<catalog>/`` holds every version trained by ``python -m core cf train``;
the drift baseline of a version is measured on a temporal holdout (fit on the earlier ratings,
score the latest ``holdout_fraction``) before the model is refit on all ratings.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from core import config
from core.catalog.store import Catalog, validate_name
from core.cf.compare import CHAMPION_PARAMS, split_ratings
from core.cf.drift import genre_table, segment_metrics
from core.cf.recommender import CFRecommender
from core.cf.registry import ModelRegistry
from core.errors import MarqueeError
from core.progress import ProgressFn, null_progress


def registry_for(catalog: str) -> ModelRegistry:
    return ModelRegistry(config.artifacts_dir() / "cf" / "registry" / validate_name(catalog))


def holdout_baseline(ratings: pd.DataFrame, movies: pd.DataFrame, params: dict[str, Any],
                     holdout_fraction: float = 0.2) -> dict:
    """Global and per-genre accuracy of ``params`` fitted on the earlier ratings, scored on the latest."""
    train, test = split_ratings(ratings, "temporal", holdout_fraction)
    model = CFRecommender(**params).fit(train)
    predicted = model.predict(test["user_id"].to_numpy(), test["movie_id"].to_numpy(), history=train)
    return segment_metrics(test.assign(prediction=predicted), genre_table(movies))


def train_champion(catalog: Catalog, params: dict[str, Any] | None = None, promote: bool = True,
                   holdout_fraction: float = 0.2, progress: ProgressFn | None = None) -> dict[str, Any]:
    progress = progress or null_progress
    ratings = catalog.ratings
    if len(ratings) < 50 or ratings["user_id"].nunique() < 5:
        raise MarqueeError(f"catalog {catalog.name!r} has {len(ratings)} ratings: too few to train a recommender")
    params = {**CHAMPION_PARAMS, **(params or {})}
    progress(0, 2, "measuring the baseline on a temporal holdout")
    baseline = holdout_baseline(ratings, catalog.movies, params, holdout_fraction)
    progress(1, 2, f"training on all {len(ratings):,} ratings")
    model = CFRecommender(**params).fit(ratings)
    registry = registry_for(catalog.name)
    previous = registry.champion()
    version = registry.register(model, baseline=baseline, data_checksum=catalog.data_checksum,
                                trained_on={"catalog_ratings": len(ratings)}, note="python -m core cf train")
    if promote:
        registry.promote(version)
        reasons = [f"trained on request on {len(ratings):,} ratings; holdout R² {baseline['global']['r2']:.3f}, "
                   f"RMSE {baseline['global']['rmse']:.3f}" + (f"; replaces {previous}" if previous else "")]
    else:
        reasons = ["registered without promotion (--no-promote)"]
    registry.log_decision({"round": None, "champion": previous, "challenger": version, "promoted": promote,
                           "reasons": reasons, "drift": None})
    progress(2, 2, f"registered {version}")
    return {"catalog": catalog.name, "version": version, "champion": registry.champion(),
            "registry": str(registry.root), "params": params, "fit_seconds": model.fit_seconds_,
            "holdout": baseline["global"], "ratings": int(len(ratings)), "reasons": reasons}


def model_dir(catalog: str, version: str | None = None) -> Path:
    registry = registry_for(catalog)
    version = version or registry.champion()
    if version is None:
        raise MarqueeError(f"no trained recommender for catalog {catalog!r}: run `python -m core cf train --catalog {catalog}`")
    return registry.model_dir(version)
