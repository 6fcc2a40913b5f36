"""MovieLens: the 100K layout (``u.data``/``u.item``/``u.user``) or latest-small
(``ratings.csv``/``movies.csv``/``links.csv``), detected from the folder's files.

``movie_id`` is the MovieLens id (``movielens_id`` holds it too). Titles lose the "(1995)" year
and get their article back ("Graduate, The" -> "The Graduate"); a parenthesised
original-language title goes to ``original_title``. Ratings outside 0.5-5, ratings of films not
in the film list and repeated (user, film) pairs are dropped and counted (the latest kept).

100K extras: ``movielens100k_details.csv`` (scraped from IMDb) when present. A details row is
trusted only when its year agrees with MovieLens (within 1): the scrape matched other films
for some titles (remakes, TV episodes). Its ``genre`` column is NOT used: its indices are
shifted by one against ``u.item`` (Lawrence of Arabia comes out "Action, Western").
"""
from __future__ import annotations

import ast
import io
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.catalog.importers.base import (MAX_SAFE_ID, CreditsBuilder, ImportResult, Report, file_fingerprint,
                                         numeric_column, progress_or_null, require_columns, require_file,
                                         whole_ids)
from core.catalog.titles import parse_movielens_title
from core.errors import CatalogImportError
from core.logs import one_line
from core.validation import safe_image_url, shown
from core.progress import ProgressFn

log = logging.getLogger(__name__)

SOURCE = "movielens"
RATING_SCALE = (0.5, 5.0)
TIMESTAMP_RANGE = (0, 4_102_444_800)  # 1970-01-01 to 2100-01-01, in seconds
MAX_IMDB_NUMBER = 99_999_999  # tt + 7 or 8 digits
ML100K_GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
                 "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
                 "Thriller", "War", "Western")
DETAILS_FILE = "movielens100k_details.csv"
DETAILS_COLUMNS = ("movie_id", "description", "director", "cast", "year", "movie_length", "rating")
_PLACEHOLDER_OVERVIEW = "It looks like we don't have any Plot Summaries"
_LENGTH = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*min)?\s*$")
_IMDB_ID = re.compile(r"(tt\d{7,9})")


def detect_layout(folder: Path) -> str:
    folder = Path(folder)
    if not folder.is_dir():
        raise CatalogImportError(f"{folder}: expected a MovieLens folder (u.data/u.item or ratings.csv/movies.csv)")
    has_100k = (folder / "u.data").exists() and (folder / "u.item").exists()
    has_small = (folder / "ratings.csv").exists() and (folder / "movies.csv").exists()
    if has_100k and has_small:
        raise CatalogImportError(f"{folder}: holds both the 100K files (u.data, u.item) and the latest "
                           f"(ratings.csv, movies.csv) files; keep one layout per folder")
    if not (has_100k or has_small):
        present = ", ".join(sorted(p.name for p in folder.iterdir())[:10]) or "nothing"
        raise CatalogImportError(f"{folder}: not a MovieLens folder: need u.data + u.item (100K) or "
                           f"ratings.csv + movies.csv (latest); found {present}")
    return "100k" if has_100k else "latest"


def import_movielens(folder: str | Path, progress: ProgressFn | None = None) -> ImportResult:
    """Import a MovieLens folder of either layout into canonical tables."""
    progress = progress_or_null(progress)
    folder = Path(folder)
    layout = detect_layout(folder)
    report = Report(layout=layout)
    if layout == "100k":
        movies, credits, ratings, files = _import_100k(folder, report, progress)
    else:
        movies, credits, ratings, files = _import_latest(folder, report, progress)
    ratings = _clean_ratings(ratings, set(movies["movie_id"]), report)
    report.data.update(films=len(movies), ratings=len(ratings), users=int(ratings["user_id"].nunique()))
    log.info("movielens %s: %d films, %d ratings", layout, len(movies), len(ratings))
    return ImportResult(
        tables={"movies": movies, "people": credits.people(), "credits": credits.credits(), "ratings": ratings},
        report=report.as_dict(), source=f"{SOURCE}-{layout}",
        parameters={"path": str(folder.resolve()), "layout": layout, "files": file_fingerprint(files)})


# ---------------------------------------------------------------------------------------------
# shared pieces

def _decode(path: Path, report: Report) -> str:
    """UTF-8 when the file is valid UTF-8, else Latin-1 (the customary 100K encoding)."""
    raw = require_file(path, path.name).read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        report.data.setdefault("encodings", {})[path.name] = "latin-1"
        return raw.decode("latin-1")


