"""Labels from Letterboxd, IMDb and Trakt exports: format detection, matching by id or title +
year, a preview before anything is written, one-line errors, all-or-nothing writes.

The files in ``exports/`` are small hand-made copies of the formats the services document."""
from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from core.errors import MarqueeError
from core.personal.imports import apply_import, preview_import

EXPORTS = Path(__file__).parent / "exports"


@pytest.fixture(scope="module")
def catalog():
    movies = pd.DataFrame([
        (1, "Toy Story", 1995, "tt0114709", None), (2, "GoldenEye", 1995, "tt0113189", 710.0),
        (3, "Heat", 1995, "tt0113277", 949.0), (4, "The Usual Suspects", 1995, "tt0114814", 629.0),
        (5, "Se7en", 1995, None, 807.0), (6, "Fargo", 1996, "tt0116282", 275.0),
        (7, "The Graduate", 1967, "tt0061722", None), (8, "Casablanca", 1942, "tt0034583", 289.0),
    ], columns=["movie_id", "title", "year", "imdb_id", "tmdb_id"])
    return SimpleNamespace(name="films", movies=movies)


def test_letterboxd_ratings_match_by_title_and_year(catalog):
    preview = preview_import(catalog, EXPORTS / "letterboxd-ratings.csv")
    assert preview.format == "letterboxd" and (preview.threshold, preview.many_threshold) == (3.5, 4.5)
    got = preview.matched.set_index("movie_id")[["label", "matched_by"]].to_dict("index")
    assert got == {1: {"label": "would_watch_many", "matched_by": "title_year"},
                   2: {"label": "would_not_watch", "matched_by": "title_year"},
                   5: {"label": "would_watch", "matched_by": "title_year"},
                   7: {"label": "would_watch", "matched_by": "title_year"}}
    assert preview.unmatched[["line", "title"]].values.tolist() == [[6, "A Film Nobody Made"]]
    assert "no film of this title and year" in preview.unmatched["reason"].iloc[0]


def test_letterboxd_diary_keeps_the_latest_entry_and_skips_unrated_rows(catalog):
    preview = preview_import(catalog, EXPORTS / "letterboxd-diary.csv")
    got = preview.matched.set_index("movie_id")
    assert sorted(got.index) == [6, 8]
    assert got.at[6, "label"] == "would_not_watch" and got.at[6, "line"] == 3  # the rewatch rated 3 is the latest
    assert got.at[8, "matched_by"] == "title_year_pm1"                        # 1943 in the diary, 1942 here
    reasons = preview.unmatched.set_index("line")["reason"].to_dict()
    assert reasons[2] == "the same film again on line 3 (that one is used)"
    assert reasons[4].startswith("no rating")


def test_imdb_export_matches_by_id_first(catalog):
    preview = preview_import(catalog, EXPORTS / "imdb-ratings.csv")
    assert preview.format == "imdb" and (preview.threshold, preview.many_threshold) == (7.0, 9.0)
    got = preview.matched.set_index("movie_id")
    assert got["label"].to_dict() == {1: "would_watch_many", 3: "would_not_watch", 4: "would_watch"}
    assert set(got["matched_by"]) == {"imdb_id"}  # "Usual Suspects" found by its id, not its title
    assert got.at[4, "catalog_title"] == "The Usual Suspects"
    assert preview.unmatched["title"].tolist() == ["A Film Nobody Made"]


def test_trakt_export_uses_tmdb_ids_and_skips_shows(catalog):
    preview = preview_import(catalog, EXPORTS / "trakt-ratings.csv", threshold=8)
    got = preview.matched.set_index("movie_id")
    assert got["label"].to_dict() == {3: "would_watch_many", 5: "would_not_watch", 6: "would_not_watch"}
    assert got.at[5, "matched_by"] == "tmdb_id"                               # "Seven" vs "Se7en": the id decides
    assert "Breaking Bad" not in set(preview.matched["title"]) | set(preview.unmatched["title"])
    assert got.at[3, "labeled_at"].startswith("2021-03-01T20:00:00")


def test_apply_writes_all_matched_rows_or_none(catalog, label_store):
    preview = preview_import(catalog, EXPORTS / "imdb-ratings.csv")
    assert label_store.labels("me", "films").empty  # the preview wrote nothing
    assert apply_import(label_store, "me", "films", preview) == 3
    stored = label_store.labels("me", "films").set_index("movie_id")
    assert stored["title"].to_dict() == {1: "Toy Story", 3: "Heat", 4: "The Usual Suspects"}
    assert stored.at[1, "labeled_at"].startswith("2022-05-01")
    broken = preview_import(catalog, EXPORTS / "letterboxd-ratings.csv")
    broken.matched.loc[1, "label"] = "meh"  # a row the store refuses: nothing of this import is written
    with pytest.raises(MarqueeError, match="unknown label"):
        apply_import(label_store, "me", "films", broken)
    assert sorted(label_store.labels("me", "films")["movie_id"]) == [1, 3, 4]
    label_store.undo("me", "films")
    assert sorted(label_store.labels("me", "films")["movie_id"]) == [1, 3]  # each imported label is undoable


@pytest.mark.parametrize("content, message", [
    ("", "empty file"),
    ("movie,stars\nHeat,5\n", "not a Letterboxd, IMDb or Trakt export"),
    ("Date,Name,Year,Letterboxd URI,Rating\n", "no film rows"),
    ("Date,Name,Year,Letterboxd URI,Rating\n2023-01-01,Heat,1995,u,6\n", "line 2, field rating: 6 is outside the letterboxd scale 0.5–5"),
    ("Date,Name,Year,Letterboxd URI,Rating\n2023-01-01,Heat,1995,u,nan\n", "line 2, field rating: not a number"),
    ("Date,Name,Year,Letterboxd URI,Rating\n2023-01-01,Heat,1995,u,4\n2023-01-01,Heat,19x5,u,4\n", "line 3, field year: not a number"),
    ("Const,Your Rating,Date Rated,Title,Year\ntt0113277,8,someday,Heat,1995\n", "line 2, field date rated: not a date"),
    ("Const,Your Rating,Date Rated,Title,Year\ntt0113277,inf,2022-01-01,Heat,1995\n", "field your rating: not a number"),
])
def test_bad_exports_say_where_and_write_nothing(catalog, content, message):
    with pytest.raises(MarqueeError, match=message) as info:
        preview_import(catalog, io.StringIO(content), name="export.csv")
    assert "export.csv" in str(info.value)


def test_thresholds_and_format_are_checked(catalog):
    with pytest.raises(MarqueeError, match="threshold: must be a finite number in \\[0.5, 5\\]"):
        preview_import(catalog, EXPORTS / "letterboxd-ratings.csv", threshold=float("nan"))
    with pytest.raises(MarqueeError, match="many_threshold: must be a finite number in \\[4, 5\\]"):
        preview_import(catalog, EXPORTS / "letterboxd-ratings.csv", threshold=4, many_threshold=3)
    with pytest.raises(MarqueeError, match="does not look like a imdb export"):
        preview_import(catalog, EXPORTS / "letterboxd-ratings.csv", fmt="imdb")
    with pytest.raises(MarqueeError, match="not UTF-8"):
        preview_import(catalog, io.BytesIO("Const,Your Rating\n".encode("utf-16")), name="x.csv")
