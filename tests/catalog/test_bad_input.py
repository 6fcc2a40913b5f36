"""Bad input: a clear error naming file, row and column, or a counted repair; never a half-written catalog."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from core.catalog import store
from core.catalog.importers.base import save_import
from core.catalog.importers.imdb5000 import COLUMNS as IMDB_COLUMNS, import_imdb5000
from core.catalog.importers.movielens import import_movielens
from core.catalog.importers.wikipedia import import_wikipedia
from core.errors import MarqueeError


# --- Wikipedia ------------------------------------------------------------------------------

def _wiki(tmp_path, records, name="movies-1990s.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


GOOD = {"title": "Heat", "year": 1995, "cast": ["Al Pacino", ")", "Robert De Niro", "", "Al Pacino"],
        "genres": ["Crime"], "href": "Heat_(1995_film)", "extract": "A heist film."}


@pytest.mark.parametrize("content, message", [
    (b"", "file is empty"),
    (b"[{\"title\": \"Heat\",", "invalid JSON at line 1"),
    (b"{\"title\": \"Heat\"}", "expected a JSON array"),
    ("[{\"title\": \"Amélie\", \"year\": 2001}]".encode("latin-1"), "not valid UTF-8"),
])
def test_wikipedia_unreadable_files(tmp_path, content, message):
    path = tmp_path / "movies-2000s.json"
    path.write_bytes(content)
    with pytest.raises(MarqueeError, match=message) as info:
        import_wikipedia(path)
    assert "movies-2000s.json" in str(info.value)


@pytest.mark.parametrize("record, message", [
    ({"year": 1995}, "film #1: missing field 'title'"),
    ({**GOOD, "cast": "Al Pacino"}, "field 'cast' should be a list"),
    ({**GOOD, "year": "1995"}, "field 'year' should be a whole number"),
    ({**GOOD, "title": "  "}, "field 'title' is empty"),
    ("Heat", "film #1: expected an object"),
])
def test_wikipedia_bad_records_name_the_film_and_field(tmp_path, record, message):
    with pytest.raises(MarqueeError, match=message) as info:
        import_wikipedia(_wiki(tmp_path, [GOOD, record]))
    assert "movies-1990s.json" in str(info.value)


def test_wikipedia_repairs_are_counted(tmp_path):
    result = import_wikipedia(_wiki(tmp_path, [GOOD, GOOD, {**GOOD, "title": "Zero", "year": 0, "href": None}]))
    movies, credits, repairs = result.tables["movies"], result.tables["credits"], result.report["repairs"]
    assert repairs["duplicate_records_dropped"] == 1
    assert repairs["year_out_of_range_nulled"] == 1 and movies["year"].isna().sum() == 1
    assert repairs["person_name_stray_punctuation"] == 2 and repairs["person_name_empty_name"] == 2
    assert repairs["duplicate_cast_in_film"] == 2
    heat = credits[credits["movie_id"] == movies["movie_id"].iloc[0]]
    assert heat["bill_order"].tolist() == [0, 1]


def test_wikipedia_folder_and_years_errors(tmp_path):
    with pytest.raises(MarqueeError, match="no movies-NNNNs.json files"):
        import_wikipedia(tmp_path)
    with pytest.raises(MarqueeError, match="not found"):
        import_wikipedia(tmp_path / "missing")
    _wiki(tmp_path, [GOOD])
    with pytest.raises(MarqueeError, match="expected YEAR or FIRST-LAST"):
        import_wikipedia(tmp_path, years="the nineties")
    with pytest.raises(MarqueeError, match="no films found in years 2000-2009"):
        import_wikipedia(tmp_path / "movies-1990s.json", years="2000-2009")


# --- IMDB 5000 ------------------------------------------------------------------------------

def _imdb_row(**values):
    row = {c: "" for c in IMDB_COLUMNS}
    row.update(movie_title="Heat\u00a0", movie_imdb_link="http://www.imdb.com/title/tt0113277/?ref_=fn_tt_tt_1",
               title_year="1995", director_name="Michael Mann", actor_1_name="Al Pacino", genres="Crime|Drama",
               language="English", country="USA", budget="60000000", gross="67436818", duration="170",
               imdb_score="8.2", num_voted_users="500000")
    row.update(values)
    return row


def _imdb(tmp_path, rows, encoding="utf-8"):
    path = tmp_path / "movie_metadata.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def test_imdb_missing_or_renamed_columns(tmp_path):
    frame = pd.DataFrame([_imdb_row()]).rename(columns={"budget": "Budget"}).drop(columns="gross")
    path = tmp_path / "movie_metadata.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(MarqueeError, match=r"movie_metadata.csv: missing column\(s\) budget, gross"):
        import_imdb5000(path)


def test_imdb_empty_and_header_only(tmp_path):
    path = tmp_path / "movie_metadata.csv"
    path.write_text("")
    with pytest.raises(MarqueeError, match="file is empty"):
        import_imdb5000(path)
    path.write_text(",".join(IMDB_COLUMNS) + "\n")
    with pytest.raises(MarqueeError, match="no data rows"):
        import_imdb5000(path)


def test_imdb_wrong_type_names_line_and_column(tmp_path):
    path = _imdb(tmp_path, [_imdb_row(), _imdb_row(movie_imdb_link="tt0000002", budget="a lot")])
    with pytest.raises(MarqueeError, match=r"line 3, column 'budget': not a number \('a lot'\)"):
        import_imdb5000(path)


def test_imdb_latin1_file_is_refused(tmp_path):
    rows = [_imdb_row(movie_title=f"Amélie {i}", movie_imdb_link=f"tt{i:07d}") for i in range(20)]
    with pytest.raises(MarqueeError, match="not valid UTF-8.*line 2"):
        import_imdb5000(_imdb(tmp_path, rows, encoding="latin-1"))


def test_imdb_absurd_values_and_duplicates_are_repaired_and_counted(tmp_path):
    rows = [_imdb_row(num_voted_users="10"),
            _imdb_row(num_voted_users="900", budget="-5", title_year="0", imdb_score="11"),  # same link: kept (more votes)
            _imdb_row(movie_imdb_link="tt0000003", movie_title="Ghost", language="Klingon", country="South Korea",
                      budget="12215500000")]
    result = import_imdb5000(_imdb(tmp_path, rows))
    movies, repairs = result.tables["movies"].set_index("imdb_id"), result.report["repairs"]
    assert repairs["duplicate_imdb_link_rows_dropped"] == 1 and len(movies) == 2
    assert movies.loc["tt0113277", "vote_count"] == 900
    assert pd.isna(movies.loc["tt0113277", "budget"]) and repairs["impossible_budget_nulled"] == 1
    assert pd.isna(movies.loc["tt0113277", "year"]) and repairs["year_out_of_range_nulled"] == 1
    assert pd.isna(movies.loc["tt0113277", "vote_average"]) and repairs["score_out_of_range_nulled"] == 1
    assert pd.isna(movies.loc["tt0000003", "budget"]) and repairs["budget_nulled_probably_local_currency"] == 1
    assert pd.isna(movies.loc["tt0000003", "original_language"]) and repairs["language_without_iso_code"] == 1
    assert movies.loc["tt0113277", "title"] == "Heat"


# --- MovieLens ------------------------------------------------------------------------------

def _ml_small(folder, movies="movieId,title,genres\n1,Heat (1995),Crime\n2,\"Graduate, The (1967)\",(no genres listed)\n",
              ratings="userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.5,964982704\n",
              links="movieId,imdbId,tmdbId\n1,0113277,949\n2,0061722,\n"):
    folder.mkdir(exist_ok=True)
    for name, text in (("movies.csv", movies), ("ratings.csv", ratings), ("links.csv", links)):
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_movielens_layout_detection(tmp_path):
    with pytest.raises(MarqueeError, match="not a MovieLens folder"):
        import_movielens(tmp_path)
    folder = _ml_small(tmp_path / "ml")
    (folder / "u.data").write_text("1\t1\t4\t881250949\n")
    (folder / "u.item").write_text("1|Heat (1995)||||" + "|".join("0" * 19) + "\n")
    with pytest.raises(MarqueeError, match="both the 100K files"):
        import_movielens(folder)


def test_movielens_small_parses_and_repairs(tmp_path):
    ratings = "userId,movieId,rating,timestamp\n1,1,4.0,1\n1,1,5.0,2\n1,2,7.0,3\n2,99,3.0,4\n"
    result = import_movielens(_ml_small(tmp_path / "ml", ratings=ratings))
    movies, out, repairs = result.tables["movies"], result.tables["ratings"], result.report["repairs"]
    assert movies["title"].tolist() == ["Heat", "The Graduate"] and movies["genres"].tolist() == [["Crime"], []]
    assert movies["imdb_id"].tolist() == ["tt0113277", "tt0061722"]
    assert movies["tmdb_id"].iloc[0] == 949 and pd.isna(movies["tmdb_id"].iloc[1])
    assert out[["user_id", "movie_id", "rating"]].values.tolist() == [[1, 1, 5.0]]
    assert repairs == {"rating_off_scale_dropped": 1, "rating_of_unknown_film_dropped": 1,
                       "repeated_rating_dropped_kept_latest": 1}


@pytest.mark.parametrize("kwargs, message", [
    ({"ratings": "userId,movieId,score,timestamp\n1,1,4.0,1\n"}, r"ratings.csv: missing column\(s\) rating"),
    ({"ratings": "userId,movieId,rating,timestamp\n1,1,four,1\n"}, r"ratings.csv: line 2, column 'rating': not a number"),
    ({"ratings": "userId,movieId,rating,timestamp\n1,x1,4,1\n"}, r"line 2, column 'movieId'"),
    ({"movies": "movieId,title,genres\n1,Heat (1995),Crime\n1,Heat 2 (1997),Crime\n"}, r"movies.csv: line 3: film id 1 appears more than once"),
    ({"movies": ""}, r"movies.csv: file is empty"),
])
def test_movielens_small_bad_files(tmp_path, kwargs, message):
    with pytest.raises(MarqueeError, match=message):
        import_movielens(_ml_small(tmp_path / "ml", **kwargs))


def _ml_100k(folder, item_line="1|Heat (1995)||||" + "|".join(["0"] * 6 + ["1"] + ["0"] * 12),
             data="1\t1\t4\t881250949\n2\t1\t5\t881250950\n", details=None):
    folder.mkdir(exist_ok=True)
    (folder / "u.item").write_bytes((item_line + "\n").encode("latin-1"))
    (folder / "u.data").write_text(data)
    if details is not None:
        pd.DataFrame(details).to_csv(folder / "movielens100k_details.csv", index=False)
    return folder


def test_movielens_100k_bad_files(tmp_path):
    with pytest.raises(MarqueeError, match=r"u.item: line 1: expected 24 '\|'-separated fields"):
        import_movielens(_ml_100k(tmp_path / "a", item_line="1|Heat (1995)|||"))
    with pytest.raises(MarqueeError, match=r"u.data: line 2, column 'rating': not a number"):
        import_movielens(_ml_100k(tmp_path / "b", data="1\t1\t4\t881250949\n2\t1\tgood\t881250950\n"))


def test_movielens_100k_details_lists_are_parsed_safely(tmp_path):
    marker = tmp_path / "pwned"
    details = [{"movie_id": 1, "description": "A heist.", "director": "['Michael Mann']",
                "cast": f"__import__('pathlib').Path({str(marker)!r}).touch()", "year": "1995.0",
                "movie_length": "2h 50min", "rating": "8.3", "num_review": "930K",
                "movie_url": "http://www.imdb.com/title/tt0113277/", "writer": "['Michael Mann'",
                "poster_url": "['https://example.org/heat.jpg']"}]
    folder = _ml_100k(tmp_path / "ml", item_line="1|Café Society (1995)||||" + "|".join(["0"] * 6 + ["1"] + ["0"] * 12),
                      details=details)
    result = import_movielens(folder)
    assert not marker.exists()
    movies, repairs = result.tables["movies"], result.report["repairs"]
    assert movies.loc[0, "title"] == "Café Society"  # Latin-1 decoded
    assert (movies.loc[0, "runtime"], movies.loc[0, "vote_count"], movies.loc[0, "imdb_id"]) == (170.0, 930_000, "tt0113277")
    assert movies.loc[0, "genres"] == ["Crime"] and movies.loc[0, "poster_url"] == "https://example.org/heat.jpg"
    assert repairs["details_cast_unparsable_list_ignored"] == 1 and repairs["details_writer_unparsable_list_ignored"] == 1
    assert result.tables["credits"]["job"].tolist() == ["Director"]


# --- nothing half-written ---------------------------------------------------------------------

def test_failed_write_leaves_no_catalog_and_no_staging(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    good = import_wikipedia(_wiki(tmp_path, [GOOD]))
    save_import(good, "wiki", data_dir=data_dir)
    before = store.load_catalog("wiki", data_dir=data_dir).data_checksum

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "profile_tables", explode)
    bigger = import_wikipedia(_wiki(tmp_path, [GOOD, {**GOOD, "title": "Ronin", "year": 1998}]))
    for name in ("wiki", "fresh"):
        with pytest.raises(RuntimeError, match="disk full"):
            save_import(bigger, name, data_dir=data_dir)
    assert sorted(p.name for p in data_dir.iterdir()) == ["wiki"]  # no "fresh", no ".fresh.staging-*"
    assert store.load_catalog("wiki", data_dir=data_dir).data_checksum == before
    assert len(store.load_catalog("wiki", data_dir=data_dir).movies) == 1


def test_invalid_tables_are_refused_before_writing(tmp_path):
    result = import_wikipedia(_wiki(tmp_path, [GOOD]))
    result.tables["credits"].loc[0, "movie_id"] = 12345  # a credit for a film that does not exist
    with pytest.raises(MarqueeError, match="credits.movie_id row 0: id 12345 has no matching row"):
        save_import(result, "broken", data_dir=tmp_path / "data")
    assert not (tmp_path / "data").exists() or list((tmp_path / "data").iterdir()) == []
