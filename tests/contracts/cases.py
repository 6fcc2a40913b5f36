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


def _cf():
    from core.cf import CFRecommender

    return CFRecommender(n_factors=4, n_epochs=5, min_ratings=3, random_state=1)


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
]
