"""One entry per trained model class: how to build, fit and query it for the shared contract.

A new model adds a :class:`ModelCase` here; ``test_every_model_class_has_a_case`` fails until it
does. ``fit`` and the predict functions receive pytest's ``request`` so a case can use session
fixtures (the demo catalog, say) without the contract knowing about them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from core.models import Flag, Model, Predictions

# Every core module that defines Model subclasses; the coverage test imports them all.
MODEL_MODULES = (
    "core.cf.fallback",
    "core.cf.recommender",
    "core.casting.heads",
    "core.casting.model",
    "core.personal.model",
    "core.personal.shared",
    "core.search.learned",
)


@dataclass
class ModelCase:
    name: str
    model_class: type[Model]
    make: Callable[[], Model]
    fit: Callable[[Model, Any], Any]                 # (unfitted model, request) -> what fit returns
    predict: Callable[[Model, Any], Predictions]     # known users/films
    predict_unknown: Callable[[Model, Any], Predictions]  # includes users/films the model never saw
    unknown_flags: set[Flag] = field(default_factory=set)  # flags the unknown inputs must carry


def small_ratings(seed: int = 0, users: int = 30, films: int = 40, per_user: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(1, users + 1):
        for film in rng.choice(films, size=per_user, replace=False):
            rows.append((user, int(film) + 100, float(rng.integers(1, 6)), 1_000_000 + len(rows)))
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])


RATINGS = small_ratings()
KNOWN_FILMS = np.sort(RATINGS["movie_id"].unique())[:10]
KNOWN_USERS = np.sort(RATINGS["user_id"].unique())[:10]
FILMS = pd.DataFrame({"movie_id": np.arange(100, 140), "genres": [["A"] if f % 3 else ["B", "C"] for f in range(40)],
                      "year": 1980 + np.arange(40)})  # the films of RATINGS (side information)


def _cf():
    from core.cf import CFRecommender

    return CFRecommender(n_factors=4, n_epochs=5, min_ratings=3, random_state=1)


def _cf_bayes():
    from core.cf import CFRecommender

    return CFRecommender(algorithm="bayes-mf", n_factors=3, n_epochs=12, burn_in=4, min_ratings=3, random_state=1)


def _cf_blend():
    from core.cf import CFRecommender

    return CFRecommender(algorithm="blend", min_ratings=3, random_state=1, members=[
        {"algorithm": "bayes-mf", "n_factors": 3, "n_epochs": 12, "burn_in": 4, "weight": 0.6},
        {"algorithm": "svd", "n_factors": 4, "n_epochs": 5, "n_bags": 2, "weight": 0.4}])


def _cf_blend_side():
    from core.cf import CFRecommender

    return CFRecommender(algorithm="blend", min_ratings=3, random_state=1, members=[
        {"algorithm": "bayes-mf", "n_factors": 3, "n_epochs": 12, "burn_in": 4, "noise_sd": 0.9,
         "user_noise_prior": 10.0, "side_info": ["genres", "year"], "weight": 0.8},
        {"algorithm": "knn-baseline", "k": 10, "weight": 0.2}])


def _cf_knn():
    from core.cf import CFRecommender

    return CFRecommender(algorithm="knn-baseline", k=10, min_ratings=3)


def _cf_blend_knn():
    from core.cf import CFRecommender

    return CFRecommender(algorithm="blend", min_ratings=3, random_state=1, members=[
        {"algorithm": "svd", "n_factors": 4, "n_epochs": 5, "weight": 0.7},
        {"algorithm": "knn-baseline", "k": 10, "weight": 0.3}])


def _cf_case(name: str, make, films: pd.DataFrame | None = None) -> ModelCase:
    return ModelCase(
        name=name,
        model_class=__import__("core.cf.recommender", fromlist=["CFRecommender"]).CFRecommender,
        make=make,
        fit=lambda model, request: model.fit(RATINGS, films=films),
        predict=lambda model, request: model.predict_flagged(KNOWN_USERS, KNOWN_FILMS),
        predict_unknown=lambda model, request: model.predict_flagged(
            np.array([999_999, KNOWN_USERS[0], KNOWN_USERS[1]]), np.array([KNOWN_FILMS[0], 999_999, KNOWN_FILMS[1]])),
        unknown_flags={Flag.UNKNOWN_USER, Flag.UNKNOWN_ITEM},
    )


CASES: list[ModelCase] = [
    ModelCase(
        name="cf-popularity",
        model_class=__import__("core.cf.fallback", fromlist=["PopularityFallback"]).PopularityFallback,
        make=lambda: __import__("core.cf.fallback", fromlist=["x"]).PopularityFallback(min_votes=2, damping=5.0),
        fit=lambda model, request: model.fit(RATINGS),
        predict=lambda model, request: model.predict_flagged(KNOWN_FILMS),
        predict_unknown=lambda model, request: model.predict_flagged(np.array([999_999, KNOWN_FILMS[0]])),
        unknown_flags={Flag.UNKNOWN_ITEM},
    ),
    ModelCase(
        name="cf",
        model_class=__import__("core.cf.recommender", fromlist=["CFRecommender"]).CFRecommender,
        make=_cf,
        fit=lambda model, request: model.fit(RATINGS),
        predict=lambda model, request: model.predict_flagged(KNOWN_USERS, KNOWN_FILMS),
        predict_unknown=lambda model, request: model.predict_flagged(
            np.array([999_999, KNOWN_USERS[0], KNOWN_USERS[1]]), np.array([KNOWN_FILMS[0], 999_999, KNOWN_FILMS[1]])),
        unknown_flags={Flag.UNKNOWN_USER, Flag.UNKNOWN_ITEM},
    ),
    _cf_case("cf-bayes-mf", _cf_bayes),
    _cf_case("cf-blend", _cf_blend),
    _cf_case("cf-knn", _cf_knn),
    _cf_case("cf-blend-knn", _cf_blend_knn),
    _cf_case("cf-blend-side-info", _cf_blend_side, films=FILMS),
]


# ---------------------------------------------------------------- casting
def _casting_rows(seed: int = 0, years: range = range(2000, 2008), per_year: int = 120) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Feature rows shaped like the casting contract: a label driven by the actor's track record."""
    from core.casting.features import BASE_FEATURES

    rng = np.random.default_rng(seed)
    n = len(years) * per_year
    X = pd.DataFrame(rng.uniform(0, 1, size=(n, len(BASE_FEATURES))), columns=BASE_FEATURES)
    X["actor_roles_prior"] = rng.integers(1, 20, n).astype(float)
    y = (X["atr3"] + 0.3 * rng.normal(size=n) > 0.5).astype(int).to_numpy()
    return X, y, np.repeat(np.array(list(years)), per_year)


