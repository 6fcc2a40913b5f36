"""Merging catalogs: matching rules, gap filling, credits, ratings, and the real-data join rates."""
from __future__ import annotations

import pandas as pd
import pytest

from core.catalog import store
from core.catalog.importers.base import person_id, save_import
from core.catalog.merge import match_movies, merge_catalogs


def _film(movie_id, title, year, **extra):
    return {"movie_id": movie_id, "title": title, "year": year, **extra}


def _pairs(result) -> dict[int, tuple[int, str]]:
    matches, _ = result
    return {int(o): (int(b), m) for o, b, m in zip(matches["other_id"], matches["base_id"], matches["method"])}


# --- matching rules on tiny catalogs ----------------------------------------------------------

def test_match_rules(make_catalog):
    base = make_catalog("base", [
        _film(1, "The Graduate", 1967),
        _film(2, "Amélie", 2001),
        _film(3, "Crash", 2004), _film(4, "Crash", 2006),       # two candidates one year off: ambiguous
        _film(5, "Hamlet", 1990), _film(6, "Hamlet", 1990),     # same title and year twice: ambiguous
        _film(7, "Heat", 1995, imdb_id="tt0113277"),
        _film(8, "Paddington", 2015),                            # one year off, unique: matched
        _film(9, "Untitled", None),                              # no year: never matched by title
        _film(10, "Captive", 2015, imdb_id="tt3268668"),
    ])
    other = make_catalog("other", [
        _film(101, "Graduate, The", 1967),
        _film(102, "Amelie\u00a0", 2001),
        _film(103, "Crash", 2005),
        _film(104, "Hamlet", 1990),
        _film(105, "Heat (remastered)", 1990, imdb_id="tt0113277"),  # id beats a different title/year
        _film(106, "Paddington", 2014),
        _film(107, "Untitled", None),
        _film(108, "Captive", 2015, imdb_id="tt2326612"),          # same title+year but conflicting imdb id
    ])
    pairs = _pairs(match_movies(base.movies, other.movies))
    assert pairs == {101: (1, "title_year"), 102: (2, "title_year"), 105: (7, "imdb_id"),
                     106: (8, "title_year_pm1")}
    assert _pairs(match_movies(base.movies, other.movies, year_tolerance=0)).keys() == {101, 102, 105}


def test_merge_fills_gaps_without_overwriting(make_catalog):
    base = make_catalog("base", [
        _film(1, "Heat", 1995, budget=60e6, genres=["Crime"]),
        _film(2, "Fargo", 1996),
        _film(3, "Alone", 1990),
    ], people=[{"person_id": 11, "name": "Al Pacino"}, {"person_id": 12, "name": "Robert De Niro"}],
        credits=[{"movie_id": 1, "person_id": 11, "role": "cast", "job": "Actor", "bill_order": 0},
                 {"movie_id": 1, "person_id": 12, "role": "cast", "job": "Actor", "bill_order": 1}])
    other = make_catalog("other", [
        _film(501, "Heat", 1995, budget=99e6, revenue=187e6, genres=["Action"], keywords=["heist"], imdb_id="tt0113277"),
        _film(502, "Fargo", 1996, original_language="en", vote_average=8.1, vote_count=700000),
        _film(503, "Elsewhere", 2000),
    ], people=[{"person_id": 1, "name": "Michael Mann"}, {"person_id": 2, "name": "al  pacino"},
               {"person_id": 3, "name": "Joel Coen"}, {"person_id": 4, "name": "Frances McDormand"}],
        credits=[{"movie_id": 501, "person_id": 1, "role": "crew", "job": "Director"},
                 {"movie_id": 501, "person_id": 2, "role": "cast", "job": "Actor", "bill_order": 0},
                 {"movie_id": 502, "person_id": 3, "role": "crew", "job": "Director"},
                 {"movie_id": 502, "person_id": 4, "role": "cast", "job": "Actor", "bill_order": 0}])
    result = merge_catalogs(base, other)
    movies = result.tables["movies"].set_index("movie_id")
    assert movies.loc[1, "budget"] == 60e6 and movies.loc[1, "genres"] == ["Crime"]  # kept
    assert movies.loc[1, "revenue"] == 187e6 and movies.loc[1, "keywords"] == ["heist"]
    assert movies.loc[1, "imdb_id"] == "tt0113277"
    assert movies.loc[2, "original_language"] == "en" and movies.loc[2, "vote_count"] == 700000
    assert pd.isna(movies.loc[3, "budget"])
    report = result.report
    assert (report["matched_base"], report["matched_other"]) == (2, 2)
    assert report["match_rate_base"] == pytest.approx(2 / 3, abs=1e-3)
    assert {f["column"]: f["films"] for f in report["filled"]}["imdb_id"] == 1

    save_import(result, "merged", data_dir=base.path.parent)
    merged = store.load_catalog("merged", data_dir=base.path.parent)
    cast = merged.cast()
    assert cast.loc[cast["movie_id"] == 1, "name"].tolist() == ["Al Pacino", "Robert De Niro"]  # base cast kept
    assert cast.loc[cast["movie_id"] == 2, "name"].tolist() == ["Frances McDormand"]           # Fargo gains cast
    directors = merged.directors().set_index("movie_id")["name"].to_dict()
    assert directors == {1: "Michael Mann", 2: "Joel Coen"}
    assert merged.people["name"].str.lower().str.split().str.join(" ").value_counts().max() == 1
    assert report["people_matched_by_name"] == 0  # "al  pacino" was not needed: Heat already had cast
    assert set(merged.people["person_id"]) >= {person_id("Michael Mann"), person_id("Joel Coen")}


