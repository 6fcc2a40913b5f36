"""The "IMDB 5000" table (``movie_metadata.csv``).

Repairs, all counted in the report:
- broken UTF-8 bytes are replaced (and stripped from title ends, where the known one sits);
  more than a few broken lines means the file is not UTF-8 and it is refused;
- titles lose their trailing non-breaking space;
- rows repeating a ``movie_imdb_link`` are dropped, keeping the row with the most votes (the
  latest scrape);
- budgets are nulled when they are probably not US dollars: films from outside the USA whose
  language is not English, and any non-US budget above ``MAX_CREDIBLE_BUDGET_USD`` (the table
  stores those in local currency: won, yen, rupees...). English-language UK/Canada/Australia
  films keep their budgets, which the table gives in dollars;
- negative, non-finite (``inf``, ``1e400``) or impossible numbers (budget, gross, duration, year,
  score, votes) become null.

Brief-time facts kept (all fixed before release): ``country``, ``content_rating`` ("Unrated" is
spelled "Not Rated" like its twin), ``color`` (True colour, False black and white) and
``aspect_ratio`` (the table writes 16:9 and 4:3 as 16 and 4: read as 1.78 and 1.33; ``2.35:1`` and
``16:9`` are read as 2.35 and 1.78). These four columns are optional in the file; a value that is not
a plain name or code (control characters, markup, over-long text, an unknown colour word, a ratio
that is not a number such as ``wide``, a ratio outside 0.5..5) becomes null and is counted.
Post-release columns (IMDb score, votes, gross, critic/user review counts, Facebook likes and the
poster's face count) are read only where the catalog already stores them (score, votes, gross).

``movie_id`` is the number in the IMDb id (tt0499549 -> 499549). Facebook likes are NOT used for
``popularity``: 43 % of films have 0 (not collected) and the scale is not TMDb's popularity.
"""
from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from core.catalog.importers.base import (CreditsBuilder, ImportResult, Report, decode_utf8_with_repairs,
                                         file_fingerprint, null_out_of_range, numeric_column,
                                         progress_or_null, require_columns, require_file, stable_id)
from core.catalog.languages import language_code
from core.catalog.schema import RATING_RANGE, YEAR_RANGE
from core.errors import CatalogImportError
from core.logs import one_line
from core.validation import shown
from core.progress import ProgressFn

log = logging.getLogger(__name__)

SOURCE = "imdb5000"
MAX_CREDIBLE_BUDGET_USD = 400e6
MAX_MONEY = 1e11  # more than any film's budget or gross in any currency this table uses
MAX_VOTES = 1e10  # more votes than people
USD_COUNTRIES = {"USA"}
COLUMNS = ("movie_title", "movie_imdb_link", "title_year", "director_name", "actor_1_name", "actor_2_name",
           "actor_3_name", "genres", "plot_keywords", "language", "country", "budget", "gross", "duration",
           "imdb_score", "num_voted_users")
OPTIONAL_COLUMNS = ("content_rating", "color", "aspect_ratio")
COLOR_WORDS = {"color": True, "colour": True, "black and white": False, "black & white": False}
RATING_SYNONYMS = {"Unrated": "Not Rated"}
ASPECT_SHORTHAND = {16.0: 1.78, 4.0: 1.33}   # "16" and "4" stand for 16:9 and 4:3
_COUNTRY = re.compile(r"[^\W\d_](?:[^\W\d_]|[ .'\-])*")        # letters, spaces, dots, apostrophes, hyphens
_RATING = re.compile(r"[A-Za-z0-9][A-Za-z0-9 +\-]*")
_IMDB_ID = re.compile(r"(tt\d{7,9})")
_EDGE_JUNK = "\ufffd\u00a0 \t"


def _split_pipes(value) -> list[str]:
    if not isinstance(value, str):
        return []
    return list(dict.fromkeys(part.strip() for part in value.split("|") if part.strip()))


def _clean_titles(raw: pd.Series, report: Report) -> pd.Series:
    titles = raw.fillna("").astype(str)
    report.repair("title_trailing_nbsp_stripped", int(titles.str.contains("\u00a0").sum()))
    broken = titles.str.contains("\ufffd")
    cleaned = titles.str.strip(_EDGE_JUNK).str.replace("\u00a0", " ").str.split().str.join(" ")
    still_broken = cleaned.str.contains("\ufffd")
    report.repair("broken_byte_stripped_from_title", int((broken & ~still_broken).sum()),
                  example=next(iter(cleaned[broken & ~still_broken]), None))
    return cleaned


def _plain_text(raw: pd.Series, pattern: re.Pattern, max_len: int, kind: str, report: Report) -> pd.Series:
    """Stripped text matching ``pattern`` (at most ``max_len`` characters); anything else is nulled, counted."""
    text = raw.map(lambda v: (" ".join(v.split()) or None) if isinstance(v, str) else None).astype(object)
    ok = text.map(lambda v: not isinstance(v, str) or (len(v) <= max_len and pattern.fullmatch(v) is not None))
    if (~ok).any():
        report.repair(kind, int((~ok).sum()), example=shown(raw[~ok].iloc[0]))
    return text.where(ok, None)


