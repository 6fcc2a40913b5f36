"""Language intent, filters, methods and 'more like these' on the synthetic demo catalog
(3,000 films in en, fr, es, hi, ja, ko, ml, it, de, ta)."""
from __future__ import annotations

import numpy as np
import pytest

from core.errors import MarqueeError
from core.search.engine import Filters, SearchParams


def languages_of(response) -> list[str]:
    return [hit.language for hit in response.hits]


def test_language_hard_policy_returns_that_language_first(demo_searcher):
    n_malayalam = int((demo_searcher.languages == "ml").sum())
    assert 20 < n_malayalam < 200
    response = demo_searcher.search("malayalam thriller", SearchParams(method="hybrid", k=10, language_policy="auto-hard"))
    assert response.intent["languages"] == ["ml"]
    assert languages_of(response) == ["ml"] * 10
    assert all("in Malayalam" in hit.reasons for hit in response.hits)
    # Asking for more films than exist in the language: all of them first, then the others.
    every = demo_searcher.search("malayalam thriller", SearchParams(k=n_malayalam + 15, language_policy="auto-hard"))
    assert languages_of(every)[:n_malayalam] == ["ml"] * n_malayalam
    assert "ml" not in languages_of(every)[n_malayalam:] and len(every.hits) == n_malayalam + 15


@pytest.mark.parametrize("method", ["retrieval", "bm25", "hybrid", "blend", "mmr"])
def test_language_hard_policy_for_every_method(demo_searcher, method):
    response = demo_searcher.search("French heist comedy", SearchParams(method=method, k=8, language_policy="auto-hard"))
    assert response.intent["languages"] == ["fr"]
    assert languages_of(response) == ["fr"] * 8


def test_soft_policy_boosts_and_off_ignores(demo_searcher):
    soft = demo_searcher.search("korean revenge thriller", SearchParams(k=10, language_policy="auto-soft"))
    off = demo_searcher.search("korean revenge thriller", SearchParams(k=10, language_policy="off", method="retrieval"))
    assert soft.intent["languages"] == ["ko"]
    assert languages_of(soft).count("ko") >= 8
    assert languages_of(soft).count("ko") > languages_of(off).count("ko")


def test_language_words_that_are_not_intents(demo_searcher):
    for query in ("an English teacher falls in love", "what is it about", "de la vie"):
        assert demo_searcher.search(query, SearchParams(k=3)).intent["languages"] == []
    assert demo_searcher.search("lang:ja samurai", SearchParams(k=3)).intent["languages"] == ["ja"]


def test_director_and_actor_names_lift_their_films(demo_searcher):
    docs = demo_searcher.docs
    director = docs["directors"].explode().value_counts().index[0]
    response = demo_searcher.search(f"{director} drama", SearchParams(k=5))
    directed = int(docs["directors"].map(lambda names: director in names).sum())
    assert response.intent["people"] == [director]
    assert sum(director in hit.explanation.get("directors", []) for hit in response.hits) == min(5, directed)


def test_filters_are_respected(demo_searcher):
    filters = Filters(year_min=2000, year_max=2010, genres=["Comedy"], languages=["en", "fr"], min_votes=50)
    response = demo_searcher.search("a wedding goes wrong", SearchParams(k=20, min_score=0.0), filters)
    assert response.hits
    for hit in response.hits:
        doc = demo_searcher.docs.iloc[demo_searcher.row_of_movie[hit.movie_id]]
        assert 2000 <= hit.year <= 2010 and "Comedy" in hit.genres and hit.language in ("en", "fr")
        assert doc["vote_count"] >= 50
    nothing = demo_searcher.search("a wedding", SearchParams(k=5), Filters(year_min=2030))
    assert nothing.hits == []


