"""TMDb JSON to the canonical tables, and merging fetched details into an existing catalog.

One path for every command: ``listing_tables`` turns discover results into film rows, and
``apply_details`` folds ``/movie/{id}`` answers (with credits) into a catalog's tables. A full
crawl, a backfill and a sync therefore produce identical rows for identical answers.

TMDb's data needs repairs the schema would refuse: empty release dates, years outside
1870–2100, runtimes of 0 (unknown) or absurd lengths, budgets of 0 (unknown), an actor listed
twice in one cast (two roles: merged into one credit, characters joined). Each repair is counted.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, Iterable

import pandas as pd

from core.catalog.schema import YEAR_RANGE, empty_frame

IMAGE_BASE = "https://image.tmdb.org/t/p/w500"
PRINCIPAL_CREW = frozenset({"Director", "Co-Director", "Screenplay", "Writer", "Story", "Novel", "Producer",
                            "Executive Producer", "Original Music Composer", "Director of Photography", "Editor",
                            "Casting", "Production Design"})
DETAIL_COLUMNS = ("title", "original_title", "overview", "release_date", "year", "runtime", "original_language",
                  "spoken_languages", "genres", "keywords", "popularity", "vote_average", "vote_count", "budget",
                  "revenue", "poster_url", "backdrop_url", "adult", "imdb_id", "tmdb_id")
MAX_RUNTIME = 2000


def _date(value: Any, repairs: Counter) -> tuple[str | None, int | None]:
    if not value:
        return None, None
    try:
        parsed = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        repairs["unparseable release_date"] += 1
        return None, None
    if not YEAR_RANGE[0] <= parsed.year <= YEAR_RANGE[1]:
        repairs["release year out of range"] += 1
        return None, None
    return parsed.isoformat(), parsed.year


def _image(path: Any) -> str | None:
    return f"{IMAGE_BASE}{path}" if path else None


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _common(item: dict, repairs: Counter) -> dict[str, Any]:
    release, year = _date(item.get("release_date"), repairs)
    vote_average = item.get("vote_average")
    if vote_average is not None and not 0 <= float(vote_average) <= 10:
        repairs["vote_average out of range"] += 1
        vote_average = None
    title = item.get("title") or item.get("original_title") or f"TMDb film {item['id']}"
    return {"movie_id": int(item["id"]), "tmdb_id": int(item["id"]), "title": title,
            "original_title": item.get("original_title") or None, "overview": item.get("overview") or None,
            "release_date": release, "year": year, "original_language": item.get("original_language") or None,
            "popularity": max(0.0, float(item.get("popularity") or 0.0)), "vote_average": vote_average,
            "vote_count": max(0, int(item.get("vote_count") or 0)), "poster_url": _image(item.get("poster_path")),
            "backdrop_url": _image(item.get("backdrop_path")), "adult": bool(item.get("adult", False))}


def listing_row(item: dict, genres: dict[int, str], repairs: Counter) -> dict[str, Any]:
    """A film row from a discover result (no runtime, credits, budget: those need details)."""
    row = _common(item, repairs)
    row["genres"] = [genres.get(int(g), str(g)) for g in item.get("genre_ids") or []]
    row["spoken_languages"], row["keywords"] = [], []
    return row


def details_row(data: dict, repairs: Counter) -> dict[str, Any]:
    row = _common(data, repairs)
    runtime = _positive(data.get("runtime"))
    if runtime is not None and runtime > MAX_RUNTIME:
        repairs["runtime over 2000 minutes"] += 1
        runtime = None
    external = data.get("external_ids") or {}
    row.update({
        "runtime": runtime, "budget": _positive(data.get("budget")), "revenue": _positive(data.get("revenue")),
        "genres": [g["name"] for g in data.get("genres") or [] if g.get("name")],
        "spoken_languages": [s["iso_639_1"] for s in data.get("spoken_languages") or [] if s.get("iso_639_1")],
        "keywords": [k["name"] for k in (data.get("keywords") or {}).get("keywords", []) if k.get("name")],
        "imdb_id": data.get("imdb_id") or external.get("imdb_id") or None,
    })
    return row


def credit_rows(data: dict, crew_jobs: frozenset[str] | None, repairs: Counter) -> tuple[list[dict], list[dict]]:
    """Credits (cast in billing order, chosen crew jobs) and the people they name."""
    movie_id = int(data["id"])
    credits = data.get("credits") or {}
    rows: dict[tuple, dict] = {}
    people: list[dict] = []
    for member in sorted(credits.get("cast") or [], key=lambda m: (m.get("order", 10**6), m["id"])):
        key = (movie_id, int(member["id"]), "cast", "Actor")
        character = member.get("character") or None
        if key in rows:
            repairs["actor listed twice in a cast (roles merged)"] += 1
            if character:
                previous = rows[key]["character"]
                rows[key]["character"] = f"{previous} / {character}" if previous else character
            continue
        rows[key] = {"movie_id": movie_id, "person_id": int(member["id"]), "role": "cast", "job": "Actor",
                     "character": character, "bill_order": max(0, int(member.get("order") or 0))}
        people.append(member)
    for member in credits.get("crew") or []:
        job = member.get("job") or ""
        if crew_jobs is not None and job not in crew_jobs:
            continue
        key = (movie_id, int(member["id"]), "crew", job)
        if key not in rows:
            rows[key] = {"movie_id": movie_id, "person_id": int(member["id"]), "role": "crew", "job": job,
                         "character": None, "bill_order": None}
            people.append(member)
    return list(rows.values()), [_person(m, movie_id) for m in people]


def _person(member: dict, movie_id: int) -> dict:
    return {"person_id": int(member["id"]), "name": member.get("name") or member.get("original_name") or f"TMDb person {member['id']}",
            "gender": int(member["gender"]) if member.get("gender") is not None else None,
            "popularity": max(0.0, float(member.get("popularity") or 0.0)),
            "known_for_department": member.get("known_for_department") or None, "_movie": movie_id}


def listing_tables(items: Iterable[dict], genres: dict[int, str]) -> tuple[dict[str, pd.DataFrame], Counter]:
    repairs: Counter = Counter()
    rows = [listing_row(item, genres, repairs) for item in items]
    movies = pd.DataFrame(rows, columns=list(empty_frame("movies").columns)) if rows else empty_frame("movies")
    return {"movies": movies, "people": empty_frame("people"), "credits": empty_frame("credits"),
            "ratings": empty_frame("ratings")}, repairs


def _blank(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT


def apply_details(tables: dict[str, pd.DataFrame], records: Iterable[dict], *, tmdb_people: bool = True,
                  overwrite: bool = True, drop_missing: bool = True, add_new: bool = False,
                  crew_jobs: frozenset[str] | None = PRINCIPAL_CREW, accept_new=None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Fold details answers (``{"id", "found", "data"}``) into ``tables``.

    Films are matched on ``tmdb_id``. ``overwrite`` replaces TMDb fields and credits (a TMDb
    catalog); otherwise only blank fields are filled and credits added where a film has none (a
    catalog from another source). ``tmdb_people`` keeps TMDb person ids; otherwise people are
    matched by normalised name and new ones get the importers' name-hash ids. A 404 drops the film when
    ``drop_missing``; films not yet in the catalog are added when ``add_new`` and
    ``accept_new(row)`` allows. Returns the new tables and a report of counts.
    """
    repairs: Counter = Counter()
    movies = tables["movies"]
    by_tmdb = {int(t): int(m) for t, m in zip(movies["tmdb_id"], movies["movie_id"]) if pd.notna(t)}
    movie_rows = {int(r["movie_id"]): r for r in movies.to_dict("records")}
    has_credits = set(credited_movies(tables["credits"]))
    new_credits: list[dict] = []
    new_people: list[dict] = []
    replaced: set[int] = set()
    dropped: set[int] = set()
    report = Counter()
    for record in sorted(records, key=lambda r: int(r["id"])):
        tmdb_id = int(record["id"])
        movie_id = by_tmdb.get(tmdb_id)
        if not record.get("found"):
            report["not found (deleted on TMDb)"] += 1
            if movie_id is not None and drop_missing:
                dropped.add(movie_id)
            continue
        row = details_row(record["data"], repairs)
        if movie_id is None:
            if not add_new or (accept_new is not None and not accept_new(row)):
                report["skipped (not in catalog)"] += 1
                continue
            movie_id = tmdb_id
            movie_rows[movie_id] = {c: None for c in movies.columns} | {"movie_id": movie_id}
            report["added"] += 1
        else:
            report["updated"] += 1
        target = movie_rows[movie_id]
        for column in DETAIL_COLUMNS:
            if overwrite or _blank(target.get(column)):
                target[column] = row[column]
        if overwrite or movie_id not in has_credits:
            credits, people = credit_rows(record["data"], crew_jobs, repairs)
            for credit in credits:
                credit["movie_id"] = movie_id
            new_credits += credits
            new_people += people
            replaced.add(movie_id)
    for movie_id in dropped:
        movie_rows.pop(movie_id, None)
    tables = dict(tables)
    tables["movies"] = _movies_frame(movie_rows)
    tables["credits"], tables["people"] = _merge_credits(tables, new_credits, new_people, replaced | dropped,
                                                         tmdb_people, overwrite)
    if "ratings" in tables and dropped and len(tables["ratings"]):
        tables["ratings"] = tables["ratings"][~tables["ratings"]["movie_id"].isin(dropped)].reset_index(drop=True)
    report["dropped"] = len(dropped)
    return tables, {**dict(report), "repairs": dict(repairs)}


