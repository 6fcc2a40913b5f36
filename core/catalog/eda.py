"""Exploratory summaries of a catalog as small DataFrames, and plotly figures over them.

Summaries are plain functions of the catalog tables (cheap to cache, easy to test); the figure
builders only draw what a summary returns.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.catalog.store import Catalog

MISSINGNESS_COLUMNS = ["overview", "release_date", "runtime", "original_language", "genres", "popularity",
                       "vote_average", "vote_count", "budget", "revenue", "poster_url", "imdb_id"]


@dataclass
class EdaSummary:
    """Everything the EDA page draws, computed once per catalog version."""

    films_per_year: pd.DataFrame
    runtimes: pd.Series
    languages: pd.DataFrame
    genres: pd.DataFrame
    genres_by_decade: pd.DataFrame
    skew: pd.DataFrame
    popularity_votes: pd.DataFrame
    budget_revenue: pd.DataFrame
    missingness: pd.DataFrame
    top_cast: pd.DataFrame
    top_directors: pd.DataFrame
    posters: pd.DataFrame


def summarize(catalog: Catalog, top_n: int = 20, poster_limit: int = 24) -> EdaSummary:
    movies = catalog.movies
    return EdaSummary(
        films_per_year=films_per_year(movies), runtimes=movies["runtime"].dropna(),
        languages=language_mix(movies), genres=genre_mix(movies), genres_by_decade=genre_by_decade(movies),
        skew=skew_table(movies), popularity_votes=movies[["title", "year", "popularity", "vote_average", "vote_count"]].dropna(),
        budget_revenue=budget_vs_revenue(movies), missingness=missingness_by_decade(movies),
        top_cast=top_people(catalog, role="cast", n=top_n), top_directors=top_people(catalog, job="Director", n=top_n),
        posters=poster_gallery(movies, poster_limit),
    )


def films_per_year(movies: pd.DataFrame) -> pd.DataFrame:
    counts = movies["year"].dropna().astype(int).value_counts().sort_index()
    return counts.rename_axis("year").reset_index(name="films")


def language_mix(movies: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    codes = movies["original_language"].fillna("unknown")
    counts = codes.value_counts()
    if len(counts) > top:
        counts = pd.concat([counts.iloc[:top], pd.Series({"other": counts.iloc[top:].sum()})])
    return counts.rename_axis("language").reset_index(name="films")


def genre_mix(movies: pd.DataFrame) -> pd.DataFrame:
    exploded = movies["genres"].explode().dropna()
    counts = exploded.value_counts()
    no_genre = int((movies["genres"].map(len) == 0).sum())
    frame = counts.rename_axis("genre").reset_index(name="films")
    if no_genre:
        frame = pd.concat([frame, pd.DataFrame({"genre": ["(none)"], "films": [no_genre]})], ignore_index=True)
    return frame


def genre_by_decade(movies: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Share of each decade's films carrying each of the most common genres."""
    dated = movies.dropna(subset=["year"])
    decade = (dated["year"].astype(int) // 10 * 10).rename("decade")
    exploded = pd.DataFrame({"decade": decade, "genre": dated["genres"]}).explode("genre").dropna()
    common = exploded["genre"].value_counts().index[:top]
    per_decade = decade.value_counts()
    table = exploded[exploded["genre"].isin(common)].groupby(["decade", "genre"]).size().rename("films").reset_index()
    table["share"] = table["films"] / table["decade"].map(per_decade)
    return table


def skew_table(movies: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for column in ("popularity", "vote_average", "vote_count", "budget", "revenue", "runtime"):
        values = movies[column].dropna().astype(float)
        if len(values) < 3:
            continue
        rows.append({"column": column, "count": len(values), "mean": values.mean(), "median": values.median(),
                     "p99": values.quantile(0.99), "skewness": values.skew()})
    return pd.DataFrame(rows, columns=["column", "count", "mean", "median", "p99", "skewness"])


def budget_vs_revenue(movies: pd.DataFrame) -> pd.DataFrame:
    both = movies[(movies["budget"] > 0) & (movies["revenue"] > 0)]
    frame = both[["title", "year", "budget", "revenue"]].copy()
    frame["roi"] = frame["revenue"] / frame["budget"]
    return frame


def missingness_by_decade(movies: pd.DataFrame) -> pd.DataFrame:
    """Share of films missing each field, per decade (rows: field, columns: decade)."""
    columns = [c for c in MISSINGNESS_COLUMNS if c in movies.columns]
    missing = pd.DataFrame({c: _is_missing(movies[c]) for c in columns})
    decade = movies["year"].map(lambda y: f"{int(y) // 10 * 10}s" if pd.notna(y) else "undated")
    return missing.groupby(decade).mean().T


def _is_missing(series: pd.Series) -> pd.Series:
    if series.map(lambda v: isinstance(v, list)).any():
        return series.map(lambda v: not isinstance(v, list) or len(v) == 0)
    missing = series.isna()
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        missing |= series.fillna("").astype(str).str.strip().eq("")
    return missing


def top_people(catalog: Catalog, role: str | None = None, job: str | None = None, n: int = 20) -> pd.DataFrame:
    credits = catalog.credits
    if role:
        credits = credits[credits["role"] == role]
    if job:
        credits = credits[credits["job"] == job]
    counts = credits.drop_duplicates(["movie_id", "person_id"]).groupby("person_id").size().rename("films")
    top = counts.sort_values(ascending=False, kind="stable").head(n).reset_index()
    return top.merge(catalog.people[["person_id", "name"]], on="person_id", how="left")[["name", "films", "person_id"]]


def poster_gallery(movies: pd.DataFrame, limit: int = 24) -> pd.DataFrame:
    with_poster = movies[movies["poster_url"].fillna("").str.startswith(("http://", "https://"))]
    ordered = with_poster.sort_values(["popularity", "vote_count"], ascending=False, na_position="last")
    return ordered[["title", "year", "poster_url"]].head(limit)


# ------------------------------------------------------------------------------ figures
def figure_films_per_year(summary: EdaSummary) -> go.Figure:
    return px.bar(summary.films_per_year, x="year", y="films", title="Films per year")


def figure_runtime(summary: EdaSummary) -> go.Figure:
    fig = px.histogram(summary.runtimes.clip(upper=240), nbins=60, title="Runtime (minutes, capped at 240)")
    fig.update_layout(showlegend=False, xaxis_title="minutes", yaxis_title="films")
    return fig


def figure_languages(summary: EdaSummary) -> go.Figure:
    return px.pie(summary.languages, names="language", values="films", title="Original language", hole=0.4)


def figure_genres(summary: EdaSummary) -> go.Figure:
    return px.bar(summary.genres, x="films", y="genre", orientation="h", title="Genre mix (a film counts once per genre)")


def figure_genres_by_decade(summary: EdaSummary) -> go.Figure:
    return px.line(summary.genres_by_decade, x="decade", y="share", color="genre", markers=True,
                   title="Share of films per genre by decade")


def figure_popularity_votes(summary: EdaSummary) -> go.Figure:
    data = summary.popularity_votes
    fig = px.scatter(data, x="vote_count", y="vote_average", size=np.sqrt(data["popularity"].clip(lower=0)) + 1,
                     hover_name="title", hover_data=["year"], log_x=True, opacity=0.5,
                     title="Vote average vs vote count (log) — size: popularity")
    return fig


def figure_popularity_hist(summary: EdaSummary) -> go.Figure:
    values = summary.popularity_votes["popularity"]
    fig = px.histogram(np.log10(values[values > 0]), nbins=60, title="Popularity (log10): heavy right skew")
    fig.update_layout(showlegend=False, xaxis_title="log10 popularity", yaxis_title="films")
    return fig


def figure_budget_revenue(summary: EdaSummary) -> go.Figure:
    fig = px.scatter(summary.budget_revenue, x="budget", y="revenue", hover_name="title", hover_data=["year", "roi"],
                     log_x=True, log_y=True, opacity=0.5, title="Budget vs revenue (USD, log-log)")
    if len(summary.budget_revenue):
        low = float(summary.budget_revenue["budget"].min())
        high = float(summary.budget_revenue["budget"].max())
        fig.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines", name="break-even", line={"dash": "dash"}))
    return fig


def figure_missingness(summary: EdaSummary) -> go.Figure:
    data = summary.missingness
    return px.imshow(data, zmin=0, zmax=1, color_continuous_scale="Reds", aspect="auto",
                     labels={"x": "decade", "y": "field", "color": "share missing"}, title="Missing values by decade")


def figure_top_people(frame: pd.DataFrame, title: str) -> go.Figure:
    return px.bar(frame.iloc[::-1], x="films", y="name", orientation="h", title=title)


def build_figures(summary: EdaSummary) -> dict[str, go.Figure]:
    """Every EDA chart by name (plotly express is slow enough that the app caches the result)."""
    figures = {
        "films_per_year": figure_films_per_year(summary), "runtime": figure_runtime(summary),
        "languages": figure_languages(summary), "genres": figure_genres(summary),
        "genres_by_decade": figure_genres_by_decade(summary), "popularity_votes": figure_popularity_votes(summary),
        "popularity_hist": figure_popularity_hist(summary), "budget_revenue": figure_budget_revenue(summary),
        "missingness": figure_missingness(summary),
    }
    if not summary.top_cast.empty:
        figures["top_cast"] = figure_top_people(summary.top_cast, "Most-credited actors")
    if not summary.top_directors.empty:
        figures["top_directors"] = figure_top_people(summary.top_directors, "Most-credited directors")
    return figures
