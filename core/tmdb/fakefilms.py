"""The synthetic film database behind the TMDb test server.

Deterministic from a seed, sized by argument, with knobs for the hard cases: a "hot day" that
holds more films than one discover query can page through, and hot-day films that share vote
count, runtime and even language so the client has to split on every discover filter it knows.
Films can be changed, deleted and added at run time; each change is recorded for
``/movie/changes``. Every JSON shape mirrors TMDb's v3 API.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import numpy as np

LANGUAGES = ["en", "fr", "de", "es", "it", "ja", "ko", "zh", "hi", "ru", "sv", "pt", "xx"]
LANGUAGE_WEIGHTS = np.array([40, 8, 6, 7, 5, 6, 4, 5, 5, 4, 2, 3, 1], dtype=float)
GENRES = {28: "Action", 12: "Adventure", 16: "Animation", 35: "Comedy", 80: "Crime", 99: "Documentary",
          18: "Drama", 10751: "Family", 14: "Fantasy", 36: "History", 27: "Horror", 10402: "Music",
          9648: "Mystery", 10749: "Romance", 878: "Science Fiction", 53: "Thriller", 10752: "War", 37: "Western"}
WORDS = ["Silent", "Crimson", "Last", "Hidden", "Broken", "Golden", "Midnight", "Paper", "Iron", "Winter",
         "River", "Garden", "Signal", "Harbor", "Empire", "Letter", "Mirror", "Orchard", "Station", "Comet"]
FIRST = ["Ada", "Bruno", "Chloe", "Dev", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kemi", "Luca"]
LAST = ["Alvarez", "Berg", "Chen", "Duarte", "Eklund", "Fischer", "Gupta", "Haddad", "Ito", "Jensen"]
DEPARTMENTS = ["Acting", "Directing", "Writing", "Production"]
CREW_JOBS = [("Directing", "Director"), ("Writing", "Screenplay"), ("Production", "Producer"),
             ("Sound", "Original Music Composer"), ("Camera", "Director of Photography"), ("Editing", "Editor")]
SORT_KEYS = ("popularity", "vote_count", "primary_release_date", "vote_average")


@dataclass
class FakeFilmsConfig:
    films: int = 2000
    seed: int = 11
    start: str = "2000-01-01"
    end: str = "2020-12-31"
    hot_day: str | None = None
    hot_films: int = 0
    hot_uniform: int = 0  # 1: hot films share vote count; 2: and runtime; 3: and original language
    adult_share: float = 0.03


class FakeFilms:
    """Column arrays of films plus on-demand details; safe to mutate from another thread."""

    def __init__(self, config: FakeFilmsConfig | None = None):
        self.config = config or FakeFilmsConfig()
        self.lock = threading.RLock()
        self.changes: list[tuple[dt.datetime, int]] = []
        rng = np.random.default_rng(self.config.seed)
        n_hot = self.config.hot_films if self.config.hot_day else 0
        n = self.config.films + n_hot
        self.ids = np.sort(rng.choice(np.arange(2, max(8 * n, 100)), size=n, replace=False)).astype(np.int64)
        rng.shuffle(self.ids)
        first, last = (dt.date.fromisoformat(d).toordinal() for d in (self.config.start, self.config.end))
        self.dates = rng.integers(first, last + 1, size=n).astype(np.int64)
        self.votes = np.where(rng.random(n) < 0.4, 0, (rng.pareto(1.1, n) * 25).astype(np.int64)).astype(np.int64)
        self.runtime = np.where(rng.random(n) < 0.1, 0, np.clip(rng.normal(100, 25, n), 40, 240)).astype(np.int64)
        self.lang = rng.choice(len(LANGUAGES), size=n, p=LANGUAGE_WEIGHTS / LANGUAGE_WEIGHTS.sum()).astype(np.int64)
        self.adult = rng.random(n) < self.config.adult_share
        self.popularity = np.round(rng.lognormal(1.0, 1.2, n), 3)
        self.vote_average = np.where(self.votes > 0, np.round(rng.uniform(3, 9, n), 1), 0.0)
        if n_hot:
            hot = slice(self.config.films, n)
            self.dates[hot] = dt.date.fromisoformat(self.config.hot_day).toordinal()
            if self.config.hot_uniform >= 1:
                self.votes[hot] = 0
                self.vote_average[hot] = 0.0
            if self.config.hot_uniform >= 2:
                self.runtime[hot] = 0
            if self.config.hot_uniform >= 3:
                self.lang[hot] = 0
        self.version = np.zeros(n, dtype=np.int64)
        self.deleted = np.zeros(n, dtype=bool)
        self._index = {int(i): k for k, i in enumerate(self.ids)}
        self.n_people = max(60, self.config.films // 2)
        self.person_base = 10_000_000

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        return int((~self.deleted).sum())

    def matching(self, filters: dict[str, str]) -> np.ndarray:
        """Row positions matching TMDb discover filters, in the requested sort order."""
        with self.lock:
            mask = ~self.deleted
            if filters.get("include_adult", "false").lower() != "true":
                mask &= ~self.adult
            for name, column, parse in (("primary_release_date", self.dates, _date_ordinal),
                                        ("vote_count", self.votes, int), ("with_runtime", self.runtime, int)):
                if f"{name}.gte" in filters:
                    mask &= column >= parse(filters[f"{name}.gte"])
                if f"{name}.lte" in filters:
                    mask &= column <= parse(filters[f"{name}.lte"])
            if filters.get("with_original_language"):
                wanted = [LANGUAGES.index(c) for c in filters["with_original_language"].split("|") if c in LANGUAGES]
                mask &= np.isin(self.lang, wanted)
            rows = np.flatnonzero(mask)
            key, _, direction = filters.get("sort_by", "popularity.desc").partition(".")
            column = {"popularity": self.popularity, "vote_count": self.votes, "vote_average": self.vote_average,
                      "primary_release_date": self.dates}.get(key, self.popularity)[rows]
            order = np.lexsort((self.ids[rows], -column if direction != "asc" else column))
            return rows[order]

    def list_item(self, row: int) -> dict:
        """A film as it appears in discover and list results."""
        film_id = int(self.ids[row])
        details = self.details(film_id)
        return {"adult": bool(self.adult[row]), "backdrop_path": details["backdrop_path"],
                "genre_ids": [g["id"] for g in details["genres"]], "id": film_id,
                "original_language": details["original_language"], "original_title": details["original_title"],
                "overview": details["overview"], "popularity": details["popularity"],
                "poster_path": details["poster_path"], "release_date": details["release_date"],
                "title": details["title"], "video": False, "vote_average": details["vote_average"],
                "vote_count": details["vote_count"]}

    def details(self, film_id: int, append: tuple[str, ...] = ()) -> dict | None:
        """``/movie/{id}`` JSON, or ``None`` for an unknown or deleted film."""
        with self.lock:
            row = self._index.get(int(film_id))
            if row is None or self.deleted[row]:
                return None
            version = int(self.version[row])
            rng = np.random.default_rng([self.config.seed, film_id, version])
            words = rng.choice(WORDS, size=2, replace=False)
            title = f"{words[0]} {words[1]} {film_id}" + (f" (rev {version})" if version else "")
            lang = LANGUAGES[self.lang[row]]
            genres = sorted(rng.choice(list(GENRES), size=int(rng.integers(1, 4)), replace=False).tolist())
            spoken = [lang] + (["en"] if lang != "en" and rng.random() < 0.3 else [])
            budget = int(rng.integers(1, 200) * 1_000_000) if rng.random() < 0.5 else 0
            data = {
                "adult": bool(self.adult[row]), "backdrop_path": f"/b{film_id}.jpg", "belongs_to_collection": None,
                "budget": budget, "genres": [{"id": g, "name": GENRES[g]} for g in genres], "homepage": "",
                "id": int(film_id), "imdb_id": f"tt{film_id:07d}" if rng.random() < 0.9 else None,
                "origin_country": ["US"], "original_language": lang,
                "original_title": title if lang == "en" else f"{title} ({lang})",
                "overview": f"A {GENRES[genres[0]].lower()} film about {words[0].lower()} things.",
                "popularity": float(self.popularity[row]) + version, "poster_path": f"/p{film_id}.jpg",
                "production_companies": [], "production_countries": [],
                "release_date": dt.date.fromordinal(int(self.dates[row])).isoformat(),
                "revenue": int(budget * rng.uniform(0, 4)) if budget else 0,
                "runtime": int(self.runtime[row]),
                "spoken_languages": [{"english_name": c, "iso_639_1": c, "name": c} for c in spoken],
                "status": "Released", "tagline": "", "title": title, "video": False,
                "vote_average": float(self.vote_average[row]), "vote_count": int(self.votes[row]),
            }
            if "credits" in append:
                data["credits"] = self._credits(film_id, rng)
            if "external_ids" in append:
                data["external_ids"] = {"id": film_id, "imdb_id": data["imdb_id"], "wikidata_id": None,
                                        "facebook_id": None, "instagram_id": None, "twitter_id": None}
            if "keywords" in append:
                data["keywords"] = {"id": film_id, "keywords": [
                    {"id": int(k), "name": f"keyword {int(k)}"} for k in sorted(rng.choice(300, size=int(rng.integers(0, 5)), replace=False))]}
            return data

    def _person(self, person_id: int) -> dict:
        k = person_id - self.person_base
        return {"adult": False, "gender": k % 4, "id": person_id, "known_for_department": DEPARTMENTS[k % 4],
                "name": f"{FIRST[k % len(FIRST)]} {LAST[(k // len(FIRST)) % len(LAST)]} {k}",
                "original_name": f"{FIRST[k % len(FIRST)]} {LAST[(k // len(FIRST)) % len(LAST)]} {k}",
                "popularity": round(0.5 + (k * 7919 % 1000) / 100, 3), "profile_path": None}

    def _credits(self, film_id: int, rng: np.random.Generator) -> dict:
        cast_ids = rng.choice(self.n_people, size=int(rng.integers(3, 11)), replace=False) + self.person_base
        cast = []
        for order, pid in enumerate(cast_ids.tolist()):
            cast.append({**self._person(pid), "cast_id": order + 1, "character": f"Role {order + 1}",
                         "credit_id": f"c{film_id}-{order}", "order": order})
        if rng.random() < 0.1:  # one actor in two roles, as TMDb lists it: twice in the cast
            dual = cast[0]
            cast.append({**dual, "cast_id": len(cast) + 1, "character": "Twin", "credit_id": f"c{film_id}-dual",
                         "order": len(cast)})
        crew = []
        for department, job in CREW_JOBS[: int(rng.integers(1, len(CREW_JOBS) + 1))]:
            pid = int(rng.integers(0, self.n_people)) + self.person_base
            crew.append({**self._person(pid), "credit_id": f"k{film_id}-{job}", "department": department,
                         "job": job})
        return {"id": film_id, "cast": cast, "crew": crew}

    # ------------------------------------------------------------------ changes
    def _record(self, ids, when: dt.datetime | None) -> None:
        stamp = when or dt.datetime.now(dt.timezone.utc)
        self.changes.extend((stamp, int(i)) for i in ids)

    def change(self, ids, when: dt.datetime | None = None) -> None:
        """Edit films (title, popularity); they show up in ``/movie/changes``."""
        with self.lock:
            for film_id in ids:
                self.version[self._index[int(film_id)]] += 1
            self._record(ids, when)

    def delete(self, ids, when: dt.datetime | None = None) -> None:
        with self.lock:
            for film_id in ids:
                self.deleted[self._index[int(film_id)]] = True
            self._record(ids, when)

    def add(self, count: int, date: str, when: dt.datetime | None = None) -> list[int]:
        """New films released on ``date``; returns their ids."""
        with self.lock:
            rng = np.random.default_rng([self.config.seed, len(self.ids), 99])
            start = int(self.ids.max()) + 1
            new = np.arange(start, start + count, dtype=np.int64)
            self.ids = np.concatenate([self.ids, new])
            self.dates = np.concatenate([self.dates, np.full(count, dt.date.fromisoformat(date).toordinal())])
            self.votes = np.concatenate([self.votes, rng.integers(0, 50, count)])
            self.runtime = np.concatenate([self.runtime, rng.integers(60, 150, count)])
            self.lang = np.concatenate([self.lang, np.zeros(count, dtype=np.int64)])
            self.adult = np.concatenate([self.adult, np.zeros(count, dtype=bool)])
            self.popularity = np.concatenate([self.popularity, np.round(rng.uniform(1, 5, count), 3)])
            self.vote_average = np.concatenate([self.vote_average, np.round(rng.uniform(3, 9, count), 1)])
            self.version = np.concatenate([self.version, np.zeros(count, dtype=np.int64)])
            self.deleted = np.concatenate([self.deleted, np.zeros(count, dtype=bool)])
            self._index.update({int(i): len(self._index) + k for k, i in enumerate(new)})
            self._record(new.tolist(), when)
            return new.tolist()

    def changed_between(self, start: dt.datetime, end: dt.datetime) -> list[int]:
        with self.lock:
            return sorted({film_id for stamp, film_id in self.changes if start <= stamp < end})

    def ids_in_range(self, start: str, end: str, include_adult: bool = False) -> set[int]:
        """Ground truth for tests: every live film released in [start, end]."""
        rows = self.matching({"primary_release_date.gte": start, "primary_release_date.lte": end,
                              "include_adult": "true" if include_adult else "false"})
        return set(self.ids[rows].tolist())


def _date_ordinal(value: str) -> int:
    return dt.date.fromisoformat(value[:10]).toordinal()
