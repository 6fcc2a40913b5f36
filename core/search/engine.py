"""The searcher: query understanding, candidates by method, one bounded score, "no good match".

Every text query runs the same pipeline:

1. **understanding** (``intent.QueryAnalyzer``) — years/decades, genres and synonyms, languages,
   people, an exact title and "like <title>"; intent words are taken out of the matched text;
   "like <title>" routes the query to the seed films' neighbours;
2. **candidates** — the dense top ``dense_k`` and BM25 top ``sparse_k`` (each also within the
   understood years/genres/language, so a constraint can reach past the unconstrained top),
   plus films of named people and exact-title films;
3. **one score in [0, 1]**, the same scale for every query (documented in the README):

   * dense evidence ``d = clip((cos - cos_low) / (cos_high - cos_low), 0, 1)`` (a fixed map of the
     cosine, not a per-query min-max); sparse evidence ``s = bm25 / upper_bound(query)`` (the
     share of the query's term weight the film matches; unknown words count against it);
   * text relevance ``r``: ``retrieval`` = d, ``bm25`` = s, ``hybrid``/``mmr``/``ce`` =
     ``(w_d·d + w_s·s) / (w_d + w_s)``, ``blend`` = d mixed with recency and popularity;
   * named people ``P`` (share of them in the film) and an exact title ``T`` add evidence as a
     noisy-or: ``e = 1 - (1 - r)(1 - entity_boost·P)(1 - title_boost·T)``;
   * understood years, genres and (``auto-soft``) languages are soft constraints that scale the
     score: ``× (1 - weight·(1 - match))`` each, ``match`` in [0, 1];
   * a query with no text left (only constraints: "90s sci-fi movies") ranks the matching films by
     ``0.5 + 0.5·popularity``;

4. **no good match** — when the query has no words (emoji, symbols), only stop/intent words, or
   its best film scores below ``min_score``, the answer is no films and the reason
   (``SearchResponse.no_match``) instead of ten unrelated films;
5. **order** — by score, or MMR (``mmr``), or cross-encoder rerank of the head (``ce``; its scores
   are the logistic of the cross-encoder logit, also in [0, 1]). ``hybrid`` with a trained
   re-ranker (``core.search.learned``, stored per catalog) reorders its top ``depth`` films by the
   re-ranker; their scores stay the bounded scores above (so a film may be listed above one with a
   higher score), and "no good match" is decided on them as without it.

Under ``auto-hard`` the pipeline runs within the requested language first and tops up from the
other languages only when fewer than ``k`` films match.
"""
from __future__ import annotations

import math
import re
import time
import unicodedata
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from core.errors import MarqueeError
from core.search import fusion
from core.search.explain import explain
from core.search.index import SearchIndex
from core.search.intent import QueryAnalyzer, QueryIntent
from core.search.learned import FEATURES, candidate_features
from core.search.rerank import load_cross_encoder, rerank
from core.search.spelling import Speller
from core.search.text import fold_token, terms, tokens

METHODS = ("retrieval", "bm25", "hybrid", "blend", "mmr", "ce")
LANGUAGE_POLICIES = ("off", "auto-soft", "auto-hard")
MAX_QUERY_CHARS = 2000
QUERY_CACHE = 64
TYPED_WORDS_RULE = True   # "no word known as typed" (numbers, corrections don't count) vs "no word known"; validation
# Searcher.candidate_features: (list the hybrid's top rows and features are appended to, depth),
# per thread/context so a searcher shared by page sessions and API threads never mixes queries.
_CAPTURE: ContextVar[tuple[list, int] | None] = ContextVar("search_candidate_capture", default=None)