def _brief_facts(raw: pd.Series | None, column: str, n: int, report: Report, path: Path) -> pd.Series:
    """The optional brief-time columns, typed and checked (see the module doc)."""
    if raw is None:
        return pd.Series([None] * n, dtype=object)
    if column == "content_rating":
        rating = _plain_text(raw, _RATING, 16, "content_rating_not_a_code_nulled", report)
        return rating.map(lambda v: RATING_SYNONYMS.get(v, v) if isinstance(v, str) else None)
    if column == "color":
        words = raw.map(lambda v: " ".join(str(v).lower().split()) if isinstance(v, str) else None)
        value = words.map(lambda w: COLOR_WORDS.get(w) if w else None)
        bad = words.notna() & (words != "") & value.isna()
        if bad.any():
            report.repair("color_not_a_colour_word_nulled", int(bad.sum()), example=shown(raw[bad].iloc[0]))
        return value.astype(object)
    ratio = _aspect_ratios(raw, report)
    shorthand = ratio.isin(list(ASPECT_SHORTHAND))
    report.repair("aspect_ratio_shorthand_read", int(shorthand.sum()), example="16 -> 1.78, 4 -> 1.33")
    ratio = ratio.mask(shorthand, ratio.map(ASPECT_SHORTHAND))
    return null_out_of_range(ratio, 0.5, 5.0, "impossible_aspect_ratio_nulled", report, column=column)


_RATIO_PAIR = re.compile(r"(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)")


def _aspect_ratio(value) -> float | None:
    """``2.35``, ``2.35:1`` or ``16:9`` as a float (a pair rounded to 2 decimals); None otherwise."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    pair = _RATIO_PAIR.fullmatch(text)
    if pair:
        width, height = float(pair.group(1)), float(pair.group(2))
        return round(width / height, 2) if height > 0 else None
    number = pd.to_numeric(pd.Series([text]), errors="coerce").iloc[0]
    return None if pd.isna(number) else float(number)


def _aspect_ratios(raw: pd.Series, report: Report) -> pd.Series:
    """The optional ``aspect_ratio`` column as floats: ``x:y`` is read as x/y; any other text that is
    not a number (``wide``) is nulled and counted, never aborting the import."""
    ratio = raw.map(_aspect_ratio).astype("float64")
    written = raw.map(lambda v: isinstance(v, str) and bool(v.strip()))
    bad = written & ratio.isna()
    if bad.any():
        report.repair("aspect_ratio_not_a_number_nulled", int(bad.sum()), example=shown(raw[bad].iloc[0]))
    pairs = written & raw.map(lambda v: isinstance(v, str) and _RATIO_PAIR.fullmatch(v.strip()) is not None) & ~bad
    report.repair("aspect_ratio_pair_read", int(pairs.sum()), example="2.35:1 -> 2.35, 16:9 -> 1.78")
    return ratio


def _dedupe(frame: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Keep one row per IMDb link: the one with the most votes, first in file order on ties."""
    frame = frame.assign(_line=np.arange(len(frame)) + 2)
    has_id = frame["imdb_id"].notna()
    exact = frame[has_id].drop(columns="_line").duplicated(keep="first").sum()
    ordered = frame[has_id].sort_values(["num_voted_users", "_line"], ascending=[False, True], kind="stable")
    keep = ordered.drop_duplicates("imdb_id", keep="first")
    dropped = int(has_id.sum() - len(keep))
    report.repair("duplicate_imdb_link_rows_dropped", dropped,
                  example=f"{dropped - int(exact)} of them differ in some column (votes, likes)" if dropped else None)
    return pd.concat([keep, frame[~has_id]]).sort_values("_line", kind="stable")


def _budgets(frame: pd.DataFrame, report: Report) -> pd.Series:
    budget = frame["budget"]
    foreign = frame["country"].fillna("").map(lambda c: c not in USD_COUNTRIES)
    english = frame["original_language"].eq("en")
    local_currency = budget.notna() & foreign & (~english | (budget > MAX_CREDIBLE_BUDGET_USD))
    if local_currency.any():
        first = frame[local_currency].iloc[0]
        report.repair("budget_nulled_probably_local_currency", int(local_currency.sum()),
                      example=f"{first['title']} ({first['country']}, {first['budget']:,.0f})")
    return budget.mask(local_currency)


