"""How simulated people consume: each is shown the champion's ranking of the films they have
not seen and watches 1–20 of them, the film at rank r drawn with weight 1/(r+1)^``rank_exponent``
(Gumbel top-k, so without replacement)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from core.cf import CFRecommender, UserVectors
from core.errors import MarqueeError
from core.validation import finite_float, integer


@dataclass(frozen=True)
class Behaviour:
    list_size: int = 10            # length of the list shown (for coverage, diversity, personalization)
    min_per_round: int = 1
    max_per_round: int = 20
    rank_exponent: float = 1.0
    round_days: int = 7
    holdout_fraction: float = 0.2  # latest share of history that measures the first champion's baseline
    validation_share: float = 0.5  # share of a drifted round kept to judge champion against challenger

    def __post_init__(self) -> None:
        for name in ("list_size", "min_per_round", "max_per_round", "round_days"):
            integer(getattr(self, name), name, 1, 10_000)
        if self.min_per_round > self.max_per_round:
            raise MarqueeError(f"min_per_round {self.min_per_round} is above max_per_round {self.max_per_round}")
        for name, low, high in (("rank_exponent", 0.0, 10.0), ("holdout_fraction", 0.01, 0.9),
                                ("validation_share", 0.1, 0.9)):
            finite_float(getattr(self, name), name, low, high)

    def to_dict(self) -> dict:
        return asdict(self)


def consume(champion: CFRecommender, vectors: UserVectors, item_ids: np.ndarray, history: pd.DataFrame,
            behaviour: Behaviour, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each user picks 1–20 unseen films, the film at rank r (0 = the champion's best) drawn with
    weight 1/(r+1)^rank_exponent, without replacement (Gumbel top-k over rank positions).
    Returns aligned (user ids, movie ids)."""
    scores = champion.score_matrix(vectors, item_ids)
    rows = pd.Index(vectors.user_ids).get_indexer(history["user_id"].to_numpy())
    cols = pd.Index(item_ids).get_indexer(history["movie_id"].to_numpy())
    keep = (rows >= 0) & (cols >= 0)
    scores[rows[keep], cols[keep]] = -np.inf
    n_users, n_items = scores.shape
    available = np.isfinite(scores).sum(axis=1)
    counts = np.minimum(rng.integers(behaviour.min_per_round, behaviour.max_per_round + 1, size=n_users), available)
    positions = np.arange(n_items)
    keys = -behaviour.rank_exponent * np.log1p(positions)[None, :] + rng.gumbel(size=scores.shape)
    keys[positions[None, :] >= available[:, None]] = -np.inf
    most = int(max(counts.max(initial=0), 1))
    top = np.argpartition(-keys, most - 1, axis=1)[:, :most]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1, kind="stable"), axis=1)
    users, items = [], []
    for row in np.flatnonzero(counts):
        ranks = top[row, :counts[row]]
        ranked = np.argpartition(-scores[row], np.sort(ranks))
        users.append(np.full(len(ranks), row))
        items.append(ranked[ranks])
    if not users:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return vectors.user_ids[np.concatenate(users)], item_ids[np.concatenate(items)]
