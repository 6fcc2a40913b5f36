"""The learned re-ranker in the searcher: the features it is served are the features it was trained
on (one function, captured from the same pipeline), it only reorders the hybrid top films (scores
and "no good match" unchanged), and it is stored and loaded through the artifact store only for
the index it was trained on. A bag-of-words encoder stands in for the model (no torch)."""
from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from core.artifacts import ArtifactStore
from core.search.documents import COLUMNS, content_hash
from core.search.engine import Searcher, SearchParams
from core.search.index import assemble_index
from core.search import learned
from tests.search.test_search_passages import BagOfWords

WORDS = ("heist", "space", "station", "detective", "paris", "jewel", "storm", "harbour", "ferry", "cellist",
         "chef", "bistro", "desert", "robot", "pirate", "island", "school", "dragon", "castle", "river")


def _docs(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for i in range(n):
        plot = " ".join(rng.choice(WORDS, size=8)) + "."
        genres = [["Drama"], ["Comedy"], ["Thriller", "Crime"], ["Science Fiction"]][i % 4]
        text = f"Film {i} ({1990 + i % 20}) · {', '.join(genres)} · {plot}"
        rows.append({"movie_id": i + 1, "title": f"Film {i} {WORDS[i % len(WORDS)]}", "year": 1990 + i % 20,
                     "language": "en" if i % 5 else "fr", "genres": genres, "overview": plot, "cast": [f"Actor {i % 7}"],
                     "cast_ids": [i % 7], "directors": [f"Director {i % 3}"], "director_ids": [100 + i % 3],
                     "popularity": float(i), "vote_count": 10.0 + i, "vote_average": 6.0, "poster_url": "",
                     "text": text, "hash": content_hash(text)})
    docs = pd.DataFrame(rows)[COLUMNS]
    docs["year"] = docs["year"].astype("Int64")
    return docs


QUERIES = ["heist in space station", "detective jewel paris 1990s", "storm harbour ferry drama",
           "pirate island dragon", "chef bistro comedy", "robot desert river castle"]


@pytest.fixture(scope="module")
def searcher():
    docs, encoder = _docs(), BagOfWords()
    index = assemble_index(docs, encoder.encode(docs["text"].tolist()), {"data_checksum": "tiny", "parameters": {}})
    return Searcher(index, encoder)


@pytest.fixture(scope="module")
def reranker(searcher):
    items = [{"query": q, "movie_id": int(m)} for q in QUERIES for m in (7, 21, 40)]
    return learned.fit_groups(learned.SearchReranker(depth=20, n_estimators=30, max_depth=2),
                              learned.training_groups(searcher, items, 20))


class Spy:
    """Wraps a re-ranker and records the feature rows the searcher hands it."""

    def __init__(self, inner):
        self.inner, self.depth, self.seen = inner, inner.depth, []

    def order(self, X):
        self.seen.append(np.array(X))
        return self.inner.order(X)


@pytest.mark.parametrize("query", QUERIES)
def test_served_features_are_the_training_features(searcher, reranker, query):
    rows, trained_on = searcher.candidate_features(query, reranker.depth)
    assert trained_on.shape == (len(rows), len(learned.FEATURES)) and len(rows)
    spy = Spy(reranker)
    searcher.reranker = spy
    try:
        searcher.search(query, SearchParams(k=5, min_score=0.0))
    finally:
        searcher.reranker = None
    assert len(spy.seen) == 1
    np.testing.assert_array_equal(spy.seen[0], trained_on)


def test_the_reranker_only_reorders_the_head_and_keeps_scores(searcher, reranker):
    for query in QUERIES:
        plain = searcher.search(query, SearchParams(k=30, min_score=0.0))
        searcher.reranker = reranker
        try:
            ranked = searcher.search(query, SearchParams(k=30, min_score=0.0))
            off = searcher.search(query, SearchParams(k=30, min_score=0.0, learned_rerank=False))
        finally:
            searcher.reranker = None
        assert [h.movie_id for h in off.hits] == [h.movie_id for h in plain.hits]   # switchable per query
        head = reranker.depth
        assert {h.movie_id for h in ranked.hits[:head]} == {h.movie_id for h in plain.hits[:head]}
        assert [h.movie_id for h in ranked.hits[head:]] == [h.movie_id for h in plain.hits[head:]]
        score_of = {h.movie_id: h.score for h in plain.hits}
        assert all(h.score == score_of[h.movie_id] and 0.0 <= h.score <= 1.0 for h in ranked.hits)


@pytest.mark.parametrize("query", ["🎬🍿🔥", "the of and", "xqzvbn flurgle"])
def test_no_good_match_is_unchanged_with_a_reranker(searcher, reranker, query):
    searcher.reranker = reranker
    try:
        response = searcher.search(query)
    finally:
        searcher.reranker = None
    assert response.no_match and not response.hits


def test_stored_reranker_loads_only_for_its_index(searcher, reranker, tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    assert learned.load_reranker("tiny", searcher, store) is None          # nothing trained: as before
    version = learned.save_reranker(reranker, searcher, "tiny", metrics={"validation_cv_mrr": 0.5}, store=store)
    assert store.champion(learned.slot("tiny")).name == version.name
    loaded = learned.load_reranker("tiny", searcher, store)
    rows, X = searcher.candidate_features(QUERIES[0], reranker.depth)
    np.testing.assert_array_equal(loaded.predict_flagged(X).values, reranker.predict_flagged(X).values)
    other = Searcher(searcher.index, BagOfWords(model_id="another-encoder"))
    assert learned.load_reranker("tiny", other, store) is None             # trained on another encoder's vectors


def test_capturing_features_leaves_a_concurrent_served_search_alone(searcher, reranker):
    """A served searcher is shared (page sessions, API threads): while one thread captures training
    features, a search in another thread is re-ranked as usual and adds nothing to the capture."""
    spy, served, inner = Spy(reranker), {}, searcher.encoder

    class Interleaving:
        """Runs a served search in another thread while the capturing search encodes its query."""

        fired = False

        def __getattr__(self, name):
            return getattr(inner, name)

        def encode_query(self, text):
            if not Interleaving.fired:
                Interleaving.fired = True
                other = threading.Thread(target=lambda: served.update(
                    response=searcher.search("pirate dragon castle river", SearchParams(k=5, min_score=0.0))))
                other.start()
                other.join()
            return inner.encode_query(text)

    searcher.encoder, searcher.reranker = Interleaving(), spy
    try:
        rows, X = searcher.candidate_features("heist station detective jewel", reranker.depth)
    finally:
        searcher.encoder, searcher.reranker = inner, None
    assert Interleaving.fired and served["response"].hits
    assert len(spy.seen) == 1                       # the served search was re-ranked, not captured
    assert len(rows) and X.shape == (len(rows), len(learned.FEATURES))
    expected_rows, _ = searcher.candidate_features("heist station detective jewel", reranker.depth)
    np.testing.assert_array_equal(rows, expected_rows)   # the capture holds the capturing query only
