"""A fitted ``CastingModel`` bound to the catalog it was trained on: what serving works with.

The model holds learned parameters; briefs also need the catalog's as-of history (every actor's
and director's earlier films). ``bind`` checks the catalog is the one the model was trained on
and builds that history index once (about a second on the real catalog).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd

from core.artifacts import StaleArtifact
from core.casting.config import TARGETS, CastingConfig
from core.casting.features import Annotated, CastingFeaturizer, Histories
from core.casting.heads import ActorHead, DirectorHead
from core.casting.model import CastingModel
from core.catalog.store import Catalog


@dataclass
class TrainedCasting:
    """A fitted model, the serving weights and the catalog history it answers briefs from."""

    model: CastingModel
    config: CastingConfig
    data: Annotated
    hist: Histories
    extra: dict = field(default_factory=dict)

    # the model's parts, by their serving names
    @property
    def featurizer(self) -> CastingFeaturizer:
        return self.model.featurizer_

    @property
    def head(self) -> ActorHead:
        return self.model.actor_head_

    @property
    def director_head(self) -> DirectorHead:
        return self.model.director_head_

    @property
    def reference(self) -> pd.Series:
        return self.model.reference_

    @property
    def pace_high(self) -> float:
        return self.model.pace_high_

    @property
    def metrics(self) -> dict:
        return self.model.metrics_

    @property
    def holdout(self) -> pd.DataFrame:
        return self.model.holdout_

    @property
    def importance(self) -> pd.DataFrame:
        return self.model.importance_

    @property
    def catalog_name(self) -> str:
        return self.model.catalog_name_

    @property
    def data_checksum(self) -> str:
        return self.model.data_checksum_

    @property
    def synthetic(self) -> bool:
        return self.model.synthetic_

    @property
    def train_seconds(self) -> float:
        return self.model.train_seconds_

    @property
    def feature_names(self) -> list[str]:
        return list(self.featurizer.feature_names_)

    @property
    def target_label(self) -> str:
        return TARGETS[self.config.target].replace("top quantile", f"top {100 * (1 - self.config.quantile):.0f}%")


def bind(model: CastingModel, catalog: Catalog, config: CastingConfig | None = None) -> TrainedCasting:
    """Serve ``model`` from ``catalog``; refuses a catalog other than the one it was trained on."""
    model.check_fitted()
    if model.data_checksum_ != catalog.data_checksum:
        raise StaleArtifact(f"the casting model was trained on another version of catalog {catalog.name!r}: "
                            f"retrain with `python -m core casting train --catalog {catalog.name}`")
    data, hist = model.prepared(catalog)
    return TrainedCasting(model=model, config=config or model.config(), data=data, hist=hist)


def with_weights(trained: TrainedCasting, alpha_cycle: float | None = None,
                 director_weight: float | None = None) -> TrainedCasting:
    """The same fitted model with other serving weights (no re-fit)."""
    changes = {k: float(v) for k, v in {"alpha_cycle": alpha_cycle, "director_weight": director_weight}.items()
               if v is not None}
    if not changes:
        return trained
    return dataclasses.replace(trained, config=dataclasses.replace(trained.config, **changes), extra=trained.extra)
