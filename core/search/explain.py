"""Why a film was returned: matched words, named people in it, genres, language, seeds shared."""
from __future__ import annotations

from typing import Any

import pandas as pd

from core.search import languages
from core.search.intent import QueryIntent
from core.search.text import terms


class _Why:
    """Collects each fact twice: as a readable reason and under a key in the details dict."""

    def __init__(self):
        self.reasons: list[str] = []
        self.details: dict[str, Any] = {}

    def add(self, key: str, values: list, label: str, limit: int = 8) -> None:
        if values:
            self.details[key] = values
            self.reasons.append(label + ", ".join(map(str, values[:limit])))


def explain(doc: pd.Series, query_terms: list[str], intent: QueryIntent | None,
            seeds: pd.DataFrame | None = None) -> tuple[list[str], dict[str, Any]]:
    """Human-readable reasons and the same facts as a dict for one document (a documents row)."""
    why = _Why()
    if intent is not None:
        if intent.title_rows and doc.name in intent.title_rows:
            why.details["title_match"] = True
            why.reasons.append("title matches the query")
        doc_terms = set(terms(doc["text"]))
        why.add("matched_terms", [t for t in query_terms if t in doc_terms], "matches: ")
        why.add("cast", [n for pid, n in zip(doc["cast_ids"], doc["cast"]) if pid in intent.people], "with ")
        why.add("directors", [n for pid, n in zip(doc["director_ids"], doc["directors"]) if pid in intent.people],
                "directed by ")
        why.add("genres", [g for g in intent.genres if g in doc["genres"]], "genre: ")
        if doc["language"] and doc["language"] in intent.languages:
            why.details["language"] = doc["language"]
            why.reasons.append(f"in {languages.name(doc['language'])}")
    if seeds is not None and len(seeds):
        seed_cast = _names_by_id(seeds, "cast_ids", "cast")
        seed_directors = _names_by_id(seeds, "director_ids", "directors")
        seed_genres = {g for gs in seeds["genres"] for g in gs}
        why.add("shared_cast", [seed_cast[p] for p in doc["cast_ids"] if p in seed_cast], "shares cast: ")
        why.add("shared_directors", [seed_directors[p] for p in doc["director_ids"] if p in seed_directors],
                "same director: ")
        why.add("shared_genres", [g for g in doc["genres"] if g in seed_genres], "shared genres: ")
    return why.reasons, why.details


def _names_by_id(frame: pd.DataFrame, ids: str, names: str) -> dict[int, str]:
    return {pid: name for id_list, name_list in zip(frame[ids], frame[names]) for pid, name in zip(id_list, name_list)}
