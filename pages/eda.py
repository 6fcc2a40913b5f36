"""Explore data: distributions, mixes and gaps of the active catalog."""
import streamlit as st

from pages.state import catalogs, eda, widgets


def render() -> None:
    st.title("📊 Explore data")
    name = catalogs.active_name()
    summary = eda.summary(name)
    charts = eda.figures(name)
    st.caption(f"Catalog `{name}` · {int(summary.films_per_year['films'].sum()):,} dated films")

    left, right = st.columns(2)
    left.plotly_chart(charts["films_per_year"], width="stretch")
    right.plotly_chart(charts["runtime"], width="stretch")
    left.plotly_chart(charts["languages"], width="stretch")
    right.plotly_chart(charts["genres"], width="stretch")
    st.plotly_chart(charts["genres_by_decade"], width="stretch")

    st.subheader("Popularity and votes")
    left, right = st.columns(2)
    left.plotly_chart(charts["popularity_votes"], width="stretch")
    right.plotly_chart(charts["popularity_hist"], width="stretch")
    st.dataframe(summary.skew, hide_index=True, width="stretch")
    widgets.csv_download(summary.skew, f"skew-{name}.csv", key="eda-skew-download")

    st.subheader("Money")
    if summary.budget_revenue.empty:
        st.info("No film in this catalog has both a budget and a revenue. Merge a source that has them "
                "(for example `python -m core merge wiki imdb5000 --into wiki_imdb`).")
    else:
        st.plotly_chart(charts["budget_revenue"], width="stretch")

    st.subheader("Missing values")
    st.plotly_chart(charts["missingness"], width="stretch")

    st.subheader("Top people by credits")
    left, right = st.columns(2)
    for column, key, empty in ((left, "top_cast", "No cast credits in this catalog."),
                               (right, "top_directors", "No director credits in this catalog.")):
        if key in charts:
            column.plotly_chart(charts[key], width="stretch")
        else:
            column.info(empty)

    st.subheader("Posters")
    if summary.posters.empty:
        st.info("No poster URLs in this catalog (the synthetic demo has none; TMDb and Wikipedia catalogs do).")
    else:
        columns = st.columns(6)
        for i, film in enumerate(summary.posters.itertuples(index=False)):
            year = int(film.year) if film.year == film.year else "?"
            widgets.poster(film.poster_url, container=columns[i % 6])
            columns[i % 6].text(f"{film.title} ({year})")


render()
