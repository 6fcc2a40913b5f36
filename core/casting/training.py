"""Train the casting model on a catalog: long table → as-of features → heads → holdout metrics."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.casting.config import TARGETS, CastingConfig
from core.casting.evaluation import holdout_metrics, importance, probability_metrics
from core.casting.features import Annotated, CastingFeaturizer, Histories
from core.casting.longtable import build_long_table
from core.casting.model import CastingModel, DirectorHead
from core.catalog.store import Catalog
from core.errors import MarqueeError
from core.progress import ProgressFn, null_progress
from core.splitting import split_by_year

log = logging.getLogger(__name__)
HOLDOUT_COLUMNS = ["movie_id", "title", "year", "person_id", "actor", "bill_order", "label", "p_base", "p_cal", "atr3"]


@dataclass
class TrainedCasting:
    """A fitted casting model with everything serving, explanations and the model card need."""

    config: CastingConfig
    catalog_name: str
    data_checksum: str
    synthetic: bool
    featurizer: CastingFeaturizer
    data: Annotated
    hist: Histories
    model: CastingModel
    director_head: DirectorHead
    reference: pd.Series          # training medians: the "typical actor" used by reason codes
    pace_high: float              # 95th percentile of training release density
    metrics: dict
    holdout: pd.DataFrame
    importance: pd.DataFrame
    train_seconds: float
    extra: dict = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return list(self.featurizer.feature_names_)

    @property
    def target_label(self) -> str:
        return TARGETS[self.config.target].replace("top quantile", f"top {100 * (1 - self.config.quantile):.0f}%")


def train_casting(catalog: Catalog, config: CastingConfig | None = None,
                  progress: ProgressFn | None = None) -> TrainedCasting:
    config = config or CastingConfig()
    progress = progress or null_progress
    started = time.perf_counter()
    progress(0, 5, "long table")
    table = build_long_table(catalog)
    featurizer = CastingFeaturizer(config.target, config.quantile, config.cutoff, config.n_genres,
                                   config.n_languages).fit(table)
    progress(1, 5, "as-of features")
    data = featurizer.annotate(table)
    hist = featurizer.histories(data)
    X = featurizer.transform(data, hist)
    rows = data.rows
    labelled = rows[rows["label"].notna()]
    parts = split_by_year(labelled, config.cutoff)
    train_idx, test_idx = parts["train"].index, parts["test"].index
    if len(test_idx) == 0:
        raise MarqueeError(f"no films with a {config.target!r} value after the cutoff {config.cutoff} "
                           f"(labelled films span {int(labelled['year'].min())}–{int(labelled['year'].max())}): "
                           f"choose an earlier cutoff")
    progress(2, 5, "actor head")
    model = CastingModel(config.candidates, config.calib_years, config.flip_margin, config.calibration,
                         config.random_state).fit(X.loc[train_idx], rows.loc[train_idx, "label"], rows.loc[train_idx, "year"])
    progress(3, 5, "holdout metrics")
    holdout = rows.loc[test_idx, ["movie_id", "title", "year", "person_id", "actor", "bill_order", "label"]].copy()
    holdout["p_base"] = model.predict_base(X.loc[test_idx])
    holdout["p_cal"] = model.calibrate(holdout["p_base"].to_numpy())
    holdout["atr3"] = X.loc[test_idx, "atr3"].to_numpy()
    holdout["label"] = holdout["label"].astype(int)
    metrics = holdout_metrics(holdout)
    metrics["atr3_only_auroc"] = probability_metrics(holdout["label"], holdout["atr3"])["auroc"]
    imp = importance(model, X.loc[test_idx], holdout["label"], random_state=config.random_state)
    progress(4, 5, "director head")
    director_head, director_metrics = _fit_director_head(featurizer, data, hist, config.cutoff)
    train_X = X.loc[train_idx]
    metrics.update({
        "head": model.head_name_, "selection_auroc": model.selection_auroc_, "inverted": model.inverted_,
        "calibrator": model.calibrator_name_, "isotonic_levels": model.isotonic_.levels_,
        "isotonic_collapsed": model.isotonic_.collapsed_, "platt": {"a": model.platt_.a_, "b": model.platt_.b_},
        "fit_years": list(model.fit_years_), "calibration_years": list(model.calibration_years_),
        "cycle_coef": dict(zip(["year_sin", "year_cos"], map(float, model.cycle_.coef_))),
        "threshold": featurizer.target_.threshold_, "target": config.target, "quantile": config.quantile,
        "cutoff": config.cutoff, "train_rows": int(len(train_idx)), "director_head": director_metrics,
    })
    seconds = time.perf_counter() - started
    progress(5, 5, "done")
    log.info("casting model trained on %s in %.1fs: holdout AUROC %.3f", catalog.name, seconds, metrics["auroc"])
    return TrainedCasting(
        config=config, catalog_name=catalog.name, data_checksum=catalog.data_checksum, synthetic=catalog.synthetic,
        featurizer=featurizer, data=data, hist=hist, model=model, director_head=director_head,
        reference=train_X.median(numeric_only=True), pace_high=float(np.quantile(train_X["pace3"], 0.95)),
        metrics=metrics, holdout=holdout[HOLDOUT_COLUMNS].reset_index(drop=True), importance=imp,
        train_seconds=seconds)


def director_frame(featurizer: CastingFeaturizer, hist: Histories, director_ids, years, budgets) -> pd.DataFrame:
    state = featurizer.director_state(hist, director_ids, years)
    return pd.DataFrame({**state, "budget_decile": featurizer.budget_decile(budgets)})


def _fit_director_head(featurizer: CastingFeaturizer, data: Annotated, hist: Histories,
                       cutoff: int) -> tuple[DirectorHead, dict]:
    films = data.films[data.films["label"].notna() & data.films["director_id"].notna()]
    frame = director_frame(featurizer, hist, films["director_id"].to_numpy(dtype=float),
                           films["year"].to_numpy(), films["budget"].to_numpy(dtype=float))
    frame.index = films.index
    parts = split_by_year(films, cutoff)
    train, test = parts["train"].index, parts["test"].index
    head = DirectorHead().fit(frame.loc[train], films.loc[train, "label"].astype(int))
    metrics = {"train_films": int(len(train)), "holdout_films": int(len(test))}
    if len(test):
        metrics.update(probability_metrics(films.loc[test, "label"].astype(int), head.predict_proba(frame.loc[test])[:, 1]))
    return head, metrics
