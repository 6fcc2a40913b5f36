"""Exploratory summaries of a catalog as small DataFrames, and plotly figures over them.

Summaries are plain functions of the catalog tables (cheap to cache, easy to test); the figure
builders only draw what a summary returns. Charts are light on purpose (a browser draws each one
on every page open): histograms arrive pre-binned, scatter plots show at most ``SCATTER_POINTS``
films (a stated, deterministic sample), and every bar carries its value and its label.

A chart whose data the catalog does not have is not drawn on empty axes: ``build_figures``
returns it in ``EdaFigures.missing`` with one line saying what is missing (a Wikipedia-only
catalog has no runtimes, votes or popularity), so the page can say so instead.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.catalog.store import Catalog

MISSINGNESS_COLUMNS = ["overview", "release_date", "runtime", "original_language", "genres", "popularity",
                       "vote_average", "vote_count", "budget", "revenue", "poster_url", "imdb_id"]
SKEW_COLUMNS = ("popularity", "vote_average", "vote_count", "budget", "revenue", "runtime")
SCATTER_POINTS = 2000
BAR_PX = 24  # height per bar in horizontal bar charts, so no label is skipped


@dataclass
class EdaSummary:
    """Everything the EDA page draws, computed once per catalog version."""

    films: int
    films_per_year: pd.DataFrame
    runtimes: pd.Series
    languages: pd.DataFrame
    unknown_language: int
    genres: pd.DataFrame
    genres_by_decade: pd.DataFrame
    skew: pd.DataFrame
    popularity_votes: pd.DataFrame  # films with a vote count and average (popularity may be missing)
    popularity: pd.Series
    budget_revenue: pd.DataFrame
    missingness: pd.DataFrame
    top_cast: pd.DataFrame
    top_directors: pd.DataFrame
    posters: pd.DataFrame


@dataclass
class EdaFigures:
    """The charts a catalog can support, and one line for each it cannot."""

    figures: dict[str, go.Figure] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.figures

    def __getitem__(self, name: str) -> go.Figure:
        return self.figures[name]


def summarize(catalog: Catalog, top_n: int = 20, poster_limit: int = 24) -> EdaSummary:
    movies = catalog.movies
    known_language = movies["original_language"].fillna("").astype(str).str.strip().ne("")
    return EdaSummary(
        films=len(movies), films_per_year=films_per_year(movies), runtimes=movies["runtime"].dropna(),
        languages=language_mix(movies), unknown_language=int((~known_language).sum()), genres=genre_mix(movies),
        genres_by_decade=genre_by_decade(movies), skew=skew_table(movies),
        popularity_votes=votes_table(movies), popularity=movies["popularity"].dropna(),
        budget_revenue=budget_vs_revenue(movies), missingness=missingness_by_decade(movies),
        top_cast=top_people(catalog, role="cast", n=top_n), top_directors=top_people(catalog, job="Director", n=top_n),
        posters=poster_gallery(movies, poster_limit),
    )


def votes_table(movies: pd.DataFrame) -> pd.DataFrame:
    """Films with both a vote count and a vote average, the axes of the votes chart; popularity
    (the marker size) stays where it is known, so a catalog with votes but no popularity (IMDB 5000)
    still draws its votes."""
    columns = ["title", "year", "popularity", "vote_average", "vote_count"]
    return movies[columns].dropna(subset=["vote_average", "vote_count"])


def films_per_year(movies: pd.DataFrame) -> pd.DataFrame:
    counts = movies["year"].dropna().astype(int).value_counts().sort_index()
    return counts.rename_axis("year").reset_index(name="films")


def language_mix(movies: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """Films per original language (films without one are left out and counted apart)."""
    codes = movies["original_language"].fillna("").astype(str).str.strip()
    counts = codes[codes != ""].value_counts()
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
    """Count, centre, tail and skewness of the numeric fields (rows only for fields with data)."""
    rows = []
    for column in SKEW_COLUMNS:
        values = movies[column].dropna().astype(float)
        if len(values) < 3:
            continue
        rows.append({"field": column.replace("_", " "), "films": len(values), "mean": values.mean(),
                     "median": values.median(), "p99": values.quantile(0.99), "skewness": values.skew()})
    return pd.DataFrame(rows, columns=["field", "films", "mean", "median", "p99", "skewness"])


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


def sample_rows(frame: pd.DataFrame, limit: int = SCATTER_POINTS, seed: int = 0) -> pd.DataFrame:
    """At most ``limit`` rows, the same ones every time (a scatter of 36,000 points is a blur)."""
    return frame if len(frame) <= limit else frame.sample(limit, random_state=seed).sort_index()


def format_number(value: float) -> str:
    """12,345 · 21.2M · 7.25 — what a person reads in a table cell."""
    if value is None or not np.isfinite(value):
        return "–"
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{value / 1e9:,.1f}B"
    if magnitude >= 1e6:
        return f"{value / 1e6:,.1f}M"
    if magnitude >= 1e4:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def readable_skew(skew: pd.DataFrame) -> pd.DataFrame:
    """The skew table with formatted numbers (for display; the raw table is for download)."""
    shown = skew.copy()
    shown["films"] = shown["films"].map(lambda v: f"{int(v):,}")
    for column in ("mean", "median", "p99"):
        shown[column] = shown[column].map(format_number)
    shown["skewness"] = shown["skewness"].map(lambda v: f"{v:+.2f}")
    return shown


# ------------------------------------------------------------------------------ figures
def plain(values) -> list[str]:
    """Catalog text for plotly labels and hovers: plotly reads a small HTML subset (links, spans),
    so ``<``, ``>`` and ``&`` are escaped and a title shows exactly as typed."""
    return [html.escape(str(v), quote=False) for v in values]


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int | None = None) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, showlegend=False, margin={"t": 50, "b": 40},
                      separators=".,", **({"height": height} if height else {}))
    return fig


def _hbar(frame: pd.DataFrame, label: str, value: str, title: str, x_title: str) -> go.Figure:
    """Horizontal bars, largest on top, every bar named and carrying its value."""
    ordered = frame.iloc[::-1]
    fig = go.Figure(go.Bar(x=ordered[value], y=plain(ordered[label]), orientation="h",
                           text=[f"{v:,}" for v in ordered[value]], textposition="outside", cliponaxis=False))
    fig.update_yaxes(type="category", dtick=1, automargin=True)
    top = float(ordered[value].max()) if len(ordered) else 1.0
    fig.update_xaxes(range=[0, top * 1.15])  # room for the longest bar's value (was cut off at the edge)
    return _layout(fig, title, x_title, "", height=max(260, 80 + BAR_PX * len(frame)))


def _histogram(values: pd.Series, bins: int, title: str, x_title: str) -> go.Figure:
    counts, edges = np.histogram(values.to_numpy(dtype=float), bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(go.Bar(x=centres, y=counts, width=np.diff(edges), marker_line_width=0,
                           hovertemplate=f"{x_title} %{{x:.3g}}: %{{y:,}} films<extra></extra>"))
    return _layout(fig, title, x_title, "films")


def figure_films_per_year(summary: EdaSummary) -> go.Figure:
    data = summary.films_per_year
    fig = go.Figure(go.Bar(x=data["year"], y=data["films"], hovertemplate="%{x}: %{y:,} films<extra></extra>"))
    return _layout(fig, "Films per year", "year", "films")


def figure_runtime(summary: EdaSummary) -> go.Figure:
    return _histogram(summary.runtimes.clip(upper=240), 48, "Runtime (minutes, capped at 240)", "minutes")


def figure_languages(summary: EdaSummary) -> go.Figure:
    title = "Original language" + (f" ({summary.unknown_language:,} films without one are left out)"
                                   if summary.unknown_language else "")
    return _hbar(summary.languages, "language", "films", title, "films")


def figure_genres(summary: EdaSummary) -> go.Figure:
    return _hbar(summary.genres, "genre", "films", "Genre mix (a film counts once per genre)", "films")


def figure_genres_by_decade(summary: EdaSummary) -> go.Figure:
    data = summary.genres_by_decade
    fig = go.Figure([go.Scatter(x=part["decade"], y=part["share"], name=plain([genre])[0], mode="lines+markers",
                                hovertemplate=f"{plain([genre])[0]} %{{x}}s: %{{y:.0%}}<extra></extra>")
                     for genre, part in data.groupby("genre", sort=True)])
    _layout(fig, "Share of films per genre by decade", "decade", "share of the decade's films")
    fig.update_layout(showlegend=True)
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(dtick=10)
    return fig


def figure_popularity_votes(summary: EdaSummary) -> go.Figure:
    data = summary.popularity_votes
    shown = sample_rows(data)
    note = f" — {len(shown):,} of {len(data):,} films" if len(shown) < len(data) else ""
    sized = bool(shown["popularity"].notna().any())
    size = np.clip(np.sqrt(shown["popularity"].fillna(0).clip(lower=0)) + 3, 3, 18) if sized else 6
    fig = go.Figure(go.Scattergl(
        x=shown["vote_count"], y=shown["vote_average"], mode="markers", text=plain(shown["title"]),
        marker={"size": size, "opacity": 0.5},
        hovertemplate="%{text}<br>%{x:,} votes, average %{y:.1f}<extra></extra>"))
    sizing = " — size: popularity" if sized else " (no popularity in this catalog)"
    _layout(fig, f"Vote average vs vote count (log){sizing}{note}", "vote count", "vote average")
    fig.update_xaxes(type="log")
    return fig


def figure_popularity_hist(summary: EdaSummary) -> go.Figure:
    values = summary.popularity
    return _histogram(np.log10(values[values > 0]), 48, "Popularity (log10): heavy right skew", "log10 popularity")


def figure_budget_revenue(summary: EdaSummary) -> go.Figure:
    data = summary.budget_revenue
    shown = sample_rows(data)
    note = f" — {len(shown):,} of {len(data):,} films" if len(shown) < len(data) else ""
    fig = go.Figure(go.Scattergl(x=shown["budget"], y=shown["revenue"], mode="markers", text=plain(shown["title"]),
                                 marker={"opacity": 0.5}, name="films",
                                 hovertemplate="%{text}<br>budget $%{x:,.0f}<br>revenue $%{y:,.0f}<extra></extra>"))
    low, high = float(data["budget"].min()), float(data["budget"].max())
    fig.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines", name="break-even", line={"dash": "dash"}))
    _layout(fig, f"Budget vs revenue (USD, log-log){note}", "budget (USD)", "revenue (USD)")
    fig.update_xaxes(type="log")
    fig.update_yaxes(type="log")
    return fig


def figure_missingness(summary: EdaSummary) -> go.Figure:
    data = summary.missingness
    fig = go.Figure(go.Heatmap(z=data.to_numpy(), x=[str(c) for c in data.columns], y=list(data.index), zmin=0,
                               zmax=1, colorscale="Reds", colorbar={"title": "share missing", "tickformat": ".0%"},
                               hovertemplate="%{y}, %{x}: %{z:.0%} missing<extra></extra>"))
    fig.update_yaxes(type="category", dtick=1, automargin=True)
    return _layout(fig, "Missing values by decade", "decade", "field", height=max(320, 90 + BAR_PX * len(data)))


def build_figures(summary: EdaSummary) -> EdaFigures:
    """Every EDA chart the catalog has data for, and a line for each one it has not."""
    out = EdaFigures()
    checks = {
        "films_per_year": (not summary.films_per_year.empty, figure_films_per_year, "release years"),
        "genres": (not summary.genres.empty, figure_genres, "genres"),
        "languages": (not summary.languages.empty, figure_languages, "original language"),
        "runtime": (len(summary.runtimes) > 0, figure_runtime, "runtime"),
        "genres_by_decade": (not summary.genres_by_decade.empty, figure_genres_by_decade, "dated films with genres"),
        "popularity_votes": (not summary.popularity_votes.empty, figure_popularity_votes,
                             "vote counts with vote averages"),
        "popularity_hist": (bool((summary.popularity > 0).any()), figure_popularity_hist,
                            "popularity"),
        "budget_revenue": (not summary.budget_revenue.empty, figure_budget_revenue, "films with both a budget and a revenue"),
        "missingness": (not summary.missingness.empty, figure_missingness, "films"),
        "top_cast": (not summary.top_cast.empty,
                     lambda s: _hbar(s.top_cast, "name", "films", "Most-credited actors", "films"), "cast credits"),
        "top_directors": (not summary.top_directors.empty,
                          lambda s: _hbar(s.top_directors, "name", "films", "Most-credited directors", "films"),
                          "director credits"),
    }
    for name, (has_data, draw, what) in checks.items():
        if has_data:
            out.figures[name] = draw(summary)
        else:
            out.missing[name] = f"No data for {what} in this catalog."
    return out
