"""Collaborative-filtering recommender: Surprise SVD for users with enough ratings, a popularity
fallback for cold-start users, batch top-N scoring with seen films masked, and fold-in of users
who rated films after training.

Training uses the ratings it is given (history only); scoring methods take the *full* ratings
table as ``history`` to know what each user has seen and who rated what since training.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from core.cf.data import build_trainset
from core.cf.factors import FactorModel, load_arrays, save_arrays
from core.cf.fallback import PopularityFallback
from core.errors import MarqueeError
from core.io import write_json_atomic
from core.progress import ProgressFn, null_progress

SVD = "svd"
FOLD_IN = "fold-in"
POPULARITY = "popularity"
STATE = "state.npz"
PARAMS = "params.json"
REQUIRED = ("user_id", "movie_id", "rating")


@dataclass
class UserVectors:
    """How each user is scored: ``source`` is svd (trained), fold-in or popularity."""

    user_ids: np.ndarray
    bu: np.ndarray
    pu: np.ndarray
    source: np.ndarray


class CFRecommender(BaseEstimator):
    """scikit-learn style wrapper: ``fit(ratings)`` → self; ``predict``; ``recommend``.

    ``reg_all`` regularises the factors, ``reg_bias`` (default: ``reg_all``) the biases. With
    ``n_bags`` > 1, that many SVDs are trained with consecutive seeds and averaged; the average is
    itself one factor model (biases averaged, factors concatenated and scaled by 1/√n_bags), so
    scoring, fold-in and saving work unchanged.

    Fold-in penalty λ = ``fold_in_reg``·n + ``fold_in_prior``; the defaults (0.1, 3) were the
    best of a small grid for users folded in from 5, 15 and 40 ratings on both the demo catalog
    and MovieLens 100K (they beat the popularity fallback by 0.02–0.1 RMSE).
    """

    def __init__(self, n_factors: int = 100, n_epochs: int = 20, lr_all: float = 0.005, reg_all: float = 0.02,
                 reg_bias: float | None = None, n_bags: int = 1, biased: bool = True, init_std_dev: float = 0.1,
                 random_state: int = 0, min_ratings: int = 5, fallback_min_votes: int = 10,
                 fallback_damping: float = 10.0, fold_in_reg: float = 0.1, fold_in_prior: float = 3.0,
                 rating_scale: tuple[float, float] | None = None):
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.lr_all = lr_all
        self.reg_all = reg_all
        self.reg_bias = reg_bias
        self.n_bags = n_bags
        self.biased = biased
        self.init_std_dev = init_std_dev
        self.random_state = random_state
        self.min_ratings = min_ratings
        self.fallback_min_votes = fallback_min_votes
        self.fallback_damping = fallback_damping
        self.fold_in_reg = fold_in_reg
        self.fold_in_prior = fold_in_prior
        self.rating_scale = rating_scale

    # ------------------------------------------------------------------ fitting
    def fit(self, ratings: pd.DataFrame, progress: ProgressFn | None = None) -> "CFRecommender":
        from surprise import SVD as SurpriseSVD

        progress = progress or null_progress
        ratings = check_ratings(ratings)
        if ratings.empty:
            raise MarqueeError("ratings: no rows to train the recommender on")
        progress(0, self.n_bags + 1, "building the training set")
        trainset = build_trainset(ratings, self.rating_scale)
        if self.n_bags < 1:
            raise MarqueeError(f"n_bags must be at least 1, got {self.n_bags}")
        started = time.perf_counter()
        bias_reg = self.reg_all if self.reg_bias is None else self.reg_bias
        bags = []
        for bag in range(self.n_bags):
            algo = SurpriseSVD(n_factors=self.n_factors, n_epochs=self.n_epochs, lr_all=self.lr_all,
                               reg_pu=self.reg_all, reg_qi=self.reg_all, reg_bu=bias_reg, reg_bi=bias_reg,
                               biased=self.biased, init_std_dev=self.init_std_dev, random_state=self.random_state + bag)
            bags.append(FactorModel.from_surprise(algo.fit(trainset), trainset))
            progress(bag + 1, self.n_bags + 1, f"trained SVD {bag + 1}/{self.n_bags}")
        self.fit_seconds_ = time.perf_counter() - started
        self.model_ = FactorModel.average(bags)
        self.fallback_ = PopularityFallback(self.fallback_min_votes, self.fallback_damping).fit(ratings)
        counts = ratings.groupby("user_id").size()
        self.train_counts_ = counts.reindex(self.model_.user_ids).to_numpy(np.int64)
        progress(self.n_bags + 1, self.n_bags + 1, f"trained on {len(ratings):,} ratings in {self.fit_seconds_:.1f}s")
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise MarqueeError("the recommender is not trained yet: call fit(ratings) or load a saved model")

    # ------------------------------------------------------------------ users
    def resolve_users(self, user_ids, history: pd.DataFrame | None = None) -> UserVectors:
        """Bias and factors per user: trained vectors, a fold-in over ``history``, or popularity.

        Without ``history`` the training counts decide. With it, a user with fewer than
        ``min_ratings`` ratings in ``history`` is cold (popularity); a user the model was trained
        on with at least ``min_ratings`` ratings keeps the trained vectors; anyone else (unknown
        at training time, or too cold then) is folded in over all their ratings in ``history``,
        so a person who rates a few films after training gets personal scores at once.
        """
        self._check_fitted()
        user_ids = np.asarray(user_ids, dtype=np.int64)
        model = self.model_
        inner = model.user_inner(user_ids)
        trained = np.where(inner >= 0, self.train_counts_[np.where(inner >= 0, inner, 0)], 0)
        if history is None:
            totals, groups = trained, {}
        else:
            history = check_ratings(history)
            totals = history.groupby("user_id").size().reindex(user_ids, fill_value=0).to_numpy(np.int64)
            groups = history[history["user_id"].isin(user_ids)].groupby("user_id")
        bu, pu = model.user_terms(inner)
        bu, pu = bu.copy(), pu.copy()
        source = np.full(len(user_ids), SVD, dtype=object)
        cold = totals < self.min_ratings
        refold = ~cold & (trained < self.min_ratings)
        for row in np.flatnonzero(refold):
            rows = groups.get_group(user_ids[row])
            bu[row], pu[row], used = model.fold_in(rows["movie_id"].to_numpy(), rows["rating"].to_numpy(float),
                                                       self.fold_in_reg, self.fold_in_prior)
            source[row] = FOLD_IN if used >= self.min_ratings else POPULARITY
        source[cold] = POPULARITY
        return UserVectors(user_ids=user_ids, bu=bu, pu=pu, source=source)

    # ------------------------------------------------------------------ scoring
    def predict(self, user_ids, movie_ids, history: pd.DataFrame | None = None) -> np.ndarray:
        """Predicted rating for aligned arrays of raw user and movie ids."""
        self._check_fitted()
        user_ids, movie_ids = np.asarray(user_ids, dtype=np.int64), np.asarray(movie_ids, dtype=np.int64)
        unique, position = np.unique(user_ids, return_inverse=True)
        vectors = self.resolve_users(unique, history)
        bi, qi = self.model_.item_terms(self.model_.item_inner(movie_ids))
        personal = self.model_.mu + vectors.bu[position] + bi + np.einsum("nk,nk->n", vectors.pu[position], qi)
        cold = vectors.source[position] == POPULARITY
        return self.model_.clip(np.where(cold, self.fallback_.predict(movie_ids), personal))

    def score_matrix(self, vectors: UserVectors, movie_ids) -> np.ndarray:
        """Predicted scores (users × films); films unknown to the model score as the user's mean."""
        model = self.model_
        bi, qi = model.item_terms(model.item_inner(movie_ids))
        scores = model.mu + vectors.bu[:, None] + bi[None, :] + vectors.pu @ qi.T
        cold = vectors.source == POPULARITY
        if cold.any():
            scores[cold] = self.fallback_.predict(movie_ids)[None, :]
        return model.clip(scores)

    def recommend(self, history: pd.DataFrame, user_ids=None, n: int = 10, batch_size: int = 512) -> pd.DataFrame:
        """Top-``n`` unseen films per user: columns user_id, rank, movie_id, score, source.

        ``history`` is the full ratings table; every film a user has rated there is masked.
        Personal lists rank every film the model knows; cold users get the popularity list.
        """
        self._check_fitted()
        history = check_ratings(history)
        if user_ids is None:
            user_ids = np.sort(history["user_id"].unique())
        user_ids = np.asarray(user_ids, dtype=np.int64)
        vectors = self.resolve_users(user_ids, history)
        item_ids = self.model_.item_ids
        seen_inner = self.model_.item_inner(history["movie_id"].to_numpy())
        seen_rows = pd.Index(user_ids).get_indexer(history["user_id"].to_numpy())
        frames = []
        personal = np.flatnonzero(vectors.source != POPULARITY)
        for start in range(0, len(personal), batch_size):
            rows = personal[start:start + batch_size]
            scores = self.model_.score_matrix(vectors.bu[rows], vectors.pu[rows])
            local = pd.Index(rows).get_indexer(seen_rows)
            mask = (local >= 0) & (seen_inner >= 0)
            scores[local[mask], seen_inner[mask]] = -np.inf
            frames.append(_top_n(user_ids[rows], scores, item_ids, n, vectors.source[rows], self.model_))
        seen_by_user = history.groupby("user_id")["movie_id"].agg(set)
        for row in np.flatnonzero(vectors.source == POPULARITY):
            movies, scores = self.fallback_.top_n(n, seen_by_user.get(user_ids[row], set()))
            frames.append(pd.DataFrame({"user_id": user_ids[row], "rank": np.arange(1, len(movies) + 1),
                                        "movie_id": movies, "score": scores, "source": POPULARITY}))
        columns = ["user_id", "rank", "movie_id", "score", "source"]
        if not frames:
            return pd.DataFrame(columns=columns)
        result = pd.concat(frames, ignore_index=True)[columns]
        return result.sort_values(["user_id", "rank"], kind="stable").reset_index(drop=True)

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Path) -> Path:
        """Write the learned arrays (``factors.npz``, ``state.npz``) and ``params.json``."""
        self._check_fitted()
        folder = Path(folder)
        self.model_.save(folder)
        save_arrays(folder / STATE, {"train_counts": self.train_counts_, "fallback_mu": np.array([self.fallback_.mu_]),
                                     "fallback_movie_ids": self.fallback_.movie_ids_, "fallback_sums": self.fallback_.sums_,
                                     "fallback_counts": self.fallback_.counts_, "fit_seconds": np.array([self.fit_seconds_])})
        write_json_atomic(folder / PARAMS, self.get_params())
        return folder

    @classmethod
    def load(cls, folder: Path) -> "CFRecommender":
        folder = Path(folder)
        if not (folder / PARAMS).exists():
            raise MarqueeError(f"{folder / PARAMS}: saved recommender not found")
        params = json.loads((folder / PARAMS).read_text(encoding="utf-8"))
        if params.get("rating_scale") is not None:
            params["rating_scale"] = tuple(params["rating_scale"])
        recommender = cls(**params)
        recommender.model_ = FactorModel.load(folder)
        with load_arrays(folder / STATE, "recommender state") as state:
            recommender.train_counts_ = state["train_counts"]
            recommender.fit_seconds_ = float(state["fit_seconds"][0])
            recommender.fallback_ = PopularityFallback(recommender.fallback_min_votes, recommender.fallback_damping).set_stats(
                float(state["fallback_mu"][0]), state["fallback_movie_ids"], state["fallback_sums"], state["fallback_counts"])
        return recommender


def _top_n(user_ids: np.ndarray, scores: np.ndarray, item_ids: np.ndarray, n: int, source: np.ndarray,
           model: FactorModel) -> pd.DataFrame:
    """Best ``n`` finite scores per row, in descending order (ties by item position)."""
    n = min(n, scores.shape[1])
    if n == 0:
        return pd.DataFrame(columns=["user_id", "rank", "movie_id", "score", "source"])
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    top = np.take_along_axis(part, order, axis=1)
    top_scores = np.take_along_axis(scores, top, axis=1)
    frame = pd.DataFrame({"user_id": np.repeat(user_ids, n), "rank": np.tile(np.arange(1, n + 1), len(user_ids)),
                          "movie_id": item_ids[top.ravel()], "score": top_scores.ravel(),
                          "source": np.repeat(source, n)})
    frame = frame[np.isfinite(frame["score"])]
    frame["score"] = model.clip(frame["score"].to_numpy())
    return frame


def check_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """The ratings table must carry user_id, movie_id and rating columns."""
    missing = [c for c in REQUIRED if c not in ratings.columns]
    if missing:
        raise MarqueeError(f"ratings table: missing column(s) {', '.join(missing)}")
    return ratings
