"""Query understanding (years, decades, genres and synonyms, languages and countries, people,
"like <title>", intent words) on a table of phrasings, and the bounded score / "no good match"
contract of the searcher with a bag-of-words test encoder (no model needed).

The real-encoder checks (nonsense on the Wikipedia slice, "like <title>" neighbours) are in
test_search_wikipedia.py and test_search_demo.py.
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from core.search.engine import SearchParams, Searcher
from core.search.index import assemble_index
from core.search.intent import QueryAnalyzer
from core.search.text import tokens
from tests.search.test_search_units import docs_frame

FILMS = [
    {"title": "Alien", "year": 1979, "genres": ["Science Fiction", "Horror"], "popularity": 50.0,
     "overview": "The crew of a space freighter is hunted by a deadly creature."},
    {"title": "Alien", "year": 2003, "genres": ["Drama"], "popularity": 1.0, "overview": "A small drama."},
    {"title": "Aliens", "year": 1986, "genres": ["Science Fiction", "Action"], "popularity": 40.0,
     "overview": "Marines return to the moon where the creature was found and fight the aliens."},
    {"title": "The Matrix", "year": 1999, "genres": ["Science Fiction", "Action"], "popularity": 60.0,
     "overview": "A hacker learns reality is a simulation.", "cast": ["Keanu Reeves", "Carrie-Anne Moss"],
     "cast_ids": [10, 11]},
    {"title": "Big Mommas: Like Father, Like Son", "year": 2011, "genres": ["Comedy"], "popularity": 5.0,
     "overview": "An FBI agent goes undercover in drag with his stepson."},
    {"title": "Think Like a Man", "year": 2012, "genres": ["Comedy", "Romance"], "popularity": 6.0,
     "overview": "Four friends use a self-help book about what men think."},
    {"title": "Burn", "year": 2019, "genres": ["Comedy"], "popularity": 2.0,
     "overview": "A gas station attendant plans a robbery."},
    {"title": "1917", "year": 2019, "genres": ["War", "Drama"], "popularity": 30.0,
     "overview": "Two soldiers cross enemy territory to deliver a message."},
    {"title": "Le Casse", "year": 1971, "language": "fr", "genres": ["Crime", "Thriller"], "popularity": 3.0,
     "overview": "Burglars steal emeralds in Athens."},
    {"title": "Seven Samurai", "year": 1954, "language": "ja", "genres": ["Action", "Drama"], "popularity": 20.0,
     "overview": "Farmers hire samurai to defend their village.", "directors": ["Akira Kurosawa"],
     "director_ids": [20]},
    {"title": "Heat", "year": 1995, "genres": ["Crime", "Thriller", "Drama"], "popularity": 25.0,
     "overview": "A detective hunts a crew of professional thieves in Los Angeles.",
     "cast": ["Al Pacino", "Robert De Niro"], "cast_ids": [30, 31], "directors": ["Michael Mann"], "director_ids": [32]},
    {"title": "When Harry Met Sally", "year": 1989, "genres": ["Romance", "Comedy"], "popularity": 15.0,
     "overview": "Two friends wonder whether men and women can be friends."},
    {"title": "Knives Out", "year": 2019, "genres": ["Mystery", "Comedy"], "popularity": 35.0,
     "overview": "A detective investigates the death of a crime novelist at his family estate."},
    {"title": "Toy Story", "year": 1995, "genres": ["Animation", "Family"], "popularity": 45.0,
     "overview": "A cowboy doll feels threatened by a new spaceman toy."},
    {"title": "Dilwale Dulhania Le Jayenge", "year": 1995, "language": "hi", "genres": ["Romance"], "popularity": 10.0,
     "overview": "Two young people fall in love on a trip across Europe."},
    {"title": "Oldboy", "year": 2003, "language": "ko", "genres": ["Thriller", "Mystery"], "popularity": 22.0,
     "overview": "A man imprisoned for fifteen years seeks revenge."},
    {"title": "The Searchers", "year": 1956, "genres": ["Western"], "popularity": 12.0,
     "overview": "A veteran searches for his niece taken by raiders."},
    {"title": "Gravity", "year": 2013, "genres": ["Science Fiction", "Thriller"], "popularity": 28.0,
     "overview": "Two astronauts are stranded in space after debris destroys their shuttle."},
    {"title": "French Kiss", "year": 1995, "genres": ["Romance", "Comedy"], "popularity": 9.0,
     "overview": "A woman follows her fiance to France.", "cast": ["Meg Ryan", "Kevin Kline"], "cast_ids": [40, 41]},
]


@pytest.fixture(scope="module")
def docs():
    frame = docs_frame(FILMS)
    frame["text"] = [f"{t} · {', '.join(g)} · {o}" for t, g, o in zip(frame["title"], frame["genres"], frame["overview"])]
    return frame


@pytest.fixture(scope="module")
def analyzer(docs) -> QueryAnalyzer:
    return QueryAnalyzer(docs)


ROW = {(f["title"], f["year"]): i for i, f in enumerate(FILMS)}

# query -> expected parts: y = (year_min, year_max), g = genres, l = languages, p = people,
# like = seed (title, year) pairs, content = words left for title/plot matching
PHRASINGS = [
    # years and decades in every common form
    ("90s heist", {"y": (1990, 1999), "content": "heist"}),
    ("'90s heist", {"y": (1990, 1999)}),
    ("90's heist", {"y": (1990, 1999)}),
    ("1990s heist", {"y": (1990, 1999)}),
    ("1990's heist", {"y": (1990, 1999)}),
    ("a heist from the nineties", {"y": (1990, 1999), "content": "a heist"}),
    ("heist in the eighties", {"y": (1980, 1989)}),
    ("heist from 1994", {"y": (1994, 1994), "content": "heist"}),
    ("heist released in 1994", {"y": (1994, 1994)}),
    ("1994 heist", {"y": (1994, 1994)}),
    ("heist after 2010", {"y": (2011, None)}),
    ("heist since 2010", {"y": (2010, None)}),
    ("heist 2010 onwards", {"y": (2010, None)}),
    ("heist before 1980", {"y": (None, 1979)}),
    ("pre-1980 heist", {"y": (None, 1979)}),
    ("heist between 1990 and 2000", {"y": (1990, 2000)}),
    ("heist 1990-2000", {"y": (1990, 2000)}),
    ("heist from 1990 to 2000", {"y": (1990, 2000)}),
    ("early 2000s heist", {"y": (2000, 2003)}),
    ("mid-90s heist", {"y": (1993, 1996)}),
    ("late 80s heist", {"y": (1986, 1989)}),
    ("80s or 90s heist", {"y": (1980, 1999)}),
    ("heist after the 90s", {"y": (2000, None)}),
    ("recent heist movies", {"y": (2015, None), "content": "heist movies"}),
    ("the 50s", {"y": (1950, 1959)}),
    ("a film set in the 1920s", {"y": (None, None)}),          # the story's time, not the release
    ("1917", {"y": (None, None)}),                              # a title, not a year
    # genres and synonyms
    ("sci-fi horror", {"g": ["Science Fiction", "Horror"], "content": ""}),
    ("scifi about robots", {"g": ["Science Fiction"], "content": "about robots"}),
    ("a romcom", {"g": ["Romance", "Comedy"]}),
    ("rom-com in paris", {"g": ["Romance", "Comedy"]}),
    ("whodunit at a mansion", {"g": ["Mystery"]}),
    ("scary movies", {"g": ["Horror"]}),
    ("animated film about toys", {"g": ["Animation"]}),
    ("westerns", {"g": ["Western"]}),
    ("a family of wolves", {"g": []}),                          # "family" as a subject
    ("family movie", {"g": ["Family"]}),
    ("war drama", {"g": ["War", "Drama"]}),
    ("funny thriller", {"g": ["Comedy", "Thriller"]}),
    # languages, countries, industries
    ("french heist", {"l": ["fr"], "content": "heist"}),
    ("korean revenge thriller", {"l": ["ko"], "g": ["Thriller"], "content": "revenge"}),
    ("bollywood romance", {"l": ["hi"], "g": ["Romance"]}),
    ("a film from Japan", {"l": ["ja"]}),
    ("made in France", {"l": ["fr"]}),
    ("japanese samurai film", {"l": ["ja"], "content": "samurai film"}),
    ("a heist in Japan", {"l": []}),                            # where it happens, not where it is from
    ("french kiss", {"l": []}),                                 # a title
    # people
    ("keanu reeves action", {"p": ["Keanu Reeves"], "g": ["Action"]}),
    ("Akira Kurosawa samurai", {"p": ["Akira Kurosawa"]}),
    ("al pacino robert de niro heist", {"p": ["Al Pacino", "Robert De Niro"]}),
    # like <title>
    ("movies like Alien", {"like": [("Alien", 1979)], "content": "movies"}),
    ("films similar to The Matrix", {"like": [("The Matrix", 1999)]}),
    ("something like matrix", {"like": [("The Matrix", 1999)]}),
    ("like Alien (2003)", {"like": [("Alien", 2003)]}),
    ("like Alien and Aliens", {"like": [("Alien", 1979), ("Aliens", 1986)]}),
    ("in the style of heat but in space", {"like": [("Heat", 1995)], "content": "but in space"}),
    ("like heat from the 90s", {"like": [("Heat", 1995)], "y": (1990, 1999)}),
    ("think like a man", {"like": [], "content": "think a man"}),  # no catalog title after "like"
    # combinations and intent words
    ("slow-burn heist thriller set in space", {"g": ["Thriller"], "content": "slow burn heist in space"}),
    ("show me 80s scary movies", {"y": (1980, 1989), "g": ["Horror"]}),
    ("90s french crime films", {"y": (1990, 1999), "l": ["fr"], "g": ["Crime"]}),
]


def test_the_table_is_large_enough():
    assert len(PHRASINGS) >= 40


@pytest.mark.parametrize("query, expected", PHRASINGS, ids=[q for q, _ in PHRASINGS])
def test_phrasing(analyzer, query, expected):
    intent = analyzer.analyze(query)
    if "y" in expected:
        assert (intent.year_min, intent.year_max) == expected["y"]
    if "g" in expected:
        assert intent.genres == expected["g"]
    if "l" in expected:
        assert intent.languages == expected["l"]
    if "p" in expected:
        assert sorted(intent.people.values()) == sorted(expected["p"])
    if "like" in expected:
        assert intent.like_rows == [ROW[seed] for seed in expected["like"]]
    if "content" in expected:
        assert intent.content == expected["content"]
    # intent words are never matched against titles and plots
    assert not {"like", "similar", "set", "show"} & set(tokens(intent.content))


def test_chips_name_each_part_and_ignoring_one_gives_its_words_back(analyzer):
    intent = analyzer.analyze("90s french crime films like heat")
    keys = [c["key"] for c in intent.chips]
    assert set(keys) == {"year", "language:fr", "genre:Crime", f"like:{ROW[('Heat', 1995)] + 1}"}
    assert all(c["label"] for c in intent.chips)
    without_year = analyzer.analyze("90s heist", ignore=["year"])
    assert without_year.year_min is None and without_year.content == "90s heist"
    without_like = analyzer.analyze("movies like heat", ignore=[f"like:{ROW[('Heat', 1995)] + 1}"])
    assert without_like.like_rows == [] and "heat" in without_like.content
    without_genre = analyzer.analyze("sci-fi horror", ignore=["genre:Horror"])
    assert without_genre.genres == ["Science Fiction"] and "horror" in without_genre.content


# ------------------------------------------------------------------------------ the searcher
class BagOfWords:
    """Test encoder: hashed bag of words (4096 dims), L2-normalised. Enough to exercise routing and
    scoring without the model; quality is measured in benchmarks/, not here."""

    model_id, dim = "bag-of-words-test", 4096

    def encode(self, texts, progress=None):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokens(text):
                out[row, zlib.crc32(token.encode()) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out

    def encode_query(self, text):
        return self.encode([text])[0]


@pytest.fixture(scope="module")
def searcher(docs):
    encoder = BagOfWords()
    return Searcher(assemble_index(docs, encoder.encode(docs["text"].tolist())), encoder)


@pytest.mark.parametrize("query", ["🎬🍿🔥", "!!! ??? ...", "the of and", "movies", "show me some films please"])
@pytest.mark.parametrize("method", ["retrieval", "bm25", "hybrid", "blend", "mmr"])
def test_no_words_or_only_common_words_is_no_good_match(searcher, query, method):
    response = searcher.search(query, SearchParams(method=method))
    assert response.hits == [] and response.no_match.startswith("no good match")
    assert "no good match" in response.summary()


@pytest.mark.parametrize("method", ["retrieval", "bm25", "hybrid", "blend", "mmr"])
def test_nonsense_is_no_good_match(searcher, method):
    response = searcher.search("xqzvbn flurgle wobbiq", SearchParams(method=method))
    assert response.hits == [] and response.no_match.startswith("no good match")
    # min_score 0 is the documented "list the closest films anyway" (SearchParams, the API's min_score)
    anyway = searcher.search("xqzvbn flurgle wobbiq", SearchParams(method=method, min_score=0.0))
    if method != "bm25":  # BM25 alone has nothing to rank for words no film contains
        assert anyway.hits and not anyway.no_match and all(0.0 <= h.score <= 1.0 for h in anyway.hits)


@pytest.mark.parametrize("method", ["retrieval", "bm25", "hybrid", "blend", "mmr"])
@pytest.mark.parametrize("query", ["astronauts stranded in space", "a detective hunts thieves", "Heat", "alien",
                                   "90s crime", "keanu reeves", "movies like Alien", "samurai village farmers"])
def test_scores_are_bounded_and_sorted(searcher, method, query):
    response = searcher.search(query, SearchParams(method=method, k=10, min_score=0.0))
    scores = [h.score for h in response.hits]
    assert response.hits and all(0.0 <= s <= 1.0 for s in scores)
    if method != "mmr":
        assert scores == sorted(scores, reverse=True)


def test_scores_of_different_queries_are_on_one_scale(searcher):
    """A film matching every word scores higher than one matching a few, whatever the query;
    a constant cannot be added to every score of one query (no per-query rescaling)."""
    exact = searcher.search("astronauts stranded in space debris shuttle").hits[0]
    partial = searcher.search("astronauts stranded by a volcano in iceland", SearchParams(min_score=0.0)).hits[0]
    assert exact.title == partial.title == "Gravity"
    assert 0.0 <= partial.score < exact.score <= 1.0


def test_like_title_routes_to_its_neighbours(searcher):
    response = searcher.search("movies like Alien", SearchParams(k=5))
    assert response.intent["seeds"] == [ROW[("Alien", 1979)] + 1]
    titles = [h.title for h in response.hits]
    assert ROW[("Alien", 1979)] + 1 not in [h.movie_id for h in response.hits]   # not the seed itself
    assert not any("Like" in t for t in titles)
    assert "Science Fiction" in response.hits[0].genres
    direct = searcher.more_like([ROW[("Alien", 1979)] + 1], SearchParams(k=5, method="hybrid"))
    assert [h.movie_id for h in response.hits] == [h.movie_id for h in direct.hits]


def test_understood_years_and_genres_steer_the_ranking(searcher):
    crime_90s = searcher.search("90s crime thriller", SearchParams(k=3))
    assert crime_90s.hits[0].title == "Heat"
    assert searcher.search("recent war drama", SearchParams(k=1)).hits[0].title == "1917"
    only_constraints = searcher.search("90s movies", SearchParams(k=5))
    assert {h.year for h in only_constraints.hits} <= set(range(1990, 2000))
    assert [h.title for h in only_constraints.hits][0] == "The Matrix"     # the most popular of them


def test_intent_words_do_not_match_titles(searcher):
    response = searcher.search("movies like a heist thriller", SearchParams(k=5, method="bm25"))
    assert not any("Like" in h.title for h in response.hits)
