"""Collaborative filtering on Spark MLlib ALS, saved as the single-machine factor model.

Explicit ratings: a biased model, ``rating ≈ μ + b_u + b_i + p_u·q_i``. The global mean and
damped biases are two grouped aggregations (``b_i = Σ(r − μ)/(n_i + λ_i)``, then
``b_u = Σ(r − μ − b_i)/(n_u + λ_u)``); ALS factorises the residuals. Spark's ALS penalises
``regParam·n`` per user and item (ALS-WR), the same form as the fold-in penalty of
:meth:`core.cf.factors.FactorModel.fold_in`, so the recommender folds in with
``fold_in_reg = regParam``: a user who rates films after training is solved for the way ALS
solved the trained users (plus the fold-in prior for very short histories).

Implicit feedback (``implicit=True``: watch logs, each row one event, ``rating`` the strength or
1): ALS with ``implicitPrefs`` and confidence ``1 + α·r``; no biases; scores are preferences in
[0, 1]. Folded-in users of an implicit model get the explicit ridge solve over their events (a
preference of 1 each): an approximation of the implicit user solve, said here because the CF
recommender serves both kinds unchanged.

The result is an ordinary ``CFRecommender`` (``CFRecommender.from_factors``): arrays ``mu, bu, bi,
pu, qi``, the id maps, ratings per user and the popularity fallback's per-film sums and counts,
all computed in Spark and collected as arrays ((users + films) × rank numbers; the ratings
themselves never reach the driver). It saves into the ``cf`` artifact slot and is served, folded
into and monitored like a model trained on one machine.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.cf import CFRecommender
from core.errors import MarqueeError
from core.models import NotFittedError, check_finite_params
from core.progress import ProgressFn, null_progress

REQUIRED = ("user_id", "movie_id", "rating")
ALGORITHM = "spark-als"
ALGORITHM_IMPLICIT = "spark-als-implicit"
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class ALSParams:
    """Hyper-parameters of :class:`SparkALS` (validated: finite, in range)."""

    rank: int = 50
    max_iter: int = 15
    reg_param: float = 0.08
    implicit: bool = False
    alpha: float = 10.0
    item_bias_reg: float = 10.0
    user_bias_reg: float = 5.0
    nonnegative: bool = False
    seed: int = 0
    blocks: int | None = None        # ALS user/item blocks (default: the session's parallelism)
    checkpoint_interval: int = 10

    def validate(self) -> "ALSParams":
        check_finite_params(self.__dict__, "ALS")
        for name, low, high in (("rank", 1, 1000), ("max_iter", 1, 1000), ("checkpoint_interval", 1, 1000),
                                ("blocks", 1, 100_000)):
            value = getattr(self, name)
            if name == "blocks" and value is None:
                continue
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not low <= value <= high:
                raise MarqueeError(f"ALS {name} must be an integer from {low} to {high}, got {value!r}")
        for name in ("reg_param", "alpha", "item_bias_reg", "user_bias_reg"):
            if float(getattr(self, name)) < 0:
                raise MarqueeError(f"ALS {name} must not be negative, got {getattr(self, name)!r}")
        return self


class SparkALS:
    """Train ALS in Spark; ``fit(ratings)`` accepts a Spark DataFrame or a pandas one.

    Learned state (scikit-learn style): ``recommender_`` (the fitted ``CFRecommender``),
    ``n_ratings_``, ``fit_seconds_``. ``predict`` scores with NumPy on the driver exactly as the
    recommender serves (cold users answered by the popularity fallback), so it slots into
    ``core.cf.compare_models`` beside the single-machine models over the same folds.
    """

    def __init__(self, spark=None, params: ALSParams | None = None, min_ratings: int = 5,
                 fallback_min_votes: int = 10, fallback_damping: float = 10.0,
                 fold_in_prior: float = 3.0, rating_scale: tuple[float, float] | None = None):
        self.spark = spark
        self.params = (params or ALSParams()).validate()
        self.min_ratings = min_ratings
        self.fallback_min_votes = fallback_min_votes
        self.fallback_damping = fallback_damping
        self.fold_in_prior = fold_in_prior
        self.rating_scale = rating_scale

    # ------------------------------------------------------------------ fitting
    def _session(self):
        if self.spark is None:
            from core.spark.session import get_session

            self.spark = get_session()
        return self.spark

    def _as_spark(self, ratings):
        if isinstance(ratings, pd.DataFrame):
            missing = [c for c in REQUIRED if c not in ratings.columns]
            if missing:
                raise MarqueeError(f"ratings table: missing column(s) {', '.join(missing)}")
            frame = ratings[list(REQUIRED)].astype({"user_id": "int64", "movie_id": "int64", "rating": "float64"})
            return self._session().createDataFrame(frame)
        missing = [c for c in REQUIRED if c not in ratings.columns]
        if missing:
            raise MarqueeError(f"ratings table: missing column(s) {', '.join(missing)}")
        return ratings.select(*REQUIRED)

    def fit(self, ratings, progress: ProgressFn | None = None) -> "SparkALS":
        from pyspark.ml.recommendation import ALS
        from pyspark.sql import functions as F

        progress = progress or null_progress
        p = self.params
        spark = self._session()
        started = time.perf_counter()
        strength = F.col("rating").cast("double")
        if p.implicit:  # a watch log: one row per event, no rating means a plain watch (strength 1)
            strength = F.when(strength.isNull() | F.isnan(strength), F.lit(1.0)).otherwise(strength)
        data = self._as_spark(ratings).select(F.col("user_id").cast("long"), F.col("movie_id").cast("long"),
                                              strength.alias("rating"))
        steps = 5
        progress(0, steps, "rating statistics")
        # One pass for the global numbers (and the finite/empty checks).
        summary = data.agg(F.count("*").alias("n"), F.avg("rating").alias("mu"), F.min("rating").alias("lo"),
                           F.max("rating").alias("hi"),
                           F.sum(F.when(F.isnan("rating") | F.col("rating").isNull(), 1).otherwise(0)).alias("bad")
                           ).first()
        if not summary["n"]:
            raise MarqueeError("ratings: no rows to train the recommender on")
        if summary["bad"]:
            raise MarqueeError(f"ratings.rating: {summary['bad']} missing or non-finite value(s)")
        mu = float(summary["mu"])
        scale = tuple(float(x) for x in (self.rating_scale or ((0.0, 1.0) if p.implicit else (summary["lo"], summary["hi"]))))

        # Dense ids: ALS needs int ids; catalog ids are int64 (hashed ids exceed int32).
        users = _id_map(data, "user_id")
        items = _id_map(data, "movie_id")
        progress(1, steps, f"{len(users):,} users, {len(items):,} films")
        indexed = (data.join(F.broadcast(_index_frame(spark, "user_id", users, "u")), "user_id")
                   .join(F.broadcast(_index_frame(spark, "movie_id", items, "i")), "movie_id"))

        per_item = (indexed.groupBy("i", "movie_id")
                    .agg(F.sum("rating").alias("sum"), F.count("*").alias("n"),
                         F.sum(F.col("rating") - F.lit(mu)).alias("dev"))
                    .toPandas().sort_values("i"))
        per_item_n = per_item["n"].to_numpy(np.int64)
        if p.implicit:
            bi = np.zeros(len(items))
            bu = np.zeros(len(users))
            counts = indexed.groupBy("u").count().toPandas().sort_values("u")["count"].to_numpy(np.int64)
            # repeated events of one pair add up to one stronger preference
            target = indexed.groupBy("u", "i").agg(F.sum("rating").alias("target"))
            model_mu = 0.0
        else:
            bi = per_item["dev"].to_numpy(float) / (per_item_n + p.item_bias_reg)
            item_bias = spark.createDataFrame(pd.DataFrame({"i": np.arange(len(items), dtype=np.int32), "bi": bi}))
            with_bi = indexed.join(F.broadcast(item_bias), "i")
            per_user = (with_bi.groupBy("u").agg(F.sum(F.col("rating") - F.lit(mu) - F.col("bi")).alias("dev"),
                                                 F.count("*").alias("n")).toPandas().sort_values("u"))
            counts = per_user["n"].to_numpy(np.int64)
            bu = per_user["dev"].to_numpy(float) / (counts + p.user_bias_reg)
            user_bias = spark.createDataFrame(pd.DataFrame({"u": np.arange(len(users), dtype=np.int32), "bu": bu}))
            target = (with_bi.join(F.broadcast(user_bias), "u")
                      .select("u", "i", (F.col("rating") - F.lit(mu) - F.col("bi") - F.col("bu")).alias("target")))
            model_mu = mu
        progress(2, steps, f"ALS rank {p.rank}, {p.max_iter} iterations")
        blocks = p.blocks or parallelism(spark)
        als = ALS(rank=p.rank, numUserBlocks=blocks, numItemBlocks=blocks, maxIter=p.max_iter,
                  regParam=p.reg_param, implicitPrefs=p.implicit, alpha=p.alpha,
                  nonnegative=p.nonnegative, seed=p.seed, userCol="u", itemCol="i", ratingCol="target",
                  coldStartStrategy="nan", checkpointInterval=p.checkpoint_interval)
        fitted = als.fit(target)
        progress(3, steps, "collecting factors")
        pu = _factor_matrix(fitted.userFactors, len(users), p.rank)
        qi = _factor_matrix(fitted.itemFactors, len(items), p.rank)
        self.fit_seconds_ = time.perf_counter() - started
        self.recommender_ = CFRecommender.from_factors(
            mu=model_mu, bu=bu, bi=bi, pu=pu, qi=qi, user_ids=users, item_ids=items, rating_scale=scale,
            user_counts=counts, item_sums=per_item["sum"].to_numpy(float), item_counts=per_item_n,
            fit_seconds=self.fit_seconds_, **self.recommender_params())
        self.n_ratings_ = int(summary["n"])
        progress(steps, steps, f"trained ALS on {self.n_ratings_:,} ratings in {self.fit_seconds_:.1f}s")
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "recommender_"):
            raise NotFittedError("SparkALS is not fitted yet: call fit(ratings)")

    # ------------------------------------------------------------------ scoring and handing over
    def predict(self, user_ids, movie_ids, history: pd.DataFrame | None = None) -> np.ndarray:
        """Predicted ratings for aligned raw ids, as the recommender serves them."""
        self._check_fitted()
        return self.recommender_.predict(user_ids, movie_ids, history=history)

    def recommend(self, history: pd.DataFrame, user_ids=None, n: int = 10) -> pd.DataFrame:
        """Top-``n`` unseen films per user, as the recommender serves them."""
        self._check_fitted()
        return self.recommender_.recommend(history, user_ids=user_ids, n=n)

    def recommender_params(self) -> dict[str, Any]:
        """``CFRecommender`` hyper-parameters describing this training (and serving it consistently:
        fold-in uses ALS's own penalty form, ``fold_in_reg = regParam``)."""
        p = self.params
        return {"n_epochs": p.max_iter, "reg_all": p.reg_param, "biased": not p.implicit, "random_state": p.seed,
                "min_ratings": self.min_ratings, "fallback_min_votes": self.fallback_min_votes,
                "fallback_damping": self.fallback_damping, "fold_in_reg": p.reg_param,
                "fold_in_prior": self.fold_in_prior, "algorithm": ALGORITHM_IMPLICIT if p.implicit else ALGORITHM}


def parallelism(spark) -> int:
    """Tasks the session runs at once: ALS blocks default to it (Spark's own default, 10 blocks
    per side, is sized for clusters and multiplies per-task overhead on a small machine)."""
    configured = spark.conf.get("spark.default.parallelism", None)
    if configured:
        return max(1, int(configured))
    try:
        return max(1, int(spark.sparkContext.defaultParallelism))
    except Exception:  # Spark Connect sessions expose no SparkContext
        return 10


def _id_map(data, column: str) -> np.ndarray:
    """Sorted distinct ids of ``column`` (the model's inner order), collected to the driver."""
    ids = np.sort(data.select(column).distinct().toPandas()[column].to_numpy(np.int64))
    if len(ids) > INT32_MAX:
        raise MarqueeError(f"ratings.{column}: {len(ids):,} distinct ids exceed what ALS can index")
    return ids


def _index_frame(spark, column: str, ids: np.ndarray, inner: str):
    return spark.createDataFrame(pd.DataFrame({column: ids, inner: np.arange(len(ids), dtype=np.int32)}))


def _factor_matrix(factors, n: int, rank: int) -> np.ndarray:
    """ALS factors (id, features) as a dense (n, rank) float64 matrix in id order.

    An id ALS never saw (impossible here: every id comes from the ratings) would stay zero.
    """
    frame = factors.toPandas()
    matrix = np.zeros((n, rank), dtype=float)
    if len(frame):
        matrix[frame["id"].to_numpy(np.int64)] = np.vstack(frame["features"].to_numpy()).astype(float)
    return matrix
