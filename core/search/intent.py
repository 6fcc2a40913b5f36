"""What a query asks for beyond its words: a language, named people, an exact title, genres.

Everything is looked up in the catalog's own documents, so only languages, people, titles and
genres that exist there can be detected.

Language rules (documented in the README):

* a language *name* or alias ("French", "malayalam", "Mandarin") is detected as a whole word,
  only for languages present in the catalog;
* a *code* is detected only as ``lang:xx`` / ``language:xx``, never as a bare word, because
  "it", "de", "es", "hi", "no" are ordinary words;
* "English" only with explicit phrasing ("in English", "English language",
  "English-language", ``lang:en``), because "an English teacher" or "the English Channel"
  name a subject, not the language of the film;
* a language word that is part of a film title also present in the query ("French Kiss") is
  not an intent.

People are matched as whole names of two or more words (mononyms such as "Cher" are too often
ordinary words); the longest name wins where names overlap.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from core.search import languages
from core.search.text import fold_token, tokens

CODE_PATTERN = re.compile(r"\b(?:lang|language)\s*[:=]\s*([A-Za-z]{2,3})\b", re.IGNORECASE)
EXPLICIT_AFTER = frozenset({"language", "speaking", "spoken", "dubbed", "audio"})
MAX_NAME_TOKENS = 5


@dataclass
class QueryIntent:
    languages: list[str] = field(default_factory=list)       # ISO codes
    language_words: list[str] = field(default_factory=list)  # the words that triggered them
    people: dict[int, str] = field(default_factory=dict)     # person_id -> name
    title_rows: list[int] = field(default_factory=list)      # documents whose title is the query
    genres: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"languages": self.languages, "language_words": self.language_words,
                "people": sorted(self.people.values()), "exact_title": bool(self.title_rows), "genres": self.genres}


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
        for row, title in enumerate(documents["title"]):
            self.titles[_key(title)].append(row)
        self.genres = {_key(g): g for gs in documents["genres"] for g in gs}
        self.max_title_tokens = max((len(k) for k in self.titles), default=0)

    def analyze(self, query: str) -> QueryIntent:
        words = tokens(query)
        intent = QueryIntent()
        intent.title_rows = list(self._exact_title(words))
        title_spans = self._title_spans(words)
        self._languages(query, words, title_spans, intent)
        for start, end in self._spans(words, self.people, MAX_NAME_TOKENS):
            intent.people.update(self.people[tuple(words[start:end])])
        intent.genres = [self.genres[tuple(words[s:e])] for s, e in self._spans(words, self.genres, 3)]
        return intent

    def _exact_title(self, words: list[str]) -> list[int]:
        if not words:
            return []
        rows = self.titles.get(tuple(words), [])
        if not rows and len(words) > 1 and words[-1].isdigit() and len(words[-1]) == 4:
            rows = [r for r in self.titles.get(tuple(words[:-1]), [])]
        return rows

    def _title_spans(self, words: list[str]) -> list[tuple[int, int]]:
        spans = []
        for size in range(2, min(self.max_title_tokens, len(words), 8) + 1):
            for start in range(len(words) - size + 1):
                if tuple(words[start:start + size]) in self.titles:
                    spans.append((start, start + size))
        return spans

    def _languages(self, query: str, words: list[str], title_spans, intent: QueryIntent) -> None:
        found: dict[str, str] = {}
        for match in CODE_PATTERN.finditer(query):
            code = match.group(1).lower()
            if code in self.catalog_languages:
                found.setdefault(code, match.group(0))
        for i, word in enumerate(words):
            codes = self.language_words.get(word, [])
            if not codes or any(s <= i < e for s, e in title_spans):
                continue
            if languages.EXPLICIT_ONLY.intersection(codes):
                after = words[i + 1] if i + 1 < len(words) else ""
                before = words[i - 1] if i > 0 else ""
                if before != "in" and after not in EXPLICIT_AFTER:
                    continue
            for code in codes:
                found.setdefault(code, word)
        intent.languages = list(found)
        intent.language_words = list(found.values())

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
