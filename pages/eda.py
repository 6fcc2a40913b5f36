"""Explore data: distributions, mixes and gaps of the active catalog."""
import streamlit as st

from core.catalog import eda
from pages import cached

st.title("📊 Explore data")
name = cached.active_catalog_name()
summary = cached.eda_summary(name)
st.caption(f"Catalog `{name}` · {int(summary.films_per_year['films'].sum()):,} dated films")

left, right = st.columns(2)
left.plotly_chart(eda.figure_films_per_year(summary), width="stretch")
right.plotly_chart(eda.figure_runtime(summary), width="stretch")
left.plotly_chart(eda.figure_languages(summary), width="stretch")
right.plotly_chart(eda.figure_genres(summary), width="stretch")
st.plotly_chart(eda.figure_genres_by_decade(summary), width="stretch")

st.subheader("Popularity and votes")
left, right = st.columns(2)
left.plotly_chart(eda.figure_popularity_votes(summary), width="stretch")
right.plotly_chart(eda.figure_popularity_hist(summary), width="stretch")
st.dataframe(summary.skew, hide_index=True, width="stretch")

st.subheader("Money")
if summary.budget_revenue.empty:
    st.info("No film in this catalog has both a budget and a revenue. Merge a source that has them "
            "(for example `python -m core merge wiki imdb5000 --into wiki_imdb`).")
else:
    st.plotly_chart(eda.figure_budget_revenue(summary), width="stretch")

st.subheader("Missing values")
st.plotly_chart(eda.figure_missingness(summary), width="stretch")

st.subheader("Top people by credits")
left, right = st.columns(2)
if summary.top_cast.empty:
    left.info("No cast credits in this catalog.")
else:
    left.plotly_chart(eda.figure_top_people(summary.top_cast, "Most-credited actors"), width="stretch")
if summary.top_directors.empty:
    right.info("No director credits in this catalog.")
else:
    right.plotly_chart(eda.figure_top_people(summary.top_directors, "Most-credited directors"), width="stretch")

st.subheader("Posters")
if summary.posters.empty:
    st.info("No poster URLs in this catalog (the synthetic demo has none; TMDb and Wikipedia catalogs do).")
else:
    columns = st.columns(6)
    for i, film in enumerate(summary.posters.itertuples(index=False)):
        columns[i % 6].image(film.poster_url, caption=f"{film.title} ({int(film.year) if film.year == film.year else '?'})")
