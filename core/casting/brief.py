"""A casting brief: what the person asks for, checked against what the model and data can answer."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from core.errors import MarqueeError

MAX_SLATE = 50
MAX_BILL_ORDER = 50
MAX_RUNTIME = 600


@dataclass(frozen=True)
class Brief:
    """``bill_order`` counts from 1 (top billed); ``budget_musd`` is in millions of US dollars."""

    year: int
    budget_musd: float
    genres: tuple[str, ...]
    bill_order: int = 1
    n: int = 5
    director: str | None = None
    language: str | None = None
    runtime: float | None = None      # minutes; optional (the model treats it as unknown)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["genres"] = list(self.genres)
        return out

    def with_changes(self, **changes) -> "Brief":
        return replace(self, **changes)


def _is_integer(value) -> bool:
    return isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer())


def validate_brief(brief: Brief, trained) -> Brief:
    """A clean copy of ``brief`` (genre names in catalog spelling) or a ``MarqueeError`` saying what is wrong."""
    featurizer = trained.featurizer
    first, last = featurizer.year_range_
    if not _is_integer(brief.year):
        raise MarqueeError(f"year must be a whole number, got {brief.year!r}")
    year = int(brief.year)
    if not first < year <= last + 1:
        raise MarqueeError(f"year {year} is outside the data: catalog {trained.catalog_name!r} has films from "
                           f"{first} to {last}, so briefs can be for {first + 1}–{last + 1}")
    try:
        budget = float(brief.budget_musd)
    except (TypeError, ValueError):
        raise MarqueeError(f"budget must be a number of millions of dollars, got {brief.budget_musd!r}") from None
    if not math.isfinite(budget) or budget <= 0:
        raise MarqueeError(f"budget must be a positive number of millions of dollars, got {brief.budget_musd!r}")
    if not brief.genres:
        raise MarqueeError("choose at least one genre for the brief")
    known = {g.lower(): g for g in featurizer.known_genres_}
    unknown = [g for g in brief.genres if str(g).strip().lower() not in known]
    if unknown:
        raise MarqueeError(f"unknown genre {', '.join(map(repr, unknown))}: catalog genres are "
                           f"{', '.join(featurizer.known_genres_)}")
    genres = tuple(dict.fromkeys(known[str(g).strip().lower()] for g in brief.genres))
    if not _is_integer(brief.bill_order) or not 1 <= int(brief.bill_order) <= MAX_BILL_ORDER:
        raise MarqueeError(f"bill order must be a whole number from 1 (top billed) to {MAX_BILL_ORDER}, "
                           f"got {brief.bill_order!r}")
    if not _is_integer(brief.n) or not 1 <= int(brief.n) <= MAX_SLATE:
        raise MarqueeError(f"slate size must be a whole number from 1 to {MAX_SLATE}, got {brief.n!r}")
    language = (brief.language or "").strip() or featurizer.default_language_
    if language not in featurizer.known_languages_ and language != featurizer.default_language_:
        raise MarqueeError(f"unknown language {language!r}: catalog languages are "
                           f"{', '.join(featurizer.known_languages_) or 'none recorded'}")
    director = (brief.director or "").strip() or None
    runtime = None
    if brief.runtime is not None:
        try:
            runtime = float(brief.runtime)
        except (TypeError, ValueError):
            raise MarqueeError(f"runtime must be a number of minutes, got {brief.runtime!r}") from None
        if not math.isfinite(runtime) or not 1 <= runtime <= MAX_RUNTIME:
            raise MarqueeError(f"runtime must be from 1 to {MAX_RUNTIME} minutes, got {brief.runtime!r}")
    return Brief(year=year, budget_musd=budget, genres=genres, bill_order=int(brief.bill_order), n=int(brief.n),
                 director=director, language=language, runtime=runtime)


def resolve_director(trained, name: str | None) -> tuple[float, str | None]:
    """Director id for a name (case-insensitive; the most prolific namesake wins)."""
    if not name:
        return float("nan"), None
    directors = trained.extra.get("directors_by_name")
    if directors is None:  # once per bound catalog: lower-case name -> (id, spelling) of its most prolific holder
        films = trained.data.films
        directed = films[films["director"].notna() & films["director_id"].notna()]
        counts = directed.groupby([directed["director"].str.lower(), "director_id"], sort=False).agg(
            films=("director", "size"), spelling=("director", "first")).reset_index()
        counts = counts.sort_values(["films"], ascending=False, kind="stable").drop_duplicates("director")
        directors = {row.director: (float(row.director_id), str(row.spelling)) for row in counts.itertuples(index=False)}
        trained.extra["directors_by_name"] = directors
    found = directors.get(name.strip().lower())
    if found is None:
        raise MarqueeError(f"no director named {name!r} in catalog {trained.catalog_name!r}")
    return found
