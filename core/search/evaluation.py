"""Known-item evaluation: queries generated from the catalog, metrics per method.

Two kinds of query, neither of which the evaluated index has seen:

* ``overview`` — one sentence of a film's overview (not its first, at least eight words, naming
  at most one of the film's credited people, no release or production trivia, the title removed) is
  held out: the evaluation index is built from documents *without* that
  sentence, and the sentence is the query. Only the changed documents are embedded (the rest
  come from the embedding cache), so this costs seconds, not a full rebuild.
* ``keywords`` — a film's keywords (when the catalog has them and at least one is rare: used by
  at most three films); keywords are never part of the documents.

Metrics: recall@k (the film is in the top k) and MRR@k (1/rank if within the top k, else 0).
"""
from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from core import tracking
from core.errors import MarqueeError
from core.progress import ProgressFn, null_progress
from core.search.documents import build_documents, content_hash, document_text
from core.search.engine import METHODS, SearchParams, Searcher
from core.search.index import assemble_index, embed_documents

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
# Production and release trivia ("It premiered at Sundance…") describes no film a person could
# recall by it; such sentences are not used as queries.
TRIVIA = re.compile(r"\b(releas\w*|premiere\w*|gross\w*|box office|filming|principal photography|production|"
                    r"screenplay|written by|festival|distribut\w*|budget|reviews?|critics?|nominat\w*|award\w*)\b",
                    re.IGNORECASE)
MIN_WORDS, MAX_WORDS = 8, 30
RARE_KEYWORD = 3


@dataclass
class KnownItem:
    query: str
    movie_id: int
    kind: str


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(text or "") if s.strip()]


def _names_people(sentence: str, people: list[str]) -> bool:
    """A cast or crew list ("The film stars A, B and C") tests the indexed credits, not the
    description: sentences naming two or more of the film's credited people are not used."""
    folded = sentence.casefold()
    return sum(name in folded for name in people) >= 2


def _without_title(sentence: str, title: str) -> str:
    cleaned = re.sub(re.escape(title), " ", sentence, flags=re.IGNORECASE) if len(title) > 2 else sentence
    return " ".join(cleaned.split()[:MAX_WORDS])


def generate_known_items(catalog, n: int = 300, seed: int = 0) -> tuple[list[KnownItem], pd.DataFrame]:
    """Known-item queries and the documents to index for them (held-out sentences removed)."""
    documents = build_documents(catalog)
    rng = np.random.default_rng(seed)
    items: list[KnownItem] = []
    texts = documents["text"].tolist()
    eligible = []
    for row, (overview, cast, directors) in enumerate(zip(documents["overview"], documents["cast"], documents["directors"])):
        people = [p.casefold() for p in (*cast, *directors)]
        candidates = [i for i, s in enumerate(_sentences(overview))
                      if i > 0 and len(s.split()) >= MIN_WORDS and not TRIVIA.search(s) and not _names_people(s, people)]
        if candidates:
            eligible.append((row, candidates))
    keyword_films = _rare_keyword_films(catalog)
    n_overview = (n + 1) // 2 if keyword_films else n
    for pick in rng.permutation(len(eligible))[:n_overview]:
        row, candidates = eligible[int(pick)]
        doc = documents.iloc[row]
        sentences = _sentences(doc["overview"])
        held = int(rng.choice(candidates))
        query = _without_title(sentences[held], doc["title"])
        if len(query.split()) < MIN_WORDS // 2:
            continue
        overview = " ".join(s for i, s in enumerate(sentences) if i != held)
        texts[row] = document_text(doc["title"], doc["year"], doc["genres"], doc["language"], overview,
                                   doc["cast"], doc["directors"])
        items.append(KnownItem(query, int(doc["movie_id"]), "overview"))
    for pick in rng.permutation(len(keyword_films))[:n - len(items)]:
        movie_id, keywords = keyword_films[int(pick)]
        items.append(KnownItem(" ".join(keywords[:8]), movie_id, "keywords"))
    if not items:
        raise MarqueeError(f"catalog {catalog.name!r} has no overviews with a second sentence of {MIN_WORDS}+ words "
                           "and no distinctive keywords: no known-item queries can be generated")
    held_out = documents.assign(text=texts)
    held_out["hash"] = [content_hash(t) for t in held_out["text"]]
    return items, held_out