def _read_table(path: Path, report: Report, sep: str, names: list[str] | None = None) -> pd.DataFrame:
    text = _decode(path, report)
    if not text.strip():
        raise CatalogImportError(f"{path}: file is empty")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, header=None if names else "infer", names=names,
                            dtype=str, keep_default_na=False, na_values=[""], quoting=3 if sep != "," else 0,
                            index_col=False)
    except pd.errors.ParserError as exc:
        raise CatalogImportError(f"{path}: not readable as {'tab' if sep == chr(9) else repr(sep)}-separated text ({one_line(str(exc))})") from None
    if frame.empty:
        raise CatalogImportError(f"{path}: no data rows")
    return frame


def _int_ids(frame: pd.DataFrame, column: str, path: Path, line_offset: int) -> pd.Series:
    return whole_ids(frame, column, path, line_offset)


def _optional_ids(frame: pd.DataFrame, column: str, path: Path, low: int, high: int, report: Report) -> pd.Series:
    """External ids that may be missing; impossible ones (``-5``, ``1.5``, ``inf``) become null
    and are counted (the film keeps its MovieLens id)."""
    values = numeric_column(frame, column, path)
    as_float = values.to_numpy(dtype="float64", na_value=np.nan)
    bad = values.notna() & ~(np.isfinite(as_float) & (as_float == np.floor(as_float)) & (as_float >= low) & (as_float <= high))
    report.repair(f"links_impossible_{column}_nulled", int(bad.sum()),
                  example=shown(frame.loc[bad, column].iloc[0]) if bad.any() else None)
    return values.mask(bad)


def _movies_from_titles(ids: pd.Series, raw_titles: pd.Series, path: Path, report: Report, line_offset: int) -> pd.DataFrame:
    dupes = ids.duplicated()
    if dupes.any():
        row = int(np.flatnonzero(dupes.to_numpy())[0])
        raise CatalogImportError(f"{path}: line {row + line_offset}: film id {ids.iloc[row]} appears more than once")
    parsed = [parse_movielens_title(t) if isinstance(t, str) and t.strip() else (None, None, None) for t in raw_titles]
    titles = [p[0] for p in parsed]
    if any(t is None for t in titles):
        row = titles.index(None)
        raise CatalogImportError(f"{path}: line {row + line_offset}: film {ids.iloc[row]} has no title")
    movies = pd.DataFrame({"movie_id": ids.to_numpy(), "title": titles, "original_title": [p[1] for p in parsed],
                           "year": pd.array([p[2] for p in parsed], dtype="Int32")})
    movies["movielens_id"] = movies["movie_id"]
    report.repair("title_without_year", int(movies["year"].isna().sum()),
                  example=next(iter(movies.loc[movies["year"].isna(), "title"]), None))
    return movies


def _clean_ratings(ratings: pd.DataFrame, movie_ids: set, report: Report) -> pd.DataFrame:
    off_scale = ~ratings["rating"].between(*RATING_SCALE)
    report.repair("rating_off_scale_dropped", int(off_scale.sum()),
                  example=str(ratings.loc[off_scale, "rating"].iloc[0]) if off_scale.any() else None)
    unknown = ~ratings["movie_id"].isin(movie_ids)
    report.repair("rating_of_unknown_film_dropped", int((unknown & ~off_scale).sum()),
                  example=str(ratings.loc[unknown, "movie_id"].iloc[0]) if unknown.any() else None)
    ratings = ratings[~off_scale & ~unknown].sort_values("timestamp", kind="stable")
    repeated = ratings.duplicated(["user_id", "movie_id"], keep="last")
    report.repair("repeated_rating_dropped_kept_latest", int(repeated.sum()))
    ratings = ratings[~repeated].sort_values(["user_id", "movie_id"], kind="stable").reset_index(drop=True)
    ratings["rating"] = ratings["rating"].astype("float32")
    stamps = ratings["timestamp"]
    impossible = (stamps < TIMESTAMP_RANGE[0]) | (stamps > TIMESTAMP_RANGE[1])
    report.repair("rating_timestamp_out_of_range_nulled", int(impossible.sum()),
                  example=str(stamps[impossible].iloc[0]) if impossible.any() else None)
    ratings["timestamp"] = pd.to_datetime(stamps.mask(impossible), unit="s", utc=True)
    return ratings


