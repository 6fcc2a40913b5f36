"""Why a film was returned: matched words, named people in it, genres, language, seeds shared."""
from __future__ import annotations

from typing import Any

import pandas as pd

from core.search import languages
from core.search.intent import QueryIntent
from core.search.text import terms


def explain(doc: pd.Series, query_terms: list[str], intent: QueryIntent | None,
            seeds: pd.DataFrame | None = None) -> tuple[list[str], dict[str, Any]]:
    """Human-readable reasons and the same facts as a dict for one document (a documents row)."""
    details: dict[str, Any] = {}
    reasons: list[str] = []
    if intent is not None:
        if intent.title_rows and doc.name in intent.title_rows:
            details["title_match"] = True
            reasons.append("title matches the query")
        doc_terms = set(terms(doc["text"]))
        matched = [t for t in query_terms if t in doc_terms]
        if matched:
            details["matched_terms"] = matched
            reasons.append("matches: " + ", ".join(matched[:8]))
        cast = [name for pid, name in zip(doc["cast_ids"], doc["cast"]) if pid in intent.people]
        directors = [name for pid, name in zip(doc["director_ids"], doc["directors"]) if pid in intent.people]
        if cast:
            details["cast"] = cast
            reasons.append("with " + ", ".join(cast))
        if directors:
            details["directors"] = directors
            reasons.append("directed by " + ", ".join(directors))
        genres = [g for g in intent.genres if g in doc["genres"]]
        if genres:
            details["genres"] = genres
            reasons.append("genre: " + ", ".join(genres))
        if doc["language"] and doc["language"] in intent.languages:
            details["language"] = doc["language"]
            reasons.append(f"in {languages.name(doc['language'])}")
    if seeds is not None and len(seeds):
        _shared(doc, seeds, details, reasons)
    return reasons, details


def _shared(doc: pd.Series, seeds: pd.DataFrame, details: dict[str, Any], reasons: list[str]) -> None:
    seed_cast = {pid: name for ids, names in zip(seeds["cast_ids"], seeds["cast"]) for pid, name in zip(ids, names)}
    seed_directors = {pid: name for ids, names in zip(seeds["director_ids"], seeds["directors"])
                      for pid, name in zip(ids, names)}
    seed_genres = {g for gs in seeds["genres"] for g in gs}
    cast = [seed_cast[p] for p in doc["cast_ids"] if p in seed_cast]
    directors = [seed_directors[p] for p in doc["director_ids"] if p in seed_directors]
    genres = [g for g in doc["genres"] if g in seed_genres]
    if cast:
        details["shared_cast"] = cast
        reasons.append("shares cast: " + ", ".join(cast))
    if directors:
        details["shared_directors"] = directors
        reasons.append("same director: " + ", ".join(directors))
    if genres:
        details["shared_genres"] = genres
        reasons.append("shared genres: " + ", ".join(genres))
