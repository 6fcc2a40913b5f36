"""The casting long table (one row per film × billed actor) and the resonance target.

``build_long_table`` joins cast credits to film facts (year, budget, genres, language, first
director and the raw success signals). ``ResonanceTarget`` turns a success signal into a binary
label whose threshold is fitted on training years only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.catalog.store import Catalog
from core.errors import MarqueeError
from core.splitting import split_by_year

log = logging.getLogger(__name__)

UNKNOWN_LANGUAGE = "unknown"
BRIEF_FACTS = ["country", "content_rating", "color", "aspect_ratio"]  # known before release (catalog.schema)
FILM_COLUMNS = ["movie_id", "title", "year", "release_date", "budget", "runtime", "genres", "language",
                "country", "content_rating", "black_and_white", "aspect_ratio", "director_id", "director", "vote_average", "popularity", "roi"]


@dataclass
class LongTable:
    """Film-level facts and the (film, actor, role) rows, both sorted by time."""

    films: pd.DataFrame
    rows: pd.DataFrame
    dropped_undated: int = 0


def _as_tuple(value) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ()
    return tuple(str(v) for v in value)


def build_films(catalog: Catalog) -> tuple[pd.DataFrame, int]:
    movies = catalog.movies
    if "runtime" not in movies.columns:  # a partial catalog (the Spark path reads fewer columns)
        movies = movies.assign(runtime=np.nan)
    missing = [c for c in BRIEF_FACTS if c not in movies.columns]  # catalogs saved before these columns
    if missing:
        movies = movies.assign(**{c: None for c in missing})
    dated = movies["year"].notna()
    films = movies.loc[dated, ["movie_id", "title", "year", "release_date", "budget", "runtime", "genres",
                               "original_language", *BRIEF_FACTS, "vote_average", "popularity", "revenue"]].copy()
    films = films.rename(columns={"original_language": "language"})
    films["year"] = films["year"].astype(int)
    films["genres"] = films["genres"].map(_as_tuple)
    films["language"] = films["language"].fillna(UNKNOWN_LANGUAGE).astype(str)
    for column in ("country", "content_rating"):
        films[column] = films[column].map(lambda v: v if isinstance(v, str) and v else UNKNOWN_LANGUAGE)
    films["black_and_white"] = films["color"].map(lambda v: float(v is False or v == 0) if v is not None and v == v else np.nan)
    films["aspect_ratio"] = pd.to_numeric(films["aspect_ratio"], errors="coerce").astype(float)
    budget = films["budget"].where(films["budget"] > 0)
    films["budget"] = budget
    films["roi"] = (films["revenue"] / budget).where(films["revenue"] > 0)
    directors = catalog.directors().drop_duplicates("movie_id")[["movie_id", "person_id", "name"]]
    directors = directors.rename(columns={"person_id": "director_id", "name": "director"})
    films = films.merge(directors, on="movie_id", how="left")
    films = films.sort_values(["year", "release_date", "movie_id"], kind="stable", na_position="last")
    return films[FILM_COLUMNS].reset_index(drop=True), int((~dated).sum())


def build_long_table(catalog: Catalog) -> LongTable:
    """One row per (film, actor, role); undated films are left out (they cannot be placed in time)."""
    films, undated = build_films(catalog)
    cast = catalog.cast()[["movie_id", "person_id", "name", "bill_order", "character"]]
    if cast.empty or films.empty:
        raise MarqueeError(f"catalog {catalog.name!r} has no dated films with cast credits: casting needs billing data")
    cast = cast.rename(columns={"name": "actor"})
    # Missing billing: the credit's position within the film's cast list stands in for it.
    position = cast.groupby("movie_id").cumcount()
    cast["bill_order"] = cast["bill_order"].fillna(position).astype(int)
    cast = cast.drop_duplicates(["movie_id", "person_id"], keep="first")
    rows = cast.merge(films, on="movie_id", how="inner")
    rows = rows.sort_values(["person_id", "year", "release_date", "movie_id"], kind="stable", na_position="last")
    if undated:
        log.info("casting long table: %d undated films left out", undated)
    return LongTable(films=films, rows=rows.reset_index(drop=True), dropped_undated=undated)


class ResonanceTarget:
    """Binary "resonance" label: the film's success signal reaches the ``quantile`` of training films.

    The threshold and the percentile scale are fitted on films with year ≤ ``cutoff`` only, so
    holdout years never move them.
    """

    def __init__(self, target: str = "vote_average", quantile: float = 0.75, cutoff: int = 2010):
        self.target = target
        self.quantile = quantile
        self.cutoff = cutoff

    def fit(self, films: pd.DataFrame) -> "ResonanceTarget":
        train = split_by_year(films, self.cutoff)["train"]
        values = train[self.target].dropna().to_numpy(dtype=float)
        if len(values) < 20:
            raise MarqueeError(
                f"only {len(values)} films up to {self.cutoff} have a {self.target!r} value: casting needs at "
                f"least 20 (choose another target or a later cutoff)")
        self.train_values_ = np.sort(values)
        self.threshold_ = float(np.quantile(values, self.quantile))
        self.n_train_films_ = int(len(values))
        return self

    def label(self, values) -> np.ndarray:
        """1.0 / 0.0 for films with a value, NaN for films without."""
        values = np.asarray(values, dtype=float)
        return np.where(np.isnan(values), np.nan, (values >= self.threshold_).astype(float))

    def percentile(self, values) -> np.ndarray:
        """Mid-rank percentile of each value among training films (NaN stays NaN)."""
        values = np.asarray(values, dtype=float)
        lo = np.searchsorted(self.train_values_, values, side="left")
        hi = np.searchsorted(self.train_values_, values, side="right")
        pct = (lo + hi) / (2.0 * len(self.train_values_))
        return np.where(np.isnan(values), np.nan, pct)
