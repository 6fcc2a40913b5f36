"""``CastingModel``: the whole trained casting model on the shared contract (``core.models``).

``fit(catalog)`` builds the long table, fits the as-of featurizer on training years, trains the
actor and director heads, and measures the holdout (years after ``cutoff``) once. The fitted
model is its featurizer state, its two heads, the training medians used by reason codes and its
holdout evaluation; ``save`` writes them as JSON, ``npz`` and Parquet (no pickle), including
``reliability.parquet`` (label, p, segment = holdout year) for monitoring. Serving needs the
catalog's as-of history as well: :func:`core.casting.trained.bind` joins the two.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from core.casting.config import ALPHA_CYCLE, CastingConfig
from core.casting.calibration import prior_shift
from core.metrics import expected_calibration_error
from core.casting.evaluation import auroc_interval, holdout_metrics, importance, paired_auroc_difference, probability_metrics
from core.casting.features import BASE_FEATURES, CO_STAR_FEATURES, Annotated, CastingFeaturizer, Histories, film_attribute_columns, film_level_columns, genre_slug
from core.casting.heads import ActorHead, DirectorHead
from core.casting.longtable import build_long_table
from core.catalog.store import Catalog
from core.errors import MarqueeError
from core.io import load_npz, read_json, save_npz, write_json_atomic, write_parquet_atomic
from core.models import Model, ModelIntegrityError, Predictions
from core.progress import ProgressFn, null_progress
from core.splitting import split_by_year

log = logging.getLogger(__name__)
CO_STAR_MASK_SHARE = 0.25  # share of training films whose co-stars are hidden (a design choice, not tuned)
HOLDOUT_COLUMNS = ["movie_id", "title", "year", "person_id", "actor", "bill_order", "label", "p_base", "p_cal", "atr3"]
BASELINE_COLUMNS = ["p_seed", "p_film_only", "p_film_director"]  # present when the baselines were measured
CYCLE_REASON = ("the cycle term depends on the release year only, so it is one constant for every candidate of a "
                "brief and cannot change a slate's order (within-year validation AUROC is the same with and "
                "without it); it would only move the ranking score away from the calibrated chance.")
FEATURIZER_JSON, FEATURIZER_NPZ = "featurizer.json", "featurizer.npz"
STATE_JSON = "state.json"
HOLDOUT_FILE = "holdout.parquet"
RELIABILITY_FILE = "reliability.parquet"
IMPORTANCE_FILE = "importance.parquet"
ACTOR_DIR, DIRECTOR_DIR = "actor_head", "director_head"


def prepare(featurizer: CastingFeaturizer, catalog: Catalog) -> tuple[Annotated, Histories]:
    """The catalog's long table with labels and its as-of history index, for a fitted featurizer."""
    data = featurizer.annotate(build_long_table(catalog))
    return data, featurizer.histories(data)


def director_frame(featurizer: CastingFeaturizer, hist: Histories, director_ids, years, budgets) -> pd.DataFrame:
    state = featurizer.director_state(hist, director_ids, years)
    return pd.DataFrame({**state, "budget_decile": featurizer.budget_decile(budgets)})