def import_imdb5000(csv_path: str | Path, progress: ProgressFn | None = None) -> ImportResult:
    """Import ``movie_metadata.csv`` into canonical tables (see the module doc for repairs)."""
    progress = progress_or_null(progress)
    path = require_file(Path(csv_path), "IMDB 5000 csv")
    report = Report(budget_policy="null when country is not USA and language is not English, "
                                  f"or non-US budget > {MAX_CREDIBLE_BUDGET_USD:,.0f}",
                    popularity_policy="not filled (movie_facebook_likes is 0 for 43% of films)")
    progress(0, 3, "decoding")
    text, _ = decode_utf8_with_repairs(path, report)
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=True)
    except pd.errors.EmptyDataError:
        raise CatalogImportError(f"{path}: file is empty") from None
    except pd.errors.ParserError as exc:
        raise CatalogImportError(f"{path}: not a readable CSV ({one_line(str(exc))})") from None
    require_columns(raw, COLUMNS, path)
    if raw.empty:
        raise CatalogImportError(f"{path}: no data rows below the header")
    report.data["rows_read"] = len(raw)
    progress(1, 3, "checking values")

    frame = pd.DataFrame({"title": _clean_titles(raw["movie_title"], report)})
    if (frame["title"] == "").any():
        line = int(np.flatnonzero((frame["title"] == "").to_numpy())[0]) + 2
        raise CatalogImportError(f"{path}: line {line}, column 'movie_title': empty title")
    links = raw["movie_imdb_link"].fillna("").astype(str)
    frame["imdb_id"] = links.str.extract(_IMDB_ID, expand=False)
    report.repair("rows_without_imdb_link", int(frame["imdb_id"].isna().sum()))
    for column in ("budget", "gross", "duration", "imdb_score", "num_voted_users", "title_year"):
        frame[column] = numeric_column(raw, column, path)
    for column, low, high, kind in (("budget", 1, MAX_MONEY, "impossible_budget_nulled"),
                                    ("gross", 0, MAX_MONEY, "impossible_gross_nulled"),
                                    ("duration", 1, 2000, "impossible_duration_nulled"),
                                    ("title_year", *YEAR_RANGE, "year_out_of_range_nulled"),
                                    ("imdb_score", *RATING_RANGE, "score_out_of_range_nulled"),
                                    ("num_voted_users", 0, MAX_VOTES, "impossible_votes_nulled")):
        frame[column] = null_out_of_range(frame[column], low, high, kind, report, frame["title"], column=column)
    for column in ("director_name", "actor_1_name", "actor_2_name", "actor_3_name", "genres", "plot_keywords"):
        frame[column] = raw[column]
    frame["country"] = _plain_text(raw["country"], _COUNTRY, 60, "country_not_a_name_nulled", report)
    for column in OPTIONAL_COLUMNS:
        frame[column] = _brief_facts(raw[column] if column in raw.columns else None, column, len(raw), report, path)
    frame["original_language"] = raw["language"].map(language_code)
    unknown = raw["language"].notna() & frame["original_language"].isna()
    report.repair("language_without_iso_code", int(unknown.sum()),
                  example=", ".join(sorted(raw.loc[unknown, "language"].unique())) if unknown.any() else None)
    report.data["missing_year"] = int(frame["title_year"].isna().sum())
    frame = _dedupe(frame, report)
    frame["budget"] = _budgets(frame, report)
    report.data["missing_budget"] = int(frame["budget"].isna().sum())

    progress(2, 3, "building tables")
    frame["movie_id"] = [int(i[2:]) if isinstance(i, str) else stable_id(SOURCE, f"{t}|{y}|{line}")
                         for i, t, y, line in zip(frame["imdb_id"], frame["title"], frame["title_year"], frame["_line"])]
    credits = CreditsBuilder(report)
    for movie_id, director, a1, a2, a3 in zip(frame["movie_id"], frame["director_name"], frame["actor_1_name"],
                                              frame["actor_2_name"], frame["actor_3_name"]):
        credits.add_cast(movie_id, [a for a in (a1, a2, a3) if isinstance(a, str)])
        if isinstance(director, str):
            credits.add_crew(movie_id, [director], "Director")
    movies = pd.DataFrame({
        "movie_id": frame["movie_id"].astype("int64"), "title": frame["title"],
        "year": frame["title_year"].astype("Int32"), "runtime": frame["duration"],
        "original_language": frame["original_language"], "genres": frame["genres"].map(_split_pipes),
        "keywords": frame["plot_keywords"].map(_split_pipes), "vote_average": frame["imdb_score"],
        "vote_count": frame["num_voted_users"].astype("Int64"), "budget": frame["budget"],
        "revenue": frame["gross"], "imdb_id": frame["imdb_id"], "country": frame["country"],
        "content_rating": frame["content_rating"], "color": frame["color"], "aspect_ratio": frame["aspect_ratio"],
    }).reset_index(drop=True)
    report.data["films"] = len(movies)
    progress(3, 3, "done")
    log.info("imdb5000: %d films", len(movies))
    return ImportResult(tables={"movies": movies, "people": credits.people(), "credits": credits.credits()},
                        report=report.as_dict(), source=SOURCE,
                        parameters={"path": str(path.resolve()), "files": file_fingerprint([path])})