def test_mmr_diversifies_and_lambda_one_is_relevance(demo_searcher):
    query = "a space station crew fights an alien"

    def spread(response) -> float:
        rows = [demo_searcher.row_of_movie[h.movie_id] for h in response.hits]
        vectors = demo_searcher.index.vectors[rows]
        similarity = vectors @ vectors.T
        return float(similarity[np.triu_indices(len(rows), 1)].mean())

    hybrid = demo_searcher.search(query, SearchParams(method="hybrid", k=10))
    same = demo_searcher.search(query, SearchParams(method="mmr", k=10, mmr_lambda=1.0))
    diverse = demo_searcher.search(query, SearchParams(method="mmr", k=10, mmr_lambda=0.3))
    assert [h.movie_id for h in same.hits] == [h.movie_id for h in hybrid.hits]
    assert spread(diverse) < spread(hybrid)


def test_blend_prefers_recent_popular_films(demo_searcher):
    query = "a family drama about forgiveness"
    plain = demo_searcher.search(query, SearchParams(method="retrieval", k=20))
    blended = demo_searcher.search(query, SearchParams(method="blend", k=20, recency_weight=0.5, popularity_weight=0.5))
    assert np.mean([h.year for h in blended.hits]) > np.mean([h.year for h in plain.hits])


def test_ce_without_a_model_explains_what_is_needed(demo_searcher, monkeypatch):
    from core.search.rerank import NOT_CONFIGURED

    monkeypatch.delenv("MARQUEE_CROSS_ENCODER", raising=False)
    with pytest.raises(MarqueeError) as info:
        demo_searcher.search("a heist", SearchParams(method="ce"))
    assert str(info.value) == NOT_CONFIGURED


def test_more_like_these_uses_the_seeds_taste(demo_searcher):
    docs = demo_searcher.docs
    seeds = docs[docs["genres"].map(lambda g: g == ["Horror"])].head(2)
    response = demo_searcher.more_like(seeds["movie_id"].tolist(), SearchParams(method="retrieval", k=10))
    ids = [h.movie_id for h in response.hits]
    assert not set(ids) & set(seeds["movie_id"]) and len(ids) == 10
    base_rate = docs["genres"].map(lambda g: "Horror" in g).mean()
    assert sum("Horror" in h.genres for h in response.hits) / 10 > 3 * base_rate
    assert all(h.explanation.get("shared_genres") == ["Horror"] for h in response.hits if "Horror" in h.genres)
    by_title = demo_searcher.more_like([f"{seeds.iloc[0]['title']} ({seeds.iloc[0]['year']})"], SearchParams(k=3))
    assert by_title.intent["seeds"] == [int(seeds.iloc[0]["movie_id"])]
    with pytest.raises(MarqueeError, match="no film titled"):
        demo_searcher.more_like(["No Such Film Ever Made"])
    with pytest.raises(MarqueeError, match="at least one seed"):
        demo_searcher.more_like([])


def test_ce_reorders_the_hybrid_head_with_the_given_scorer(demo_catalog, demo_searcher):
    """Wiring of the ``ce`` method: a pair scorer passed in explicitly (a test double that prefers
    short documents) reorders exactly the hybrid head; no model is downloaded or faked."""
    from core.search.engine import Searcher

    class ShortestFirst:
        def predict(self, pairs):
            return [-float(len(text)) for _, text in pairs]

    searcher = Searcher(demo_searcher.index, demo_searcher.encoder, cross_encoder=ShortestFirst())
    query = "a detective hunts a killer in the city"
    head = searcher.search(query, SearchParams(method="hybrid", k=20, language_policy="off", min_score=0.0))
    reranked = searcher.search(query, SearchParams(method="ce", k=20, rerank_depth=20, language_policy="off",
                                                   min_score=0.0))
    lengths = {h.movie_id: len(searcher.docs["text"].iloc[searcher.row_of_movie[h.movie_id]]) for h in head.hits}
    assert {h.movie_id for h in reranked.hits} == set(lengths)
    assert [h.movie_id for h in reranked.hits] == sorted(lengths, key=lambda m: lengths[m])
    # scores are the logistic of the scorer's logit: bounded, in the scorer's order
    assert [h.score for h in reranked.hits] == [round(1 / (1 + np.exp(min(50.0, float(lengths[h.movie_id])))), 6)
                                                for h in reranked.hits]
