"""The catalog's deployed recommender: train it, record it in the artifact store
(``Slot("cf", catalog)``), promote it, and load the champion back for serving.

A version's drift baseline (global and per-genre accuracy with standard errors, in its manifest
under ``baseline``) is measured on a temporal holdout — fit on the earlier ratings, score the
latest ``holdout_fraction`` — before the model is refit on all ratings. Its headline metrics
(holdout RMSE, MAE, R²) are the version's ``metrics`` in the registry; a model whose parameters
or metrics are not finite is never saved or promoted.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.artifacts import ArtifactStore, Slot, Version, default_store
from core.cf.data import genre_table
from core.cf.evaluation import split_ratings
from core.cf.params import BAYES_PARAMS, CHAMPION_PARAMS, IMPLICIT_PARAMS, KNN_PARAMS, SVD_TUNED_PARAMS, SVDPP_PARAMS
from core.cf.recommender import BAYES_MF, BLEND, IMPLICIT_ALS, KNN_BASELINE, SVD, SVDPP, CFRecommender
from core.errors import MarqueeError
from core.metrics import segment_metrics
from core.progress import ProgressFn, null_progress

KIND = "cf"
HEADLINE = ("rmse", "mae", "r2", "count")


def cf_slot(catalog_name: str) -> Slot:
    return Slot(KIND, catalog_name)


BASE_PARAMS = {SVD: SVD_TUNED_PARAMS, SVDPP: SVDPP_PARAMS, BAYES_MF: BAYES_PARAMS, BLEND: CHAMPION_PARAMS,
               IMPLICIT_ALS: IMPLICIT_PARAMS, KNN_BASELINE: KNN_PARAMS}


def champion_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The configuration ``cf train`` fits: the champion's when only a seed is given; otherwise
    the named ``algorithm``'s tuned configuration (tuned SVD by default) with ``params`` on top,
    so ``--factors 10`` means a 10-factor SVD, not a blend whose members ignore it."""
    params = dict(params or {})
    if set(params) <= {"random_state"}:
        return {**CHAMPION_PARAMS, **params}
    algorithm = params.get("algorithm", SVD)
    if algorithm not in BASE_PARAMS:
        raise MarqueeError(f"algorithm {algorithm!r}: choose from {', '.join(BASE_PARAMS)}")
    return {**BASE_PARAMS[algorithm], **params}


def holdout_baseline(ratings: pd.DataFrame, movies: pd.DataFrame, params: dict[str, Any],
                     holdout_fraction: float = 0.2, k: int = 10) -> dict:
    """Global and per-genre accuracy of ``params`` fitted on the earlier ratings, scored on the
    latest, plus the quality of its top-``k`` lists there (``ranking``, next to the most-rated list)."""
    train, test = split_ratings(ratings, "temporal", holdout_fraction)
    if train.empty or test.empty:
        raise MarqueeError("ratings: the temporal holdout left no training or no test ratings")
    model = CFRecommender(**params).fit(train, films=movies)
    ranking = list_quality(model, train, test, float(ratings["rating"].max()), k)
    if model.implicit:
        test = preference_pairs(ratings, test)
    predicted = model.predict(test["user_id"].to_numpy(), test["movie_id"].to_numpy(), history=train)
    baseline = segment_metrics(test.assign(prediction=predicted), genre_table(movies))
    if ranking is not None:
        baseline["ranking"] = ranking
    return baseline


def list_quality(model: CFRecommender, train: pd.DataFrame, test: pd.DataFrame, top_rating: float,
                 k: int = 10) -> dict[str, float] | None:
    """NDCG@k and precision@k of the model's lists (``recommend``, what ``cf recommend`` serves)
    for the test users with a film rated ≥ 80 % of ``top_rating`` (any later watch for a watch
    log), and of the most-rated list for the same users; None when no user qualifies."""
    from core import metrics
    from core.cf.evaluation import popularity_lists

    liked = test if model.implicit else test[test["rating"] >= 0.8 * top_rating]
    relevant = liked.groupby("user_id")["movie_id"].agg(set).to_dict()
    if not relevant:
        return None
    users = np.sort(np.fromiter(relevant, dtype=np.int64))
    lists = model.recommend(train, user_ids=users, n=k).groupby("user_id")["movie_id"].agg(list).to_dict()
    popular = popularity_lists(train.assign(rating=1.0) if model.implicit else train, users, k, "most-rated")
    return {f"ndcg@{k}": metrics.ndcg_at_k(lists, relevant, k), f"precision@{k}": metrics.precision_at_k(lists, relevant, k),
            f"most_rated_ndcg@{k}": metrics.ndcg_at_k(popular, relevant, k), "users": int(len(users)), "k": k,
            "list_by": model.list_by}


