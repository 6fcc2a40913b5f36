"""Importing the real public data sets: row counts, billing order, repairs, profile, checksums."""
from __future__ import annotations

import ast
import json
import shutil

import pandas as pd
import pytest

from core.catalog import store
from core.errors import IntegrityError
from tests.conftest import require_shared_data


def _cast_names(catalog, movie_id) -> list[str]:
    cast = catalog.cast()
    return cast.loc[cast["movie_id"] == movie_id].sort_values("bill_order")["name"].tolist()


def _one(movies: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=movies.index)
    for column, value in where.items():
        mask &= movies[column] == value
    rows = movies[mask]
    assert len(rows) == 1, f"expected one film for {where}, found {len(rows)}"
    return rows.iloc[0]


# --- Wikipedia ------------------------------------------------------------------------------

def test_wikipedia_counts_and_report(wikipedia_catalog):
    movies, report = wikipedia_catalog.movies, wikipedia_catalog.manifest["report"]
    assert report["records_read"] == 36_273
    assert 36_200 <= len(movies) <= 36_273
    assert report["repairs"]["duplicate_records_dropped"] == 36_273 - len(movies)
    assert 34_400 <= movies["overview"].notna().sum() <= 34_532
    assert movies["movie_id"].is_unique
    assert movies["year"].between(1900, 2029).all()
    assert movies["original_language"].isna().all()  # documented policy: not guessed
    assert report["repairs"]["person_name_stray_punctuation"] > 0
    assert not wikipedia_catalog.people["name"].isin([")", "(", ".", ""]).any()
    assert wikipedia_catalog.ratings.empty


def test_wikipedia_billing_order_matches_raw_json(wikipedia_catalog):
    folder = require_shared_data("wikipedia-movies")
    raw = json.loads((folder / "movies-1970s.json").read_text(encoding="utf-8"))
    godfather = next(r for r in raw if r["title"] == "The Godfather" and r["year"] == 1972)
    film = _one(wikipedia_catalog.movies, title="The Godfather", year=1972)
    assert _cast_names(wikipedia_catalog, film["movie_id"]) == godfather["cast"]
    bill = wikipedia_catalog.credits.loc[wikipedia_catalog.credits["movie_id"] == film["movie_id"], "bill_order"]
    assert sorted(bill) == list(range(len(godfather["cast"])))

    raw = json.loads((folder / "movies-2010s.json").read_text(encoding="utf-8"))
    franny = next(r for r in raw if r["title"].startswith("Winter Day Dreams"))
    assert ")" in franny["cast"]
    film = _one(wikipedia_catalog.movies, title=franny["title"])
    assert _cast_names(wikipedia_catalog, film["movie_id"]) == [c for c in franny["cast"] if c != ")"]


def test_wikipedia_ids_do_not_depend_on_the_slice(wikipedia_catalog):
    from core.catalog.importers.wikipedia import import_wikipedia

    folder = require_shared_data("wikipedia-movies")
    one = import_wikipedia(folder / "movies-1900s.json").tables["movies"]
    again = import_wikipedia(folder, years="1900-1909").tables["movies"]
    assert one["movie_id"].tolist() == again["movie_id"].tolist()
    full = wikipedia_catalog.movies.set_index("movie_id")
    assert set(one["movie_id"]) <= set(full.index)
    assert (full.loc[one["movie_id"], "title"].to_numpy() == one["title"].to_numpy()).all()
    people = import_wikipedia(folder / "movies-1900s.json").tables["people"]
    assert set(people["person_id"]) <= set(wikipedia_catalog.people["person_id"])


def test_profile_checksums_and_tamper_detection(wikipedia_catalog, tmp_path):
    assert store.verify_catalog(wikipedia_catalog.path) == []
    profile = json.loads((wikipedia_catalog.path / store.PROFILE).read_text())
    movies = wikipedia_catalog.movies
    assert profile["movies"]["rows"] == len(movies)
    assert profile["movies"]["columns"]["overview"]["nulls"] == int(movies["overview"].isna().sum())
    assert profile["credits"]["rows"] == len(wikipedia_catalog.credits)
    assert wikipedia_catalog.manifest["row_counts"]["people"] == len(wikipedia_catalog.people)
    assert (wikipedia_catalog.path / "movies_by_year" / "year=1972").is_dir()

    copy = tmp_path / "data" / "wiki"
    shutil.copytree(wikipedia_catalog.path, copy)
    target = copy / "credits.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    assert store.verify_catalog(copy) == ["credits.parquet: checksum mismatch"]
    with pytest.raises(IntegrityError, match="credits.parquet"):
        store.load_catalog("wiki", data_dir=tmp_path / "data")


# --- IMDB 5000 ------------------------------------------------------------------------------

