"""Search on real films: the 2010s Wikipedia slice (about 2,500 American films)."""
from __future__ import annotations

import numpy as np
import pytest

from core.errors import MarqueeError
from core.search.engine import METHODS, SearchParams

TEXT_METHODS = [m for m in METHODS if m != "ce"]

# Paraphrases written without the distinctive words of each film's Wikipedia extract.
PARAPHRASES = [
    ("Inception", "a crook who sneaks into people's dreams to plant a notion in someone's mind"),
    ("Gravity", "two space travellers adrift after debris wrecks their orbiter try to get back home"),
    ("The Social Network", "how the world's biggest online friends website was started by a college student"),
    ("Whiplash", "a young drummer at a music school is tormented by a ruthless teacher"),
    ("La La Land", "a piano player and a would-be actress fall for each other in Hollywood"),
    ("Get Out", "a black man visits his girlfriend's parents and uncovers something sinister"),
    ("Interstellar", "explorers go through a wormhole to find a new planet for mankind"),
    ("Moneyball", "a baseball manager uses statistics to build a winning team on a small budget"),
    ("Arrival", "a language expert is recruited to talk with aliens who landed on earth"),
]


def titles(response) -> list[str]:
    return [hit.title for hit in response.hits]


def test_build_statistics_and_saved_files(wiki_build, wiki_slice, encoder):
    from core.search.index import index_dir, index_status

    index, stats = wiki_build
    assert stats["documents"] == len(wiki_slice.movies) == len(index) > 2000
    assert stats["embedded"] + stats["from_cache"] + stats["from_previous_index"] >= len(set(index.documents["hash"]))
    folder = index_dir("wiki2010s")
    assert {p.name for p in folder.iterdir()} == {"index.faiss", "documents.parquet", "bm25.npz", "passages.npz",
                                                  "manifest.json"}
    assert stats["passages"] == len(index.passage_rows) > len(index) // 2     # 40-word windows of long plots
    assert index.manifest["parameters"]["passage_words"] == 40 and index.manifest["parameters"]["bm25"]["stem"]
    status = index_status("wiki2010s")
    assert status["fresh"], status
    assert status["manifest"]["parameters"]["model_id"] == encoder.model_id
    norms = np.linalg.norm(index.vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)


@pytest.mark.parametrize("title, query", PARAPHRASES, ids=[t for t, _ in PARAPHRASES])
def test_known_films_found_by_paraphrase(wiki_searcher, title, query):
    assert title in titles(wiki_searcher.search(query, SearchParams(method="hybrid", k=10)))


def test_exact_title_comes_first(wiki_searcher):
    for title in ("The Social Network", "Inception", "Her", "Mad Max: Fury Road"):
        response = wiki_searcher.search(title, SearchParams(method="hybrid", k=5))
        assert response.hits[0].title == title and "title matches the query" in response.hits[0].reasons
    # Two films share the title (2010 and 2013): both come first.
    assert titles(wiki_searcher.search("Frozen", SearchParams(k=2))) == ["Frozen", "Frozen"]


def test_actor_query_lifts_their_films(wiki_searcher):
    response = wiki_searcher.search("Jesse Eisenberg", SearchParams(method="hybrid", k=5))
    assert response.intent["people"] == ["Jesse Eisenberg"]
    assert all("Jesse Eisenberg" in hit.explanation.get("cast", []) for hit in response.hits)
    assert "The Social Network" in titles(wiki_searcher.search("Jesse Eisenberg Andrew Garfield", SearchParams(k=1)))
    both = wiki_searcher.search("Tom Hardy Charlize Theron", SearchParams(k=1)).hits[0]
    assert both.title == "Mad Max: Fury Road" and both.explanation["cast"] == ["Tom Hardy", "Charlize Theron"]


def test_explanations_name_matched_terms_and_genres(wiki_searcher):
    hit = wiki_searcher.search("Matt Damon stranded on Mars science fiction", SearchParams(k=3)).hits[0]
    assert hit.title == "The Martian"
    assert {"mars", "stranded"} & set(hit.explanation["matched_terms"])
    assert hit.explanation["cast"] == ["Matt Damon"]
    assert any(r.startswith("matches:") for r in hit.reasons) and "with Matt Damon" in hit.reasons


@pytest.mark.parametrize("method", TEXT_METHODS)
@pytest.mark.parametrize("query", ["🎬🍿🔥", "x" * 10_000, "मुंबई में एक गैंगस्टर", "東京の探偵", "ثلاثة أصدقاء في الصحراء",
                                   "ദൃശ്യം ത്രില്ലർ", "!!! ??? ...", "Amélie Poulain Zoë"],
                         ids=["emoji", "10k-chars", "hindi", "japanese", "arabic", "malayalam", "punctuation", "accents"])