class CastingModel(Model):
    """Featurizer + actor head + director head, trained on one catalog up to ``cutoff``."""

    kind = "casting"
    fitted_attribute = "actor_head_"

    def __init__(self, target: str = "vote_average", quantile: float = 0.75, cutoff: int = 2010,
                 calib_years: int = 3, candidates: tuple[str, ...] = ("logit", "gbm", "ens"), flip_margin: float = 0.005,
                 calibration: str = "auto", n_genres: int = 40, n_languages: int = 8, feature_set: str = "brief",
                 baselines: bool = False, random_state: int = 0):
        self.target = target
        self.quantile = quantile
        self.cutoff = cutoff
        self.calib_years = calib_years
        self.candidates = candidates
        self.flip_margin = flip_margin
        self.calibration = calibration
        self.n_genres = n_genres
        self.n_languages = n_languages
        self.feature_set = feature_set
        self.baselines = baselines
        self.random_state = random_state

    @classmethod
    def from_config(cls, config: CastingConfig) -> "CastingModel":
        return cls(**{**config.training_key(), "candidates": tuple(config.candidates), "baselines": config.baselines})

    def config(self, **serving) -> CastingConfig:
        """The typed settings of this model (plus serving weights, when given)."""
        return CastingConfig.from_dict({**self.get_params(deep=False), **serving})

    # ------------------------------------------------------------------ fitting
    def fit(self, catalog: Catalog, progress: ProgressFn | None = None,
            features: Callable[[CastingFeaturizer, Annotated], pd.DataFrame] | None = None) -> "CastingModel":
        """``features(featurizer, data)``, when given, computes the feature rows instead of
        ``featurizer.transform`` (same contract, index aligned to ``data.rows``: the Spark engine)."""
        config = self.config()  # validates the parameters
        progress = progress or null_progress
        started = time.perf_counter()
        progress(0, 5, "long table")
        table = build_long_table(catalog)
        featurizer = CastingFeaturizer(config.target, config.quantile, config.cutoff, config.n_genres,
                                       config.n_languages, config.feature_set).fit(table)
        progress(1, 5, "as-of features")
        data = featurizer.annotate(table)
        hist = featurizer.histories(data)
        X = features(featurizer, data) if features is not None else featurizer.transform(data, hist)
        rows = data.rows
        labelled = rows[rows["label"].notna()]
        parts = split_by_year(labelled, config.cutoff)
        train_idx, test_idx = parts["train"].index, parts["test"].index
        if len(test_idx) == 0:
            raise MarqueeError(f"no films with a {config.target!r} value after the cutoff {config.cutoff} "
                               f"(labelled films span {int(labelled['year'].min())}–{int(labelled['year'].max())}): "
                               f"choose an earlier cutoff")
        X = mask_co_stars(X, rows, train_idx, config.random_state)
        progress(2, 5, "actor head")
        head = ActorHead(config.candidates, config.calib_years, config.flip_margin, config.calibration,
                         config.random_state).fit(X.loc[train_idx], rows.loc[train_idx, "label"],
                                                  rows.loc[train_idx, "year"])
        progress(3, 5, "holdout metrics")
        holdout = rows.loc[test_idx, ["movie_id", "title", "year", "person_id", "actor", "bill_order", "label"]].copy()
        holdout["p_base"] = head.predict_base(X.loc[test_idx])
        holdout["p_cal"] = head.calibrate(holdout["p_base"].to_numpy())
        holdout["atr3"] = X.loc[test_idx, "atr3"].to_numpy()
        holdout["label"] = holdout["label"].astype(int)
        metrics = holdout_metrics(holdout)
        metrics["prior_shift"] = _prior_shift_report(head, holdout)
        metrics["atr3_only_auroc"] = probability_metrics(holdout["label"], holdout["atr3"])["auroc"]
        if set(CO_STAR_FEATURES) <= set(X.columns):  # the same holdout briefs naming no co-star
            blank = X.loc[test_idx].copy()
            blank[CO_STAR_FEATURES] = _no_co_stars(len(blank))
            p_blank = head.predict_base(blank)
            metrics["without_co_stars"] = {**probability_metrics(holdout["label"], head.calibrate(p_blank)),
                                           "auroc_base": probability_metrics(holdout["label"], p_blank)["auroc"]}
        if config.baselines:
            progress(3, 5, "baselines")
            metrics["baselines"] = _baselines(config, featurizer, X, rows, train_idx, test_idx, holdout)
        imp = importance(head, X.loc[test_idx], holdout["label"], random_state=config.random_state)
        progress(4, 5, "director head")
        director_head, director_metrics = _fit_director_head(featurizer, data, hist, config.cutoff)
        train_X = X.loc[train_idx]
        metrics.update({
            "head": head.head_name_, "selection_auroc": head.selection_auroc_, "inverted": head.inverted_,
            "calibrator": head.calibrator_name_, "isotonic_levels": head.isotonic_.levels_,
            "isotonic_collapsed": head.isotonic_.collapsed_, "platt": {"a": head.platt_.a_, "b": head.platt_.b_},
            "fit_years": list(head.fit_years_), "calibration_years": list(head.calibration_years_),
            "cycle_coef": dict(zip(["year_sin", "year_cos"], map(float, head.cycle_coef_))),
            "cycle_head": {"weight": ALPHA_CYCLE, "reason": CYCLE_REASON},
            "feature_set": config.feature_set, "validation_years": sorted({int(v) for v in head.validation_years_}),
            "threshold": featurizer.target_.threshold_, "target": config.target, "quantile": config.quantile,
            "cutoff": config.cutoff, "train_rows": int(len(train_idx)), "director_head": director_metrics,
        })
        self.featurizer_ = featurizer
        self.actor_head_ = head
        self.director_head_ = director_head
        self.reference_ = train_X.median(numeric_only=True)
        self.pace_high_ = float(np.quantile(train_X["pace3"], 0.95))
        self.holdout_ = holdout[HOLDOUT_COLUMNS + [c for c in BASELINE_COLUMNS if c in holdout]].reset_index(drop=True)
        self.importance_ = imp
        self.metrics_ = _finite_top_level(metrics)
        self.data_checksum_ = catalog.data_checksum
        self.catalog_name_ = catalog.name
        self.synthetic_ = bool(catalog.synthetic)
        self.train_seconds_ = time.perf_counter() - started
        self._prepared = (catalog.data_checksum, data, hist)  # lets bind() skip rebuilding the history
        progress(5, 5, "done")
        log.info("casting model trained on %s in %.1fs: holdout AUROC %.3f", catalog.name, self.train_seconds_,
                 metrics["auroc"])
        return self

    def predict_flagged(self, X: pd.DataFrame) -> Predictions:
        """Calibrated P(resonates) for contract-ordered feature rows (``cold_start`` without history)."""
        self.check_fitted()
        return self.actor_head_.predict_flagged(X)

    def prepared(self, catalog: Catalog) -> tuple[Annotated, Histories]:
        """Long table and history index of ``catalog`` (reused from ``fit`` when it is the same data)."""
        self.check_fitted()
        cached = getattr(self, "_prepared", None)
        if cached is not None and cached[0] == catalog.data_checksum:
            return cached[1], cached[2]
        data, hist = prepare(self.featurizer_, catalog)
        self._prepared = (catalog.data_checksum, data, hist)
        return data, hist

    # ------------------------------------------------------------------ persistence (core.models)
    @classmethod
    def _params_from_record(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "candidates": tuple(params.get("candidates", ("logit", "gbm", "ens")))}

    def _learned_arrays(self) -> dict[str, Any]:
        # reference_ (training medians) may hold NaN for a feature no training row had; it is descriptive
        return {"pace_high": np.array([self.pace_high_]),
                **{f"actor_head.{k}": v for k, v in self.actor_head_._learned_arrays().items()},
                **{f"director_head.{k}": v for k, v in self.director_head_._learned_arrays().items()}}

    def _save_state(self, folder: Path) -> list[str]:
        values, arrays = self.featurizer_.state()
        write_json_atomic(folder / FEATURIZER_JSON, values)
        save_npz(folder / FEATURIZER_NPZ, arrays)
        write_json_atomic(folder / STATE_JSON, {
            "reference": {k: float(v) for k, v in self.reference_.items()}, "pace_high": self.pace_high_,
            "catalog": self.catalog_name_, "synthetic": self.synthetic_, "train_seconds": round(self.train_seconds_, 3)})
        write_parquet_atomic(folder / HOLDOUT_FILE, pa.Table.from_pandas(self.holdout_, preserve_index=False))
        write_parquet_atomic(folder / RELIABILITY_FILE, pa.Table.from_pandas(reliability_frame(self.holdout_),
                                                                             preserve_index=False))
        write_parquet_atomic(folder / IMPORTANCE_FILE, pa.Table.from_pandas(self.importance_, preserve_index=False))
        files = [FEATURIZER_JSON, FEATURIZER_NPZ, STATE_JSON, HOLDOUT_FILE, RELIABILITY_FILE, IMPORTANCE_FILE]
        for sub, head in ((ACTOR_DIR, self.actor_head_), (DIRECTOR_DIR, self.director_head_)):
            head.save(folder / sub)
            files += [f"{sub}/{name}" for name in [*read_json(folder / sub / "model.json")["files"], "model.json"]]
        return files

    def _load_state(self, folder: Path, record: dict[str, Any]) -> None:
        try:
            self.featurizer_ = CastingFeaturizer.from_state(read_json(folder / FEATURIZER_JSON),
                                                            load_npz(folder / FEATURIZER_NPZ, "casting featurizer"))
            state = read_json(folder / STATE_JSON)
            self.reference_ = pd.Series(state["reference"], dtype=float)
            self.pace_high_ = float(state["pace_high"])
            self.catalog_name_ = str(state["catalog"])
            self.synthetic_ = bool(state["synthetic"])
            self.train_seconds_ = float(state["train_seconds"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelIntegrityError(f"{folder}: casting model state is incomplete ({exc})") from None
        self.holdout_ = pd.read_parquet(folder / HOLDOUT_FILE)
        self.importance_ = pd.read_parquet(folder / IMPORTANCE_FILE)
        self.actor_head_ = ActorHead.load(folder / ACTOR_DIR)
        self.director_head_ = DirectorHead.load(folder / DIRECTOR_DIR)


def _no_co_stars(n: int) -> np.ndarray:
    """Co-star columns of rows whose brief names no co-star (NaN record, count 0)."""
    values = np.full((n, len(CO_STAR_FEATURES)), np.nan)
    values[:, CO_STAR_FEATURES.index("co_stars")] = 0.0
    return values


def mask_co_stars(X: pd.DataFrame, rows: pd.DataFrame, train_idx, random_state: int) -> pd.DataFrame:
    """Hide the co-stars of a random CO_STAR_MASK_SHARE of the training films: briefs often name
    no co-star, and the model must learn that case from ordinary films (not only from the few films
    with a single billed actor)."""
    if not set(CO_STAR_FEATURES) <= set(X.columns):
        return X
    films = np.sort(rows.loc[train_idx, "movie_id"].unique())
    rng = np.random.default_rng(random_state)
    hidden = set(films[rng.random(len(films)) < CO_STAR_MASK_SHARE])
    masked = train_idx[rows.loc[train_idx, "movie_id"].isin(hidden).to_numpy()]
    X = X.copy()
    X.loc[masked, CO_STAR_FEATURES] = _no_co_stars(len(masked))
    return X


def reliability_frame(holdout: pd.DataFrame) -> pd.DataFrame:
    """What monitoring plots: label (0/1), calibrated p, segment = holdout year."""
    return pd.DataFrame({"label": holdout["label"].astype(int).to_numpy(), "p": holdout["p_cal"].astype(float).to_numpy(),
                         "segment": holdout["year"].astype(int).astype(str).to_numpy()})


def _finite_top_level(metrics: dict) -> dict:
    """NaN headline numbers (one-class holdout) become None, which the model record accepts."""
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in metrics.items()}


def _prior_shift_report(head: ActorHead, holdout: pd.DataFrame) -> dict:
    """What the EM prior-shift correction would do per holdout year (labels used only to score it)."""
    per_year = []
    for year, group in holdout.groupby("year", sort=True):
        prior, shifted = prior_shift(group["p_cal"].to_numpy(), head.calibration_prior_)
        y = group["label"].to_numpy(dtype=int)
        per_year.append({"year": int(year), "observed_rate": float(y.mean()), "mean_p_cal": float(group["p_cal"].mean()),
                         "estimated_prior": prior, "ece": expected_calibration_error(y, group["p_cal"]),
                         "ece_shifted": expected_calibration_error(y, shifted)})
    return {"validation": head.prior_shift_validation_, "calibration_prior": head.calibration_prior_,
            "holdout_per_year": per_year}


def seed_columns(featurizer: CastingFeaturizer) -> list[str]:
    """The first model's contract: its base features and the 24 most frequent genres."""
    genres = [genre_slug(g) for g in featurizer.genres_[:24]]
    return [c for c in featurizer.feature_names_ if c in BASE_FEATURES or c in genres]


def _baselines(config: CastingConfig, featurizer: CastingFeaturizer, X: pd.DataFrame, rows: pd.DataFrame,
               train_idx, test_idx, holdout: pd.DataFrame) -> dict:
    """The seed-style model and two film models, trained and scored exactly like the full one:

    - ``film_only``: the film's own attributes, nothing derived from a person (the issue's film-only
      model); ``casting_lift`` = full minus it, the people signal (actors, co-stars and director);
    - ``film_director``: everything fixed for a brief, the director's history included (what this
      report called film-only before); ``actor_lift`` = full minus it, what the candidates' own
      records add. Both lifts with a bootstrap interval over films."""
    y_train, years = rows.loc[train_idx, "label"], rows.loc[train_idx, "year"]
    out = {}
    for name, columns, candidates in (
            ("seed", seed_columns(featurizer), ("hgb", "rf")),
            ("film_only", film_attribute_columns(featurizer.feature_names_), config.candidates),
            ("film_director", film_level_columns(featurizer.feature_names_), config.candidates)):
        head = ActorHead(candidates, config.calib_years, config.flip_margin, config.calibration,
                         config.random_state).fit(X.loc[train_idx, columns], y_train, years)
        p_base = head.predict_base(X.loc[test_idx, columns])
        holdout[f"p_{name}"] = p_base
        cal = probability_metrics(holdout["label"], head.calibrate(p_base))
        out[name] = {"auroc": probability_metrics(holdout["label"], p_base)["auroc"], "ece": cal["ece"],
                     "head": head.head_name_, "selection_auroc": head.selection_auroc_, "n_features": len(columns)}
    out["full_auroc_interval"] = auroc_interval(holdout["label"], holdout["p_base"], holdout["movie_id"],
                                                random_state=config.random_state)
    out["casting_lift"] = paired_auroc_difference(holdout["label"], holdout["p_base"], holdout["p_film_only"],
                                                  holdout["movie_id"], random_state=config.random_state)
    out["actor_lift"] = paired_auroc_difference(holdout["label"], holdout["p_base"], holdout["p_film_director"],
                                                holdout["movie_id"], random_state=config.random_state)
    out["gain_over_seed"] = paired_auroc_difference(holdout["label"], holdout["p_base"], holdout["p_seed"],
                                                    holdout["movie_id"], random_state=config.random_state)
    return out


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
