"""Evaluation of recommenders: model comparison (k-fold RMSE/MAE/R² with fit times) and held-out
reports (random or temporal split) with ranking and beyond-accuracy metrics (the metric
functions themselves are in :mod:`core.metrics`).

Every model in the table goes through one adapter shape — ``fit(ratings)`` and
``predict(user_ids, movie_ids)`` — over the same seeded folds, so the numbers are comparable.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
import pandas as pd

from core import metrics
from core.cf.data import build_trainset, check_ratings, genre_table, recent_counts
from core.cf.fallback import PopularityFallback
from core.cf.params import BAYES_PARAMS, CHAMPION_PARAMS, SVD_TUNED_PARAMS
from core.cf.recommender import CFRecommender
from core.errors import MarqueeError
from core.progress import ProgressFn, null_progress
from core.splitting import split_by_time, time_quantile_cutoff

class SurpriseModel:
    """Adapter around any Surprise algorithm: ``fit(ratings)``, vectorised-looking ``predict``."""

    def __init__(self, factory: Callable[[], Any]):
        self.factory = factory

    def fit(self, ratings: pd.DataFrame) -> "SurpriseModel":
        self.algo_ = self.factory().fit(build_trainset(check_ratings(ratings)))
        return self

    def predict(self, user_ids, movie_ids) -> np.ndarray:
        return np.array([self.algo_.predict(int(u), int(i)).est for u, i in zip(user_ids, movie_ids)])


class PopularityModel:
    """The cold-start fallback scored as a rating predictor (the floor every model must beat)."""

    def __init__(self, **params):
        self.params = params

    def fit(self, ratings: pd.DataFrame) -> "PopularityModel":
        self.fallback_ = PopularityFallback(**self.params).fit(ratings)
        return self

    def predict(self, user_ids, movie_ids) -> np.ndarray:
        return self.fallback_.predict(movie_ids)


def _surprise(name: str, **params) -> Callable[[], SurpriseModel]:
    def build() -> SurpriseModel:
        import surprise

        algorithm = getattr(surprise, name)
        extra = {"verbose": False} if name.startswith(("KNN", "Baseline")) else {}
        return SurpriseModel(lambda: algorithm(**params, **extra))
    return build


MODELS: dict[str, tuple[str, Callable[[], Any]]] = {
    "popularity": ("damped item mean (cold-start fallback)", lambda: PopularityModel()),
    "baseline_only": ("Surprise BaselineOnly (ALS biases)", _surprise("BaselineOnly")),
    "knn_baseline": ("Surprise KNNBaseline, item-based pearson_baseline, k=40",
                     _surprise("KNNBaseline", k=40, sim_options={"name": "pearson_baseline", "user_based": False})),
    "svd": ("Surprise SVD, default parameters", _surprise("SVD", random_state=0)),
    "svd_single": ("Marquee CFRecommender, tuned SVD with one seed",
                   lambda: CFRecommender(**{**SVD_TUNED_PARAMS, "n_bags": 1})),
    "svd_tuned": ("Marquee CFRecommender, tuned SVD averaged over 5 seeds (the previous champion)",
                  lambda: CFRecommender(**SVD_TUNED_PARAMS)),
    "bayes_mf": ("Marquee CFRecommender, Bayesian MF by Gibbs sampling (10 factors, 80 samples)",
                 lambda: CFRecommender(**BAYES_PARAMS)),
    "champion": ("Marquee CFRecommender, champion configuration", lambda: CFRecommender(**CHAMPION_PARAMS)),
    "svdpp": ("Surprise SVD++, default parameters (slow)", _surprise("SVDpp", random_state=0)),
}
DEFAULT_MODELS = ("popularity", "baseline_only", "knn_baseline", "svd", "svd_tuned", "champion")


def make_model(name: str):
    if name not in MODELS:
        raise MarqueeError(f"unknown model {name!r}: choose from {', '.join(MODELS)}")
    return MODELS[name][1]()


def kfold_indices(n_rows: int, folds: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded random k-fold partition of row positions: [(train, test), ...]."""
    if folds < 2 or folds > n_rows:
        raise MarqueeError(f"folds must be between 2 and the number of ratings ({n_rows}), got {folds}")
    order = np.random.default_rng(seed).permutation(n_rows)
    parts = np.array_split(order, folds)
    return [(np.sort(np.concatenate(parts[:k] + parts[k + 1:])), np.sort(parts[k])) for k in range(folds)]