CASTING_X, CASTING_Y, CASTING_YEARS = _casting_rows()
COLD_ACTOR = CASTING_X.head(3).assign(actor_roles_prior=[0.0, 4.0, 0.0])
DIRECTOR_FRAME = pd.DataFrame({"dtr3": CASTING_X["atr3"], "director_films_prior": CASTING_X["actor_roles_prior"],
                               "budget_decile": np.floor(CASTING_X["bfd"] * 10)})
NEW_DIRECTOR = DIRECTOR_FRAME.head(2).assign(director_films_prior=[0.0, 3.0])


def _demo_brief_rows(model, request):
    """Contract-ordered feature rows of the demo catalog, built by the model's own featurizer."""
    from core.casting import bind

    trained = bind(model, request.getfixturevalue("demo_catalog"))
    X = trained.featurizer.transform(trained.data, trained.hist)
    return X.iloc[::400].reset_index(drop=True)


def _casting_model_case() -> ModelCase:
    from core.casting.model import CastingModel

    return ModelCase(
        name="casting",
        model_class=CastingModel,
        make=lambda: CastingModel(candidates=("hgb",)),
        fit=lambda model, request: model.fit(request.getfixturevalue("demo_catalog")),
        predict=lambda model, request: model.predict_flagged(
            _demo_brief_rows(model, request).query("actor_roles_prior > 0")),
        predict_unknown=lambda model, request: model.predict_flagged(
            _demo_brief_rows(model, request).assign(actor_roles_prior=0.0)),
        unknown_flags={Flag.COLD_START},
    )


def _casting_head_cases() -> list[ModelCase]:
    from core.casting.heads import ActorHead, DirectorHead

    return [
        ModelCase(
            name="casting-actor-head",
            model_class=ActorHead,
            make=lambda: ActorHead(candidates=("hgb", "rf"), calib_years=2),
            fit=lambda model, request: model.fit(CASTING_X, CASTING_Y, CASTING_YEARS),
            predict=lambda model, request: model.predict_flagged(CASTING_X.head(50)),
            predict_unknown=lambda model, request: model.predict_flagged(COLD_ACTOR),
            unknown_flags={Flag.COLD_START},
        ),
        ModelCase(
            name="casting-director-head",
            model_class=DirectorHead,
            make=lambda: DirectorHead(C=0.5),
            fit=lambda model, request: model.fit(DIRECTOR_FRAME, CASTING_Y),
            predict=lambda model, request: model.predict_flagged(DIRECTOR_FRAME.head(50)),
            predict_unknown=lambda model, request: model.predict_flagged(NEW_DIRECTOR),
            unknown_flags={Flag.COLD_START},
        ),
    ]


CASES += _casting_head_cases() + [_casting_model_case()]


