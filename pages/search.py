"""Search: films by words, people, a description, a language, or seed titles ("more like these")."""
import pandas as pd
import streamlit as st

from core.errors import MarqueeError
from core.search import LANGUAGE_POLICIES, METHODS, Filters, SearchParams
from pages.state import catalogs, jobs, search, widgets


def index_panel(name: str) -> dict:
    """The index status and any build job; offers a build when the index is missing or stale
    (stops the page while there is no index to search)."""
    status = search.status(name)
    snap = jobs.panel(search.index_job_key(name))
    if not status["fresh"] and (snap is None or not snap.running):
        films = catalogs.load(name).manifest.get("row_counts", {}).get("movies", 0)
        st.warning(f"Catalog `{name}` has no up-to-date search index ({status['reason']}). A build embeds only "
                   f"new or changed films (up to {jobs.estimate('search-index', films, 'films')}) and runs in "
                   "the background.")
        if st.button("Build search index", key="search-build", type="primary"):
            search.start_index_build(name)
            st.rerun()
    if not status["exists"]:
        st.stop()
    return status


@widgets.guarded("page Search")  # one line on the page, the traceback in the log
def render() -> None:
    st.title("Search")
    name = catalogs.active_name()
    status = index_panel(name)
    searcher = search.searcher(name, status)
    options = search.title_options(name, status)
    query = st.text_input("Query", key="search-query", placeholder="e.g. malayalam thriller · Tom Hanks comedy · "
                          "a heist that goes wrong on a train")
    seeds = st.multiselect("…or more like these films", list(options), key="search-seeds",
                           help="Ranks films by closeness to the average of the chosen films (a taste vector).")
    c1, c2, c3, c4 = st.columns(4)
    method = c1.selectbox("Method", METHODS, index=METHODS.index("hybrid"), key="search-method",
                          format_func=lambda m: f"{m} — {search.METHOD_HELP[m]}")
    k = c2.slider("Results", 5, 50, 10, key="search-k")
    lam = c3.slider("MMR λ (1 = relevance only)", 0.0, 1.0, 0.7, 0.05, key="search-lambda", disabled=method != "mmr")
    policy = c4.radio("Language in query", LANGUAGE_POLICIES, index=1, key="search-policy", horizontal=True,
                      help="auto-soft lifts films in a language named in the query; auto-hard lists them first.")
    with st.expander("Filters"):
        years = searcher.years[searcher.years == searcher.years]
        low, high = (int(years.min()), int(years.max())) if len(years) else (1900, 2030)
        f1, f2 = st.columns(2)
        year_range = f1.slider("Years", low, max(high, low + 1), (low, max(high, low + 1)), key="search-years")
        min_votes = f2.number_input("Minimum vote count", 0, value=0, step=10, key="search-votes")
        genres = f1.multiselect("Genres", sorted({g for gs in searcher.genre_sets for g in gs}), key="search-genres")
        languages = f2.multiselect("Languages", sorted({c for c in searcher.languages if c}), key="search-languages",
                                   format_func=search.language_label)

    params = SearchParams(method=method, k=k, mmr_lambda=lam, language_policy=policy)
    filters = Filters(year_min=year_range[0] if year_range[0] > low else None,
                      year_max=year_range[1] if year_range[1] < high else None,
                      genres=genres, languages=languages, min_votes=min_votes or None)
    if not seeds and not query.strip():
        st.info("Type a query, or pick films you like.")
        return
    try:
        response = (searcher.more_like([options[s] for s in seeds], params, filters) if seeds
                    else searcher.search(query, params, filters))
    except MarqueeError as exc:
        st.warning(str(exc))
        return
    st.caption(response.summary())
    if not response.hits:
        st.info("No film matches. Try other words, fewer filters or the 'retrieval' method.")
        return
    for rank, hit in enumerate(response.hits, start=1):
        search.hit_card(rank, hit)
    widgets.csv_download(
        pd.DataFrame([{**h.as_dict(), "reasons": "; ".join(h.reasons)} for h in response.hits])
        .drop(columns=["explanation", "overview"]), f"search-{name}.csv", key="search-download")


render()
