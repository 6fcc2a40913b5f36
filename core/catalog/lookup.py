"""Looking films up in a loaded catalog: a title's card (what a person needs to judge it) and
title search. Pure functions of a ``Catalog``; nothing is read from disk here."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.errors import MarqueeError


def _plain(value):
    """A JSON-friendly scalar: None for missing, Python types for NumPy ones."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def title_card(catalog, movie_id: int, n_cast: int = 6) -> dict[str, Any]:
    """What a person needs to judge a title: title, year, genres, overview, director, cast, poster."""
    movies = catalog.movies.set_index("movie_id")
    movie_id = int(movie_id)
    if movie_id not in movies.index:
        raise MarqueeError(f"film {movie_id} is not in catalog {catalog.name!r}")
    row = movies.loc[movie_id]
    credits = catalog.credits[catalog.credits["movie_id"] == movie_id]
    names = catalog.people.set_index("person_id")["name"]
    cast = credits[credits["role"] == "cast"].sort_values("bill_order")["person_id"].head(n_cast)
    directors = credits[(credits["role"] == "crew") & (credits["job"] == "Director")]["person_id"]
    year = _plain(row.get("year"))
    return {"movie_id": movie_id, "title": str(row["title"]), "year": int(year) if year is not None else None,
            "genres": list(row.get("genres") or []), "overview": _plain(row.get("overview")) or "",
            "runtime": _plain(row.get("runtime")), "vote_average": _plain(row.get("vote_average")),
            "poster_url": _plain(row.get("poster_url")),
            "directors": [str(names.get(p, "")) for p in directors], "cast": [str(names.get(p, "")) for p in cast]}


def search_titles(catalog, query: str, limit: int = 20) -> pd.DataFrame:
    """Titles containing ``query`` (case-insensitive), exact and prefix matches first."""
    query = (query or "").strip().casefold()
    movies = catalog.movies[["movie_id", "title", "year"]]
    if not query:
        return movies.head(0)
    folded = movies["title"].str.casefold()
    hits = movies[folded.str.contains(query, regex=False, na=False)].copy()
    hits["_rank"] = np.where(folded[hits.index] == query, 0, np.where(folded[hits.index].str.startswith(query), 1, 2))
    return hits.sort_values(["_rank", "title"]).head(limit).drop(columns="_rank").reset_index(drop=True)