def _ratings_frame(frame: pd.DataFrame, path: Path, line_offset: int, columns: tuple[str, str, str, str]) -> pd.DataFrame:
    user, movie, rating, stamp = columns
    out = pd.DataFrame({"user_id": _int_ids(frame, user, path, line_offset),
                        "movie_id": _int_ids(frame, movie, path, line_offset),
                        "rating": numeric_column(frame, rating, path, line_offset),
                        "timestamp": whole_ids(frame, stamp, path, line_offset, low=-MAX_SAFE_ID)})
    missing = out["rating"].isna()
    if missing.any():
        row = int(np.flatnonzero(missing.to_numpy())[0])
        raise CatalogImportError(f"{path}: line {row + line_offset}, column {rating!r}: rating is missing")
    return out


# ---------------------------------------------------------------------------------------------
# 100K layout

def _import_100k(folder: Path, report: Report, progress: ProgressFn):
    item_path, data_path = folder / "u.item", folder / "u.data"
    progress(0, 4, "reading u.item")
    names = ["movie_id", "title", "release_date", "video_release_date", "url", *ML100K_GENRES]
    items = _read_table(item_path, report, "|", names)
    short = items[list(ML100K_GENRES)].isna().any(axis=1)
    if short.any():
        row = int(np.flatnonzero(short.to_numpy())[0])
        raise CatalogImportError(f"{item_path}: line {row + 1}: expected {len(names)} '|'-separated fields "
                           f"(id, title, dates, url, 19 genre flags)")
    movies = _movies_from_titles(_int_ids(items, "movie_id", item_path, 1), items["title"], item_path, report, 1)
    flags = items[list(ML100K_GENRES)].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy() > 0
    movies["genres"] = [[g for g, on in zip(ML100K_GENRES, row) if on and g != "unknown"] for row in flags]
    movies["release_date"] = pd.to_datetime(items["release_date"], format="%d-%b-%Y", errors="coerce")

    progress(1, 4, "reading u.data")
    data = _read_table(data_path, report, "\t", ["user_id", "movie_id", "rating", "timestamp"])
    ratings = _ratings_frame(data, data_path, 1, ("user_id", "movie_id", "rating", "timestamp"))
    files = [item_path, data_path]
    if (folder / "u.user").exists():
        users = _read_table(folder / "u.user", report, "|", ["user_id", "age", "gender", "occupation", "zip"])
        report.data["users_listed"] = len(users)
        files.append(folder / "u.user")

    credits = CreditsBuilder(report)
    details_path = folder / DETAILS_FILE
    if details_path.exists():
        progress(2, 4, f"reading {DETAILS_FILE}")
        movies = _apply_details(movies, details_path, credits, report)
        files.append(details_path)
    else:
        report.data["details"] = "absent"
    progress(4, 4, "done")
    return movies, credits, ratings, files


def _literal_list(value: Any, report: Report, column: str) -> list[str]:
    """A Python-literal list string ("['A', 'B']") parsed with ast.literal_eval (never eval)."""
    if not isinstance(value, str) or not value.strip():
        return []
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        report.repair(f"details_{column}_unparsable_list_ignored", example=value[:60])
        return []
    if not isinstance(parsed, (list, tuple)):
        report.repair(f"details_{column}_not_a_list_ignored", example=value[:60])
        return []
    return [str(v).strip() for v in parsed if isinstance(v, (str, int, float)) and str(v).strip()]


def _poster(value: Any, report: Report) -> str | None:
    """The first poster URL of a details row, kept only when it is an absolute http(s) URL."""
    first = next(iter(_literal_list(value, report, "poster_url")), None)
    url = safe_image_url(first)
    if first and url is None:
        report.repair("details_poster_url_not_http_dropped", example=shown(first))
    return url


def parse_length(text: Any) -> float | None:
    """ "1h 21min" -> 81.0; "2h" -> 120.0; "45min" -> 45.0; anything else -> None."""
    if not isinstance(text, str):
        return None
    match = _LENGTH.match(text)
    if not match or not (match.group(1) or match.group(2)):
        return None
    return float(int(match.group(1) or 0) * 60 + int(match.group(2) or 0))


def parse_count(text: Any) -> int | None:
    """ "930K" -> 930000; "8.8K" -> 8800; "1.2M" -> 1200000; "231" -> 231."""
    if not isinstance(text, str):
        return None
    match = re.fullmatch(r"\s*([\d.]+)\s*([KkMm]?)\s*", text)
    if not match:
        return None
    try:
        number = float(match.group(1))
    except ValueError:
        return None
    return int(round(number * {"": 1, "k": 1e3, "m": 1e6}[match.group(2).lower()]))


