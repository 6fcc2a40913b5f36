"""Canonical schema enforcement and the atomic catalog store."""
from __future__ import annotations

import pandas as pd
import pytest

from core.catalog import store
from core.catalog.schema import conform
from core.errors import CatalogNotFound, IntegrityError, MarqueeError, SchemaError


def tiny_tables() -> dict[str, pd.DataFrame]:
    movies = pd.DataFrame({"movie_id": [1, 2, 3], "title": ["Alpha", "Beta", "Gamma"], "year": [1999, 2001, 2001],
                           "genres": [["Drama"], [], ["Comedy", "Drama"]], "budget": [1e6, None, 2e6],
                           "release_date": ["1999-05-01", None, "2001-02-03"]})
    people = pd.DataFrame({"person_id": [10, 11], "name": ["Ann Actor", "Dan Director"]})
    credits = pd.DataFrame({"movie_id": [1, 1, 3], "person_id": [10, 11, 10], "role": ["cast", "crew", "cast"],
                            "job": ["Actor", "Director", "Actor"], "bill_order": [0, None, 1]})
    ratings = pd.DataFrame({"user_id": [1, 1], "movie_id": [1, 2], "rating": [4.0, 3.5], "timestamp": [881250949, 881250950]})
    return {"movies": movies, "people": people, "credits": credits, "ratings": ratings}


def test_round_trip_keeps_types_lists_and_billing(isolated_dirs):
    store.write_catalog("tiny", tiny_tables(), source="unit")
    catalog = store.load_catalog("tiny")
    assert catalog.movies["genres"].tolist() == [["Drama"], [], ["Comedy", "Drama"]]
    assert str(catalog.movies["year"].dtype) == "int32"
    assert catalog.ratings["timestamp"].iloc[0] == pd.Timestamp(881250949, unit="s", tz="UTC")
    assert catalog.cast()["name"].tolist() == ["Ann Actor", "Ann Actor"]
    assert catalog.directors()["name"].tolist() == ["Dan Director"]
    assert catalog.manifest["row_counts"] == {"movies": 3, "people": 2, "credits": 3, "ratings": 2}


def test_catalog_folder_has_every_promised_file(isolated_dirs):
    path = store.write_catalog("tiny", tiny_tables(), source="unit")
    for name in ["movies.parquet", "people.parquet", "credits.parquet", "ratings.parquet", "sample_movies.csv",
                 "data_profile.json", "checksums.txt", "manifest.json"]:
        assert (path / name).exists(), name
    assert sorted(p.name for p in (path / "movies_by_year").iterdir()) == ["year=1999", "year=2001"]
    profile = store.read_profile("tiny")
    assert profile["movies"]["rows"] == 3
    assert profile["movies"]["columns"]["budget"]["nulls"] == 1
    assert profile["movies"]["columns"]["year"]["distinct"] == 2
    assert profile["movies"]["columns"]["genres"]["empty_lists"] == 1
    assert store.verify_catalog("tiny") == []


def test_tampered_file_is_detected(isolated_dirs):
    path = store.write_catalog("tiny", tiny_tables(), source="unit")
    with open(path / "credits.parquet", "ab") as handle:
        handle.write(b"\0")
    assert store.verify_catalog("tiny") == ["credits.parquet: checksum mismatch"]
    with pytest.raises(IntegrityError, match="credits.parquet"):
        store.load_catalog("tiny")
    (path / "stray.txt").write_text("x")
    assert "stray.txt: not in checksums.txt" in store.verify_catalog("tiny")


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t["movies"].drop(columns=["title"]), "missing required column 'title'"),
    (lambda t: t["movies"].assign(year=[1999, 0, 2001]), r"movies.year row 1: value 0 outside"),
    (lambda t: t["movies"].assign(budget=[1e6, -5.0, 2e6]), r"movies.budget row 1"),
    (lambda t: t["movies"].assign(movie_id=[1, 2, 2]), r"movies row 2: duplicate key \(movie_id=2\)"),
    (lambda t: t["movies"].assign(year=["1999", "two thousand", "2001"]), r"movies.year row 1: not a valid int32"),
    (lambda t: t["movies"].assign(colour=["red"] * 3), "columns not in the schema: colour"),
])
def test_bad_movies_are_refused_naming_the_field(isolated_dirs, mutate, message):
    tables = tiny_tables()
    tables["movies"] = mutate(tables)
    with pytest.raises(SchemaError, match=message):
        store.write_catalog("bad", tables, source="bad.csv")
    assert store.list_catalogs() == []
    leftovers = list((isolated_dirs / "data").glob(".*staging*")) if (isolated_dirs / "data").exists() else []
    assert leftovers == []


def test_dangling_references_are_refused(isolated_dirs):
    tables = tiny_tables()
    tables["ratings"] = pd.DataFrame({"user_id": [1], "movie_id": [99], "rating": [4.0], "timestamp": [0]})
    with pytest.raises(MarqueeError, match=r"ratings.movie_id row 0: id 99 has no matching row in movies"):
        store.write_catalog("dangling", tables, source="unit")


def test_failed_rewrite_keeps_previous_catalog(isolated_dirs):
    store.write_catalog("keep", tiny_tables(), source="unit")
    before = (store.catalog_path("keep") / "checksums.txt").read_text()
    tables = tiny_tables()
    tables["credits"] = tables["credits"].assign(role=["cast", "crew", "extra"])
    with pytest.raises(SchemaError, match=r"credits.role row 2"):
        store.write_catalog("keep", tables, source="unit")
    assert (store.catalog_path("keep") / "checksums.txt").read_text() == before
    assert store.verify_catalog("keep") == []


def test_active_catalog_and_names(isolated_dirs):
    assert store.get_active() is None
    store.write_catalog("b", tiny_tables(), source="unit")
    store.write_catalog("a", tiny_tables(), source="unit")
    assert store.list_catalogs() == ["a", "b"]
    assert store.get_active() == "a"
    store.set_active("b")
    assert store.get_active() == "b"
    with pytest.raises(CatalogNotFound):
        store.set_active("nope")
    with pytest.raises(MarqueeError, match="not allowed"):
        store.write_catalog("../escape", tiny_tables(), source="unit")


def test_conform_rejects_wrong_list_type():
    frame = tiny_tables()["movies"].assign(genres=["Drama", "x", "y"])
    with pytest.raises(SchemaError, match="expected a list"):
        conform(frame, "movies")