def preference_pairs(ratings: pd.DataFrame, test: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A watch log's holdout as preferences: every later watch is 1, and as many (user, film)
    pairs the user never watched, drawn with a fixed seed among the films, are 0 (so RMSE and R²
    of an implicit model's scores are defined)."""
    rng = np.random.default_rng(seed)
    films = np.sort(ratings["movie_id"].unique())
    watched = set(zip(ratings["user_id"].to_numpy().tolist(), ratings["movie_id"].to_numpy().tolist()))
    users = test["user_id"].to_numpy()
    negatives = []
    for user in users.tolist():
        for _ in range(20):
            film = int(films[rng.integers(len(films))])
            if (user, film) not in watched:
                negatives.append((user, film))
                break
    zeros = pd.DataFrame(negatives, columns=["user_id", "movie_id"]).assign(rating=0.0)
    return pd.concat([test[["user_id", "movie_id"]].assign(rating=1.0), zeros], ignore_index=True)


def headline(baseline: dict) -> dict[str, float]:
    """The registry's metrics of a version: holdout RMSE, MAE, R², rating count and, when
    measured, the holdout NDCG of its lists and of the most-rated list."""
    metrics = {f"holdout_{name}": baseline["global"][name] for name in HEADLINE}
    ranking = baseline.get("ranking") or {}
    for name, value in ranking.items():
        if name.startswith(("ndcg@", "most_rated_ndcg@")):
            metrics[f"holdout_{name}"] = float(value)
    return metrics


def train_champion(catalog, params: dict[str, Any] | None = None, promote: bool = True,
                   holdout_fraction: float = 0.2, store: ArtifactStore | None = None,
                   progress: ProgressFn | None = None) -> dict[str, Any]:
    """Train on ``catalog`` (a loaded :class:`~core.catalog.Catalog`), save a new version, promote
    it unless ``promote`` is false, and log the decision. Returns a JSON-able summary."""
    progress = progress or null_progress
    store = store or default_store()
    ratings = catalog.ratings
    if len(ratings) < 50 or ratings["user_id"].nunique() < 5:
        raise MarqueeError(f"catalog {catalog.name!r} has {len(ratings)} ratings: too few to train a recommender "
                           f"(import MovieLens ratings or merge a catalog that has them)")
    params = champion_params(params)
    CFRecommender(**params).check_params()  # bad input fails before minutes of training
    progress(0, 2, "measuring the baseline on a temporal holdout")
    baseline = holdout_baseline(ratings, catalog.movies, params, holdout_fraction)
    progress(1, 2, f"training on all {len(ratings):,} ratings")
    model = CFRecommender(**params).fit(ratings, films=catalog.movies)
    model.metrics_ = headline(baseline)
    model.data_checksum_ = catalog.data_checksum
    slot = cf_slot(catalog.name)
    previous = store.champion(slot)
    version = store.save(slot, model, data_checksum=catalog.data_checksum, metrics=model.metrics_,
                         note="python -m core cf train", baseline=baseline,
                         trained_on={"catalog_ratings": int(len(ratings))}, fit_seconds=model.fit_seconds_)
    holdout = baseline["global"]
    if promote:
        store.promote(slot, version.name)
        ranking, lists = baseline.get("ranking"), ""
        if ranking:
            k = ranking["k"]
            lists = (f", top-{k} lists NDCG@{k} {ranking[f'ndcg@{k}']:.3f} vs most-rated "
                     f"{ranking[f'most_rated_ndcg@{k}']:.3f}")
        reasons = [f"trained on request on {len(ratings):,} ratings; holdout R² {holdout['r2']:.3f}, "
                   f"RMSE {holdout['rmse']:.3f}{lists}" + (f"; replaces {previous.name}" if previous else "")]
    else:
        reasons = ["registered without promotion (--no-promote)"]
    store.log_decision(slot, {"round": None, "champion": previous.name if previous else None,
                              "challenger": version.name, "promoted": promote, "reasons": reasons, "drift": None})
    progress(2, 2, f"registered {version.name}")
    champion = store.champion(slot)
    return {"catalog": catalog.name, "version": version.name, "champion": champion.name if champion else None,
            "artifact": str(version.path), "params": params, "fit_seconds": model.fit_seconds_,
            "holdout": holdout, "ranking": baseline.get("ranking"), "ratings": int(len(ratings)), "reasons": reasons}


def load_champion(catalog, version: str | None = None,
                  store: ArtifactStore | None = None) -> tuple[CFRecommender, Version]:
    """The catalog's champion (or ``version``), refused when built from another catalog version."""
    store = store or default_store()
    fix = f"run `python -m core cf train --catalog {catalog.name}`"
    return store.load(CFRecommender, cf_slot(catalog.name), version, data_checksum=catalog.data_checksum, fix=fix)
