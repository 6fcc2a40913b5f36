"""Enrich one catalog with another: match films, fill gaps, bring credits and ratings over.

Matching, in order (each film is matched at most once on the ``other`` side):

1. external ids: ``imdb_id``, then ``tmdb_id``, then ``movielens_id``. Several ``other`` films
   may match one base film (MovieLens 100K lists a few films twice); an id that two base films
   share is ambiguous and not used.
2. normalised title (``core.catalog.titles.normalise_title``) + the same year, only when the
   (title, year) pair is unique on both sides;
3. normalised title + a year differing by at most ``year_tolerance`` (default 1: release year vs
   production year), only when that candidate is the only one for both films and neither film
   had an ambiguous exact-year match. Films without a year are never matched by title.

Unmatched ``other`` films are not added (the base defines the catalog); their ratings are
counted as dropped. Filling never overwrites: a base value is replaced only when null or an
empty list. Cast comes over only for base films with no cast at all; crew comes over per job
the base film lacks (e.g. Wikipedia films gain IMDb directors). People are matched by
normalised name. Ratings keep their users; when both catalogs have ratings the other's user
ids are shifted past the base's largest so the two user populations never collide.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from core.catalog.importers.base import ImportResult, person_id, person_key, progress_or_null
from core.catalog.schema import LIST_COLUMNS, MOVIES
from core.catalog.store import Catalog
from core.catalog.titles import normalise_title
from core.errors import MarqueeError
from core.progress import ProgressFn
from core.validation import integer

log = logging.getLogger(__name__)

ID_KEYS = ("imdb_id", "tmdb_id", "movielens_id")
_FILL_EXCLUDED = ("movie_id", "title")


def _id_matches(base: pd.DataFrame, other: pd.DataFrame, stats: dict[str, Any]) -> pd.DataFrame:
    found = []
    taken: set[int] = set()
    for key in ID_KEYS:
        if key not in base.columns or key not in other.columns:
            continue
        b = base[["movie_id", key]].dropna()
        counts = b[key].value_counts()
        ambiguous = set(counts[counts > 1].index)
        b = b[~b[key].isin(ambiguous)]
        o = other.loc[~other["movie_id"].isin(taken), ["movie_id", key]].dropna()
        stats["ambiguous"][key] = int(o[key].isin(ambiguous).sum())
        pairs = o.merge(b, on=key, suffixes=("_other", "_base"))
        pairs = pairs.rename(columns={"movie_id_other": "other_id", "movie_id_base": "base_id"})[["other_id", "base_id"]]
        pairs["method"] = key
        taken.update(pairs["other_id"])
        found.append(pairs)
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=["other_id", "base_id", "method"])


def _title_keys(movies: pd.DataFrame, exclude: set) -> pd.DataFrame:
    frame = movies.loc[~movies["movie_id"].isin(exclude), ["movie_id", "title", "year"]].dropna(subset=["year"])
    frame = frame.assign(norm=[normalise_title(t) for t in frame["title"]], year=frame["year"].astype("int64"))
    return frame[frame["norm"] != ""][["movie_id", "norm", "year"]]


def _title_matches(base: pd.DataFrame, other: pd.DataFrame, done: pd.DataFrame, tolerance: int,
                   stats: dict[str, Any]) -> pd.DataFrame:
    b = _title_keys(base, set(done["base_id"]))
    o = _title_keys(other, set(done["other_id"]))
    b_count = b.groupby(["norm", "year"]).size().rename("n_base")
    o_count = o.groupby(["norm", "year"]).size().rename("n_other")
    pairs = o.merge(b, on=["norm", "year"], suffixes=("_other", "_base"))
    pairs = pairs.join(b_count, on=["norm", "year"]).join(o_count, on=["norm", "year"])
    unique = (pairs["n_base"] == 1) & (pairs["n_other"] == 1)
    exact = pairs[unique].rename(columns={"movie_id_other": "other_id", "movie_id_base": "base_id"})[["other_id", "base_id"]]
    exact["method"] = "title_year"
    stats["ambiguous"]["title_year"] = int(pairs.loc[~unique, "movie_id_other"].nunique())
    blocked_other = set(pairs["movie_id_other"])  # matched or ambiguous at the exact year
    blocked_base = set(pairs["movie_id_base"])
    if tolerance <= 0:
        return exact
    o_rest = o[~o["movie_id"].isin(blocked_other)]
    b_rest = b[~b["movie_id"].isin(blocked_base)]
    near = o_rest.merge(b_rest, on="norm", suffixes=("_other", "_base"))
    near = near[(near["year_other"] - near["year_base"]).abs().between(1, tolerance)]
    one_to_one = (~near["movie_id_other"].duplicated(keep=False)) & (~near["movie_id_base"].duplicated(keep=False))
    stats["ambiguous"][f"title_year_pm{tolerance}"] = int(near.loc[~one_to_one, "movie_id_other"].nunique())
    fuzzy = near[one_to_one].rename(columns={"movie_id_other": "other_id", "movie_id_base": "base_id"})[["other_id", "base_id"]]
    fuzzy["method"] = f"title_year_pm{tolerance}"
    return pd.concat([exact, fuzzy], ignore_index=True)


def _reject_conflicts(pairs: pd.DataFrame, base: pd.DataFrame, other: pd.DataFrame, stats: dict) -> pd.DataFrame:
    """Drop title matches whose films carry different values of the same external id."""
    conflict = np.zeros(len(pairs), dtype=bool)
    for key in ID_KEYS:
        if key in base.columns and key in other.columns:
            b = pairs["base_id"].map(base.set_index("movie_id")[key])
            o = pairs["other_id"].map(other.set_index("movie_id")[key])
            conflict |= (b.notna() & o.notna() & (b.astype(str) != o.astype(str))).to_numpy()
    stats["title_matches_rejected_conflicting_ids"] = int(conflict.sum())
    return pairs[~conflict]


def match_movies(base: pd.DataFrame, other: pd.DataFrame, year_tolerance: int = 1) -> tuple[pd.DataFrame, dict]:
    """``(matches, stats)``: one row per matched ``other`` film: other_id, base_id, method."""
    stats: dict[str, Any] = {"ambiguous": {}}
    by_id = _id_matches(base, other, stats)
    by_title = _reject_conflicts(_title_matches(base, other, by_id, year_tolerance, stats), base, other, stats)
    matches = pd.concat([by_id, by_title], ignore_index=True)
    matches[["other_id", "base_id"]] = matches[["other_id", "base_id"]].astype("int64")
    return matches, stats


def _is_empty(series: pd.Series, column: str) -> pd.Series:
    if column in LIST_COLUMNS["movies"]:
        return series.map(lambda v: v is None or (not isinstance(v, float) and len(v) == 0) or (isinstance(v, float) and np.isnan(v)))
    return series.isna()


def _fill_movies(base: pd.DataFrame, other: pd.DataFrame, primary: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    movies = base.copy()
    donor_ids = movies["movie_id"].map(primary.set_index("base_id")["other_id"])
    has_donor = donor_ids.notna()
    donors = other.set_index("movie_id").reindex(donor_ids[has_donor].astype("int64"))
    filled = {}
    for column in MOVIES.names:
        if column in _FILL_EXCLUDED or column not in other.columns:
            continue
        if column not in movies.columns:
            movies[column] = [[] for _ in range(len(movies))] if column in LIST_COLUMNS["movies"] else None
        target = movies.loc[has_donor, column]
        values = pd.Series(donors[column].to_numpy(), index=target.index)
        take = _is_empty(target, column) & ~_is_empty(values, column)
        if take.any():
            if movies[column].dtype != object and values.dtype == object:
                movies[column] = movies[column].astype(object)
            movies.loc[take[take].index, column] = values[take]
            filled[column] = int(take.sum())
    return movies, filled


def _person_mapping(base_people: pd.DataFrame, other_people: pd.DataFrame) -> tuple[dict[int, int], pd.DataFrame]:
    """Map other person ids onto base ids by normalised name; new people get an unused id."""
    by_name = {}
    for pid, name in zip(base_people["person_id"], base_people["name"]):
        by_name.setdefault(person_key(name), int(pid))
    used = set(int(p) for p in base_people["person_id"])
    next_free = max(used, default=0) + 1
    mapping, new_rows = {}, []
    for row in other_people.itertuples(index=False):
        key = person_key(row.name)
        if key in by_name:
            mapping[int(row.person_id)] = by_name[key]
            continue
        candidate = person_id(row.name)
        if candidate in used:
            candidate = next_free
            next_free += 1
        used.add(candidate)
        by_name[key] = candidate
        mapping[int(row.person_id)] = candidate
        new_rows.append({**row._asdict(), "person_id": candidate})
    return mapping, pd.DataFrame(new_rows, columns=other_people.columns)


def _merge_credits(base: Catalog, other: Catalog, primary: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    to_base = primary.set_index("other_id")["base_id"]
    incoming = other.credits[other.credits["movie_id"].isin(to_base.index)].copy()
    incoming["movie_id"] = incoming["movie_id"].map(to_base).astype("int64")
    has_cast = set(base.credits.loc[base.credits["role"] == "cast", "movie_id"])
    crew_jobs = set(zip(base.credits.loc[base.credits["role"] == "crew", "movie_id"],
                        base.credits.loc[base.credits["role"] == "crew", "job"]))
    is_cast = incoming["role"] == "cast"
    take_cast = is_cast & ~incoming["movie_id"].isin(has_cast)
    take_crew = ~is_cast & ~pd.Series([k in crew_jobs for k in zip(incoming["movie_id"], incoming["job"])],
                                      index=incoming.index, dtype=bool)
    incoming = incoming[take_cast | take_crew]
    involved = other.people[other.people["person_id"].isin(incoming["person_id"])]
    mapping, new_people = _person_mapping(base.people, involved)
    incoming["person_id"] = incoming["person_id"].map(mapping).astype("int64")
    before = len(incoming)
    incoming = incoming.drop_duplicates(["movie_id", "person_id", "role", "job"])
    credits = pd.concat([base.credits, incoming], ignore_index=True)
    people = pd.concat([base.people, new_people], ignore_index=True) if len(new_people) else base.people
    stats = {"cast_credits_added": int((incoming["role"] == "cast").sum()),
             "crew_credits_added": int((incoming["role"] == "crew").sum()),
             "films_gaining_cast": int(incoming.loc[incoming["role"] == "cast", "movie_id"].nunique()),
             "films_gaining_directors": int(incoming.loc[incoming["job"] == "Director", "movie_id"].nunique()),
             "people_added": int(len(new_people)), "people_matched_by_name": int(len(mapping) - len(new_people)),
             "duplicate_credits_dropped": int(before - len(incoming))}
    return people, credits, stats


def _merge_ratings(base: Catalog, other: Catalog, matches: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    to_base = matches.set_index("other_id")["base_id"]
    incoming = other.ratings[other.ratings["movie_id"].isin(to_base.index)].copy()
    stats: dict[str, Any] = {"ratings_dropped_unmatched_film": int(len(other.ratings) - len(incoming))}
    offset = 0
    if len(base.ratings) and len(incoming):
        offset = int(base.ratings["user_id"].max())
        incoming["user_id"] = incoming["user_id"] + offset
    stats["user_id_offset"] = offset
    incoming["movie_id"] = incoming["movie_id"].map(to_base).astype("int64")
    incoming = incoming.sort_values("timestamp", kind="stable")
    repeated = incoming.duplicated(["user_id", "movie_id"], keep="last")
    stats["repeated_ratings_dropped_kept_latest"] = int(repeated.sum())
    incoming = incoming[~repeated]
    stats["ratings_added"] = int(len(incoming))
    stats["users_added"] = int(incoming["user_id"].nunique())
    ratings = pd.concat([base.ratings, incoming], ignore_index=True) if len(incoming) else base.ratings
    return ratings.sort_values(["user_id", "movie_id"], kind="stable").reset_index(drop=True), stats


def _same_data(base: Catalog, other: Catalog) -> bool:
    """One catalog twice, or a copy of it (same checksum, or the very same ratings)."""
    if base is other or base.name == other.name or (base.data_checksum and base.data_checksum == other.data_checksum):
        return True
    columns = ["user_id", "movie_id", "rating"]
    return (len(base.ratings) > 0 and len(base.ratings) == len(other.ratings)
            and base.ratings[columns].reset_index(drop=True).equals(other.ratings[columns].reset_index(drop=True)))


def merge_catalogs(base: Catalog, other: Catalog, progress: ProgressFn | None = None,
                   year_tolerance: int = 1) -> ImportResult:
    """Enrich ``base`` with ``other`` (see the module doc); returns tables ready to write.

    Refused when both are the same catalog or hold the same data (merging a catalog with itself
    or its copy would double its ratings under shifted user ids)."""
    if _same_data(base, other):
        raise MarqueeError(f"cannot merge {base.name!r} with {other.name!r}: they hold the same data (merging would "
                           "double its ratings); name two different catalogs")
    year_tolerance = integer(year_tolerance, "year tolerance", low=0, high=5)
    progress = progress_or_null(progress)
    progress(0, 4, "matching films")
    matches, stats = match_movies(base.movies, other.movies, year_tolerance)
    method_rank = {m: i for i, m in enumerate((*ID_KEYS, "title_year"))}
    primary = (matches.assign(rank=matches["method"].map(method_rank).fillna(len(method_rank)))
               .sort_values(["base_id", "rank", "other_id"]).drop_duplicates("base_id"))
    progress(1, 4, "filling film details")
    movies, filled = _fill_movies(base.movies, other.movies, primary)
    progress(2, 4, "bringing credits over")
    people, credits, credit_stats = _merge_credits(base, other, primary)
    progress(3, 4, "bringing ratings over")
    ratings, rating_stats = _merge_ratings(base, other, matches)
    n_base, n_other = len(base.movies), len(other.movies)
    matched_base, matched_other = int(matches["base_id"].nunique()), int(len(matches))
    report = {
        "base": base.name, "other": other.name, "base_films": n_base, "other_films": n_other,
        "matched_base": matched_base, "matched_other": matched_other,
        "match_rate_base": round(matched_base / n_base, 4) if n_base else 0.0,
        "match_rate_other": round(matched_other / n_other, 4) if n_other else 0.0,
        "by_method": {k: int(v) for k, v in matches["method"].value_counts().items()},
        "ambiguous_not_matched": stats["ambiguous"], "year_tolerance": year_tolerance,
        "title_matches_rejected_conflicting_ids": stats["title_matches_rejected_conflicting_ids"],
        # a list, not a dict: manifests drop dict keys that look like secrets ("keywords" holds "key")
        "filled": [{"column": column, "films": count} for column, count in filled.items()],
        **credit_stats, **rating_stats,
        "base_report": base.manifest.get("report", {}), "other_report": other.manifest.get("report", {}),
    }
    progress(4, 4, "done")
    log.info("merge %s + %s: %d/%d base films matched", base.name, other.name, matched_base, n_base)
    source = f"merge({base.manifest.get('source', base.name)}+{other.manifest.get('source', other.name)})"
    return ImportResult(
        tables={"movies": movies, "people": people, "credits": credits, "ratings": ratings},
        report=report, source=source,
        parameters={"base": base.name, "base_checksum": base.data_checksum, "other": other.name,
                    "other_checksum": other.data_checksum, "year_tolerance": year_tolerance})