# ---------------------------------------------------------------- personal taste model
def _taste_data(n: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    director = rng.integers(0, 12, size=n)
    X = pd.DataFrame({"x": x, "year": rng.integers(1950, 2020, size=n).astype(float),
                      "directors": [[int(d)] for d in director], "cast": [[int(d) + 100] for d in director]})
    y = np.where(x + rng.normal(0, 0.7, n) > 0, "would_watch", "would_not_watch").astype(object)
    return X, y


TASTE_X, TASTE_Y = _taste_data()
# A film with no known feature (no metadata, no people): the model must say so.
TASTE_UNKNOWN = pd.concat([TASTE_X.head(2), pd.DataFrame({"x": [np.nan], "year": [np.nan], "directors": [[]], "cast": [[]]})],
                          ignore_index=True)


def _taste_model_class():
    return __import__("core.personal.model", fromlist=["TasteModel"]).TasteModel


CASES.append(ModelCase(
    name="personal-taste",
    model_class=_taste_model_class(),
    make=lambda: _taste_model_class()(n_estimators=30, max_depth=2, encoding_folds=3, prior_features=("year",)),
    fit=lambda model, request: model.fit(TASTE_X, TASTE_Y),
    predict=lambda model, request: model.predict_flagged(TASTE_X.head(20)),
    predict_unknown=lambda model, request: model.predict_flagged(TASTE_UNKNOWN),
    unknown_flags={Flag.MISSING_FEATURES},
))


# ---------------------------------------------------------------- shared (new-labeler) taste model
def _shared_world():
    """A tiny catalog: 40 raters whose taste follows one of two genres."""
    from types import SimpleNamespace

    rng = np.random.default_rng(1)
    genre = rng.integers(0, 2, size=30)
    taste = rng.integers(0, 2, size=40)
    rows = [(u + 1, f + 1, float(np.clip(round(3 + (1.2 if genre[f] == taste[u] else -1.2) + rng.normal(0, 0.6)), 1, 5)), 0)
            for u in range(40) for f in rng.choice(30, size=22, replace=False)]
    ratings = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])
    movies = pd.DataFrame({"movie_id": np.arange(1, 31), "genres": [["A"] if g == 0 else ["B"] for g in genre],
                           "vote_average": rng.uniform(5, 8, size=30)})
    return SimpleNamespace(name="tiny", ratings=ratings, movies=movies, data_checksum="tiny-v1")


SHARED_WORLD = _shared_world()
SHARED_KNOWN = (np.arange(1, 11), np.array([1, 0] * 5))


def _shared_model_class():
    return __import__("core.personal.shared", fromlist=["SharedTasteModel"]).SharedTasteModel


CASES.append(ModelCase(
    name="personal-shared",
    model_class=_shared_model_class(),
    make=lambda: _shared_model_class()(combiner="logistic", n_folds=3, min_labeler_ratings=10),
    fit=lambda model, request: model.fit(SHARED_WORLD),
    predict=lambda model, request: model.predict_flagged(*SHARED_KNOWN, np.arange(11, 31)),
    predict_unknown=lambda model, request: model.predict_flagged(*SHARED_KNOWN, np.array([11, 999_999])),
    unknown_flags={Flag.UNKNOWN_ITEM},
))


# ---------------------------------------------------------------- search: learned re-ranker
def _rerank_data(groups: int = 40, size: int = 12, seed: int = 0):
    """Candidate lists shaped like the re-ranker's features; the wanted film has the best mix of
    two of them (noisy), so the ranker has something to learn."""
    from core.search.learned import FEATURES

    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, size=(groups * size, len(FEATURES)))
    y = np.zeros(len(X))
    for g in range(groups):
        block = slice(g * size, (g + 1) * size)
        y[g * size + int(np.argmax(X[block, 0] + 0.5 * X[block, 5] + 0.2 * rng.normal(size=size)))] = 1
    return X, y, [size] * groups


RERANK_X, RERANK_Y, RERANK_GROUPS = _rerank_data()
RERANK_MISSING = RERANK_X[:3].copy()
RERANK_MISSING[1, 4] = np.nan     # a candidate with a feature that could not be computed


def _reranker_class():
    return __import__("core.search.learned", fromlist=["SearchReranker"]).SearchReranker


CASES.append(ModelCase(
    name="search-reranker",
    model_class=_reranker_class(),
    make=lambda: _reranker_class()(n_estimators=20, max_depth=2),
    fit=lambda model, request: model.fit(RERANK_X, RERANK_Y, RERANK_GROUPS),
    predict=lambda model, request: model.predict_flagged(RERANK_X[:24]),
    predict_unknown=lambda model, request: model.predict_flagged(RERANK_MISSING),
    unknown_flags={Flag.MISSING_FEATURES},
))
