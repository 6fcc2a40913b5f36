"""The searcher: candidates by method, intent boosts, language policy, diversity, reranking.

Every method runs the same pipeline:

1. **candidates** — ``retrieval`` (FAISS, cosine), ``bm25``, ``hybrid`` / ``mmr`` / ``ce``
   (weighted reciprocal rank fusion of the dense top ``dense_k`` and BM25 top ``sparse_k``),
   ``blend`` (cosine + recency + popularity over the dense candidates);
2. **boosts** — films of people named in the query are added and lifted (by the share of the
   named people they feature), an exact title is
   lifted, and under ``auto-soft`` films in a requested language are lifted; the method score is
   min-max scaled over the candidates first so boosts mean the same for every method;
3. **order** — by score, or MMR (``mmr``), or cross-encoder rerank of the head (``ce``).

Under ``auto-hard`` the pipeline runs within the requested language first and tops up from the
other languages only when fewer than ``k`` films match.
"""
from __future__ import annotations

import time
import unicodedata
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from core.errors import MarqueeError
from core.search import fusion
from core.search.explain import explain
from core.search.index import SearchIndex
from core.search.intent import QueryAnalyzer, QueryIntent
from core.search.rerank import load_cross_encoder, rerank
from core.search.text import tokens

METHODS = ("retrieval", "bm25", "hybrid", "blend", "mmr", "ce")
LANGUAGE_POLICIES = ("off", "auto-soft", "auto-hard")
MAX_QUERY_CHARS = 2000
QUERY_CACHE = 64


@dataclass
class SearchParams:
    method: str = "hybrid"
    k: int = 10
    dense_k: int = 100
    sparse_k: int = 100
    rrf_k: float = 10.0   # measured on a 2010s validation sample: 10 beat 30 and 60 (README)
    dense_weight: float = 1.0
    sparse_weight: float = 1.0
    mmr_lambda: float = 0.7
    recency_weight: float = 0.1
    popularity_weight: float = 0.1
    language_policy: str = "auto-soft"
    language_boost: float = 0.3
    entity_boost: float = 1.0
    title_boost: float = 2.0
    rerank_depth: int = 30

    def validate(self) -> "SearchParams":
        if self.method not in METHODS:
            raise MarqueeError(f"unknown search method {self.method!r}: choose one of {', '.join(METHODS)}")
        if self.language_policy not in LANGUAGE_POLICIES:
            raise MarqueeError(f"unknown language policy {self.language_policy!r}: choose one of {', '.join(LANGUAGE_POLICIES)}")
        if not 1 <= int(self.k) <= 1000:
            raise MarqueeError(f"k must be between 1 and 1000, got {self.k}")
        if not 0.0 <= self.mmr_lambda <= 1.0:
            raise MarqueeError(f"the MMR lambda must be between 0 and 1, got {self.mmr_lambda}")
        if self.dense_k < 1 or self.sparse_k < 1 or self.rrf_k <= 0:
            raise MarqueeError("dense_k and sparse_k must be at least 1 and rrf_k positive")
        return self


@dataclass
class Filters:
    year_min: int | None = None
    year_max: int | None = None
    genres: Sequence[str] = ()
    languages: Sequence[str] = ()
    min_votes: int | None = None

    def mask(self, searcher: "Searcher") -> np.ndarray:
        keep = np.ones(len(searcher.index), dtype=bool)
        years = searcher.years
        if self.year_min is not None:
            keep &= years >= self.year_min
        if self.year_max is not None:
            keep &= years <= self.year_max
        if self.min_votes:
            keep &= np.nan_to_num(searcher.votes, nan=-1.0) >= self.min_votes
        if self.languages:
            keep &= np.isin(searcher.languages, [c.lower() for c in self.languages])
        if self.genres:
            wanted = set(self.genres)
            keep &= np.fromiter((bool(wanted & g) for g in searcher.genre_sets), dtype=bool, count=len(keep))
        return keep


