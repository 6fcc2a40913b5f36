"""What a query asks for beyond its words: a language, named people, an exact title, genres,
years and decades, and "like <title>".

Everything is looked up in the catalog's own documents, so only languages, people, titles and
genres that exist there can be detected (tables of synonyms and year forms: ``understand.py``).

Language rules (documented in the README):

* a language *name* or alias ("French", "malayalam", "Mandarin") is detected as a whole word,
  only for languages present in the catalog; film industries ("Bollywood") likewise; a country
  ("Japan", "South Korea") only as "from Japan", "made in Japan" or "Japan film/movie/cinema",
  because "a heist in Japan" names where the story happens;
* a *code* is detected only as ``lang:xx`` / ``language:xx``, never as a bare word, because
  "it", "de", "es", "hi", "no" are ordinary words;
* "English" only with explicit phrasing ("in English", "English language",
  "English-language", ``lang:en``), because "an English teacher" or "the English Channel"
  name a subject, not the language of the film;
* a language word that is part of a film title also present in the query ("French Kiss") is
  not an intent.

People are matched as whole names of two or more words (mononyms such as "Cher" are too often
ordinary words); the longest name wins where names overlap.

"like <title>" (also "similar to", "in the style of", "reminiscent of", ...) followed by a catalog
title (a leading "The" may be left out, a year may follow) names seed films: the search is routed
to "more like these". Words that only carry intent ("movies", "like", "set in", "show me") and
the words read as years, genres and languages are taken out of the text matched against titles
and plots (``QueryIntent.content``); the dense query keeps genre and language words, which
describe the film (``QueryIntent.dense_text``).

Each understood part is a *chip* (``QueryIntent.chips``: key, label); ``analyze(query,
ignore=keys)`` reads the query without the chips whose keys are given, their words going back
to the plain text.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.search import languages, understand
from core.search.text import STOPWORDS, fold_token, tokens

CODE_PATTERN = re.compile(r"\b(?:lang|language)\s*[:=]\s*([A-Za-z]{2,3})\b", re.IGNORECASE)
EXPLICIT_AFTER = frozenset({"language", "speaking", "spoken", "dubbed", "audio"})
MAX_NAME_TOKENS = 5
MAX_TITLE_TOKENS = 10
ARTICLES = ("the", "a", "an")


@dataclass
class QueryIntent:
    languages: list[str] = field(default_factory=list)       # ISO codes
    language_words: list[str] = field(default_factory=list)  # the words that triggered them
    people: dict[int, str] = field(default_factory=dict)     # person_id -> name
    title_rows: list[int] = field(default_factory=list)      # documents whose title is the query
    genres: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    year_words: list[str] = field(default_factory=list)
    like_rows: list[int] = field(default_factory=list)       # seed documents of "like <title>"
    content: str = ""         # words matched against titles and plots (BM25)
    dense_text: str = ""      # what the encoder reads: the description with genre/language words
    words: int = 0            # word tokens in the query
    chips: list[dict] = field(default_factory=list)           # {"key", "label", "kind"}
    corrections: dict[str, str] = field(default_factory=dict)  # typed word -> spelling correction

    @property
    def has_constraints(self) -> bool:
        return bool(self.genres or self.languages or self.people or self.title_rows or self.like_rows
                    or self.year_min is not None or self.year_max is not None)

    def as_dict(self) -> dict:
        return {"languages": self.languages, "language_words": self.language_words,
                "people": sorted(self.people.values()), "exact_title": bool(self.title_rows), "genres": self.genres,
                "year_min": self.year_min, "year_max": self.year_max, "like_rows": self.like_rows,
                "content": self.content, "chips": self.chips, "corrections": self.corrections}


def _key(text: str) -> tuple[str, ...]:
    return tuple(tokens(text))


class QueryAnalyzer:
    """Built once per index from its documents; ``analyze(query)`` is a few dictionary lookups."""

    def __init__(self, documents: pd.DataFrame):
        present = sorted({c for c in documents["language"] if c})
        self.catalog_languages = set(present)
        self.language_words: dict[str, list[str]] = {}
        for word, codes in languages.WORDS.items():
            known = [c for c in codes if c in self.catalog_languages]
            if known:
                self.language_words[fold_token(word)] = known
        for code in present:  # a code missing from the table still has its display name
            self.language_words.setdefault(fold_token(languages.name(code)), [code])
        for word, codes in understand.INDUSTRY_LANGUAGES.items():
            known = [c for c in codes if c in self.catalog_languages]
            if known:
                self.language_words.setdefault(word, known)
        self.countries = {k: [c for c in v if c in self.catalog_languages] for k, v in understand.COUNTRY_LANGUAGES.items()}
        self.countries = {k: v for k, v in self.countries.items() if v}
        self.people: dict[tuple[str, ...], dict[int, str]] = defaultdict(dict)
        self.person_rows: dict[int, list[int]] = defaultdict(list)
        for row, (names, ids, dnames, dids) in enumerate(zip(documents["cast"], documents["cast_ids"],
                                                             documents["directors"], documents["director_ids"])):
            for name, pid in zip([*names, *dnames], [*ids, *dids]):
                key = _key(name)
                if 2 <= len(key) <= MAX_NAME_TOKENS:
                    self.people[key][int(pid)] = name
                self.person_rows[int(pid)].append(row)
        self.titles: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self.loose_titles: dict[tuple[str, ...], list[int]] = defaultdict(list)   # without a leading article
        for row, title in enumerate(documents["title"]):
            key = _key(title)
            self.titles[key].append(row)
            if len(key) > 1 and key[0] in ARTICLES:
                self.loose_titles[key[1:]].append(row)
        catalog_genres = {g for gs in documents["genres"] for g in gs}
        self.genres = {_key(g): g for g in catalog_genres}
        self.genre_synonyms: dict[tuple[str, ...], list[str]] = {}
        for phrase, names in understand.GENRE_SYNONYMS.items():
            known = [g for g in names if g in catalog_genres]
            if known:
                self.genre_synonyms[phrase] = known
        for key, name in self.genres.items():
            self.genre_synonyms.setdefault(key, [name])
        self.max_title_tokens = max((len(k) for k in self.titles), default=0)
        years = pd.to_numeric(documents["year"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        self.latest_year = int(np.nanmax(years)) if np.isfinite(years).any() else None
        self.movie_ids = documents["movie_id"].astype("int64").to_numpy()
        self.title_of = documents["title"].astype(str).to_numpy()
        self.year_of = years
        popularity = pd.to_numeric(documents.get("popularity"), errors="coerce") if "popularity" in documents else None
        votes = pd.to_numeric(documents.get("vote_count"), errors="coerce") if "vote_count" in documents else None
        # Which of several same-titled films a "like <title>" means: the most popular, else the
        # one with the longest description (a proxy for notability when there are no votes).
        self.notability = np.array([
            (0.0 if popularity is None or pd.isna(p) else float(p), 0.0 if votes is None or pd.isna(v) else float(v),
             float(len(str(t))))
            for p, v, t in zip(popularity if popularity is not None else [None] * len(documents),
                               votes if votes is not None else [None] * len(documents),
                               documents["overview"] if "overview" in documents else [""] * len(documents))],
            dtype=[("p", float), ("v", float), ("n", float)]) if len(documents) else np.zeros(0)

    # ------------------------------------------------------------------ public
    def analyze(self, query: str, ignore=()) -> QueryIntent:
        ignore = set(ignore or ())
        words = tokens(query)
        intent = QueryIntent(words=len(words))
        intent.title_rows = [] if "title" in ignore else list(self._exact_title(words))
        title_spans = self._title_spans(words)
        blocked = {i for s, e in title_spans for i in range(s, e)}
        if intent.title_rows:
            blocked = set(range(len(words)))
        consumed: set[int] = set()   # out of the BM25 text and the dense text
        described: set[int] = set()  # out of the BM25 text only (genre and language words)

        # "like <title>": seeds for more-like-these
        for trigger_start, trigger_end, title_end, rows in self._likes(words):
            row = self._pick(rows, words, title_end)
            key = f"like:{int(self.movie_ids[row])}"
            end = title_end + (1 if title_end < len(words) and understand._year(words[title_end]) else 0)
            positions = range(trigger_start, end)
            if key in ignore:
                continue
            if row not in intent.like_rows:
                intent.like_rows.append(row)
                year = self.year_of[row]
                label = self.title_of[row] + (f" ({int(year)})" if np.isfinite(year) else "")
                intent.chips.append({"key": key, "label": f"like: {label}", "kind": "like"})
            consumed.update(positions)
            blocked.update(positions)

        # years and decades
        if "year" not in ignore:
            spans = understand.parse_years(words, blocked | consumed, self.latest_year)
            if spans:
                intent.year_min, intent.year_max = understand.combine_years(spans)
                intent.year_words = [s.words for s in spans]
                low, high = intent.year_min, intent.year_max
                label = (understand.YearSpan(low, high, [], "").label() if (low, high) != (None, None) else "")
                intent.chips.append({"key": "year", "label": f"years: {label}", "kind": "year"})
                for span in spans:
                    consumed.update(span.positions)

        # languages (names, codes, industries, countries)
        self._languages(query, words, title_spans, intent, ignore, consumed, described)

        # people (their names stay in the text: documents list "Starring ...")
        for start, end in self._spans(words, self.people, MAX_NAME_TOKENS):
            for pid, name in self.people[tuple(words[start:end])].items():
                if f"person:{pid}" not in ignore and pid not in intent.people:
                    intent.people[pid] = name
                    intent.chips.append({"key": f"person:{pid}", "label": f"person: {name}", "kind": "person"})

        # genres and synonyms
        genre_spans = [(s, e) for s, e in self._spans(words, self.genre_synonyms, 3)
                       if not any(i in consumed or i in blocked for i in range(s, e))]
        for s, e in genre_spans:
            phrase = tuple(words[s:e])
            if phrase in understand.WEAK_GENRE and not self._genre_context(words, s, e, genre_spans):
                continue
            names = self.genre_synonyms[phrase]
            if all(f"genre:{g}" in ignore for g in names):
                continue
            for name in names:
                if f"genre:{name}" not in ignore and name not in intent.genres:
                    intent.genres.append(name)
                    intent.chips.append({"key": f"genre:{name}", "label": f"genre: {name}", "kind": "genre"})
            described.update(range(s, e))

        kept = [w for i, w in enumerate(words) if i not in consumed and w not in understand.INTENT_WORDS]
        intent.dense_text = " ".join(w for w in kept if w not in STOPWORDS or len(kept) > 1)
        intent.content = " ".join(w for i, w in enumerate(words) if i not in consumed and i not in described
                                  and w not in understand.INTENT_WORDS)
        if not any(w not in STOPWORDS for w in kept):
            intent.dense_text = ""
        return intent

    # ------------------------------------------------------------------ parts
    def _exact_title(self, words: list[str]) -> list[int]:
        if not words:
            return []
        rows = self.titles.get(tuple(words), [])
        if not rows and len(words) > 1 and words[-1].isdigit() and len(words[-1]) == 4:
            rows = [r for r in self.titles.get(tuple(words[:-1]), []) if self.year_of[r] == int(words[-1])] or \
                   list(self.titles.get(tuple(words[:-1]), []))
        return rows

    def _title_spans(self, words: list[str]) -> list[tuple[int, int]]:
        spans = []
        for size in range(2, min(self.max_title_tokens, len(words), 8) + 1):
            for start in range(len(words) - size + 1):
                if tuple(words[start:start + size]) in self.titles:
                    spans.append((start, start + size))
        return spans

    def _likes(self, words: list[str]):
        """(trigger start, trigger end, title end, rows) for each "like <title>" in ``words``;
        "like A and B" names two seeds."""
        i = 0
        while i < len(words):
            trigger = understand._match(words, i, understand.LIKE_TRIGGERS)
            if not trigger:
                i += 1
                continue
            start, cursor = i, i + len(trigger)
            found = False
            while cursor < len(words):
                end, rows = self._title_at(words, cursor)
                if not rows:
                    break
                found = True
                yield start, cursor, end, rows
                start = cursor = end + (1 if end < len(words) and understand._year(words[end]) else 0)
                if cursor < len(words) and words[cursor] in ("and", "or", "plus"):
                    start, cursor = cursor, cursor + 1
                    continue
                break
            i = cursor if found else i + len(trigger)

    def _title_at(self, words: list[str], start: int) -> tuple[int, list[int]]:
        """The longest catalog title starting at ``start`` (a leading article optional)."""
        for size in range(min(MAX_TITLE_TOKENS, len(words) - start), 0, -1):
            key = tuple(words[start:start + size])
            if size == 1 and (key[0] in STOPWORDS or key[0] in understand.INTENT_WORDS):
                continue
            rows = self.titles.get(key) or self.loose_titles.get(key)
            if not rows and key[0] in ARTICLES and size > 1:
                rows = self.titles.get(key[1:])
            if rows:
                return start + size, list(rows)
        return start, []

    def _pick(self, rows: list[int], words: list[str], end: int) -> int:
        if end < len(words) and understand._year(words[end]):
            dated = [r for r in rows if self.year_of[r] == int(words[end])]
            rows = dated or rows
        if len(rows) == 1 or not len(self.notability):
            return rows[0]
        return max(rows, key=lambda r: (self.notability[r]["p"], self.notability[r]["v"], self.notability[r]["n"], -r))

    def _genre_context(self, words, start, end, spans) -> bool:
        """A weak genre word counts next to a film word or another genre ("family movie", "war drama")."""
        before = words[start - 1] if start > 0 else ""
        after = words[end] if end < len(words) else ""
        if before in understand.FILM_WORDS or after in understand.FILM_WORDS:
            return True
        return any((e == start or s == end) for s, e in spans if (s, e) != (start, end)
                   and tuple(words[s:e]) not in understand.WEAK_GENRE)

    def _languages(self, query: str, words: list[str], title_spans, intent: QueryIntent, ignore,
                   consumed: set[int], described: set[int]) -> None:
        found: dict[str, str] = {}
        for match in CODE_PATTERN.finditer(query):
            code = match.group(1).lower()
            if code in self.catalog_languages:
                found.setdefault(code, match.group(0))
                # the "lang" / "language" and code words are intent only
                for i in range(len(words) - 1):
                    if words[i] in ("lang", "language") and words[i + 1] == code:
                        consumed.update((i, i + 1))
        for i, word in enumerate(words):
            codes = self.language_words.get(word, [])
            if not codes or any(s <= i < e for s, e in title_spans) or i in consumed:
                continue
            if languages.EXPLICIT_ONLY.intersection(codes):
                after = words[i + 1] if i + 1 < len(words) else ""
                before = words[i - 1] if i > 0 else ""
                if before != "in" and after not in EXPLICIT_AFTER:
                    continue
            for code in codes:
                found.setdefault(code, word)
            described.add(i)
        for i in range(len(words)):
            key = understand._match(words, i, self.countries)
            if not key or any(j in consumed for j in range(i, i + len(key))):
                continue
            before = words[i - 1] if i > 0 else ""
            made_in = i > 1 and words[i - 2] == "made" and before == "in"
            after = words[i + len(key)] if i + len(key) < len(words) else ""
            if before == "from" or made_in or after in understand.FILM_WORDS:
                for code in self.countries[key]:
                    found.setdefault(code, " ".join(key))
                consumed.update(range(i - (2 if made_in else 1 if before == "from" else 0), i + len(key)))
        for code, word in found.items():
            if f"language:{code}" in ignore:
                continue
            intent.languages.append(code)
            intent.language_words.append(word)
            intent.chips.append({"key": f"language:{code}", "label": f"language: {languages.name(code)}",
                                 "kind": "language"})

    @staticmethod
    def _spans(words: list[str], table: dict, longest: int) -> list[tuple[int, int]]:
        """Non-overlapping spans of ``words`` that are keys of ``table``, longest first."""
        spans, i = [], 0
        while i < len(words):
            for size in range(min(longest, len(words) - i), 0, -1):
                if tuple(words[i:i + size]) in table:
                    spans.append((i, i + size))
                    i += size
                    break
            else:
                i += 1
        return spans