@dataclass
class SearchParams:
    method: str = "hybrid"
    k: int = 10
    dense_k: int = 100
    sparse_k: int = 100
    rrf_k: float = 10.0   # only for fusion="rrf" (the previous ranking, kept for the ablation)
    dense_weight: float = 0.4     # chosen on validation MRR@10 (bench_search_quality.py)
    sparse_weight: float = 0.6
    fusion: str = "score"  # "score": bounded weighted sum (default); "rrf": reciprocal rank order
    mmr_lambda: float = 0.7
    recency_weight: float = 0.1
    popularity_weight: float = 0.1
    language_policy: str = "auto-soft"
    language_boost: float = 0.3    # weight of the language constraint (auto-soft)
    entity_boost: float = 0.6      # noisy-or weight of the named people's share
    title_boost: float = 0.9       # noisy-or weight of an exact title
    year_weight: float = 0.6       # weight of the understood years
    genre_weight: float = 0.4      # weight of the understood genres
    cos_low: float = 0.20          # dense cosine mapped to 0 (MiniLM: nonsense tops ~0.1-0.25)...
    cos_high: float = 0.70         # ... and to 1 (a close paraphrase: ~0.6-0.65)
    min_score: float = 0.11        # below this the answer is "no good match" (0 = always list films); validation, bench_search_no_match.py
    rerank_depth: int = 30
    prf_docs: int = 0              # pseudo-relevance feedback: move the query vector towards the top films (0 = off)
    prf_weight: float = 0.5        # ... by this weight of their mean vector
    ignore: tuple = ()             # understood parts (chip keys) to leave out
    spelling: bool = True          # correct words unknown to the catalog one edit from a common one
    learned_rerank: bool = True    # hybrid: reorder the top films with the catalog's trained re-ranker, if any

    def validate(self) -> "SearchParams":
        if self.method not in METHODS:
            raise MarqueeError(f"unknown search method {self.method!r}: choose one of {', '.join(METHODS)}")
        if self.language_policy not in LANGUAGE_POLICIES:
            raise MarqueeError(f"unknown language policy {self.language_policy!r}: choose one of {', '.join(LANGUAGE_POLICIES)}")
        if self.fusion not in ("score", "rrf"):
            raise MarqueeError(f"unknown fusion {self.fusion!r}: choose score or rrf")
        if not 1 <= int(self.k) <= 1000:
            raise MarqueeError(f"k must be between 1 and 1000, got {self.k}")
        if not 0.0 <= self.mmr_lambda <= 1.0:
            raise MarqueeError(f"the MMR lambda must be between 0 and 1, got {self.mmr_lambda}")
        if self.dense_k < 1 or self.sparse_k < 1 or self.rrf_k <= 0:
            raise MarqueeError("dense_k and sparse_k must be at least 1 and rrf_k positive")
        if not 0 <= int(self.prf_docs) <= 50:
            raise MarqueeError(f"prf_docs must be between 0 and 50, got {self.prf_docs}")
        for name in ("prf_weight", "language_boost", "entity_boost", "title_boost", "year_weight", "genre_weight", "min_score",
                     "recency_weight", "popularity_weight"):
            if not 0.0 <= float(getattr(self, name)) <= 1.0:
                raise MarqueeError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        if self.recency_weight + self.popularity_weight > 1.0:
            raise MarqueeError("recency_weight + popularity_weight must be at most 1")
        if not all(math.isfinite(float(getattr(self, n))) for n in ("dense_weight", "sparse_weight", "rrf_k", "cos_low",
                                                                   "cos_high")):
            raise MarqueeError("dense_weight, sparse_weight, rrf_k, cos_low and cos_high must be finite numbers")
        if self.dense_weight < 0 or self.sparse_weight < 0 or self.dense_weight + self.sparse_weight <= 0:
            raise MarqueeError("dense_weight and sparse_weight must be non-negative, not both 0")
        if not -1.0 <= self.cos_low < self.cos_high <= 1.0:
            raise MarqueeError("cos_low must be below cos_high, both within [-1, 1]")
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
            keep &= searcher.has_any_genre(self.genres)
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
    no_match: str = ""    # why no film is listed ("no good match"), empty otherwise

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
        if self.no_match:
            parts.append(self.no_match)
        return " · ".join(parts + self.notices)

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "method": self.method, "results": [h.as_dict() for h in self.hits],
                "intent": self.intent, "notices": self.notices, "elapsed_ms": round(self.elapsed_ms, 2),
                "no_match": self.no_match}


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
    """Searches one ``SearchIndex`` with one encoder (and optionally a cross-encoder and a trained
    re-ranker, ``core.search.learned.SearchReranker``, applied to the hybrid top films)."""

    def __init__(self, index: SearchIndex, encoder, cross_encoder=None, reranker=None):
        self.index = index
        self.encoder = encoder
        self.cross_encoder = cross_encoder
        self.reranker = reranker
        self._fielded = None
        self._title_terms: list | None = None
        docs = index.documents
        self.docs = docs
        self.years = pd.to_numeric(docs["year"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        self.votes = docs["vote_count"].to_numpy(dtype=float, na_value=np.nan)
        self.languages = docs["language"].fillna("").to_numpy(dtype=object)
        self.genre_sets = [set(g) for g in docs["genres"]]
        # films x genres membership, so a genre filter is one column lookup, not a loop over films
        self._genre_column = {g: i for i, g in enumerate(sorted(set().union(*self.genre_sets)))}
        self._genre_members = np.zeros((len(self.genre_sets), len(self._genre_column)), dtype=bool)
        for row, genres in enumerate(self.genre_sets):
            self._genre_members[row, [self._genre_column[g] for g in genres]] = True
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
        intent = self.analyzer.analyze(text, params.ignore)
        intent, fixes = self._spell(text, intent, params)
        if fixes:
            notices = notices + ["searched for " + ", ".join(f"'{b}' instead of '{a}'" for a, b in fixes.items())]
        mask = (filters or Filters()).mask(self)
        reason = self._unsearchable(intent)
        if reason:
            return SearchResponse(text, params.method, [], intent.as_dict(), notices,
                                  (time.perf_counter() - started) * 1000, no_match=reason)
        wanted = intent.languages if params.language_policy != "off" else []
        if intent.like_rows:
            return self._like(text, intent, params, mask, wanted, notices, started)
        qvec = self.query_vector(intent.dense_text) if params.method != "bm25" and intent.dense_text else None
        if qvec is not None and params.prf_docs and params.method in ("retrieval", "hybrid", "mmr", "ce"):
            qvec = self._feedback(qvec, intent, mask, params, wanted)
        if wanted and params.language_policy == "auto-hard":
            in_language = np.isin(self.languages, wanted)
            rows, scores, raw = self._ranked(qvec, intent, mask & in_language, params, [])
            if len(rows) < params.k:
                more = self._ranked(qvec, intent, mask & ~in_language, params, [])
                rows, scores, raw = (np.concatenate([a, b])[:params.k] for a, b in zip((rows, scores, raw), more))
        else:
            rows, scores, raw = self._ranked(qvec, intent, mask, params, wanted)
        no_match = self._weak(scores, params) or self._unknown_words(intent, qvec, rows, params)
        if not len(rows):
            no_match = "no good match: no film matches these words" + (
                " within the filters" if not mask.all() else "")
        if no_match:
            rows, scores, raw = rows[:0], scores[:0], raw[:0]
        query_terms = self.index.bm25.query_terms(intent.content)
        hits = [self._hit(r, s, m, explain(self.docs.iloc[r], query_terms, intent)) for r, s, m in zip(rows, scores, raw)]
        return SearchResponse(text, params.method, hits, intent.as_dict(), notices,
                              (time.perf_counter() - started) * 1000, no_match=no_match)

    def candidate_features(self, query: str, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the hybrid top ``depth`` films of ``query`` and their re-ranker features, exactly
        as the search computes them before re-ranking (for training; empty when the query lists no
        films, e.g. "like <title>" or no words)."""
        captured: list = []
        token = _CAPTURE.set((captured, int(depth)))   # per thread/context: a served searcher is shared
        try:
            self.search(query, SearchParams(k=int(depth), min_score=0.0, learned_rerank=False))
        finally:
            _CAPTURE.reset(token)
        if not captured:
            return np.zeros(0, dtype=np.int64), np.zeros((0, len(FEATURES)))
        return captured[0]

    @property
    def fielded_bm25(self):
        """BM25 per field (title, plot, people, labels) over the index's documents, fitted on first
        use (the re-ranker's features); same stemming as the index's BM25."""
        if self._fielded is None:
            from core.search.bm25 import FieldedBM25

            self._fielded = FieldedBM25(stem=bool(getattr(self.index.bm25, "stem", False))).fit_documents(self.docs)
        return self._fielded

    @property
    def title_terms(self) -> list[frozenset]:
        """Each film's title terms as the index's BM25 reads them (stems), computed on first use."""
        if self._title_terms is None:
            terms_of = self.index.bm25.terms
            self._title_terms = [frozenset(terms_of(str(t))) for t in self.docs["title"]]
        return self._title_terms

    def _feedback(self, qvec, intent: QueryIntent, mask: np.ndarray, params: SearchParams, wanted) -> np.ndarray:
        """Pseudo-relevance feedback (Rocchio on the dense side): the query vector plus
        ``prf_weight`` × the mean vector of the first pass's top ``prf_docs`` films, normalised."""
        first = SearchParams(**{**asdict(params), "k": int(params.prf_docs), "method": "hybrid"
                                if params.method in ("mmr", "ce") else params.method, "ignore": params.ignore})
        rows, _, _ = self._ranked(qvec, intent, mask, first, wanted if params.language_policy == "auto-soft" else [])
        if not len(rows):
            return qvec
        moved = np.asarray(qvec, dtype=np.float32) + params.prf_weight * self.index.vectors[rows].mean(axis=0)
        return (moved / max(float(np.linalg.norm(moved)), 1e-12)).astype(np.float32)

    @property
    def speller(self) -> Speller | None:
        """Typo correction against this index's BM25 vocabulary (rebuilt if the model is swapped)."""
        bm25 = self.index.bm25
        if getattr(self, "_speller", None) is None or self._speller.bm25 is not bm25:
            self._speller = (Speller(bm25, words=self._encoder_words()) if hasattr(bm25, "vocabulary_")
                             and hasattr(bm25, "matrix_") else None)
        return self._speller

    def _encoder_words(self) -> frozenset:
        """Whole-word pieces of the encoder's tokenizer (real words; empty without a tokenizer)."""
        model = getattr(self.encoder, "model", None) or getattr(getattr(self.encoder, "inner", None), "model", None)
        tokenizer = getattr(model, "tokenizer", None)
        vocab = tokenizer.get_vocab() if hasattr(tokenizer, "get_vocab") else {}
        return frozenset(w for w in vocab if w.isascii() and w.isalpha())

    def _spell(self, text: str, intent: QueryIntent, params: SearchParams) -> tuple[QueryIntent, dict[str, str]]:
        """Words left to match (not years, genres, names...) that the catalog does not know and that
        are one edit from a common catalog word are replaced by it, and the query is read again
        (so a corrected title or name is understood as one)."""
        speller = self.speller if params.spelling else None
        if speller is None or not intent.content:
            return intent, {}
        fixes = speller.corrections(terms(intent.content))
        if not fixes:
            return intent, {}
        fixed = re.sub(r"\w+", lambda m: fixes.get(fold_token(m.group(0)), m.group(0)), text)
        intent = self.analyzer.analyze(fixed, params.ignore)
        intent.corrections = fixes
        return intent, fixes

    def analyze(self, query: str, ignore=()) -> QueryIntent:
        """What the query was understood to ask (chips for the page), without searching."""
        text, _ = clean_query(query)
        return self.analyzer.analyze(text, ignore)

    def _unsearchable(self, intent: QueryIntent) -> str:
        if intent.words == 0:
            return "no good match: the query has no words to search for (only symbols or emoji)"
        if not intent.has_constraints and not intent.dense_text and not self.index.bm25.query_terms(intent.content) \
                and not terms(intent.content):
            return "no good match: the query has only common words (like 'the', 'movies'); add what the film is about"
        return ""

    def _unknown_words(self, intent: QueryIntent, qvec, rows: np.ndarray, params: SearchParams) -> str:
        """Nonsense ("xqzvbn flurgle", "tedmu gikere", "678"): nothing was understood and no word of
        the query is a catalog word as typed (numbers and spelling corrections do not count, unless
        every word was corrected: "godfathr"), so only the dense side could answer; it must then be
        clearly similar (cosine at least halfway up the map, 0.45 by default) or the answer is no
        good match. Real but hard descriptions keep known words and are never cut by this rule.
        ``min_score`` 0 asks for the closest films whatever they score, so it turns this rule off too."""
        if params.min_score <= 0 or intent.has_constraints or not len(rows):
            return ""
        known = self.index.bm25.query_terms(intent.content)
        corrected = set(intent.corrections.values())
        typed = [w for w in known if w not in corrected and not w.isdigit()]
        unknown = [w for w in terms(intent.content) if w not in known]
        if typed or (TYPED_WORDS_RULE and known and not unknown and any(not w.isdigit() for w in known)) \
                or (not TYPED_WORDS_RULE and known):
            return ""
        best = float(((self.index.film_cosines(qvec)[rows] if self.index.has_passages
                       else self.index.vectors[rows] @ qvec)).max()) if qvec is not None else -1.0
        if best < params.cos_low + 0.5 * (params.cos_high - params.cos_low):
            return ("no good match: no word of the query occurs in this catalog and no film is close in meaning "
                    f"(best similarity {best:.2f})")
        return ""

    @staticmethod
    def _weak(scores: np.ndarray, params: SearchParams) -> str:
        if not len(scores) or params.min_score <= 0:
            return ""
        best = float(np.max(scores))
        if best < params.min_score:
            return (f"no good match: the closest film scores {best:.2f}, below {params.min_score:.2f} "
                    "(try other words, or fewer constraints)")
        return ""

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
        # the same bounded map of the cosine as text queries, so scores read the same way
        score = np.clip((cosine.astype(float) - params.cos_low) / (params.cos_high - params.cos_low), 0.0, 1.0)
        if params.method == "blend":
            rest = 1.0 - params.recency_weight - params.popularity_weight
            score = rest * score + params.recency_weight * self.recency[rows] + params.popularity_weight * self.popularity[rows]
        order = np.lexsort((rows, -score))
        if params.method == "mmr":
            order = np.asarray(fusion.mmr(score, self.index.vectors[rows], params.k, params.mmr_lambda))
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
    def _ranked(self, qvec, intent: QueryIntent, mask: np.ndarray, params: SearchParams,
                soft_languages: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, bounded scores and method scores (the text relevance before people, titles and
        constraints) of the top ``k`` films within ``mask``."""
        empty = np.zeros(0)
        if not mask.any():
            return empty.astype(np.int64), empty, empty
        constraint = self._constraint_mask(intent, soft_languages) & mask
        rows, dense, sparse, rrf_order = self._candidates(qvec, intent, mask, constraint, params)
        if not len(rows):
            return rows, empty, empty
        relevance = self._relevance(rows, dense, sparse, params)
        if sparse is None and self._constrained(intent) and not self.index.bm25.query_terms(intent.content):
            # every word was understood ("recent war dramas"): meeting the constraints is the
            # evidence; popularity and the dense similarity order the films that do
            d = self._relevance(rows, dense, None, params) if dense is not None else np.zeros(len(rows))
            relevance = 0.5 + 0.25 * self.popularity[rows] + 0.25 * d
        evidence = self._evidence(rows, relevance, intent, params)
        score = evidence * self._constraint_factor(rows, intent, params, soft_languages)
        score = np.clip(score, 0.0, 1.0)
        raw = relevance if relevance is not None else np.full(len(rows), np.nan)
        if params.fusion == "rrf" and rrf_order is not None:
            order = rrf_order
        else:
            order = np.lexsort((rows, -score))
        capture = _CAPTURE.get()
        if params.method == "hybrid" and (capture is not None or (self.reranker is not None and params.learned_rerank)):
            order = self._learned_order(order, qvec, intent, rows, score, raw, dense, sparse, capture)
        if params.method == "mmr":
            order = np.asarray(fusion.mmr(score, self.index.vectors[rows], params.k, params.mmr_lambda), dtype=np.int64)
        elif params.method == "ce":
            head = order[:max(params.rerank_depth, params.k)]
            positions, ce_scores = rerank(intent.dense_text or intent.content, self.docs["text"].to_numpy()[rows[head]].tolist(),
                                          self.cross_encoder, params.rerank_depth)
            order = head[positions]
            score = score.copy()
            ce = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(ce_scores, dtype=float), -50, 50)))
            score[order[:len(ce_scores)]] = np.where(np.isnan(ce), score[order[:len(ce_scores)]], ce)
        order = order[:params.k]
        return rows[order], score[order], raw[order]

    def _learned_order(self, order, qvec, intent: QueryIntent, rows, score, raw, dense, sparse,
                       capture: tuple[list, int] | None) -> np.ndarray:
        """The hybrid order with its top ``depth`` films reordered by the trained re-ranker (the
        scores are not changed); under ``candidate_features`` the features are captured instead."""
        depth = capture[1] if capture is not None else int(self.reranker.depth)
        head = order[:depth]
        X = candidate_features(self, intent, qvec, rows[head], score[head], raw[head],
                               None if dense is None else dense[head], None if sparse is None else sparse[head])
        if capture is not None:
            capture[0].append((rows[head], X))
            return order
        return np.concatenate([head[self.reranker.order(X)], order[depth:]]).astype(np.int64)

    def has_any_genre(self, genres) -> np.ndarray:
        """Per film: whether it has at least one of ``genres`` (unknown genres match no film)."""
        columns = [self._genre_column[g] for g in set(genres) if g in self._genre_column]
        if not columns:
            return np.zeros(len(self.genre_sets), dtype=bool)
        return self._genre_members[:, columns].any(axis=1)

    def _constraint_mask(self, intent: QueryIntent, soft_languages: list[str]) -> np.ndarray:
        """Films that meet every understood year/genre/language constraint (all films when none)."""
        keep = np.ones(len(self.index), dtype=bool)
        if intent.year_min is not None:
            keep &= self.years >= intent.year_min
        if intent.year_max is not None:
            keep &= self.years <= intent.year_max
        if intent.genres:
            keep &= self.has_any_genre(intent.genres)
        if soft_languages:
            keep &= np.isin(self.languages, soft_languages)
        return keep

    def _candidates(self, qvec, intent: QueryIntent, mask: np.ndarray, constraint: np.ndarray, params: SearchParams):
        """Candidate rows with their dense cosine and sparse share (None where a method does not
        use it), and the RRF order of the rows (for ``fusion="rrf"``)."""
        method = params.method
        use_dense = qvec is not None and method != "bm25"
        content_terms = self.index.bm25.query_terms(intent.content)
        use_sparse = method not in ("retrieval", "blend") and bool(content_terms)
        constrained = not constraint.all() and constraint.any()
        lists: list[np.ndarray] = []
        weights: list[float] = []
        film_cos = None
        if use_dense:
            k = max(params.dense_k, params.k)
            if self.index.has_passages:   # best of document and plot passages, exact
                film_cos = self.index.film_cosines(qvec)
                lists.append(fusion.top_k(film_cos, k, mask))
            else:
                lists.append(self.index.dense_search(qvec, k, mask)[0])
            weights.append(params.dense_weight)
            if constrained:
                lists.append(fusion.top_k(film_cos, k, constraint) if film_cos is not None
                             else self.index.dense_search(qvec, k, constraint)[0])
                weights.append(params.dense_weight)
        bm25 = None
        if use_sparse:
            bm25 = self.index.bm25.scores(intent.content)
            k = max(params.sparse_k, params.k)
            lists.append(fusion.top_k(bm25, k, mask, positive_only=True))
            weights.append(params.sparse_weight)
            if constrained:
                lists.append(fusion.top_k(bm25, k, constraint, positive_only=True))
                weights.append(params.sparse_weight)
        extra = {r for pid in intent.people for r in self.analyzer.person_rows.get(pid, [])} | set(intent.title_rows)
        extra_rows = np.array(sorted(r for r in extra if mask[r]), dtype=np.int64)
        if not lists:  # only constraints, people or a title: the films meeting them, most popular first
            pool = constraint if constrained else np.zeros(len(mask), dtype=bool)
            lists.append(fusion.top_k(self.popularity, max(params.k * 5, 200), pool))
            weights.append(1.0)
        fused = fusion.rrf(lists + [extra_rows], weights + [1.0], params.rrf_k)
        rows = np.fromiter(fused, dtype=np.int64, count=len(fused))
        rrf_scores = np.fromiter(fused.values(), dtype=float, count=len(fused))
        rrf_order = np.lexsort((rows, -rrf_scores))
        dense = None
        if use_dense:
            dense = (film_cos[rows] if film_cos is not None
                     else self.index.vectors[rows] @ np.asarray(qvec, dtype=np.float32)).astype(float)
        sparse = None
        if use_sparse:
            upper = self.index.bm25.upper_bound(intent.content)
            sparse = np.clip(bm25[rows] / upper, 0.0, 1.0) if upper > 0 else np.zeros(len(rows))
        return rows, dense, sparse, rrf_order

    def _relevance(self, rows, dense, sparse, params: SearchParams) -> np.ndarray | None:
        """Text relevance in [0, 1] (None when the query has no text left to match)."""
        d = None if dense is None else np.clip((dense - params.cos_low) / (params.cos_high - params.cos_low), 0.0, 1.0)
        if params.method == "blend" and d is not None:
            rest = 1.0 - params.recency_weight - params.popularity_weight
            return rest * d + params.recency_weight * self.recency[rows] + params.popularity_weight * self.popularity[rows]
        if d is not None and sparse is not None:
            return (params.dense_weight * d + params.sparse_weight * sparse) / (params.dense_weight + params.sparse_weight)
        return d if d is not None else sparse

    @staticmethod
    def _constrained(intent: QueryIntent) -> bool:
        return bool(intent.genres or intent.languages or intent.year_min is not None or intent.year_max is not None)

    def _evidence(self, rows, relevance, intent: QueryIntent, params: SearchParams) -> np.ndarray:
        if relevance is None:  # only constraints: meeting them is the evidence, popularity orders
            base = (0.5 + 0.5 * self.popularity[rows]) if self._constrained(intent) else np.zeros(len(rows))
        else:
            base = relevance
        miss = 1.0 - base
        if intent.people:
            people = set(intent.people)
            cast, directors = self.docs["cast_ids"], self.docs["director_ids"]
            share = np.fromiter((len(people.intersection(cast.iat[r]) | people.intersection(directors.iat[r]))
                                 for r in rows), dtype=float, count=len(rows)) / len(people)
            miss = miss * (1.0 - params.entity_boost * share)
        if intent.title_rows:
            miss = miss * (1.0 - params.title_boost * np.isin(rows, intent.title_rows))
        return 1.0 - miss

    def _constraint_factor(self, rows, intent: QueryIntent, params: SearchParams, soft_languages: list[str]) -> np.ndarray:
        factor = np.ones(len(rows))
        if intent.year_min is not None or intent.year_max is not None:
            years = self.years[rows]
            low = intent.year_min if intent.year_min is not None else -np.inf
            high = intent.year_max if intent.year_max is not None else np.inf
            distance = np.where(years < low, low - years, np.where(years > high, years - high, 0.0))
            match = np.where(np.isnan(years), 0.5, np.clip(1.0 - distance / 5.0, 0.0, 1.0) * np.where(distance > 0, 0.5, 1.0))
            factor *= 1.0 - params.year_weight * (1.0 - match)
        if intent.genres:
            wanted = set(intent.genres)
            share = np.fromiter((len(wanted & self.genre_sets[r]) for r in rows), dtype=float, count=len(rows)) / len(wanted)
            factor *= 1.0 - params.genre_weight * (1.0 - share)
        if soft_languages:
            factor *= 1.0 - params.language_boost * (1.0 - np.isin(self.languages[rows], soft_languages))
        return factor

    def _like(self, text: str, intent: QueryIntent, params: SearchParams, mask: np.ndarray, wanted: list[str],
              notices: list[str], started: float) -> SearchResponse:
        """"like <title>": the seeds' neighbours (the rest of the query, if any, steers the taste
        vector), under the same bounded score and constraints as a text query."""
        seeds = intent.like_rows
        taste = self.index.vectors[seeds].mean(axis=0)
        taste = taste / max(float(np.linalg.norm(taste)), 1e-12)
        if intent.dense_text:
            taste = taste + 0.5 * self.query_vector(intent.dense_text)
            taste = taste / max(float(np.linalg.norm(taste)), 1e-12)
        mask = mask.copy()
        mask[seeds] = False
        soft = wanted if params.language_policy == "auto-soft" else []
        if wanted and params.language_policy == "auto-hard":
            mask &= np.isin(self.languages, wanted)
        constraint = self._constraint_mask(intent, soft) & mask
        k = max(params.dense_k, params.k)
        rows = self.index.dense_search(taste, k, mask)[0]
        if not constraint.all() and constraint.any():
            rows = np.unique(np.concatenate([rows, self.index.dense_search(taste, k, constraint)[0]]))
        cosine = (self.index.vectors[rows] @ taste).astype(float)
        d = np.clip((cosine - params.cos_low) / (params.cos_high - params.cos_low), 0.0, 1.0)
        score = d * self._constraint_factor(rows, intent, params, soft)
        order = np.lexsort((rows, -score))
        if params.method == "mmr":
            order = np.asarray(fusion.mmr(score, self.index.vectors[rows], params.k, params.mmr_lambda), dtype=np.int64)
        order = order[:params.k]
        seeds_frame = self.docs.iloc[seeds]
        labels = [f"{t} ({y})" if pd.notna(y) else t for t, y in zip(seeds_frame["title"], seeds_frame["year"])]
        notices = notices + [f"'like {' + '.join(labels)}': films close to {'them' if len(seeds) > 1 else 'it'}"]
        no_match = self._weak(score[order], params)
        hits = [] if no_match else [self._hit(rows[i], score[i], cosine[i],
                                              explain(self.docs.iloc[rows[i]], [], intent, seeds_frame)) for i in order]
        info = {**intent.as_dict(), "seeds": seeds_frame["movie_id"].tolist()}
        return SearchResponse(text, params.method, hits, info, notices, (time.perf_counter() - started) * 1000,
                              no_match=no_match)

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
