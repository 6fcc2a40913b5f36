"""Typo correction against the catalog's vocabulary, and that it does not rescue gibberish,
emoji-only or stop-word-only queries (small deterministic catalog, bag-of-words test encoder)."""
from __future__ import annotations

import pytest

from core.search.engine import SearchParams, Searcher
from core.search.index import assemble_index
from core.search.spelling import Speller, edits1
from tests.search.test_query_understanding import BagOfWords, docs  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def searcher(docs):  # noqa: F811
    encoder = BagOfWords()
    found = Searcher(assemble_index(docs, encoder.encode(docs["text"].tolist())), encoder)
    found._speller = Speller(found.index.bm25, min_df=1)   # a 20-film catalog: every word is rare
    return found


def test_edits1_has_every_single_edit():
    near = edits1("heist")
    assert {"hest", "ehist", "haist", "hheist", "heists"} <= near
    assert "hxist" in near and "hiest" in near and "heits" in near
    assert "hexxt" not in near   # two edits


def test_speller_corrects_one_edit_to_a_catalog_word_only(searcher):
    speller = searcher.speller
    assert speller.correct("astronuts") == "astronauts"      # a letter missing
    assert speller.correct("samurii") == "samurai"           # a letter replaced
    assert speller.correct("gravtiy") == "gravity"           # neighbours swapped
    assert speller.correct("astronauts") is None             # known words stay
    assert speller.correct("xqzvbn") is None and speller.correct("flurgle") is None   # gibberish
    assert speller.correct("smurai") == "samurai" and speller.correct("sam") is None   # too short: not corrected
    assert speller.correct("samur4i") is None                # not letters


def test_real_words_are_never_corrected(searcher):
    assert searcher.speller.correct("astronats") == "astronauts"
    protected = Speller(searcher.index.bm25, min_df=1, words=frozenset({"astronats"}))
    assert protected.correct("astronats") is None


def test_the_real_encoders_words_are_protected(wiki_searcher):
    assert "piano" in wiki_searcher.speller.words and wiki_searcher.speller.correct("piano") is None
    assert wiki_searcher.speller.correct("detectve") == "detective"


def test_min_df_keeps_rare_words_out(searcher):
    strict = Speller(searcher.index.bm25, min_df=3)
    assert strict.correct("samurii") is None   # "samurai" is in one film only


@pytest.mark.parametrize("method", ["retrieval", "bm25", "hybrid", "mmr"])
def test_a_typo_query_still_answers_with_the_film(searcher, method):
    response = searcher.search("seven samurii", SearchParams(method=method))
    assert not response.no_match and response.hits[0].title == "Seven Samurai"
    assert response.intent["corrections"] == {"samurii": "samurai"}
    assert any("'samurai' instead of 'samurii'" in n for n in response.notices)
    stranded = searcher.search("astronuts stranded", SearchParams(method=method))
    assert not stranded.no_match and stranded.hits[0].title == "Gravity"


def test_spelling_can_be_turned_off(searcher):
    response = searcher.search("seven samurii", SearchParams(spelling=False))
    assert response.intent["corrections"] == {} and not any("instead of" in n for n in response.notices)


@pytest.mark.parametrize("query", ["xqzvbn flurgle wobbiq", "qnhibbaev xnpzsq", "blorp", "🎬🍿🔥", "the of and",
                                   "movies", "!!! ???"],
                         ids=["gibberish", "random-letters", "pseudo-word", "emoji", "stop-words", "intent-word",
                              "symbols"])
@pytest.mark.parametrize("method", ["retrieval", "bm25", "hybrid", "mmr"])
def test_nonsense_stays_no_good_match_with_spelling_on(searcher, query, method):
    response = searcher.search(query, SearchParams(method=method))
    assert response.hits == [] and response.no_match.startswith("no good match")
    assert response.intent.get("corrections", {}) == {}
