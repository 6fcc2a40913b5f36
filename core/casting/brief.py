"""A casting brief: what the person asks for, checked against what the model and data can answer."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from core import validation
from core.errors import MarqueeError

MAX_SLATE = 50
MAX_BILL_ORDER = 50
MAX_RUNTIME = 600
MAX_CO_STARS = 20


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
    co_stars: tuple[str, ...] = ()    # actors already cast (names as in the catalog); optional
    country: str | None = None        # main production country as the catalog names it ("USA"); optional

    def to_dict(self) -> dict:
        out = asdict(self)
        out["genres"] = list(self.genres)
        out["co_stars"] = list(self.co_stars)
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
    co_stars = brief.co_stars or ()
    if isinstance(co_stars, str) or not all(isinstance(c, str) for c in co_stars):
        raise MarqueeError(f"co-stars must be a list of actor names, got {brief.co_stars!r}")
    if len(co_stars) > MAX_CO_STARS:
        raise MarqueeError(f"name at most {MAX_CO_STARS} co-stars, got {len(co_stars)}")
    names = actors_by_name(trained)
    unknown = [c for c in co_stars if c.strip().lower() not in names]
    if unknown:
        raise MarqueeError(f"no actor named {', '.join(map(repr, unknown))} in catalog {trained.catalog_name!r} "
                           f"(co-stars are named as in the catalog)")
    co_stars = tuple(dict.fromkeys(names[c.strip().lower()][1] for c in co_stars if c.strip()))
    country = _known_value(brief.country, getattr(featurizer, "known_countries_", []), "country", "countries")
    return Brief(year=year, budget_musd=budget, genres=genres, bill_order=int(brief.bill_order), n=int(brief.n),
                 director=director, language=language, runtime=runtime, co_stars=co_stars, country=country)


def _known_value(value, known: list[str], what: str, plural: str) -> str | None:
    """``value`` in the catalog's spelling (matched case-insensitively), None when blank; a value the
    catalog never recorded is a ``MarqueeError`` listing the known ones."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise MarqueeError(f"{what} must be text, got {value!r}")
    text = value.strip()
    if not text:
        return None
    spelled = {k.lower(): k for k in known}
    if text.lower() not in spelled:
        shown_known = ", ".join(known[:40]) + (" ..." if len(known) > 40 else "")
        raise MarqueeError(f"unknown {what} {validation.shown(text)}: catalog {plural} are "
                           f"{shown_known or 'none recorded'}")
    return spelled[text.lower()]


def parse_co_stars(text: str | None) -> tuple[str, ...]:
    """Co-star names from comma-separated text (None or blank: none). Control characters, or an
    empty name between commas, are a ``ValidationError`` naming ``co_stars``."""
    if text is None or not str(text).strip():
        return ()
    names = tuple(n.strip() for n in validation.plain_text(text, "co_stars", max_length=2000).split(","))
    if not all(names):
        raise validation.ValidationError("co_stars", text, "must name an actor between every two commas")
    return names


def co_star_help(feature_set: str | None = None) -> str:
    """What naming co-stars does, true for a model of this feature set (None: any model)."""
    if feature_set == "brief_co_stars":
        return "They are left out of the slate; this model also sets the brief's base chance from their earlier records."
    if feature_set is None:
        return ("They are left out of the slate; with a brief_co_stars model their earlier records also set "
                "the brief's base chance.")
    return ("They are left out of the slate. This model does not use their records (only a brief_co_stars "
            "model sets the base chance from them).")


def most_credited_names(frame, name: str, id_column: str, kind=int) -> dict:
    """Lower-case name -> (id as ``kind``, spelling) of the holder of that name with the most rows
    of ``frame`` (the first seen wins a tie)."""
    counts = frame.groupby([frame[name].str.lower(), id_column], sort=False).agg(
        rows=(name, "size"), spelling=(name, "first")).reset_index()
    counts = counts.sort_values("rows", ascending=False, kind="stable").drop_duplicates(name)
    return {key: (kind(ident), str(spelling)) for key, ident, spelling in
            zip(counts[name], counts[id_column].tolist(), counts["spelling"])}


def _names(trained, key: str, build) -> dict:
    """A name lookup, built once per bound catalog (kept in ``trained.extra``)."""
    found = trained.extra.get(key)
    if found is None:
        found = trained.extra[key] = build()
    return found


def actors_by_name(trained) -> dict:
    """Lower-case actor name -> (person id, spelling) of its most credited holder; once per bound catalog."""
    return _names(trained, "actors_by_name", lambda: most_credited_names(trained.data.rows, "actor", "person_id"))


def resolve_co_stars(trained, brief: Brief) -> np.ndarray:
    """Person ids of a validated brief's co-stars."""
    names = actors_by_name(trained)
    return np.array([names[c.lower()][0] for c in brief.co_stars], dtype=np.int64)


def resolve_director(trained, name: str | None) -> tuple[float, str | None]:
    """Director id for a name (case-insensitive; the most prolific namesake wins)."""
    if not name:
        return float("nan"), None
    def build():
        films = trained.data.films
        directed = films[films["director"].notna() & films["director_id"].notna()]
        return most_credited_names(directed, "director", "director_id", float)
    directors = _names(trained, "directors_by_name", build)
    found = directors.get(name.strip().lower())
    if found is None:
        raise MarqueeError(f"no director named {name!r} in catalog {trained.catalog_name!r}")
    return found
