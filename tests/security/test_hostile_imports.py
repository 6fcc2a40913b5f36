"""Issue 12 items 7-8: importers given impossible numbers, odd structures and binary files either
stop with one clear line naming the file, film or line and column, or repair the value and count
it in the report; nothing is written for a refused import and no id ever wraps."""
from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from core.catalog import store
from core.catalog.importers.base import save_import
from core.catalog.importers.imdb5000 import import_imdb5000
from core.catalog.importers.movielens import import_movielens
from core.catalog.importers.wikipedia import import_wikipedia
from core.catalog.schema import conform
from core.errors import MarqueeError, SchemaError
from tests.catalog.test_bad_input import GOOD, _imdb, _imdb_row, _ml_small, _wiki
from tests.security.conftest import assert_one_line_error, run_cli


def _one_line(exc: BaseException) -> str:
    message = str(exc)
    assert "\n" not in message and len(message) < 500, message
    return message


# --- IMDB 5000: impossible numbers are nulled and counted, never stored ---------------------------

@pytest.mark.parametrize("column,value,repair", [
    ("budget", "inf", "non_finite_budget_nulled"), ("budget", "1e400", "non_finite_budget_nulled"),
    ("budget", "-inf", "non_finite_budget_nulled"), ("budget", "Infinity", "non_finite_budget_nulled"),
    ("budget", "1e300", "impossible_budget_nulled"), ("gross", "Infinity", "non_finite_gross_nulled"),
    ("gross", "1e15", "impossible_gross_nulled"), ("duration", "inf", "non_finite_duration_nulled"),
    ("imdb_score", "1e400", "non_finite_imdb_score_nulled"), ("num_voted_users", "1e20", "impossible_votes_nulled"),
    ("num_voted_users", "inf", "non_finite_num_voted_users_nulled"), ("title_year", "1e10", "year_out_of_range_nulled"),
])
def test_imdb_impossible_numbers_are_nulled_and_counted(tmp_path, column, value, repair):
    result = import_imdb5000(_imdb(tmp_path, [_imdb_row(**{column: value})]))
    assert result.report["repairs"][repair] == 1
    movies = result.tables["movies"]
    numeric = movies.select_dtypes("number").to_numpy(dtype="float64", na_value=np.nan)
    assert not np.isinf(numeric).any()
    path = save_import(result, "imdb_ok", data_dir=tmp_path / "data")
    profile = (path / "data_profile.json").read_text() + (path / "manifest.json").read_text()
    assert "Infinity" not in profile and "NaN" not in profile


def test_imdb_5000_digit_year_is_one_line(tmp_path):
    with pytest.raises(MarqueeError) as caught:
        import_imdb5000(_imdb(tmp_path, [_imdb_row(title_year="9" * 5000)]))
    assert "a 5000-digit number" in _one_line(caught.value) and "line 2, column 'title_year'" in str(caught.value)


@pytest.mark.parametrize("content", [os.urandom(4096), b"\x00" * 2048, b"\x89PNG\r\n\x1a\n" + os.urandom(500),
                                     b"PK\x03\x04" + os.urandom(300)], ids=["random", "nul", "png", "zip"])
def test_binary_files_are_refused_in_one_line(tmp_path, content):
    csv = tmp_path / "movie_metadata.csv"
    csv.write_bytes(content)
    with pytest.raises(MarqueeError) as caught:
        import_imdb5000(csv)
    _one_line(caught.value)
    wiki = tmp_path / "movies-1990s.json"
    wiki.write_bytes(content)
    with pytest.raises(MarqueeError) as caught:
        import_wikipedia(wiki)
    _one_line(caught.value)
    folder = _ml_small(tmp_path / "ml")
    (folder / "ratings.csv").write_bytes(content)
    with pytest.raises(MarqueeError) as caught:
        import_movielens(folder)
    _one_line(caught.value)


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null", "/proc/self/environ", "/proc/self/status"])
def test_devices_and_system_files_are_never_read(path):
    for importer in (import_imdb5000, import_wikipedia):
        with pytest.raises(MarqueeError) as caught:
            importer(path)
        assert "regular file" in _one_line(caught.value) or "empty" in str(caught.value)