def test_malformed_and_foreign_queries_are_handled(wiki_searcher, method, query):
    response = wiki_searcher.search(query, SearchParams(method=method, k=5))
    assert len(response.hits) <= 5
    assert all(np.isfinite(h.score) for h in response.hits)
    if query in ("🎬🍿🔥", "!!! ??? ..."):  # no words: the honest answer is "no good match"
        assert response.hits == [] and response.no_match.startswith("no good match")
    elif method != "bm25":
        assert len(response.hits) == 5 or response.no_match.startswith("no good match")
    if len(query) > 5000:
        assert any("shortened" in n for n in response.notices)


def test_empty_query_is_refused(wiki_searcher):
    for query in ("", "   \n "):
        with pytest.raises(MarqueeError, match="empty"):
            wiki_searcher.search(query)


def test_hybrid_at_least_as_good_as_each_single_method(wiki_slice, encoder):
    from core.search.engine import Searcher
    from core.search.evaluation import evaluate, generate_known_items
    from core.search.index import assemble_index, embed_documents

    items, documents = generate_known_items(wiki_slice, n=150, seed=0)
    assert len(items) >= 100 and {i.kind for i in items} == {"overview"}
    vectors, counts = embed_documents(documents, encoder)
    searcher = Searcher(assemble_index(documents, vectors), encoder)
    # The held-out sentence is gone from the indexed text.
    held = {i.movie_id: i.query for i in items}
    for movie_id, text in zip(documents["movie_id"], documents["text"]):
        if movie_id in held:
            assert held[movie_id] not in text
    report = evaluate(searcher, items, ["retrieval", "bm25", "hybrid"], k=10)
    scores = report["methods"]
    for metric in ("recall", "mrr"):
        assert scores["hybrid"][metric] >= scores["retrieval"][metric], (metric, scores)
        assert scores["hybrid"][metric] >= scores["bm25"][metric], (metric, scores)
    assert scores["hybrid"]["recall"] > 0.25


def test_incremental_rebuild_embeds_only_changed_documents(wiki_slice, wiki_build, encoder, monkeypatch, tmp_path):
    from core.catalog import store
    from core.search.index import build_index, load_index

    store.rewrite_catalog(wiki_slice, name="wiki2010s-edit")
    _, first = build_index("wiki2010s-edit", encoder=encoder)
    assert first["embedded"] == 0                      # every text is already in the embedding cache

    edited = store.load_catalog("wiki2010s-edit", verify=False)
    movies = edited.movies.copy()
    rows = np.random.default_rng(3).choice(len(movies), size=len(movies) // 100, replace=False)
    movies.loc[rows, "overview"] = movies.loc[rows, "overview"].fillna("") + " A restored cut was released in 2024."
    tables = store.catalog_tables(edited)
    tables["movies"] = movies
    store.rewrite_catalog(edited, tables=tables)

    # An empty embedding cache: unchanged vectors must come from the previous index.
    monkeypatch.setenv("MARQUEE_EMBEDDING_CACHE", str(tmp_path / "empty-cache"))
    index, second = build_index("wiki2010s-edit", encoder=encoder)
    assert second["embedded"] == len(rows) == len(movies) // 100
    assert second["from_previous_index"] == len(set(index.documents["hash"])) - len(rows)
    reloaded = load_index("wiki2010s-edit")
    assert reloaded.manifest["build"]["embedded"] == len(rows)
    changed = reloaded.documents["movie_id"].isin(movies.loc[rows, "movie_id"]).to_numpy()
    assert all("restored cut" in t for t in reloaded.documents["text"][changed])
    # plot passages too: only those of changed films are embedded, the rest come from the previous index
    of_changed = int(np.isin(index.passage_rows, np.flatnonzero(changed)).sum())
    assert second["passages"] == len(index.passage_rows) and 0 < second["passages_embedded"] <= of_changed


def test_saved_index_searches_like_the_built_one(wiki_searcher, encoder):
    from core.search.engine import Searcher
    from core.search.index import load_index

    loaded = Searcher(load_index("wiki2010s"), encoder)
    for method in TEXT_METHODS:
        params = SearchParams(method=method, k=10)
        query = "a heist crew plans one last job in las vegas"
        assert [h.movie_id for h in loaded.search(query, params).hits] == \
               [h.movie_id for h in wiki_searcher.search(query, params).hits]