def test_merge_brings_ratings_and_separates_users(make_catalog):
    base = make_catalog("base", [_film(1, "Heat", 1995), _film(2, "Fargo", 1996)],
                        ratings=[{"user_id": 1, "movie_id": 1, "rating": 4.0, "timestamp": 800_000_000}])
    other = make_catalog("other", [_film(7, "Heat", 1995, movielens_id=7), _film(8, "Fargo", 1996),
                                   _film(9, "Elsewhere", 2001)],
                         ratings=[{"user_id": 1, "movie_id": 7, "rating": 5.0, "timestamp": 900_000_000},
                                  {"user_id": 2, "movie_id": 8, "rating": 3.0, "timestamp": 900_000_001},
                                  {"user_id": 2, "movie_id": 9, "rating": 1.0, "timestamp": 900_000_002}])
    result = merge_catalogs(base, other)
    ratings = result.tables["ratings"]
    assert result.report["user_id_offset"] == 1
    assert result.report["ratings_added"] == 2 and result.report["ratings_dropped_unmatched_film"] == 1
    assert sorted(zip(ratings["user_id"], ratings["movie_id"], ratings["rating"])) == [(1, 1, 4.0), (2, 1, 5.0), (3, 2, 3.0)]
    assert result.tables["movies"].set_index("movie_id").loc[1, "movielens_id"] == 7


# --- real data -------------------------------------------------------------------------------

def test_wikipedia_imdb_join_rate(wiki_imdb_catalog, wikipedia_catalog, imdb5000_catalog):
    report = wiki_imdb_catalog.manifest["report"]
    assert 3_300 <= report["matched_base"] <= 4_000  # the data README says about 3,500
    assert report["match_rate_other"] >= 0.65
    assert report["by_method"]["title_year"] >= 3_000
    movies = wiki_imdb_catalog.movies
    assert movies["imdb_id"].notna().sum() == report["matched_base"]
    assert len(movies) == len(wikipedia_catalog.movies)
    avatar = movies[movies["imdb_id"] == "tt0499549"].iloc[0]
    assert (avatar["title"], avatar["year"], avatar["budget"]) == ("Avatar", 2009, 237e6)
    assert avatar["overview"]  # Wikipedia's extract is kept
    directors = wiki_imdb_catalog.directors()
    assert directors.loc[directors["movie_id"] == avatar["movie_id"], "name"].tolist() == ["James Cameron"]
    assert directors["movie_id"].nunique() >= 3_300
    assert store.verify_catalog(wiki_imdb_catalog.path) == []


def test_chained_merge_brings_movielens_ratings(wiki_imdb_catalog, ml_small_catalog, imdb5000_catalog):
    direct = merge_catalogs(imdb5000_catalog, ml_small_catalog).report
    assert direct["by_method"]["imdb_id"] >= 3_000   # IMDB-5000 <-> latest-small through links.csv

    result = merge_catalogs(wiki_imdb_catalog, ml_small_catalog)
    report = result.report
    assert report["by_method"]["imdb_id"] >= 2_900  # ids that came from IMDB-5000 in the first merge
    assert report["matched_other"] >= 6_000
    ratings = result.tables["ratings"]
    assert report["ratings_added"] == len(ratings) >= 80_000
    assert ratings["user_id"].nunique() == 610
    assert ratings["movie_id"].isin(wiki_imdb_catalog.movies["movie_id"]).all()
    heat = result.tables["movies"].query("imdb_id == 'tt0113277'").iloc[0]
    assert heat["movielens_id"] == 6 and heat["tmdb_id"] == 949
    assert (ratings["movie_id"] == heat["movie_id"]).sum() == (ml_small_catalog.ratings["movie_id"] == 6).sum()
