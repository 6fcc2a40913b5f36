"""Side information of the films for the Bayesian MF prior (:func:`core.cf.bayes.fit_bayes_mf`'s
``item_features``), built from the catalog's films table — the table a deployed model is
trained next to, so the features exist wherever it is trained.

``genres``: one 0/1 column per genre; ``year``: the release year, standardised; ``imdb``: the
catalog's vote average, log vote count and runtime (ML-100K's details file), standardised.
A film without a value gets 0 (the mean) in that column; a film absent from the table gets
none of them (the plain prior). Only the films table is read, never a rating.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import MarqueeError

SIDE_INFO = ("genres", "year", "imdb")


def film_features(films: pd.DataFrame, kinds) -> pd.DataFrame:
    """One row per film (index movie_id), the numeric columns of ``kinds`` (see the module)."""
    unknown = [k for k in kinds if k not in SIDE_INFO]
    if unknown:
        raise MarqueeError(f"side_info {unknown}: choose from {', '.join(SIDE_INFO)}")
    if "movie_id" not in films.columns:
        raise MarqueeError("films table: missing column movie_id (needed for side information)")
    table = films.drop_duplicates("movie_id").set_index("movie_id")
    columns: dict[str, pd.Series] = {}
    if "genres" in kinds and "genres" in table.columns:
        exploded = table["genres"].explode().dropna()
        for genre in sorted(exploded.unique()):
            flags = (exploded == genre).groupby(level=0).any()
            columns[f"genre:{genre}"] = flags.reindex(table.index, fill_value=False).astype(float)
    if "year" in kinds and "year" in table.columns:
        columns["year"] = _standardised(table["year"])
    if "imdb" in kinds:
        for name in ("vote_average", "runtime"):
            if name in table.columns:
                columns[name] = _standardised(table[name])
        if "vote_count" in table.columns:
            columns["log_vote_count"] = _standardised(np.log1p(pd.to_numeric(table["vote_count"], errors="coerce")
                                                               .clip(lower=0)))
    return pd.DataFrame(columns, index=table.index)


def _standardised(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    sd = numbers.std()
    if not np.isfinite(sd) or sd == 0:
        return pd.Series(0.0, index=values.index)
    return ((numbers - numbers.mean()) / sd).fillna(0.0)
