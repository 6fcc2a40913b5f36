"""IMDB-5000 brief-time facts (country, content rating, colour, aspect ratio): typed, checked,
hostile values nulled and counted, never stored as text the product would echo."""
from __future__ import annotations

import pandas as pd
import pytest

from core.catalog.importers.base import save_import
from core.catalog.importers.imdb5000 import import_imdb5000
from core.catalog import store
from tests.catalog.test_bad_input import _imdb, _imdb_row


def _film(i, **values):
    return _imdb_row(movie_imdb_link=f"tt{i:07d}", movie_title=f"Film {i}", **values)


def test_clean_values_are_kept_and_typed(tmp_path):
    rows = [_film(1, country="  UK ", content_rating="PG-13", color="Color", aspect_ratio="2.35"),
            _film(2, country="Côte d'Ivoire", content_rating="Unrated", color=" Black and White", aspect_ratio="16"),
            _film(3, country="", content_rating="", color="", aspect_ratio="4")]
    result = import_imdb5000(_imdb(tmp_path, rows))
    movies = result.tables["movies"].set_index("imdb_id")
    assert movies.loc["tt0000001", "country"] == "UK" and movies.loc["tt0000002", "country"] == "Côte d'Ivoire"
    assert pd.isna(movies.loc["tt0000003", "country"])
    assert movies.loc["tt0000001", "content_rating"] == "PG-13"
    assert movies.loc["tt0000002", "content_rating"] == "Not Rated"     # Unrated is the same thing
    assert pd.isna(movies.loc["tt0000003", "content_rating"])
    assert movies["color"].tolist() == [True, False, None]
    assert movies["aspect_ratio"].tolist()[:2] == [2.35, 1.78] and movies.loc["tt0000003", "aspect_ratio"] == 1.33
    assert result.report["repairs"]["aspect_ratio_shorthand_read"] == 2
    path = save_import(result, "briefy", tmp_path / "data")          # the schema gate accepts them
    loaded = store.load_catalog("briefy", tmp_path / "data").movies.set_index("imdb_id")
    assert loaded.loc["tt0000001", "aspect_ratio"] == pytest.approx(2.35) and path.exists()
    assert loaded["color"].tolist() == [True, False, None]


@pytest.mark.parametrize("column, value, repair", [
    ("country", "USA\x00", "country_not_a_name_nulled"),
    ("country", "<script>alert(1)</script>", "country_not_a_name_nulled"),
    ("country", "A" * 200, "country_not_a_name_nulled"),
    ("country", "1234", "country_not_a_name_nulled"),
    ("country", "=HYPERLINK(\"x\")", "country_not_a_name_nulled"),
    ("content_rating", "R; DROP TABLE movies", "content_rating_not_a_code_nulled"),
    ("content_rating", "PG\u202e13", "content_rating_not_a_code_nulled"),
    ("content_rating", "X" * 40, "content_rating_not_a_code_nulled"),
    ("color", "Sepia", "color_not_a_colour_word_nulled"),
    ("color", "Color\x07", "color_not_a_colour_word_nulled"),
    ("aspect_ratio", "inf", "non_finite_aspect_ratio_nulled"),
    ("aspect_ratio", "-1.85", "impossible_aspect_ratio_nulled"),
    ("aspect_ratio", "185", "impossible_aspect_ratio_nulled"),
    ("aspect_ratio", "1e400", "non_finite_aspect_ratio_nulled"),
])
def test_hostile_values_are_nulled_and_counted(tmp_path, column, value, repair):
    result = import_imdb5000(_imdb(tmp_path, [_film(1, **{column: value}), _film(2, country="USA")]))
    movies = result.tables["movies"].set_index("imdb_id")
    assert pd.isna(movies.loc["tt0000001", column])
    assert result.report["repairs"][repair] == 1
    save_import(result, "hostile", tmp_path / "data")   # and the catalog still passes the schema gate


def test_aspect_ratio_that_is_not_a_number_is_nulled_and_counted(tmp_path):
    """The column is optional: one odd value (``wide``) must not abort the whole import (it did:
    ``not a number``), and the usual ``x:1`` / ``16:9`` spellings are read as ratios."""
    path = _imdb(tmp_path, [_film(1, aspect_ratio="1.85"), _film(2, aspect_ratio="wide"),
                            _film(3, aspect_ratio=" 2.35:1 "), _film(4, aspect_ratio="16:9"), _film(5, aspect_ratio="Widescreen 1.85"),
                            _film(6, aspect_ratio="2.35:0")])
    result = import_imdb5000(path)
    ratios = result.tables["movies"].set_index("imdb_id")["aspect_ratio"]
    assert ratios["tt0000001"] == 1.85 and ratios["tt0000003"] == 2.35 and ratios["tt0000004"] == 1.78
    assert ratios[["tt0000002", "tt0000005", "tt0000006"]].isna().all()
    repairs = result.report["repairs"]
    assert repairs["aspect_ratio_not_a_number_nulled"] == 3 and repairs["aspect_ratio_pair_read"] == 2
    assert "'wide'" in result.report["repair_examples"]["aspect_ratio_not_a_number_nulled"][0]
    save_import(result, "ratios", tmp_path / "data")   # the schema gate accepts them


def test_files_without_the_optional_columns_still_import(tmp_path):
    result = import_imdb5000(_imdb(tmp_path, [_film(1)]))     # _imdb_row has only the required columns
    movies = result.tables["movies"]
    assert movies[["content_rating", "color", "aspect_ratio"]].isna().all().all()
    assert movies["country"].tolist() == ["USA"]
