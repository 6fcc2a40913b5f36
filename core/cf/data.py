"""Fast construction of a Surprise ``Trainset`` from a ratings DataFrame.

Surprise's ``Dataset.load_from_df(...).build_full_trainset()`` walks the frame row by row in
Python; this builds the same structure (inner ids in order of first appearance, per-user and
per-item rating lists) with pandas and NumPy, several times faster on 100K ratings.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd


def build_trainset(ratings: pd.DataFrame, rating_scale: tuple[float, float] | None = None):
    from surprise import Trainset

    user_codes, users = pd.factorize(ratings["user_id"].to_numpy())
    item_codes, items = pd.factorize(ratings["movie_id"].to_numpy())
    values = ratings["rating"].to_numpy(dtype=float)
    scale = rating_scale or (float(values.min()), float(values.max()))
    return Trainset(_grouped(user_codes, item_codes, values), _grouped(item_codes, user_codes, values),
                    len(users), len(items), len(values), scale,
                    {int(raw): inner for inner, raw in enumerate(users)},
                    {int(raw): inner for inner, raw in enumerate(items)})


def _grouped(keys: np.ndarray, others: np.ndarray, values: np.ndarray) -> defaultdict:
    """key → [(other, value), ...] in the original row order."""
    order = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.diff(keys[order])) + 1
    grouped = defaultdict(list)
    for chunk in np.split(order, bounds):
        if len(chunk):
            grouped[int(keys[chunk[0]])] = list(zip(others[chunk].tolist(), values[chunk].tolist()))
    return grouped
