"""Search building blocks without the embedding model: text folding, BM25, fusion, MMR, intent,
query cleaning, the cross-encoder rerank function, the embedding cache and documents."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.errors import MarqueeError
from core.search import fusion
from core.search.bm25 import BM25
from core.search.documents import COLUMNS, build_documents, content_hash
from core.search.embeddings import EmbeddingCache
from core.search.engine import MAX_QUERY_CHARS, clean_query
from core.search.intent import QueryAnalyzer
from core.search.rerank import NOT_CONFIGURED, load_cross_encoder, rerank
from core.search.text import fold_token, terms, tokens


def docs_frame(rows: list[dict]) -> pd.DataFrame:
    """Minimal documents frame for the analyzer (only the fields it reads matter)."""
    base = {"movie_id": 0, "title": "", "year": 2000, "language": "en", "genres": [], "overview": "", "cast": [],
            "cast_ids": [], "directors": [], "director_ids": [], "popularity": np.nan, "vote_count": np.nan,
            "vote_average": np.nan, "poster_url": "", "text": "", "hash": ""}
    return pd.DataFrame([{**base, "movie_id": i + 1, **row} for i, row in enumerate(rows)])[COLUMNS]


# ------------------------------------------------------------------------------ text
def test_folding_strips_latin_accents_but_keeps_other_scripts():
    assert fold_token("Saldaña") == "saldana"
    assert fold_token("ÓSCAR") == "oscar"
    assert fold_token("മലയാളം") == "മലയാളം"          # Malayalam vowel signs are combining marks
    assert fold_token("हिन्दी") == "हिन्दी"
    assert tokens("Zoë Kravitz, Ryō Kase!") == ["zoe", "kravitz", "ryo", "kase"]
    assert terms("The film is a thriller in 2010") == ["thriller", "2010"]


# ------------------------------------------------------------------------------ BM25
def test_bm25_matches_the_okapi_formula():
    texts = ["red fox jumps", "red red dog", "blue whale", "fox and dog and fox"]
    model = BM25(k1=1.2, b=0.75).fit(texts)
    lengths = [len(terms(t)) for t in texts]
    average = sum(lengths) / len(lengths)

    def expected(doc: int, term: str) -> float:
        tf = terms(texts[doc]).count(term)
        df = sum(term in terms(t) for t in texts)
        idf = math.log(1 + (len(texts) - df + 0.5) / (df + 0.5))
        return idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * lengths[doc] / average))

    scores = model.scores("red fox")
    for doc in range(len(texts)):
        assert scores[doc] == pytest.approx(expected(doc, "red") + expected(doc, "fox"), rel=1e-5)
    assert model.scores("unknown words only").tolist() == [0.0] * 4
    assert model.query_terms("Fox, the RED fox?") == ["fox", "red"]


def test_bm25_saves_without_pickle_and_loads_identically(tmp_path):
    texts = ["red fox jumps", "Zoë's café in Paris", "फ़िल्म मुंबई", "blue whale"]
    model = BM25(k1=1.5, b=0.6).fit(texts)
    model.save(tmp_path / "bm25.npz")
    with np.load(tmp_path / "bm25.npz", allow_pickle=False) as saved:   # would raise if anything needed pickle
        assert "vocabulary" in saved.files
    loaded = BM25.load(tmp_path / "bm25.npz")
    assert (loaded.k1, loaded.b, loaded.vocabulary_) == (1.5, 0.6, model.vocabulary_)
    for query in ("fox", "zoe cafe", "मुंबई", "nothing"):
        np.testing.assert_array_equal(loaded.scores(query), model.scores(query))


# ------------------------------------------------------------------------------ fusion
def test_rrf_weights_and_ranks():
    fused = fusion.rrf([[1, 2, 3], [3, 1]], weights=[1.0, 2.0], k=10)
    assert fused[1] == pytest.approx(1 / 11 + 2 / 12)
    assert fused[3] == pytest.approx(1 / 13 + 2 / 11)
    assert fused[2] == pytest.approx(1 / 12)
    with pytest.raises(ValueError):
        fusion.rrf([[1]], weights=[1.0, 2.0])


def test_top_k_respects_mask_ties_and_positivity():
    scores = np.array([0.5, 0.9, 0.9, 0.0, 0.7])
    assert fusion.top_k(scores, 3).tolist() == [1, 2, 4]
    mask = np.array([True, False, True, True, True])
    assert fusion.top_k(scores, 10, mask, positive_only=True).tolist() == [2, 4, 0]
    assert fusion.top_k(scores, 0).tolist() == []


def test_mmr_trades_relevance_for_diversity():
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    relevance = np.array([1.0, 0.95, 0.6])
    assert fusion.mmr(relevance, vectors, 3, lam=1.0) == [0, 1, 2]
    assert fusion.mmr(relevance, vectors, 2, lam=0.5) == [0, 2]   # the duplicate of 0 waits
    assert fusion.minmax(np.array([2.0, 2.0])).tolist() == [1.0, 1.0]


# ------------------------------------------------------------------------------ intent
@pytest.fixture(scope="module")
def analyzer() -> QueryAnalyzer:
    return QueryAnalyzer(docs_frame([
        {"title": "Drishyam", "language": "ml", "genres": ["Thriller"], "cast": ["Mohanlal Viswanathan", "Meena Durairaj"],
         "cast_ids": [1, 2]},
        {"title": "Le Casse", "language": "fr", "genres": ["Comedy", "Crime"], "directors": ["Jean Dupont"],
         "director_ids": [3]},
        {"title": "French Kiss", "language": "en", "genres": ["Romance", "Science Fiction"],
         "cast": ["Meg Ryan", "Kevin Kline"], "cast_ids": [4, 5]},
        {"title": "Das Boot", "language": "de", "genres": ["War"]},
        {"title": "La Strada", "language": "it", "genres": ["Drama"]},
        {"title": "Roma", "language": "es", "genres": ["Drama"], "cast": ["Meg Ryan Jr."], "cast_ids": [6]},
    ]))


@pytest.mark.parametrize("query, expected", [
    ("malayalam thriller", ["ml"]),
    ("French heist comedy", ["fr"]),
    ("a german war film", ["de"]),
    ("lang:de submarine", ["de"]),
    ("Language: IT drama", ["it"]),
    ("French or Italian drama", ["fr", "it"]),
    ("a film in English about spies", ["en"]),
    ("English-language remake", ["en"]),
    ("an English teacher in Kerala", []),          # subject, not the film's language
    ("what is it about", []),                        # 'it' as a word is never a code
    ("de niro in a gangster film", []),
    ("es una pelicula", []),
    ("french kiss", []),                             # the word is part of a title in the query
    ("korean zombie train", []),                     # no Korean film in this catalog
    ("lang:ko zombies", []),
])
def test_language_intent(analyzer, query, expected):
    assert analyzer.analyze(query).languages == expected


def test_people_titles_and_genres(analyzer):
    intent = analyzer.analyze("meg ryan romance")
    assert intent.people == {4: "Meg Ryan"} and intent.genres == ["Romance"]
    assert analyzer.analyze("Meg Ryan Jr. drama").people == {6: "Meg Ryan Jr."}   # the longest name wins
    assert analyzer.analyze("jean dupont").people == {3: "Jean Dupont"}
    assert analyzer.analyze("meg").people == {}                                      # one word is not a name
    assert analyzer.analyze("Das Boot (1981)").title_rows == [3]
    assert analyzer.analyze("science fiction romance").genres == ["Science Fiction", "Romance"]


# ------------------------------------------------------------------------------ queries
def test_clean_query_refuses_empty_and_caps_length():
    for empty in ("", "   ", "\n\t", None, "\u200b\u200b"):
        with pytest.raises(MarqueeError, match="empty"):
            clean_query(empty)
    text, notices = clean_query("x" * 10_000)
    assert len(text) == MAX_QUERY_CHARS and "shortened" in notices[0]
    assert clean_query("a\x00b\nc")[0] == "a b c"


# ------------------------------------------------------------------------------ rerank
class LengthScorer:
    """A test double for a cross-encoder: scores a pair by document length (deterministic)."""

    def __init__(self):
        self.calls = []

    def predict(self, pairs):
        self.calls.append(pairs)
        return [float(len(doc)) for _, doc in pairs]


def test_rerank_reorders_only_the_head():
    texts = ["aa", "a", "aaaa", "aaa", "zzzzzzzzzz"]
    scorer = LengthScorer()
    positions, scores = rerank("q", texts, scorer, depth=4)
    assert positions.tolist() == [2, 3, 0, 1, 4]
    assert scores[:4].tolist() == [4.0, 3.0, 2.0, 1.0] and np.isnan(scores[4])
    assert scorer.calls == [[("q", "aa"), ("q", "a"), ("q", "aaaa"), ("q", "aaa")]]
    assert rerank("q", texts[:2], scorer, depth=30)[0].tolist() == [0, 1]


def test_cross_encoder_unconfigured_explains_what_is_needed(monkeypatch):
    monkeypatch.delenv("MARQUEE_CROSS_ENCODER", raising=False)
    with pytest.raises(MarqueeError) as info:
        load_cross_encoder()
    assert str(info.value) == NOT_CONFIGURED and "MARQUEE_CROSS_ENCODER" in NOT_CONFIGURED
    monkeypatch.setenv("MARQUEE_CROSS_ENCODER", "/nonexistent/cross-encoder")
    with pytest.raises(MarqueeError, match="/nonexistent/cross-encoder"):
        load_cross_encoder()


# ------------------------------------------------------------------------------ cache
def test_embedding_cache_round_trip_and_compaction(tmp_path, monkeypatch):
    import core.search.embeddings as embeddings

    monkeypatch.setattr(embeddings, "MAX_SHARDS", 2)
    cache = EmbeddingCache("model/x y", dim=3, root=tmp_path)
    rng = np.random.default_rng(0)
    written = {}
    for batch in range(4):
        hashes = [f"h{batch}-{i}" for i in range(5)]
        vectors = rng.normal(size=(5, 3)).astype(np.float32)
        cache.add(hashes, vectors)
        written.update(zip(hashes, vectors))
    files = sorted(p.name for p in cache.folder.iterdir())
    assert len(files) <= 2 and all(f.endswith(".parquet") for f in files)
    fresh = EmbeddingCache("model/x y", dim=3, root=tmp_path).get(list(written) + ["missing"])
    assert set(fresh) == set(written)
    for h, vector in written.items():
        np.testing.assert_array_equal(fresh[h], vector)
    assert EmbeddingCache("model/x y", dim=4, root=tmp_path).get(list(written)) == {}   # other dimension: ignored


# ------------------------------------------------------------------------------ documents
def test_documents_carry_every_field_and_hash_their_text(isolated_dirs):
    from core.catalog import store

    movies = pd.DataFrame({"movie_id": [1, 2], "title": ["Alpha", "Beta"], "year": [2001, None],
                           "overview": ["A heist.", None], "original_language": ["fr", None],
                           "genres": [["Crime", "Comedy"], []]})
    people = pd.DataFrame({"person_id": range(1, 9), "name": [f"Person {c}" for c in "ABCDEFGH"]})
    credits = pd.DataFrame({"movie_id": [1] * 8, "person_id": range(1, 9),
                            "role": ["cast"] * 7 + ["crew"], "job": ["Actor"] * 7 + ["Director"],
                            "bill_order": [6, 5, 4, 3, 2, 1, 0, None]})
    store.write_catalog("tiny", {"movies": movies, "people": people, "credits": credits}, source="test")
    docs = build_documents(store.load_catalog("tiny"))
    first, second = docs.iloc[0], docs.iloc[1]
    assert first["cast"] == ["Person G", "Person F", "Person E", "Person D", "Person C"]   # top 5 by billing
    assert first["directors"] == ["Person H"]
    assert first["text"] == ("Alpha (2001) · Crime, Comedy · French language · A heist. · Starring Person G, "
                             "Person F, Person E, Person D, Person C · Directed by Person H")
    assert second["text"] == "Beta" and pd.isna(second["year"])
    assert first["hash"] == content_hash(first["text"]) != second["hash"]


def test_bm25_upper_bound_makes_a_bounded_share():
    bm25 = BM25().fit(["a heist in a bank", "a bank robbery goes wrong", "love in paris", "space station crew"])
    for query in ("bank heist", "heist", "paris love story", "zzz qqq", "bank zzz"):
        upper = bm25.upper_bound(query)
        share = bm25.scores(query) / upper if upper else bm25.scores(query)
        # a typical full match is 1; a short document repeating a term can pass it (the engine
        # clips at 1), never the BM25 ceiling k1 + 1
        assert np.all(share >= 0) and np.all(share <= bm25.k1 + 1)
    assert bm25.upper_bound("bank zzz") > bm25.upper_bound("bank")      # unknown words lower the share
    assert bm25.upper_bound("") == 0.0


def test_fielded_bm25_weighs_fields_separately():
    from core.search.bm25 import FieldedBM25

    docs = docs_frame([
        {"title": "Burn", "overview": "A gas station attendant plans a robbery."},
        {"title": "Embers", "overview": "A slow burn thriller about a heist in space."},
    ])
    plain = BM25().fit([f"{t} {o}" for t, o in zip(docs["title"], docs["overview"])])
    fielded = FieldedBM25({"title": 0.2, "plot": 1.0, "people": 1.0, "labels": 0.5}).fit_documents(docs)
    query = "slow burn heist in space"
    assert np.argmax(fielded.scores(query)) == 1
    assert fielded.scores("burn")[0] < plain.scores("burn")[0]               # a title word counts less
    assert fielded.query_terms("burn zzz heist") == ["burn", "heist"]
    upper = fielded.upper_bound(query)
    assert np.all(fielded.scores(query) / upper <= 1.0 + 1e-6)