def test_imdb5000_counts_dedupe_and_byte_repair(imdb5000_catalog):
    movies, report = imdb5000_catalog.movies, imdb5000_catalog.manifest["report"]
    assert report["rows_read"] == 5_043
    dropped = report["repairs"]["duplicate_imdb_link_rows_dropped"]
    assert 100 <= dropped <= 130 and len(movies) == 5_043 - dropped
    assert movies["imdb_id"].is_unique and movies["imdb_id"].str.fullmatch(r"tt\d{7}").all()
    # the broken UTF-8 byte after "Avatar" on the first data row (file line 2) is reported and removed
    assert report["repairs"]["undecodable_bytes_replaced"] == 1
    assert report["encoding_repair_lines"] == [2]
    assert report["repairs"]["broken_byte_stripped_from_title"] == 1
    assert not movies["title"].str.contains("\ufffd|\u00a0").any()
    assert (movies["title"] == movies["title"].str.strip()).all()
    avatar = _one(movies, imdb_id="tt0499549")
    assert avatar["title"] == "Avatar" and avatar["budget"] == 237_000_000 and avatar["runtime"] == 178
    assert avatar["original_language"] == "en" and avatar["vote_average"] == pytest.approx(7.9)
    assert _cast_names(imdb5000_catalog, avatar["movie_id"]) == ["CCH Pounder", "Joel David Moore", "Wes Studi"]
    directors = imdb5000_catalog.directors()
    assert directors.loc[directors["movie_id"] == avatar["movie_id"], "name"].tolist() == ["James Cameron"]
    departments = imdb5000_catalog.people.set_index("name")["known_for_department"]
    assert (departments["James Cameron"], departments["CCH Pounder"]) == ("Directing", "Acting")


def test_imdb5000_budget_and_language_policy(imdb5000_catalog):
    movies, report = imdb5000_catalog.movies, imdb5000_catalog.manifest["report"]
    assert pd.isna(_one(movies, imdb_id="tt0468492")["budget"])  # The Host: 12.2 billion won
    assert _one(movies, imdb_id="tt0417741")["budget"] == 250_000_000  # Half-Blood Prince (UK, English): dollars
    assert report["repairs"]["budget_nulled_probably_local_currency"] >= 100
    assert movies["budget"].max() <= 400e6
    assert set(movies["original_language"].dropna()) >= {"en", "fr", "hi", "es", "zh", "ja"}
    assert report["repairs"]["language_without_iso_code"] == 4
    assert movies["keywords"].map(len).gt(0).mean() > 0.9
    assert movies["popularity"].isna().all()


# --- MovieLens ------------------------------------------------------------------------------

def test_ml100k_counts_titles_and_details(ml100k_catalog):
    movies, ratings, report = ml100k_catalog.movies, ml100k_catalog.ratings, ml100k_catalog.manifest["report"]
    assert len(ratings) == 100_000 and ratings["user_id"].nunique() == 943 and len(movies) == 1_682
    assert (movies["movielens_id"] == movies["movie_id"]).all()
    assert ratings["rating"].between(1, 5).all()
    assert ratings["timestamp"].dt.year.between(1997, 1998).all()
    graduate = _one(movies, movie_id=197)
    assert (graduate["title"], graduate["year"]) == ("The Graduate", 1967)
    lawrence = _one(movies, movie_id=511)
    assert lawrence["genres"] == ["Adventure", "War"]  # u.item flags, not the shifted details genres
    assert lawrence["runtime"] == 228 and lawrence["imdb_id"] == "tt0056172"
    # details cast keeps billing order
    details = pd.read_csv(require_shared_data("ml-100k", "movielens100k_details.csv"))
    raw_cast = ast.literal_eval(details.loc[details["movie_id"] == 511, "cast"].iloc[0])
    assert _cast_names(ml100k_catalog, 511) == raw_cast
    assert 1_300 <= report["details_used"] <= report["details_rows"] == 1_591
    assert report["repairs"]["details_rejected_year_missing_or_disagrees"] == 1_591 - report["details_used"]
    assert ml100k_catalog.directors()["movie_id"].nunique() >= 1_300


def test_ml_latest_small_counts_and_links(ml_small_catalog):
    movies, ratings = ml_small_catalog.movies, ml_small_catalog.ratings
    assert len(ratings) == 100_836 and ratings["user_id"].nunique() == 610 and len(movies) == 9_742
    toy = _one(movies, movie_id=1)
    assert (toy["title"], toy["year"], toy["imdb_id"], toy["tmdb_id"]) == ("Toy Story", 1995, "tt0114709", 862)
    raw = pd.read_csv(require_shared_data("ml-latest-small", "movies.csv"))
    assert movies["genres"].map(len).eq(0).sum() == (raw["genres"] == "(no genres listed)").sum()
    assert movies["imdb_id"].notna().all() and movies["movielens_id"].notna().all()
    assert set(ratings["rating"].unique()) <= {x / 2 for x in range(1, 11)}
