"""Explore data: distributions, mixes and gaps of the active catalog, one section at a time."""
import streamlit as st

from pages.state import catalogs, eda, widgets

SECTIONS = {"overview": "Overview", "popularity": "Popularity and votes", "money": "Money",
            "gaps": "Missing values", "people": "People", "posters": "Posters"}


def charts(figures, names: list[str], columns: int = 2) -> None:
    """The named charts side by side; a chart the catalog has no data for says so instead."""
    slots = st.columns(columns) if columns > 1 else [st.container()]
    for i, name in enumerate(names):
        slot = slots[i % len(slots)]
        if name in figures:
            slot.plotly_chart(figures[name], width="stretch", key=f"eda-{name}")
        else:
            slot.info(figures.missing[name])


@widgets.guarded("page Explore data")  # one line on the page, the traceback in the log
def render() -> None:
    st.title("Explore data")
    name = catalogs.active_name()
    summary = eda.summary(name)
    figures = eda.figures(name)
    dated = int(summary.films_per_year["films"].sum())
    st.caption(f"Catalog `{name}` · {summary.films:,} films, {dated:,} with a release year")
    section = st.segmented_control("Section", list(SECTIONS), format_func=SECTIONS.get, default="overview",
                                   required=True, key="section", bind="query-params",
                                   label_visibility="collapsed") or "overview"
    if section == "overview":
        charts(figures, ["films_per_year", "genres", "languages", "runtime"])
        charts(figures, ["genres_by_decade"], columns=1)
    elif section == "popularity":
        charts(figures, ["popularity_votes", "popularity_hist"])
        if summary.skew.empty:
            st.info("No numeric field (popularity, votes, budget, revenue, runtime) has data in this catalog.")
        else:
            st.dataframe(eda.readable_skew(summary.skew), hide_index=True, width="stretch")
            widgets.csv_download(summary.skew, f"skew-{name}.csv", key="eda-skew-download")
    elif section == "money":
        if "budget_revenue" not in figures:
            st.info("No film in this catalog has both a budget and a revenue. Merge a source that has them "
                    "(for example `python -m core merge wiki imdb5000 --into wiki_imdb`).")
        charts(figures, ["budget_revenue"] if "budget_revenue" in figures else [], columns=1)
    elif section == "gaps":
        charts(figures, ["missingness"], columns=1)
    elif section == "people":
        charts(figures, ["top_cast", "top_directors"])
    elif summary.posters.empty:
        st.info("No poster URLs in this catalog (the synthetic demo has none; TMDb and Wikipedia catalogs do).")
    else:
        columns = st.columns(6)
        for i, film in enumerate(summary.posters.itertuples(index=False)):
            year = int(film.year) if film.year == film.year else "?"
            widgets.poster(film.poster_url, container=columns[i % 6])
            columns[i % 6].text(f"{film.title} ({year})")


render()