def _rare_keyword_films(catalog) -> list[tuple[int, list[str]]]:
    movies = catalog.movies
    counts = Counter(k for ks in movies["keywords"] for k in set(ks))
    return [(int(m), list(ks)) for m, ks in zip(movies["movie_id"], movies["keywords"])
            if len(ks) >= 3 and min(counts[k] for k in ks) <= RARE_KEYWORD]


def rank_of(hits, movie_id: int) -> int | None:
    for rank, hit in enumerate(hits, start=1):
        if hit.movie_id == movie_id:
            return rank
    return None


def evaluate(searcher: Searcher, items: Sequence[KnownItem], methods: Sequence[str] = ("retrieval", "bm25", "hybrid"),
             k: int = 10, params: dict[str, Any] | None = None, progress: ProgressFn | None = None) -> dict[str, Any]:
    """recall@k and MRR@k per method (overall and per query kind), with mean latency."""
    progress = progress or null_progress
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise MarqueeError(f"unknown method(s) {', '.join(unknown)}: choose from {', '.join(METHODS)}")
    results: dict[str, Any] = {}
    total = len(methods) * len(items)
    for m_index, method in enumerate(methods):
        search_params = SearchParams(method=method, k=k, **{"min_score": 0.0, **(params or {})})  # rank every query
        ranks, kinds, elapsed = [], [], []
        for i, item in enumerate(items):
            started = time.perf_counter()
            response = searcher.search(item.query, search_params)
            elapsed.append(time.perf_counter() - started)
            ranks.append(rank_of(response.hits, item.movie_id))
            kinds.append(item.kind)
            progress(m_index * len(items) + i + 1, total, method)
        results[method] = {**_metrics(ranks, k), "mean_ms": round(1000 * float(np.mean(elapsed)), 2),
                           "by_kind": {kind: _metrics([r for r, q in zip(ranks, kinds) if q == kind], k)
                                       for kind in sorted(set(kinds))}}
    return {"k": k, "queries": len(items), "kinds": dict(Counter(i.kind for i in items)), "methods": results}


def _metrics(ranks: list[int | None], k: int) -> dict[str, float]:
    if not ranks:
        return {"recall": 0.0, "mrr": 0.0, "n": 0}
    hit = [r is not None and r <= k for r in ranks]
    return {"recall": round(float(np.mean(hit)), 4),
            "mrr": round(float(np.mean([1.0 / r if r is not None and r <= k else 0.0 for r in ranks])), 4),
            "n": len(ranks)}


def run_search_eval(catalog_name: str, encoder=None, n: int = 300, seed: int = 0, k: int = 10,
                    methods: Sequence[str] = ("retrieval", "bm25", "hybrid", "blend", "mmr"),
                    progress: ProgressFn | None = None) -> dict[str, Any]:
    """Generate known items for a catalog, index the held-out documents, evaluate each method."""
    from core.catalog import store
    from core.search.embeddings import Encoder

    catalog = store.load_catalog(catalog_name, verify=False, tables=("movies", "people", "credits"))
    items, documents = generate_known_items(catalog, n=n, seed=seed)
    encoder = encoder or Encoder()
    vectors, counts = embed_documents(documents, encoder, progress)
    searcher = Searcher(assemble_index(documents, vectors), encoder)
    report = evaluate(searcher, items, methods, k=k, progress=progress)
    report.update({"catalog": catalog_name, "seed": seed, "embedding": counts,
                   "examples": [{"query": i.query, "movie_id": i.movie_id, "kind": i.kind} for i in items[:5]]})
    if tracking.enabled():  # MLflow, when MARQUEE_MLFLOW_URI is set
        tracking.log_run("search-eval", catalog_name, metrics={"methods": report["methods"], "queries": report["queries"]},
                         params={"n": n, "seed": seed, "k": k, "methods": ",".join(methods),
                                 "model_id": getattr(encoder, "model_id", "")}, data_checksum=catalog.data_checksum)
    return report