def _apply_details(movies: pd.DataFrame, path: Path, credits: CreditsBuilder, report: Report) -> pd.DataFrame:
    details = _read_table(path, report, ",")
    require_columns(details, DETAILS_COLUMNS, path)
    for optional in ("num_review", "movie_url", "poster_url", "writer"):
        if optional not in details.columns:
            details[optional] = None
    details["movie_id"] = _int_ids(details, "movie_id", path, 2)
    details = details.drop_duplicates("movie_id", keep="first")
    details = details[details["movie_id"].isin(movies["movie_id"])]
    ml_year = details["movie_id"].map(movies.set_index("movie_id")["year"])
    year = pd.to_numeric(details["year"], errors="coerce")
    trusted = (year - ml_year.astype("float64")).abs() <= 1
    report.data["details_rows"] = len(details)
    report.repair("details_rejected_year_missing_or_disagrees", int((~trusted).sum()),
                  example=f"film {details.loc[~trusted, 'movie_id'].iloc[0]}" if (~trusted).any() else None)
    details = details[trusted]
    report.data["details_used"] = len(details)
    overview = details["description"].where(~details["description"].fillna("").str.startswith(_PLACEHOLDER_OVERVIEW))
    report.repair("details_placeholder_overview_ignored", int(overview.isna().sum() - details["description"].isna().sum()))
    runtime = details["movie_length"].map(parse_length)
    report.repair("details_length_unparsable", int((details["movie_length"].notna() & runtime.isna()).sum()))
    extra = pd.DataFrame({
        "movie_id": details["movie_id"].to_numpy(), "overview": overview.to_numpy(), "runtime": runtime.to_numpy(),
        "vote_average": pd.to_numeric(details["rating"], errors="coerce").to_numpy(),
        "vote_count": pd.array(details["num_review"].map(parse_count), dtype="Int64"),
        "imdb_id": details["movie_url"].fillna("").astype(str).str.extract(_IMDB_ID, expand=False).to_numpy(),
        "poster_url": [_poster(v, report) for v in details["poster_url"]],
    })
    for movie_id, directors, cast, writers in zip(details["movie_id"], details["director"], details["cast"],
                                                  details["writer"]):
        credits.add_cast(int(movie_id), _literal_list(cast, report, "cast"))
        credits.add_crew(int(movie_id), _literal_list(directors, report, "director"), "Director")
        credits.add_crew(int(movie_id), _literal_list(writers, report, "writer"), "Writer")
    return movies.merge(extra, on="movie_id", how="left")


# ---------------------------------------------------------------------------------------------
# latest-small layout

def _import_latest(folder: Path, report: Report, progress: ProgressFn):
    movies_path, ratings_path, links_path = folder / "movies.csv", folder / "ratings.csv", folder / "links.csv"
    progress(0, 3, "reading movies.csv")
    raw = _read_table(movies_path, report, ",")
    require_columns(raw, ("movieId", "title", "genres"), movies_path)
    movies = _movies_from_titles(_int_ids(raw, "movieId", movies_path, 2), raw["title"], movies_path, report, 2)
    movies["genres"] = [[] if not isinstance(g, str) or g == "(no genres listed)" else
                        list(dict.fromkeys(x.strip() for x in g.split("|") if x.strip())) for g in raw["genres"]]
    files = [movies_path, ratings_path]
    if links_path.exists():
        links = _read_table(links_path, report, ",")
        require_columns(links, ("movieId", "imdbId", "tmdbId"), links_path)
        links["movieId"] = _int_ids(links, "movieId", links_path, 2)
        imdb = _optional_ids(links, "imdbId", links_path, 1, MAX_IMDB_NUMBER, report)
        links["imdb_id"] = [f"tt{int(v):07d}" if pd.notna(v) else None for v in imdb]
        links["tmdb_id"] = _optional_ids(links, "tmdbId", links_path, 1, MAX_SAFE_ID, report).astype("Int64")
        links = links.drop_duplicates("movieId")
        movies = movies.merge(links[["movieId", "imdb_id", "tmdb_id"]].rename(columns={"movieId": "movie_id"}),
                              on="movie_id", how="left")
        report.data["films_with_imdb_id"] = int(movies["imdb_id"].notna().sum())
        files.append(links_path)
    else:
        report.data["links"] = "absent: no imdb_id/tmdb_id, joins fall back to title + year"
    progress(1, 3, "reading ratings.csv")
    data = _read_table(ratings_path, report, ",")
    require_columns(data, ("userId", "movieId", "rating", "timestamp"), ratings_path)
    ratings = _ratings_frame(data, ratings_path, 2, ("userId", "movieId", "rating", "timestamp"))
    progress(3, 3, "done")
    return movies, CreditsBuilder(report), ratings, files

