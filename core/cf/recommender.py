"""Collaborative-filtering recommender on the model contract (:mod:`core.models`): a biased
matrix-factorisation model for users with enough ratings, a popularity fallback for cold-start
users, batch top-N scoring with seen films masked, and fold-in of users who rated films after
training.

Training uses the ratings it is given (history only); scoring methods take the *full* ratings
table as ``history`` to know what each user has seen and who rated what since training. Every
prediction carries a :class:`~core.models.Flag`: ``ok`` (trained user, known film),
``fold_in`` (user placed in the trained space from ratings given after training),
``cold_start`` (too few ratings: the popularity fallback answered), ``unknown_user`` (never seen:
popularity answered), ``unknown_item`` (the model never saw the film: bias-only score).

A fitted recommender can also be built from factor arrays learned elsewhere (Spark ALS, an
implicit-feedback model) with :meth:`CFRecommender.from_factors`; it is then saved, registered,
folded into and served exactly like one trained here.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.cf.data import build_trainset, check_ratings, recent_counts
from core.cf.bayes import fit_bayes_mf
from core.cf.side import SIDE_INFO, film_features
from core.cf.factors import ARRAYS, FactorModel
from core.cf.implicit import fit_implicit_als, watch_strengths
from core.cf.neighbours import ARRAYS as NEIGHBOUR_ARRAYS, Neighbourhood, Profile
from core.cf.fallback import PopularityFallback
from core.errors import MarqueeError
from core.io import load_npz, save_npz
from core.models import Flag, Model, Predictions, check_finite_arrays
from core.progress import ProgressFn, null_progress
from core.validation import INT64_MAX, ValidationError, finite_float, integer

SVD = "svd"
FOLD_IN = "fold-in"
POPULARITY = "popularity"
STATE = "state.npz"
SVDPP = "svdpp"
BAYES_MF = "bayes-mf"
BLEND = "blend"
IMPLICIT_ALS = "implicit-als"
KNN_BASELINE = "knn-baseline"
FIT_ALGORITHMS = (SVD, SVDPP, BAYES_MF, BLEND, IMPLICIT_ALS, KNN_BASELINE)
LIST_BY = ("score", "recent")  # top-N: every film by predicted score, or a pool of recently popular films
IMPLICIT_ALGORITHMS = (IMPLICIT_ALS, "spark-als-implicit")  # preferences from watch logs, not ratings  # what ``fit`` trains; other algorithms arrive through ``from_factors``


@dataclass
class UserVectors:
    """How each user is scored: ``source`` is svd (trained), fold-in or popularity; ``flag`` says
    why when it is not a trained user (see :class:`~core.models.Flag`)."""

    user_ids: np.ndarray
    bu: np.ndarray
    pu: np.ndarray
    source: np.ndarray
    flag: np.ndarray
    profiles: list[Profile | None] | None = None  # each user's ratings for the neighbourhood term, if any


class CFRecommender(Model):
    """``fit(ratings)`` → self; ``predict``/``predict_flagged``; ``recommend``; ``save``/``load``.

    ``reg_all`` regularises the factors, ``reg_bias`` (default: ``reg_all``) the biases. With
    ``n_bags`` > 1, that many SVDs are trained with consecutive seeds and averaged; the average is
    itself one factor model (biases averaged, factors concatenated and scaled by 1/√n_bags), so
    scoring, fold-in and saving work unchanged.

    Fold-in penalty λ = ``fold_in_reg``·n + ``fold_in_prior``; the defaults (0.1, 3) were the
    best of a small grid for users folded in from 5, 15 and 40 ratings on both the demo catalog
    and MovieLens 100K (they beat the popularity fallback by 0.02–0.1 RMSE).

    ``algorithm`` says what learns the factors. :meth:`fit` trains ``svd`` (Surprise's SGD),
    ``svdpp`` (Surprise's SVD++, served with the user vector p_u + |N(u)|^-1/2 Σ y_j of the films
    rated in training), ``bayes-mf`` (Gibbs-sampled Bayesian MF, :mod:`core.cf.bayes`: ``n_epochs``
    sweeps, ``burn_in`` discarded, every ``thin``-th kept; ``noise_sd`` fixes the rating noise, None
    samples it; ``user_noise_prior`` gives each user a noise around it; ``side_info`` puts the films'
    genres/year/IMDb figures into the prior, :mod:`core.cf.side`, fitted with ``fit(ratings, films=...)``,
    served like any factor model) and ``blend`` (``members``: parameter
    sets of the others, each with a ``weight``; the weighted mean of their predictions as one
    factor model, :meth:`FactorModel.blend`). Other names come from :meth:`from_factors`
    (``als``, ``spark-als``, …). Whatever the algorithm, scoring is the same NumPy dot product.
    """

    kind = "cf"
    fitted_attribute = "model_"

    def __init__(self, n_factors: int = 100, n_epochs: int = 20, lr_all: float = 0.005, reg_all: float = 0.02,
                 reg_bias: float | None = None, n_bags: int = 1, biased: bool = True, init_std_dev: float = 0.1,
                 random_state: int = 0, min_ratings: int = 5, fallback_min_votes: int = 10,
                 fallback_damping: float = 10.0, fold_in_reg: float = 0.1, fold_in_prior: float = 3.0,
                 rating_scale: tuple[float, float] | None = None, algorithm: str = SVD, reg_yj: float | None = None,
                 burn_in: int | None = None, thin: int = 2, noise_sd: float | None = None,
                 user_noise_prior: float | None = None, alpha: float = 10.0, members: list[dict[str, Any]] | None = None,
                 k: int = 40, min_k: int = 1, shrinkage: float = 100.0, max_neighbours: int = 1000,
                 list_by: str = "score", recent_days: float = 14.0, recent_pool: int = 20,
                 side_info: list[str] | None = None, side_prior: float = 10.0):
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
        self.algorithm = algorithm
        self.reg_yj = reg_yj
        self.burn_in = burn_in
        self.thin = thin
        self.noise_sd = noise_sd
        self.user_noise_prior = user_noise_prior
        self.alpha = alpha
        self.members = members
        self.k = k
        self.min_k = min_k
        self.shrinkage = shrinkage
        self.max_neighbours = max_neighbours
        self.list_by = list_by
        self.recent_days = recent_days
        self.recent_pool = recent_pool
        self.side_info = side_info
        self.side_prior = side_prior

    # ------------------------------------------------------------------ parameters
    def check_params(self) -> "CFRecommender":
        """Every hyper-parameter finite and in range; one line naming the first bad one."""
        for name, (low, high) in INTEGER_RANGES.items():
            integer(getattr(self, name), PARAMETER_FIELDS.get(name, name), low, high)
        for name, (low, high, low_open) in NUMBER_RANGES.items():
            if getattr(self, name) is not None or name not in ("reg_bias", "reg_yj", "noise_sd", "user_noise_prior"):
                finite_float(getattr(self, name), PARAMETER_FIELDS.get(name, name), low, high, low_open=low_open)
        if self.rating_scale is not None:
            scale = tuple(self.rating_scale) if isinstance(self.rating_scale, (tuple, list)) else ()
            if len(scale) != 2 or not finite_float(scale[0], "rating_scale") < finite_float(scale[1], "rating_scale"):
                raise ValidationError("rating_scale", self.rating_scale, "must be two finite numbers, low < high")
        if self.list_by not in LIST_BY:
            raise MarqueeError(f"list_by {self.list_by!r}: use {' or '.join(LIST_BY)}")
        if not isinstance(self.algorithm, str) or not self.algorithm:
            raise MarqueeError(f"algorithm {self.algorithm!r}: expected a name such as 'svd'")
        if self.burn_in is not None:
            integer(self.burn_in, "burn_in", 0, self.n_epochs - 1)
        if self.side_info is not None:
            if isinstance(self.side_info, str) or not all(isinstance(k, str) and k in SIDE_INFO for k in self.side_info):
                raise MarqueeError(f"side_info {self.side_info!r}: a list of {', '.join(SIDE_INFO)}")
            if self.side_info and self.algorithm != BAYES_MF:
                raise MarqueeError("side_info: only bayes-mf takes side information")
        if self.user_noise_prior is not None and self.noise_sd is None:
            raise MarqueeError("user_noise_prior: needs noise_sd (the centre of each user's noise prior)")
        if self.algorithm == BLEND:
            if not isinstance(self.members, (list, tuple)) or not self.members:
                raise MarqueeError("members: a blend needs a list of member parameter sets, each with a weight")
            for number, member in enumerate(self.members):
                if not isinstance(member, dict) or member.get("algorithm", SVD) in (BLEND,) \
                        or member.get("algorithm", SVD) not in FIT_ALGORITHMS:
                    raise MarqueeError(f"members[{number}]: expected the parameters of an svd, svdpp, bayes-mf "
                                       f"or knn-baseline model")
                finite_float(member.get("weight"), f"members[{number}].weight", 0.0, 1e6, low_open=True)
                CFRecommender(**{k: v for k, v in member.items() if k != "weight"}).check_params()
            if sum(member.get("algorithm", SVD) == KNN_BASELINE for member in self.members) > 1:
                raise MarqueeError("members: a blend takes at most one knn-baseline member")
        return self

    @classmethod
    def _params_from_record(cls, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("rating_scale") is not None:
            params["rating_scale"] = tuple(params["rating_scale"])
        return params

    def library_names(self) -> tuple[str, ...]:
        return ("scikit-learn", "scikit-surprise")

    # ------------------------------------------------------------------ fitting
    def fit(self, ratings: pd.DataFrame, progress: ProgressFn | None = None,
            films: pd.DataFrame | None = None) -> "CFRecommender":
        """Train on ``ratings``. ``films`` (the catalog's films table: movie_id, genres, year, …)
        feeds ``side_info`` (a bayes-mf model or member that names some needs it; others ignore it)."""
        self.check_params()
        if self.algorithm not in FIT_ALGORITHMS:
            raise MarqueeError(f"algorithm {self.algorithm!r}: fit trains {', '.join(FIT_ALGORITHMS)}; build other "
                               f"models with CFRecommender.from_factors(...)")
        progress = progress or null_progress
        ratings = watch_strengths(ratings) if self.implicit else check_ratings(ratings)
        if ratings.empty:
            raise MarqueeError("ratings: no rows to train the recommender on")
        started = time.perf_counter()
        self.neighbours_, self.neighbour_weight_ = None, 0.0
        factors = self._fit_factors(ratings, progress, films)
        neighbours, weight = self.neighbours_, self.neighbour_weight_
        counts = ratings.groupby("user_id").size().reindex(factors.user_ids).to_numpy(np.int64)
        stats = ratings.groupby("movie_id")["rating"].agg(["sum", "count"]).reindex(factors.item_ids)
        self._install(factors, counts, stats["sum"].to_numpy(float), stats["count"].to_numpy(np.int64),
                      time.perf_counter() - started, neighbours, weight)
        self.set_recent(ratings)
        progress(1, 1, f"trained on {len(ratings):,} ratings in {self.fit_seconds_:.1f}s")
        return self

    def _fit_factors(self, ratings: pd.DataFrame, progress: ProgressFn, films: pd.DataFrame | None = None) -> FactorModel:
        """One factor model: a blend of member recommenders, or ``n_bags`` seeds of one algorithm
        averaged. A neighbourhood (knn-baseline, alone or as a blend member) is set on ``self``."""
        if self.algorithm == BLEND:
            fitted = []
            for number, member in enumerate(self.members):
                params = {k: v for k, v in member.items() if k != "weight"}
                progress(number, len(self.members) + 1, f"training blend member {number + 1}/{len(self.members)} "
                                                        f"({params.get('algorithm', SVD)})")
                fitted.append(CFRecommender(**{"random_state": self.random_state, "rating_scale": self.rating_scale,
                                               **params}).fit(ratings, films=films))
            blend, self.neighbours_, self.neighbour_weight_ = blend_parts(fitted, [m["weight"] for m in self.members])
            return blend
        if self.algorithm == KNN_BASELINE:
            nb = Neighbourhood.fit(ratings, k=self.k, min_k=self.min_k, shrinkage=self.shrinkage,
                                   max_neighbours=self.max_neighbours)
            low, high = self.rating_scale or (float(ratings["rating"].min()), float(ratings["rating"].max()))
            if low == high:
                low, high = low - 1.0, high
            self.neighbours_, self.neighbour_weight_ = nb, 1.0
            return FactorModel(mu=nb.mu, bu=nb.bu, bi=nb.bi, pu=np.zeros((len(nb.user_ids), 0)),
                               qi=np.zeros((len(nb.item_ids), 0)), user_ids=nb.user_ids, item_ids=nb.item_ids,
                               rating_scale=(low, high))
        if self.algorithm == IMPLICIT_ALS:
            return fit_implicit_als(ratings, n_factors=self.n_factors, n_iterations=self.n_epochs, reg=self.reg_all,
                                    alpha=self.alpha, seed=self.random_state, progress=progress)
        trainset = None
        item_features = None
        if self.algorithm == BAYES_MF and self.side_info:
            if films is None:
                raise MarqueeError(f"side_info {list(self.side_info)}: pass the catalog's films table, "
                                   f"fit(ratings, films=catalog.movies)")
            item_features = film_features(films, self.side_info)
        bags = []
        for bag in range(self.n_bags):
            progress(bag, self.n_bags + 1, f"training {self.algorithm} {bag + 1}/{self.n_bags}")
            if self.algorithm == BAYES_MF:
                burn_in = self.n_epochs // 5 if self.burn_in is None else self.burn_in
                bags.append(fit_bayes_mf(ratings, n_factors=self.n_factors, n_samples=self.n_epochs, burn_in=burn_in,
                                         thin=self.thin, seed=self.random_state + bag, rating_scale=self.rating_scale,
                                         noise_sd=self.noise_sd, user_noise_prior=self.user_noise_prior,
                                         item_features=item_features, side_prior=self.side_prior))
                continue
            from surprise import SVD as SurpriseSVD, SVDpp as SurpriseSVDpp

            trainset = trainset or build_trainset(ratings, self.rating_scale)
            bias_reg = self.reg_all if self.reg_bias is None else self.reg_bias
            common = dict(n_factors=self.n_factors, n_epochs=self.n_epochs, lr_all=self.lr_all, reg_pu=self.reg_all,
                          reg_qi=self.reg_all, reg_bu=bias_reg, reg_bi=bias_reg, init_std_dev=self.init_std_dev,
                          random_state=self.random_state + bag)
            if self.algorithm == SVDPP:
                algo = SurpriseSVDpp(**common, reg_yj=self.reg_all if self.reg_yj is None else self.reg_yj)
            else:
                algo = SurpriseSVD(**common, biased=self.biased)
            with np.errstate(all="ignore"):  # a diverging fit is refused by _install, not printed as warnings
                bags.append(FactorModel.from_surprise(algo.fit(trainset), trainset))
        return FactorModel.average(bags)

    @classmethod
    def blend_of(cls, members: list["CFRecommender"], weights, ratings: pd.DataFrame | None = None,
                 **params: Any) -> "CFRecommender":
        """The blend of already fitted ``members`` (trained on the same ratings) with ``weights``:
        the recommender ``fit(algorithm="blend", members=...)`` would build from them, without
        training them again. ``params`` are the blend's own (``members``, ``min_ratings``, …).

        The recent lists' counts are the blend's own window: recounted over ``ratings`` (the
        members' training ratings) when given, else taken from the first member only if it
        counted the same ``recent_days``; a ``list_by="recent"`` blend with a different window
        and no ``ratings`` is refused rather than served with another window's counts."""
        if not members:
            raise MarqueeError("blend: no members")
        factors, neighbours, weight = blend_parts(members, weights)
        base = members[0]
        model = cls(**{"algorithm": BLEND, **params})
        model._install(factors, base.train_counts_, base.fallback_.sums_, base.fallback_.counts_,
                       sum(m.fit_seconds_ for m in members), neighbours, weight)
        if ratings is not None:
            model.set_recent(ratings)
        elif float(base.recent_days) == float(model.recent_days):
            model.recent_counts_ = getattr(base, "recent_counts_", None)
        elif model.list_by == "recent":
            raise MarqueeError(f"blend_of: the members counted the last {base.recent_days:g} days, the blend lists "
                               f"the last {model.recent_days:g}; pass ratings= to recount")
        else:
            model.recent_counts_ = None  # no recent lists; set_recent(ratings) counts the blend's window
        return model

    @classmethod
    def from_factors(cls, *, mu: float, bu, bi, pu, qi, user_ids, item_ids, rating_scale: tuple[float, float],
                     user_counts, item_sums, item_counts, fit_seconds: float = 0.0, algorithm: str = "als",
                     **params: Any) -> "CFRecommender":
        """A fitted recommender from factor arrays learned elsewhere (Spark ALS, implicit ALS, …).

        ``mu`` global mean; ``bu``/``pu`` per user, aligned with ``user_ids``; ``bi``/``qi`` per
        film, aligned with ``item_ids`` (zeros for ``bu``/``bi`` when the model has no biases);
        ``rating_scale`` (low, high) for clipping; ``user_counts`` training ratings per user (who
        is cold); ``item_sums``/``item_counts`` sum and number of training ratings per film (the
        popularity fallback's statistics). Other keyword arguments are hyper-parameters
        (``min_ratings``, ``fold_in_reg``, …, plus whatever describes the training, e.g.
        ``n_epochs``/``reg_all``). The arrays are checked for shape and finiteness; the result
        saves, loads, folds in and recommends like a model trained by :meth:`fit`.
        """
        pu = np.asarray(pu, dtype=float)
        params = {"n_factors": int(pu.shape[1]) if pu.ndim == 2 else 0, "n_bags": 1, **params,
                  "rating_scale": tuple(float(x) for x in rating_scale), "algorithm": algorithm}
        model = cls(**params).check_params()
        factors = FactorModel(mu=float(mu), bu=bu, bi=bi, pu=pu, qi=qi, user_ids=user_ids, item_ids=item_ids,
                              rating_scale=params["rating_scale"])
        if factors.n_factors != model.n_factors:
            raise MarqueeError(f"n_factors {model.n_factors} does not match the {factors.n_factors} factor columns")
        model._install(factors, user_counts, item_sums, item_counts, float(fit_seconds))
        model.recent_counts_ = None  # recent lists rank by all-time counts until set_recent(ratings)
        return model

    def _install(self, factors: FactorModel, user_counts, item_sums, item_counts, fit_seconds: float,
                 neighbours: Neighbourhood | None = None, neighbour_weight: float = 0.0) -> None:
        """Set the learned state (from ``fit``, ``from_factors`` or ``load``); refuses NaN/inf."""
        user_counts = np.asarray(user_counts, dtype=np.int64)
        item_sums, item_counts = np.asarray(item_sums, dtype=float), np.asarray(item_counts, dtype=np.int64)
        if user_counts.shape != factors.user_ids.shape:
            raise MarqueeError(f"user_counts: {user_counts.shape[0]} counts for {len(factors.user_ids)} users")
        if item_sums.shape != factors.item_ids.shape or item_counts.shape != factors.item_ids.shape:
            raise MarqueeError(f"item_sums/item_counts: expected one per film ({len(factors.item_ids)})")
        if (user_counts < 0).any() or (item_counts < 0).any() or item_counts.sum() <= 0:
            raise MarqueeError("user_counts/item_counts: counts must be non-negative with at least one rating")
        fallback = PopularityFallback(self.fallback_min_votes, self.fallback_damping).set_stats(
            float(item_sums.sum() / item_counts.sum()), factors.item_ids, item_sums, item_counts)
        check_finite_arrays({"mu": np.array([factors.mu]), "bu": factors.bu, "bi": factors.bi, "pu": factors.pu,
                             "qi": factors.qi, "fallback": fallback.scores_}, type(self).__name__)
        if neighbours is not None:
            check_finite_arrays({"neighbour_bu": neighbours.bu, "neighbour_bi": neighbours.bi,
                                 "similarity": neighbours.similarity, "neighbour_ratings": neighbours.ratings},
                                type(self).__name__)
            if not (np.array_equal(neighbours.item_ids, factors.item_ids)
                    and np.array_equal(neighbours.user_ids, factors.user_ids)):
                raise MarqueeError("neighbourhood: its users and films must be the factor model's, in the same order")
            if not (np.isfinite(neighbour_weight) and 0.0 < neighbour_weight <= 1.0):
                raise MarqueeError(f"neighbour weight {neighbour_weight!r}: expected a number in (0, 1]")
        self.neighbours_ = neighbours
        self.neighbour_weight_ = float(neighbour_weight) if neighbours is not None else 0.0
        self.model_ = factors
        self.fallback_ = fallback
        self.train_counts_ = user_counts
        self.fit_seconds_ = float(fit_seconds)

    def set_recent(self, ratings: pd.DataFrame) -> "CFRecommender":
        """Count each film's ratings in the last ``recent_days`` days of ``ratings`` (the recent
        lists' pool; done by ``fit`` on the training ratings). Without timestamps the pool is
        ranked by all-time counts."""
        self.check_fitted()
        self.recent_counts_ = recent_counts(ratings, self.recent_days, self.model_.item_ids)
        return self

    def recent_order(self) -> np.ndarray:
        """Inner film indices, most rated in the recent window first (ties: all-time count, id)."""
        counts = self.fallback_.counts_
        recent = self.recent_counts_ if getattr(self, "recent_counts_", None) is not None else counts
        return np.lexsort((self.model_.item_ids, -counts, -recent))

    @property
    def implicit(self) -> bool:
        """Trained on watch logs: scores are preferences, and a history's events count as
        preference 1 whatever their strength (or empty rating)."""
        return self.algorithm in IMPLICIT_ALGORITHMS

    def _history(self, history: pd.DataFrame) -> pd.DataFrame:
        if self.implicit:
            for column in ("user_id", "movie_id"):
                if column not in history.columns:
                    raise MarqueeError(f"ratings table: missing column(s) {column}")
            return history.assign(rating=1.0)
        return check_ratings(history)

    # ------------------------------------------------------------------ users
    def resolve_users(self, user_ids, history: pd.DataFrame | None = None) -> UserVectors:
        """Bias and factors per user: trained vectors, a fold-in over ``history``, or popularity.

        Without ``history`` the training counts decide. With it, a user with fewer than
        ``min_ratings`` ratings in ``history`` is cold (popularity); a user the model was trained
        on with at least ``min_ratings`` ratings keeps the trained vectors; anyone else (unknown
        at training time, or too cold then) is folded in over all their ratings in ``history``,
        so a person who rates a few films after training gets personal scores at once.
        """
        self.check_fitted()
        user_ids = as_ids(user_ids, "user_id")
        model = self.model_
        inner = model.user_inner(user_ids)
        known = inner >= 0
        trained = np.where(known, self.train_counts_[np.where(known, inner, 0)], 0)
        if history is None:
            totals, groups = trained, {}
        else:
            history = self._history(history)
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
            if used < self.min_ratings:  # rated enough films, but too few the model knows
                cold[row] = True
            else:
                source[row] = FOLD_IN
        source[cold] = POPULARITY
        flag = np.where(source == FOLD_IN, Flag.FOLD_IN, Flag.OK).astype(object)
        flag[cold] = np.where(known[cold] | (totals[cold] > 0), Flag.COLD_START, Flag.UNKNOWN_USER)
        profiles = None
        if self.neighbours_ is not None:  # the neighbourhood term reads each personal user's own ratings
            profiles = [None] * len(user_ids)
            for row in np.flatnonzero(source == SVD):
                profiles[row] = self.neighbours_.trained_profile(user_ids[row])
            for row in np.flatnonzero(source == FOLD_IN):
                rows = groups.get_group(user_ids[row])
                profiles[row] = self.neighbours_.fold_in(rows["movie_id"].to_numpy(), rows["rating"].to_numpy(float))
                if self.algorithm == KNN_BASELINE:  # one b_u for baseline and residuals: the neighbourhood's (λ_u 15)
                    bu[row] = profiles[row].bu
        return UserVectors(user_ids=user_ids, bu=bu, pu=pu, source=source, flag=flag, profiles=profiles)

    def _neighbour_terms(self, vectors: UserVectors, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
        """weight × the neighbourhood residual term of users ``rows`` for every inner film in ``items``
        (users × films); zeros without a neighbourhood or for users without a profile."""
        out = np.zeros((len(rows), len(items)))
        if self.neighbours_ is None or vectors.profiles is None:
            return out
        for n, row in enumerate(rows):
            profile = vectors.profiles[row]
            if profile is not None:
                out[n] = self.neighbour_weight_ * self.neighbours_.residual_term(profile, items)
        return out

    # ------------------------------------------------------------------ scoring
    def predict(self, user_ids, movie_ids, history: pd.DataFrame | None = None) -> np.ndarray:
        """Predicted rating for aligned arrays of raw user and movie ids."""
        return self.predict_flagged(user_ids, movie_ids, history).values

    def predict_flagged(self, user_ids, movie_ids, history: pd.DataFrame | None = None) -> Predictions:
        """Predicted ratings with one flag each (see the module docstring).

        A cold or unknown user is answered by the popularity fallback (flag ``cold_start`` or
        ``unknown_user``); a film the model never saw gets ``unknown_item`` (its score is the
        user's bias only: nothing personal is known about it).
        """
        self.check_fitted()
        user_ids, movie_ids = as_ids(user_ids, "user_id"), as_ids(movie_ids, "movie_id")
        if user_ids.shape != movie_ids.shape:
            raise MarqueeError(f"{len(user_ids)} user ids but {len(movie_ids)} movie ids")
        unique, position = np.unique(user_ids, return_inverse=True)
        vectors = self.resolve_users(unique, history)
        item_inner = self.model_.item_inner(movie_ids)
        bi, qi = self.model_.item_terms(item_inner)
        personal = self.model_.mu + vectors.bu[position] + bi + np.einsum("nk,nk->n", vectors.pu[position], qi)
        if self.neighbours_ is not None and vectors.profiles is not None:
            for row, profile in enumerate(vectors.profiles):
                if profile is not None:
                    pairs = np.flatnonzero(position == row)
                    personal[pairs] += self.neighbour_weight_ * self.neighbours_.residual_term(
                        profile, item_inner[pairs])
        cold = vectors.source[position] == POPULARITY
        values = self.model_.clip(np.where(cold, self.fallback_.predict(movie_ids), personal))
        flags = vectors.flag[position].copy()
        flags[(item_inner < 0) & ~cold] = Flag.UNKNOWN_ITEM
        return Predictions(values, flags)

    def score_matrix(self, vectors: UserVectors, movie_ids) -> np.ndarray:
        """Predicted scores (users × films); films unknown to the model score as the user's mean."""
        model = self.model_
        bi, qi = model.item_terms(model.item_inner(movie_ids))
        scores = model.mu + vectors.bu[:, None] + bi[None, :] + vectors.pu @ qi.T
        scores += self._neighbour_terms(vectors, np.arange(len(vectors.user_ids)), model.item_inner(movie_ids))
        cold = vectors.source == POPULARITY
        if cold.any():
            scores[cold] = self.fallback_.predict(movie_ids)[None, :]
        return model.clip(scores)

    def recommend(self, history: pd.DataFrame, user_ids=None, n: int = 10, batch_size: int = 512) -> pd.DataFrame:
        """Top-``n`` unseen films per user: columns user_id, rank, movie_id, score, source, flag.

        ``history`` is the full ratings table; every film a user has rated there is masked.
        Personal lists rank every film the model knows; cold users get the popularity list.
        """
        self.check_fitted()
        n = integer(n, "n (-n)", 0, 100_000)
        history = self._history(history)
        if user_ids is None:
            user_ids = np.sort(history["user_id"].unique())
        user_ids = as_ids(user_ids, "user_id")
        vectors = self.resolve_users(user_ids, history)
        if self.list_by == "recent":
            return self._recent_lists(vectors, history, n)
        item_ids = self.model_.item_ids
        seen_inner = self.model_.item_inner(history["movie_id"].to_numpy())
        seen_rows = pd.Index(user_ids).get_indexer(history["user_id"].to_numpy())
        frames = []
        personal = np.flatnonzero(vectors.source != POPULARITY)
        for start in range(0, len(personal), batch_size):
            rows = personal[start:start + batch_size]
            scores = self.model_.score_matrix(vectors.bu[rows], vectors.pu[rows])
            scores += self._neighbour_terms(vectors, rows, np.arange(len(item_ids)))
            local = pd.Index(rows).get_indexer(seen_rows)
            mask = (local >= 0) & (seen_inner >= 0)
            scores[local[mask], seen_inner[mask]] = -np.inf
            frames.append(_top_n(user_ids[rows], scores, item_ids, n, vectors.source[rows], vectors.flag[rows],
                                 self.model_))
        seen_by_user = history.groupby("user_id")["movie_id"].agg(set)
        for row in np.flatnonzero(vectors.source == POPULARITY):
            movies, scores = self.fallback_.top_n(n, seen_by_user.get(user_ids[row], set()))
            frames.append(pd.DataFrame({"user_id": user_ids[row], "rank": np.arange(1, len(movies) + 1),
                                        "movie_id": movies, "score": scores, "source": POPULARITY,
                                        "flag": str(vectors.flag[row])}))
        frames = [frame for frame in frames if len(frame)]
        if not frames:
            return pd.DataFrame(columns=RECOMMENDATION_COLUMNS)
        result = pd.concat(frames, ignore_index=True)[list(RECOMMENDATION_COLUMNS)]
        return result.sort_values(["user_id", "rank"], kind="stable").reset_index(drop=True)

    def _recent_lists(self, vectors: UserVectors, history: pd.DataFrame, n: int) -> pd.DataFrame:
        """``list_by="recent"``: per user, the ``max(recent_pool, n)`` films most rated in the
        recent window that the user has not rated, ordered by the user's predicted score (the
        popularity fallback's damped mean for cold users)."""
        order = self.recent_order()
        pool = max(int(self.recent_pool), n)
        seen_by_user = history.groupby("user_id")["movie_id"].agg(set)
        model, frames = self.model_, []
        for row, user in enumerate(vectors.user_ids):
            seen = seen_by_user.get(user, set())
            candidates = []
            for inner in order:
                if int(model.item_ids[inner]) not in seen:
                    candidates.append(inner)
                    if len(candidates) == pool:
                        break
            candidates = np.asarray(candidates, dtype=np.int64)
            if not len(candidates):
                continue
            if vectors.source[row] == POPULARITY:
                scores = self.fallback_.predict(model.item_ids[candidates])
            else:
                scores = model.mu + vectors.bu[row] + model.bi[candidates] + model.qi[candidates] @ vectors.pu[row]
                scores = scores + self._neighbour_terms(vectors, np.array([row]), candidates)[0]
            top = np.lexsort((np.arange(len(candidates)), -scores))[:n]
            frames.append(pd.DataFrame({"user_id": user, "rank": np.arange(1, len(top) + 1),
                                        "movie_id": model.item_ids[candidates[top]], "score": model.clip(scores[top]),
                                        "source": vectors.source[row], "flag": str(vectors.flag[row])}))
        if not frames:
            return pd.DataFrame(columns=RECOMMENDATION_COLUMNS)
        result = pd.concat(frames, ignore_index=True)[list(RECOMMENDATION_COLUMNS)]
        return result.sort_values(["user_id", "rank"], kind="stable").reset_index(drop=True)

    # ------------------------------------------------------------------ persistence (core.models)
    def _learned_arrays(self) -> dict[str, Any]:
        f = self.model_
        arrays = {"mu": np.array([f.mu]), "bu": f.bu, "bi": f.bi, "pu": f.pu, "qi": f.qi,
                  "fallback_sums": self.fallback_.sums_, "fallback_scores": self.fallback_.scores_}
        if self.neighbours_ is not None:
            arrays.update(similarity=self.neighbours_.similarity, neighbour_bu=self.neighbours_.bu,
                          neighbour_bi=self.neighbours_.bi, neighbour_weight=np.array([self.neighbour_weight_]))
        return arrays

    def _save_state(self, folder: Path) -> list[str]:
        save_npz(folder / ARRAYS, self.model_.to_arrays())
        state = {"train_counts": self.train_counts_, "item_sums": self.fallback_.sums_,
                 "item_counts": self.fallback_.counts_, "fit_seconds": np.array([self.fit_seconds_])}
        if getattr(self, "recent_counts_", None) is not None:
            state["recent_counts"] = self.recent_counts_
        save_npz(folder / STATE, state)
        if self.neighbours_ is None:
            return [ARRAYS, STATE]
        save_npz(folder / NEIGHBOUR_ARRAYS, {**self.neighbours_.to_arrays(),
                                             "weight": np.array([self.neighbour_weight_])})
        return [ARRAYS, STATE, NEIGHBOUR_ARRAYS]

    def _load_state(self, folder: Path, record: dict[str, Any]) -> None:
        factors = FactorModel.from_arrays(load_npz(folder / ARRAYS, "recommender factors"))
        state = load_npz(folder / STATE, "recommender state")
        missing = [k for k in ("train_counts", "item_sums", "item_counts", "fit_seconds") if k not in state]
        if missing:
            raise MarqueeError(f"{STATE}: missing {', '.join(missing)}; retrain the recommender")
        neighbours, weight = None, 0.0
        if NEIGHBOUR_ARRAYS in (record.get("files") or {}):
            arrays = load_npz(folder / NEIGHBOUR_ARRAYS, "recommender neighbourhood")
            if "weight" not in arrays:
                raise MarqueeError(f"{NEIGHBOUR_ARRAYS}: missing weight; retrain the recommender")
            neighbours, weight = Neighbourhood.from_arrays(arrays), float(arrays["weight"][0])
        self._install(factors, state["train_counts"], state["item_sums"], state["item_counts"],
                      float(state["fit_seconds"][0]), neighbours, weight)
        recent = state.get("recent_counts")
        if recent is not None:
            recent = np.asarray(recent, dtype=np.int64)
            if recent.shape != factors.item_ids.shape or (recent < 0).any():
                raise MarqueeError(f"{STATE}: recent_counts must be one non-negative count per film; retrain")
        self.recent_counts_ = recent


def blend_parts(members: list[CFRecommender], weights) -> tuple[FactorModel, Neighbourhood | None, float]:
    """A blend's factor model (members' weighted mean, :meth:`FactorModel.blend`) and its
    neighbourhood term: a knn-baseline member's baseline is blended like any factor model and
    its residual term is added with weight w/Σw."""
    weights = [float(w) for w in weights]
    for member in members:
        member.check_fitted()
    factors = FactorModel.blend([m.model_ for m in members], weights)
    with_neighbours = [(m, w) for m, w in zip(members, weights) if m.neighbours_ is not None]
    if len(with_neighbours) > 1:
        raise MarqueeError("members: a blend takes at most one knn-baseline member")
    if not with_neighbours:
        return factors, None, 0.0
    member, weight = with_neighbours[0]
    return factors, member.neighbours_, weight * member.neighbour_weight_ / float(sum(weights))


RECOMMENDATION_COLUMNS = ("user_id", "rank", "movie_id", "score", "source", "flag")


def _top_n(user_ids: np.ndarray, scores: np.ndarray, item_ids: np.ndarray, n: int, source: np.ndarray,
           flag: np.ndarray, model: FactorModel) -> pd.DataFrame:
    """Best ``n`` finite scores per row, in descending order (ties by item position)."""
    n = min(n, scores.shape[1])
    if n == 0:
        return pd.DataFrame(columns=RECOMMENDATION_COLUMNS)
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    top = np.take_along_axis(part, order, axis=1)
    top_scores = np.take_along_axis(scores, top, axis=1)
    frame = pd.DataFrame({"user_id": np.repeat(user_ids, n), "rank": np.tile(np.arange(1, n + 1), len(user_ids)),
                          "movie_id": item_ids[top.ravel()], "score": top_scores.ravel(),
                          "source": np.repeat(source, n), "flag": np.repeat([str(f) for f in flag], n)})
    frame = frame[np.isfinite(frame["score"])]
    frame["score"] = model.clip(frame["score"].to_numpy())
    return frame


def as_ids(values, field: str) -> np.ndarray:
    """Raw ids as int64; fractions, NaN or values beyond int64 are one clear error naming ``field``."""
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        if array.dtype.kind == "u" and array.size and array.max() > INT64_MAX:
            integer(int(array.max()), field)  # raises, naming the value
        return array.astype(np.int64, copy=False).reshape(-1)
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array) | (np.abs(array) >= 2.0 ** 63)
        bad[~bad] = array[~bad] != np.round(array[~bad])
        if bad.any():
            integer(float(array[bad][0]), field)  # raises, naming the value
        return array.astype(np.int64).reshape(-1)
    return np.fromiter((integer(value, field) for value in array.reshape(-1).tolist()), dtype=np.int64, count=array.size)


# Hyper-parameter ranges (checked before training; the CLI names its flags).
PARAMETER_FIELDS = {"n_factors": "n_factors (--factors)", "n_epochs": "n_epochs (--epochs)", "lr_all": "lr_all (--lr)",
                    "reg_all": "reg_all (--reg)", "random_state": "random_state (--seed)"}
INTEGER_RANGES = {"n_factors": (1, 10_000), "k": (1, 100_000), "min_k": (1, 100_000), "max_neighbours": (1, 1_000_000), "n_epochs": (1, 100_000), "n_bags": (1, 100), "thin": (1, 10_000),
                  "random_state": (0, 2 ** 32 - 1), "recent_pool": (1, 100_000), "min_ratings": (1, 1_000_000),
                  "fallback_min_votes": (0, 1_000_000_000)}
NUMBER_RANGES = {"lr_all": (0.0, 10.0, True), "reg_all": (0.0, 1e6, False), "reg_bias": (0.0, 1e6, False),
                 "init_std_dev": (0.0, 1e3, False), "reg_yj": (0.0, 1e6, False), "noise_sd": (1e-3, 1e3, False), "user_noise_prior": (0.0, 1e9, True), "alpha": (0.0, 1e6, False), "shrinkage": (0.0, 1e9, False), "recent_days": (0.0, 1e6, True), "fallback_damping": (0.0, 1e9, False),
                 "fold_in_reg": (0.0, 1e6, False), "fold_in_prior": (0.0, 1e9, False), "side_prior": (0.0, 1e9, True)}