# --- MovieLens: ids never wrap, impossible links and timestamps are handled -----------------------

@pytest.mark.parametrize("ratings,fragment", [
    ("userId,movieId,rating,timestamp\n1e20,1,4.0,964982703\n", "column 'userId': expected a whole number"),
    ("userId,movieId,rating,timestamp\n9223372036854775808,1,4.0,964982703\n", "column 'userId'"),
    ("userId,movieId,rating,timestamp\n-1,1,4.0,964982703\n", "column 'userId'"),
    ("userId,movieId,rating,timestamp\n1.5,1,4.0,964982703\n", "column 'userId'"),
    ("userId,movieId,rating,timestamp\ninf,1,4.0,964982703\n", "column 'userId'"),
    ("userId,movieId,rating,timestamp\n1,1e308,4.0,964982703\n", "column 'movieId'"),
    ("userId,movieId,rating,timestamp\n1,1,4.0,1e400\n", "column 'timestamp'"),
    ("userId,movieId,rating,timestamp\n1,1,nan,964982703\n", "column 'rating': not a number"),
    ("userId,movieId,rating,timestamp\n1,1,4.0,\n", "column 'timestamp'"),
    ("userId,movieId,rating,timestamp\n" + "1" * 5000 + ",1,4.0,1\n", "a 5000-digit number"),
])
def test_movielens_impossible_ids_are_one_line_errors(tmp_path, ratings, fragment):
    with pytest.raises(MarqueeError) as caught:
        import_movielens(_ml_small(tmp_path / "ml", ratings=ratings))
    assert fragment in _one_line(caught.value) and "ratings.csv" in str(caught.value)


def test_movielens_impossible_values_are_repaired_and_counted(tmp_path):
    ratings = ("userId,movieId,rating,timestamp\n1,1,4.0,99999999999999\n1,2,inf,964982703\n"
               "2,1,3.0,-5\n2,2,4.5,964982705\n")
    links = "movieId,imdbId,tmdbId\n1,-5,1.5\n2,0061722,1e400\n"
    result = import_movielens(_ml_small(tmp_path / "ml", ratings=ratings, links=links))
    repairs, movies, out = result.report["repairs"], result.tables["movies"], result.tables["ratings"]
    assert repairs["rating_timestamp_out_of_range_nulled"] == 2
    assert repairs["rating_off_scale_dropped"] == 1  # the infinite rating
    assert repairs["links_impossible_imdbId_nulled"] == 1 and repairs["links_impossible_tmdbId_nulled"] == 2
    assert pd.isna(movies["imdb_id"].iloc[0]) and not any("tt-" in str(v) for v in movies["imdb_id"])
    assert movies["tmdb_id"].isna().all()
    assert len(out) == 3 and out["timestamp"].isna().sum() == 2
    save_import(result, "ml_ok", data_dir=tmp_path / "data")


# --- Wikipedia: structures that used to end in tracebacks ------------------------------------------

@pytest.mark.parametrize("record,fragment", [
    ({**GOOD, "cast": [{"name": "Al Pacino"}]}, "field 'cast' should be a list of names, found dict"),
    ({**GOOD, "cast": [["Al Pacino"]]}, "should be a list of names, found list"),
    ({**GOOD, "cast": [42]}, "should be a list of names, found int"),
    ({**GOOD, "title": {"en": "Heat"}}, "field 'title' should be text, got dict"),
    ({**GOOD, "year": {"value": 1995}}, "field 'year' should be a whole number, got dict"),
    ({**GOOD, "year": 1995.5}, "field 'year' should be a whole number"),
    ({**GOOD, "genres": {"Crime": True}}, "field 'genres' should be a list"),
    ({**GOOD, "thumbnail": ["x"]}, "field 'thumbnail' should be text"),
    ({**GOOD, "title": "x" * 100_000, "year": True}, "should be a whole number, got bool"),
])
def test_wikipedia_odd_structures_are_one_line_errors(tmp_path, record, fragment):
    with pytest.raises(MarqueeError) as caught:
        import_wikipedia(_wiki(tmp_path, [GOOD, record]))
    assert fragment in _one_line(caught.value) and "film #1" in str(caught.value)