def compare_models(ratings: pd.DataFrame, models=DEFAULT_MODELS, folds: int = 5, seed: int = 0,
                   progress: ProgressFn | None = None, factories: dict[str, Callable[[], Any]] | None = None,
                   films: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Mean and standard deviation of RMSE, MAE and R² over the same ``folds`` for each model,
    with mean fit and predict seconds per fold. ``factories`` adds or overrides named models;
    ``films`` (the catalog's films table) reaches the Marquee models' fit (side information)."""
    progress = progress or null_progress
    ratings = check_ratings(ratings).reset_index(drop=True)
    factories = {**{name: MODELS[name][1] for name in MODELS}, **(factories or {})}
    unknown = [m for m in models if m not in factories]
    if unknown:
        raise MarqueeError(f"unknown model(s) {', '.join(unknown)}: choose from {', '.join(factories)}")
    splits = kfold_indices(len(ratings), folds, seed)
    scores = {name: [] for name in models}
    total, done = len(models) * folds, 0
    for fold, (train_idx, test_idx) in enumerate(splits):
        train, test = ratings.iloc[train_idx], ratings.iloc[test_idx]
        for name in models:
            started = time.perf_counter()
            model = _fit(factories[name](), train, films)
            fitted = time.perf_counter()
            predicted = model.predict(test["user_id"].to_numpy(), test["movie_id"].to_numpy())
            finished = time.perf_counter()
            scores[name].append({**metrics.accuracy(test["rating"].to_numpy(), predicted),
                                 "fit_seconds": fitted - started, "predict_seconds": finished - fitted})
            done += 1
            progress(done, total, f"fold {fold + 1}/{folds} {name}: RMSE {scores[name][-1]['rmse']:.4f}")
    return [fold_summary(name, MODELS[name][0] if name in MODELS else name, scores[name]) for name in models]


def fold_summary(name: str, description: str, fold_scores: list[dict[str, float]]) -> dict[str, Any]:
    """One model's row of a fold comparison: mean and spread of RMSE, MAE and R², mean fit and
    predict seconds, and RMSE per fold, from its per-fold scores."""
    frame = pd.DataFrame(fold_scores)
    row: dict[str, Any] = {"model": name, "description": description, "folds": len(frame)}
    for metric in ("rmse", "mae", "r2"):
        row[metric] = float(frame[metric].mean())
        row[f"{metric}_std"] = float(frame[metric].std(ddof=0))
    row["fit_seconds"] = float(frame["fit_seconds"].mean())
    row["predict_seconds"] = float(frame["predict_seconds"].mean())
    row["rmse_per_fold"] = [float(x) for x in frame["rmse"]]
    return row


def fit_blend_weights(predictions: dict[str, np.ndarray], ratings) -> dict[str, float]:
    """Blend weights from validation predictions: least squares of ``ratings`` on the members'
    predictions with every weight ≥ 0 and the weights summing to 1 (a blend is a weighted mean,
    :meth:`FactorModel.blend`). Fit them on ratings no reported score is measured on."""
    from scipy.optimize import nnls

    names = list(predictions)
    if not names:
        raise MarqueeError("blend weights: no member predictions")
    X = np.column_stack([np.asarray(predictions[n], dtype=float) for n in names])
    y = np.asarray(ratings, dtype=float)
    if X.shape[0] != len(y) or not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise MarqueeError("blend weights: predictions and ratings must be finite and aligned")
    penalty = 1e3 * np.sqrt(len(y))  # the sum-to-one constraint as a heavily weighted extra row
    weights, _ = nnls(np.vstack([X, np.full((1, len(names)), penalty)]), np.r_[y, penalty])
    weights = weights / weights.sum()
    return {name: float(w) for name, w in zip(names, weights)}


def split_ratings(ratings: pd.DataFrame, split: str = "temporal", test_fraction: float = 0.2,
                  seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train/test ratings: ``temporal`` keeps the latest ``test_fraction`` of ratings as test
    (core.splitting), ``random`` draws them with a seeded permutation."""
    if split == "temporal":
        if ratings["timestamp"].isna().all():
            raise MarqueeError("ratings.timestamp: no timestamps, so a temporal split is impossible; use --split random")
        return split_by_time(ratings, time_quantile_cutoff(ratings, 1.0 - test_fraction))
    if split == "random":
        order = np.random.default_rng(seed).permutation(len(ratings))
        cut = int(round(len(ratings) * (1.0 - test_fraction)))
        return ratings.iloc[np.sort(order[:cut])], ratings.iloc[np.sort(order[cut:])]
    raise MarqueeError(f"unknown split {split!r}: use temporal or random")


def _fit(estimator, train: pd.DataFrame, movies: pd.DataFrame | None):
    """Fit ``estimator`` on ``train``; a CFRecommender also gets the films table (side information)."""
    return estimator.fit(train, films=movies) if isinstance(estimator, CFRecommender) else estimator.fit(train)


def holdout_report(ratings: pd.DataFrame, movies: pd.DataFrame, estimator: CFRecommender | None = None,
                   split: str = "temporal", test_fraction: float = 0.2, k: int = 10,
                   relevance: float | None = None, seed: int = 0) -> dict[str, Any]:
    """Fit on the training part of a split and report rating accuracy (global and per genre),
    ranking metrics against the test films each user rated at least ``relevance`` (default 80% of
    the rating scale's top), catalog coverage, genre diversity and personalization of top-``k``."""
    estimator = estimator if estimator is not None else CFRecommender(**CHAMPION_PARAMS)
    train, test = split_ratings(ratings, split, test_fraction, seed)
    if train.empty or test.empty:
        raise MarqueeError(f"ratings: the {split} split left an empty train or test part")
    _fit(estimator, train, movies)
    predictions = estimator.predict(test["user_id"].to_numpy(), test["movie_id"].to_numpy(), history=train)
    scored = test.assign(prediction=predictions)
    accuracy = metrics.segment_metrics(scored, genre_table(movies))
    relevance = relevance if relevance is not None else 0.8 * float(ratings["rating"].max())
    relevant = test[test["rating"] >= relevance].groupby("user_id")["movie_id"].agg(set).to_dict()
    recs = estimator.recommend(train, user_ids=np.sort(test["user_id"].unique()), n=k)
    lists = recs.groupby("user_id")["movie_id"].agg(list).to_dict()
    return {
        "split": split, "train_ratings": int(len(train)), "test_ratings": int(len(test)),
        "accuracy": accuracy["global"], "segments": accuracy["segments"], "k": k, "relevance": relevance,
        "users_ranked": int(sum(1 for r in relevant.values() if r)),
        f"precision@{k}": metrics.precision_at_k(lists, relevant, k),
        f"recall@{k}": metrics.recall_at_k(lists, relevant, k),
        f"ndcg@{k}": metrics.ndcg_at_k(lists, relevant, k),
        **beyond_accuracy(lists, movies),
        "sources": recs.drop_duplicates("user_id")["source"].value_counts().to_dict(),
    }


def beyond_accuracy(lists: dict, movies: pd.DataFrame) -> dict[str, float]:
    """Coverage over the catalog's films, genre diversity and personalization of the lists."""
    return {"coverage": metrics.catalog_coverage(lists, len(movies)),
            "diversity": metrics.diversity(lists, genre_vectors(movies)),
            "personalization": metrics.personalization(lists)}


def genre_vectors(movies, genre_column: str = "genres") -> dict[int, np.ndarray]:
    """Multi-hot genre vector per film id (films without genres get none)."""
    vocabulary = sorted({g for genres in movies[genre_column] if genres is not None for g in genres})
    index = {g: i for i, g in enumerate(vocabulary)}
    vectors = {}
    for movie_id, genres in zip(movies["movie_id"], movies[genre_column]):
        if genres is None or len(genres) == 0:
            continue
        vector = np.zeros(len(vocabulary))
        vector[[index[g] for g in genres]] = 1.0
        vectors[int(movie_id)] = vector
    return vectors


POPULARITY_LISTS = ("most-rated", "best-rated")


def popularity_lists(train: pd.DataFrame, user_ids, k: int, by: str = "most-rated",
                     recent_days: float = 14.0) -> dict[int, list[int]]:
    """The same non-personal list for everyone, minus the films each user rated in ``train``:
    ``most-rated`` (most training ratings first), ``best-rated`` (the cold-start fallback's
    damped mean, films with at least its minimum votes) or ``recent-most-rated`` (most ratings in
    the last ``recent_days`` days of ``train``, ties by all-time count)."""
    if by not in POPULARITY_LISTS + ("recent-most-rated",):
        raise MarqueeError(f"unknown popularity list {by!r}: use {', '.join(POPULARITY_LISTS)} or recent-most-rated")
    if by == "recent-most-rated":
        counts = train.groupby("movie_id").size()
        ids = counts.index.to_numpy()
        recent = recent_counts(train, recent_days, ids)
        if recent is None:
            raise MarqueeError("recent-most-rated: the training ratings carry no timestamp")
        ranking = ids[np.lexsort((ids, -counts.to_numpy(), -recent))]
    elif by == "most-rated":
        counts = train.groupby("movie_id").size()
        ranking = counts.index.to_numpy()[np.lexsort((counts.index.to_numpy(), -counts.to_numpy()))]
    else:
        fallback = PopularityFallback(rank_by="mean").fit(train)
        ranking = fallback.movie_ids_[fallback.ranking_]
    seen = train.groupby("user_id")["movie_id"].agg(set)
    lists = {}
    for user in user_ids:
        skip = seen.get(user, set())
        picked = []
        for movie in ranking:
            if movie not in skip:
                picked.append(int(movie))
                if len(picked) == k:
                    break
        lists[int(user)] = picked
    return lists


def ranking_comparison(ratings: pd.DataFrame, movies: pd.DataFrame, estimators: dict[str, Any],
                       split: str = "temporal", test_fraction: float = 0.2, k: int = 10,
                       relevance: float | None = None, seed: int = 0,
                       progress: ProgressFn | None = None, recent_days: float | list[float] | None = None,
                       per_user: bool = False) -> dict[str, Any]:
    """Top-``k`` lists of every estimator (fitted here on the training part of one split, lists
    from :meth:`CFRecommender.recommend`, the serving code) and of the two popularity lists, all
    scored on the same test users: precision/recall/NDCG@k against the test films each user rated
    at least ``relevance`` (default 80 % of the scale's top), catalog coverage, genre diversity and
    personalization. Users are the test users with at least one relevant test film. With
    ``recent_days`` (one window or several) the recent-most-rated list of each window is scored
    too. With ``per_user`` the result also holds every list's NDCG@k per ranked user
    (``per_user_ndcg``: name -> user -> value, for intervals by resampling users)."""
    progress = progress or null_progress
    ratings = check_ratings(ratings)
    train, test = split_ratings(ratings, split, test_fraction, seed)
    if train.empty or test.empty:
        raise MarqueeError(f"ratings: the {split} split left an empty train or test part")
    relevance = relevance if relevance is not None else 0.8 * float(ratings["rating"].max())
    relevant = test[test["rating"] >= relevance].groupby("user_id")["movie_id"].agg(set).to_dict()
    users = np.sort(np.fromiter(relevant, dtype=np.int64))
    known = set(train["user_id"].unique())
    rows, per_user_ndcg = {}, {}

    returning = {u: r for u, r in relevant.items() if u in known}

    def score(name: str, lists: dict, extra: dict) -> None:
        if per_user:
            per_user_ndcg[name] = {int(u): metrics.ndcg_at_k({u: lists.get(u, [])}, {u: rel}, k)
                                   for u, rel in relevant.items()}
        rows[name] = {f"precision@{k}": metrics.precision_at_k(lists, relevant, k),
                      f"recall@{k}": metrics.recall_at_k(lists, relevant, k),
                      f"ndcg@{k}": metrics.ndcg_at_k(lists, relevant, k), **beyond_accuracy(lists, movies),
                      # users who rated films before the cut: the only ones a personal list can serve
                      f"returning_precision@{k}": metrics.precision_at_k(lists, returning, k),
                      f"returning_ndcg@{k}": metrics.ndcg_at_k(lists, returning, k), **extra}

    for name in POPULARITY_LISTS:
        score(name, popularity_lists(train, users, k, name), {"fit_seconds": 0.0})
    for days in ([] if recent_days is None else np.atleast_1d(recent_days).tolist()):
        score(f"recent-most-rated-{days:g}d", popularity_lists(train, users, k, "recent-most-rated", days),
              {"fit_seconds": 0.0})
    total = len(estimators)
    for number, (name, estimator) in enumerate(estimators.items()):
        progress(number, total, f"fitting {name} on {len(train):,} ratings")
        started = time.perf_counter()
        _fit(estimator, train, movies)
        fitted = time.perf_counter() - started
        recs = estimator.recommend(train, user_ids=users, n=k)
        lists = recs.groupby("user_id")["movie_id"].agg(list).to_dict()
        test_rmse = None
        if not getattr(estimator, "implicit", False):  # preferences are not ratings
            predicted = estimator.predict(test["user_id"].to_numpy(), test["movie_id"].to_numpy(), history=train)
            test_rmse = metrics.rmse(test["rating"].to_numpy(), predicted)
        score(name, lists, {"fit_seconds": fitted, "test_rmse": test_rmse,
                            "sources": recs.drop_duplicates("user_id")["source"].value_counts().to_dict()})
    progress(total, total, "ranked")
    result = {"split": split, "test_fraction": test_fraction, "k": k, "relevance": relevance,
              "train_ratings": int(len(train)), "test_ratings": int(len(test)), "users_ranked": int(len(users)),
              "users_unknown_in_train": int(sum(1 for u in users if u not in known)),
              "users_returning": int(len(returning)), "models": rows}
    if per_user:
        result["per_user_ndcg"] = per_user_ndcg
    return result
