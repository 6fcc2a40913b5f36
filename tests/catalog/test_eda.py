"""EDA summaries and charts: no empty axes, every bar labelled, readable numbers, light traces,
catalog text shown as typed."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from core.catalog import eda


def test_demo_catalog_has_every_chart(demo_catalog):
    figures = eda.build_figures(eda.summarize(demo_catalog))
    assert not figures.missing
    genres = figures["genres"]
    bars = genres.data[0]
    assert len(bars.text) == len(bars.y) and all(t for t in bars.text)  # every bar carries its value
    assert genres.layout.yaxis.dtick == 1 and genres.layout.yaxis.type == "category"  # and its name
    assert genres.layout.height >= 24 * len(bars.y)


def test_a_catalog_without_numbers_says_what_is_missing(demo_catalog):
    movies = demo_catalog.movies.assign(runtime=np.nan, popularity=np.nan, vote_count=np.nan, vote_average=np.nan,
                                        budget=np.nan, revenue=np.nan, original_language=None)
    bare = dataclasses.replace(demo_catalog, movies=movies)
    summary = eda.summarize(bare)
    figures = eda.build_figures(summary)
    assert figures.missing["runtime"] == "No data for runtime in this catalog."
    assert {"popularity_votes", "popularity_hist", "budget_revenue", "languages"} <= set(figures.missing)
    assert "films_per_year" in figures and "genres" in figures
    assert summary.skew.empty and summary.unknown_language == len(movies)
    for figure in figures.figures.values():  # nothing drawn on empty axes
        assert all(trace.x is not None and len(trace.x) > 0 for trace in figure.data)


def test_numbers_are_formatted_for_people():
    assert [eda.format_number(v) for v in (21151651.5152, 7.2534, 1234.5, 45678.0, 3.2e9, float("nan"))] == \
        ["21.2M", "7.25", "1,234.5", "45,678", "3.2B", "–"]
    skew = pd.DataFrame({"field": ["budget"], "films": [4321], "mean": [21151651.5152], "median": [1.5e7],
                         "p99": [2.1e8], "skewness": [3.456]})
    shown = eda.readable_skew(skew).iloc[0].to_dict()
    assert shown == {"field": "budget", "films": "4,321", "mean": "21.2M", "median": "15.0M", "p99": "210.0M",
                     "skewness": "+3.46"}


def test_scatter_plots_show_a_stated_deterministic_sample(demo_catalog):
    movies = pd.concat([demo_catalog.movies] * 2, ignore_index=True)  # 6,000 films
    summary = eda.summarize(dataclasses.replace(demo_catalog, movies=movies))
    figure = eda.figure_popularity_votes(summary)
    assert len(figure.data[0].x) == eda.SCATTER_POINTS
    assert f"{eda.SCATTER_POINTS:,} of {len(summary.popularity_votes):,} films" in figure.layout.title.text
    again = eda.figure_popularity_votes(summary)
    assert list(again.data[0].x) == list(figure.data[0].x)
    runtime = eda.figure_runtime(summary)  # pre-binned: 48 bars, not 6,000 raw values
    assert len(runtime.data[0].x) == 48 and sum(runtime.data[0].y) == movies["runtime"].notna().sum()


def test_catalog_text_in_charts_is_plain(demo_catalog):
    people = demo_catalog.people.copy()
    top = eda.top_people(demo_catalog, role="cast", n=1)["person_id"].iloc[0]
    people.loc[people["person_id"] == top, "name"] = '<a href="http://evil.example">Click</a>'
    figure = eda.build_figures(eda.summarize(dataclasses.replace(demo_catalog, people=people)))["top_cast"]
    assert '&lt;a href="http://evil.example"&gt;Click&lt;/a&gt;' in list(figure.data[0].y)


def test_votes_are_drawn_without_popularity(demo_catalog):
    """IMDB 5000 (and a Wikipedia catalog merged with it) has vote counts and averages but no
    popularity: the votes chart shows what exists, the popularity histogram says it has no data."""
    movies = demo_catalog.movies.assign(popularity=np.nan)
    summary = eda.summarize(dataclasses.replace(demo_catalog, movies=movies))
    figures = eda.build_figures(summary)
    votes = figures["popularity_votes"]
    assert len(votes.data[0].x) == min(eda.SCATTER_POINTS, movies["vote_count"].notna().sum())
    assert "no popularity in this catalog" in votes.layout.title.text
    assert figures.missing["popularity_hist"] == "No data for popularity in this catalog."
    only_popularity = demo_catalog.movies.assign(vote_count=np.nan)
    figures = eda.build_figures(eda.summarize(dataclasses.replace(demo_catalog, movies=only_popularity)))
    assert "popularity_hist" in figures
    assert figures.missing["popularity_votes"] == "No data for vote counts with vote averages in this catalog."