def test_wikipedia_nested_extra_fields_and_huge_years_are_handled(tmp_path):
    path = tmp_path / "movies-1990s.json"
    records = json.dumps([{**GOOD, "meta": {"nested": {"deep": [1, {"x": None}]}}},
                          {**GOOD, "title": "Long Year", "href": "Long", "year": 0}])
    path.write_text(records.replace('"year": 0', '"year": ' + "7" * 5000))
    result = import_wikipedia(path)
    assert result.report["repairs"]["year_out_of_range_nulled"] == 1
    assert result.tables["movies"].set_index("title").loc["Long Year", "year"] is pd.NA


@pytest.mark.parametrize("text,fragment", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('[{"title": "A", "year": 1' + "0" * 5000 + "}]", "year"),
    ('{"a": ' * 50_000 + "1" + "}" * 50_000, "nested too deeply"),
])
def test_wikipedia_hostile_json_is_one_line(tmp_path, text, fragment):
    path = tmp_path / "movies-1990s.json"
    path.write_text(text)
    try:
        result = import_wikipedia(path)
    except MarqueeError as exc:
        assert fragment in _one_line(exc)
    else:  # the 5,000-digit year is repaired, not refused
        assert result.report["repairs"]["year_out_of_range_nulled"] == 1


def test_wikipedia_local_poster_paths_are_dropped_and_counted(tmp_path):
    records = [{**GOOD, "thumbnail": "/etc/secret.png"}, {**GOOD, "title": "B", "href": "B", "thumbnail": "javascript:x"},
               {**GOOD, "title": "C", "href": "C", "thumbnail": "https://upload.wikimedia.org/c.jpg"}]
    result = import_wikipedia(_wiki(tmp_path, records))
    assert result.report["repairs"]["poster_url_not_http_dropped"] == 2
    posters = result.tables["movies"]["poster_url"]
    assert posters.isna().tolist() == [True, True, False] and posters.iloc[2] == "https://upload.wikimedia.org/c.jpg"


# --- the schema gate: no non-finite number reaches a catalog, whoever builds the table -------------

@pytest.mark.parametrize("table,column,value", [
    ("movies", "budget", float("inf")), ("movies", "revenue", float("-inf")), ("movies", "popularity", float("inf")),
    ("movies", "vote_average", float("inf")), ("movies", "runtime", float("inf")), ("people", "popularity", float("inf")),
])
def test_schema_refuses_non_finite_numbers(table, column, value):
    frame = (pd.DataFrame({"movie_id": [1], "title": ["A"], column: [value]}) if table == "movies"
             else pd.DataFrame({"person_id": [1], "name": ["A"], column: [value]}))
    with pytest.raises(SchemaError, match=f"{table}.{column} row 0: value -?inf is not finite"):
        conform(frame, table)


def test_schema_refuses_ids_out_of_int64():
    with pytest.raises(SchemaError) as caught:
        conform(pd.DataFrame({"movie_id": [2 ** 64], "title": ["A"]}), "movies")
    _one_line(caught.value)


# --- the CLI around them: one line, nothing written --------------------------------------------------

def test_cli_import_failures_are_one_line_and_write_nothing(tmp_path, cli_dirs):
    wiki = _wiki(tmp_path, [GOOD, {**GOOD, "cast": [{"name": "x"}]}])
    ml = _ml_small(tmp_path / "ml", ratings="userId,movieId,rating,timestamp\n1e20,1,4.0,1\n")
    for args, fragment in ((["import", "wikipedia", str(wiki), "--catalog", "w"], "list of names"),
                           (["import", "movielens", str(ml), "--catalog", "m"], "userId"),
                           (["import", "imdb5000", "/dev/zero", "--catalog", "i"], "regular file"),
                           (["import", "wikipedia", "/proc/self/environ", "--catalog", "p"], "regular file"),
                           (["import", "wikipedia", str(wiki), "--catalog", "w\n"], "argument --catalog")):
        assert_one_line_error(run_cli(args, cli_dirs), fragment)
    data = tmp_path / "data"
    assert not data.exists() or [p.name for p in data.iterdir()] == [".logs"] or list(data.iterdir()) == []
    assert store.list_catalogs(data) == []