@dataclass
class Hit:
    movie_id: int
    title: str
    year: int | None
    score: float
    method_score: float
    language: str
    genres: list[str]
    poster_url: str
    overview: str
    reasons: list[str] = field(default_factory=list)
    explanation: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchResponse:
    query: str
    method: str
    hits: list[Hit]
    intent: dict[str, Any] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0

    def summary(self) -> str:
        """One line for people: count, method, time, what the query was understood to ask, notices."""
        from core.search.languages import name as language_name

        parts = [f"{len(self.hits)} results", self.method, f"{self.elapsed_ms:.0f} ms"]
        if self.intent.get("languages"):
            parts.append("language: " + ", ".join(language_name(c) for c in self.intent["languages"]))
        if self.intent.get("people"):
            parts.append("people: " + ", ".join(self.intent["people"]))
        if self.intent.get("exact_title"):
            parts.append("exact title")
        return " · ".join(parts + self.notices)

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "method": self.method, "results": [h.as_dict() for h in self.hits],
                "intent": self.intent, "notices": self.notices, "elapsed_ms": round(self.elapsed_ms, 2)}


def clean_query(query: str | None) -> tuple[str, list[str]]:
    """Whitespace and control characters collapsed, length capped; empty queries refused."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in str(query or ""))
    text = " ".join(text.split())
    if not text:
        raise MarqueeError("the query is empty: type words from a title, a person's name or a description")
    notices = []
    if len(text) > MAX_QUERY_CHARS:
        notices.append(f"query shortened from {len(text):,} to {MAX_QUERY_CHARS:,} characters")
        text = text[:MAX_QUERY_CHARS]
    return text, notices


class Searcher:
    """Searches one ``SearchIndex`` with one encoder (and optionally a cross-encoder)."""

    def __init__(self, index: SearchIndex, encoder, cross_encoder=None):
        self.index = index
        self.encoder = encoder
        self.cross_encoder = cross_encoder
        docs = index.documents
        self.docs = docs
        self.years = pd.to_numeric(docs["year"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        self.votes = docs["vote_count"].to_numpy(dtype=float, na_value=np.nan)
        self.languages = docs["language"].fillna("").to_numpy(dtype=object)
        self.genre_sets = [set(g) for g in docs["genres"]]
        self.recency = _unit_interval(self.years)
        self.popularity = _popularity_prior(docs)
        self.analyzer = QueryAnalyzer(docs)
        self.row_of_movie = {int(m): r for r, m in enumerate(docs["movie_id"])}
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    # ------------------------------------------------------------------ public API
    def search(self, query: str, params: SearchParams | None = None, filters: Filters | None = None) -> SearchResponse:
        started = time.perf_counter()
        params = (params or SearchParams()).validate()
        text, notices = clean_query(query)
        if params.method == "ce" and self.cross_encoder is None:
            self.cross_encoder = load_cross_encoder()
        intent = self.analyzer.analyze(text)
        mask = (filters or Filters()).mask(self)
        qvec = self.query_vector(text) if params.method != "bm25" else None
        wanted = intent.languages if params.language_policy != "off" else []
        if wanted and params.language_policy == "auto-hard":
            in_language = np.isin(self.languages, wanted)
            rows, scores, raw = self._ranked(text, qvec, intent, mask & in_language, params, [])
            if len(rows) < params.k:
                more = self._ranked(text, qvec, intent, mask & ~in_language, params, [])
                rows, scores, raw = (np.concatenate([a, b])[:params.k] for a, b in zip((rows, scores, raw), more))
        else:
            rows, scores, raw = self._ranked(text, qvec, intent, mask, params, wanted)
        query_terms = self.index.bm25.query_terms(text)
        hits = [self._hit(r, s, m, explain(self.docs.iloc[r], query_terms, intent)) for r, s, m in zip(rows, scores, raw)]
        return SearchResponse(text, params.method, hits, intent.as_dict(), notices,
                              (time.perf_counter() - started) * 1000)

    def query_vector(self, text: str) -> np.ndarray:
        """The query's embedding; the last few are kept so switching methods re-encodes nothing."""
        vector = self._recent.pop(text, None)
        if vector is None:
            vector = self.encoder.encode_query(text)
        self._recent[text] = vector
        while len(self._recent) > QUERY_CACHE:
            self._recent.popitem(last=False)
        return vector

    def forget_queries(self) -> None:
        """Drop the remembered query vectors (benchmarks time the encoding too)."""
        self._recent.clear()

    def more_like(self, seeds: Sequence[int | str], params: SearchParams | None = None,
                  filters: Filters | None = None) -> SearchResponse:
        """Films near the mean embedding of the seed films ("more like these")."""
        started = time.perf_counter()
        params = (params or SearchParams(method="retrieval")).validate()
        seed_rows, notices = self.resolve_seeds(seeds)
        taste = self.index.vectors[seed_rows].mean(axis=0)
        taste = taste / max(float(np.linalg.norm(taste)), 1e-12)
        mask = (filters or Filters()).mask(self)
        mask[seed_rows] = False
        rows, cosine = self.index.dense_search(taste, max(params.dense_k, params.k), mask)
        score = cosine.astype(float)
        if params.method == "blend":
            score = score + params.recency_weight * self.recency[rows] + params.popularity_weight * self.popularity[rows]
        order = np.argsort(-score, kind="stable")
        if params.method == "mmr":
            order = np.asarray(fusion.mmr(fusion.minmax(score), self.index.vectors[rows], params.k, params.mmr_lambda))
        elif params.method in ("bm25", "ce"):
            notices.append(f"'more like these' ranks by taste-vector similarity; {params.method!r} needs a text "
                           "query and was not applied")
        order = order[:params.k]
        seeds_frame = self.docs.iloc[seed_rows]
        hits = [self._hit(rows[i], score[i], cosine[i], explain(self.docs.iloc[rows[i]], [], None, seeds_frame))
                for i in order]
        label = " + ".join(f"{t} ({y})" if pd.notna(y) else t for t, y in zip(seeds_frame["title"], seeds_frame["year"]))
        return SearchResponse(f"more like: {label}", params.method, hits, {"seeds": seeds_frame["movie_id"].tolist()},
                              notices, (time.perf_counter() - started) * 1000)

    def resolve_seeds(self, seeds: Sequence[int | str]) -> tuple[list[int], list[str]]:
        """Rows for seeds: ints are movie ids, strings are titles ("Title" or "Title (Year)")."""
        rows, notices = [], []
        for seed in seeds:
            row = self._resolve_one(seed, notices)
            if row not in rows:
                rows.append(row)
        if not rows:
            raise MarqueeError("'more like these' needs at least one seed film")
        return rows, notices

    # ------------------------------------------------------------------ pipeline
    def _ranked(self, query: str, qvec, intent: QueryIntent, mask: np.ndarray, params: SearchParams,
                soft_languages: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not mask.any():
            empty = np.zeros(0)
            return empty.astype(np.int64), empty, empty
        rows, raw = self._candidates(query, qvec, mask, params)
        rows, raw, relevance = self._with_entities(rows, raw, qvec, intent, mask)
        score = relevance + self._boosts(rows, intent, params, soft_languages)
        order = np.lexsort((rows, -score))
        if params.method == "mmr" and len(rows):
            scaled = score / max(float(score.max()), 1e-12)
            order = np.asarray(fusion.mmr(scaled, self.index.vectors[rows], params.k, params.mmr_lambda), dtype=np.int64)
        elif params.method == "ce" and len(rows):
            head = order[:max(params.rerank_depth, params.k)]
            positions, ce_scores = rerank(query, self.docs["text"].to_numpy()[rows[head]].tolist(),
                                          self.cross_encoder, params.rerank_depth)
            order = head[positions]
            score = score.copy()
            score[order[:len(ce_scores)]] = np.where(np.isnan(ce_scores), score[order[:len(ce_scores)]], ce_scores)
        order = order[:params.k]
        return rows[order], score[order], raw[order]

    def _candidates(self, query: str, qvec, mask: np.ndarray, params: SearchParams) -> tuple[np.ndarray, np.ndarray]:
        method = params.method
        if method in ("retrieval", "blend"):
            rows, cosine = self.index.dense_search(qvec, max(params.dense_k, params.k), mask)
            if method == "retrieval":
                return rows, cosine.astype(float)
            return rows, (cosine + params.recency_weight * self.recency[rows]
                          + params.popularity_weight * self.popularity[rows])
        bm25 = self.index.bm25.scores(query)
        sparse_rows = fusion.top_k(bm25, max(params.sparse_k, params.k), mask, positive_only=True)
        if method == "bm25":
            return sparse_rows, bm25[sparse_rows].astype(float)
        dense_rows, _ = self.index.dense_search(qvec, max(params.dense_k, params.k), mask)
        fused = fusion.rrf([dense_rows, sparse_rows], [params.dense_weight, params.sparse_weight], params.rrf_k)
        rows = np.fromiter(fused, dtype=np.int64, count=len(fused))
        return rows, np.fromiter(fused.values(), dtype=float, count=len(fused))

    def _with_entities(self, rows, raw, qvec, intent: QueryIntent, mask):
        """Add films of named people and exact-title films missing from the candidates.

        Added films get relevance 0 plus a tiny dense-similarity tie-break; the boosts then lift them.
        """
        relevance = fusion.minmax(raw)
        wanted = {r for pid in intent.people for r in self.analyzer.person_rows.get(pid, [])} | set(intent.title_rows)
        present = set(rows.tolist())
        extra = np.array(sorted(r for r in wanted if mask[r] and r not in present), dtype=np.int64)
        if not len(extra):
            return rows, raw, relevance
        tie = (self.index.vectors[extra] @ qvec) * 1e-3 if qvec is not None else np.zeros(len(extra))
        return (np.concatenate([rows, extra]), np.concatenate([raw, np.full(len(extra), np.nan)]),
                np.concatenate([relevance, tie]))

    def _boosts(self, rows: np.ndarray, intent: QueryIntent, params: SearchParams, soft_languages: list[str]) -> np.ndarray:
        boost = np.zeros(len(rows))
        if intent.people:
            # The share of the named people who are in the film: both stars beat one of them.
            people = set(intent.people)
            cast, directors = self.docs["cast_ids"], self.docs["director_ids"]
            boost += params.entity_boost / len(people) * np.fromiter(
                (len(people.intersection(cast.iat[r]) | people.intersection(directors.iat[r])) for r in rows),
                dtype=float, count=len(rows))
        if intent.title_rows:
            boost += params.title_boost * np.isin(rows, intent.title_rows)
        if soft_languages:
            boost += params.language_boost * np.isin(self.languages[rows], soft_languages)
        return boost

    # ------------------------------------------------------------------ helpers
    def _hit(self, row: int, score: float, method_score: float, why: tuple[list[str], dict]) -> Hit:
        doc = self.docs.iloc[int(row)]
        year = doc["year"]
        return Hit(movie_id=int(doc["movie_id"]), title=str(doc["title"]), year=None if pd.isna(year) else int(year),
                   score=round(float(score), 6), method_score=None if pd.isna(method_score) else round(float(method_score), 6),
                   language=str(doc["language"]), genres=list(doc["genres"]), poster_url=str(doc["poster_url"] or ""),
                   overview=str(doc["overview"]), reasons=why[0], explanation=why[1])

    def _resolve_one(self, seed: int | str, notices: list[str]) -> int:
        if isinstance(seed, (int, np.integer)):
            movie_id = int(seed)
            if movie_id not in self.row_of_movie:
                raise MarqueeError(f"no film with movie_id {movie_id} in this index")
            return self.row_of_movie[movie_id]
        words = tokens(str(seed))
        year = None
        if len(words) > 1 and words[-1].isdigit() and len(words[-1]) == 4:
            year = int(words[-1])
        candidates = self.analyzer.titles.get(tuple(words), []) or (
            [r for r in self.analyzer.titles.get(tuple(words[:-1]), []) if self.years[r] == year] if year else [])
        if not candidates:
            raise MarqueeError(f"no film titled {str(seed)!r} in this catalog (write the title as listed, "
                               "optionally with the year: 'Title (2010)')")
        best = max(candidates, key=lambda r: (self.popularity[r], -r))
        if len(candidates) > 1:
            notices.append(f"{len(candidates)} films are titled {str(seed)!r}; using the {int(self.years[best]) if not np.isnan(self.years[best]) else 'undated'} one")
        return best


def _unit_interval(values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    if not len(finite) or finite.max() == finite.min():
        return np.zeros(len(values))
    return np.nan_to_num((values - finite.min()) / (finite.max() - finite.min()), nan=0.0)


def _popularity_prior(docs: pd.DataFrame) -> np.ndarray:
    """Percentile rank of popularity (or of vote count when popularity is unknown), in [0, 1]."""
    for column in ("popularity", "vote_count"):
        values = docs[column].to_numpy(dtype=float, na_value=np.nan)
        if np.isfinite(values).any():
            ranks = pd.Series(values).rank(pct=True, na_option="keep").fillna(0.0)
            return ranks.to_numpy(dtype=float)
    return np.zeros(len(docs))