def credited_movies(credits: pd.DataFrame) -> list[int]:
    """Films that have a cast or a director credit (the others are what backfill fills)."""
    if not len(credits):
        return []
    named = credits[(credits["role"] == "cast") | (credits["job"] == "Director")]
    return sorted(set(named["movie_id"].astype("int64").tolist()))


def _movies_frame(movie_rows: dict[int, dict]) -> pd.DataFrame:
    columns = list(empty_frame("movies").columns)
    if not movie_rows:
        return empty_frame("movies")
    return pd.DataFrame([movie_rows[k] for k in sorted(movie_rows)], columns=columns)


def _merge_credits(tables, new_credits, new_people, replaced, tmdb_people, overwrite):
    credits, people = tables["credits"], tables["people"]
    if overwrite and len(credits):
        credits = credits[~credits["movie_id"].isin(replaced)]
    fresh_people = pd.DataFrame(new_people, columns=["person_id", "name", "gender", "popularity",
                                                     "known_for_department", "_movie"])
    fresh_credits = pd.DataFrame(new_credits, columns=list(empty_frame("credits").columns))
    if not tmdb_people and len(fresh_people):
        fresh_people, fresh_credits = _people_by_name(people, fresh_people, fresh_credits)
    # One row per person: the answer for the film with the highest id wins (deterministic).
    fresh_people = (fresh_people.sort_values(["person_id", "_movie"], kind="stable")
                    .drop_duplicates("person_id", keep="last").drop(columns="_movie"))
    people = pd.concat([p for p in (people[~people["person_id"].isin(fresh_people["person_id"])], fresh_people) if len(p)]
                       or [empty_frame("people")], ignore_index=True)
    credits = pd.concat([c for c in (credits, fresh_credits) if len(c)] or [empty_frame("credits")], ignore_index=True)
    credits = credits.drop_duplicates(["movie_id", "person_id", "role", "job"], keep="first")
    if tmdb_people:
        people = people[people["person_id"].isin(credits["person_id"])]
    credits = credits.assign(_order=credits["bill_order"].fillna(10**9)).sort_values(
        ["movie_id", "role", "_order", "job", "person_id"], kind="stable").drop(columns="_order")
    return credits.reset_index(drop=True), people.sort_values("person_id", kind="stable").reset_index(drop=True)


def _people_by_name(people: pd.DataFrame, fresh_people: pd.DataFrame, fresh_credits: pd.DataFrame):
    """Give TMDb people the catalog's ids by normalised name; unknown names get the name-hash id every
    importer uses (``importers.base.person_id``), so the same person is one id across sources."""
    from core.catalog.importers.base import person_id, person_key

    keys = people["name"].map(person_key) if len(people) else pd.Series(dtype=str)
    unique = ~keys.duplicated(keep=False)
    known = dict(zip(keys[unique], people["person_id"][unique])) if len(people) else {}
    mapping = {int(tmdb_id): int(known.get(person_key(name), person_id(name)))
               for name, tmdb_id in zip(fresh_people["name"], fresh_people["person_id"])}
    fresh_people = fresh_people.assign(person_id=fresh_people["person_id"].map(mapping))
    fresh_credits = fresh_credits.assign(person_id=fresh_credits["person_id"].map(mapping))
    return fresh_people, fresh_credits
