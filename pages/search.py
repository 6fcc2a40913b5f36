"""Search: films by words, people, a description, a language, or seed titles ("more like these")."""
import zlib

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
        stopped = snap is not None and snap.status in ("cancelled", "failed")  # its panel offers Resume
        if not stopped and st.button("Build search index", key="search-build", type="primary"):
            search.start_index_build(name)
            st.rerun()
    if not status["exists"]:
        st.stop()
    return status


def query_inputs(name: str, status: dict) -> tuple[str, list[int]]:
    """Words, or films to find more like; both live in the URL (a shared link repeats the search)."""
    by = st.segmented_control("Search by", ["words", "films"], default="words", required=True, key="by",
                              bind="query-params", label_visibility="collapsed",
                              format_func={"words": "Words", "films": "More like these films"}.get)
    if by == "films":  # the picker holds every title: drawn only when asked for
        options = search.title_options(name, status)
        seeds = st.multiselect("Films you like", list(options), key="like", bind="query-params",
                               help="Ranks films by closeness to the average of the chosen films (a taste vector).")
        return "", [options[s] for s in seeds]
    query = st.text_input("Query", key="q", bind="query-params", placeholder="e.g. malayalam thriller · "
                          "Tom Hanks comedy · a heist that goes wrong on a train")
    return query, []


def settings(name: str, status: dict) -> tuple:
    c1, c2, c3, c4 = st.columns(4)
    method = c1.selectbox("Method", METHODS, index=METHODS.index("hybrid"), key="method", bind="query-params",
                          help=" · ".join(f"{m}: {search.METHOD_HELP[m]}" for m in METHODS))
    k = c2.slider("Results", 5, 50, 10, key="k", bind="query-params")
    lam = c3.slider("MMR λ (1 = relevance only)", 0.0, 1.0, 0.7, 0.05, key="mmr", bind="query-params",
                    disabled=method != "mmr")
    policy = c4.radio("Language in query", LANGUAGE_POLICIES, index=1, key="lang", horizontal=True,
                      bind="query-params",
                      help="auto-soft lifts films in a language named in the query; auto-hard lists them first.")
    known = search.filter_options(name, status)
    low, high = known["low"], known["high"]
    with st.expander("Filters"):
        f1, f2 = st.columns(2)
        years = f1.slider("Years", low, high, (low, high), key="years", bind="query-params")
        min_votes = f2.number_input("Minimum vote count", 0, value=0, step=10, key="votes", bind="query-params")
        genres = f1.multiselect("Genres", known["genres"], key="genre", bind="query-params")
        languages = f2.multiselect("Languages", known["languages"], key="language", bind="query-params",
                                   format_func=search.language_label)
    filters = Filters(year_min=years[0] if years[0] > low else None, year_max=years[1] if years[1] < high else None,
                      genres=genres, languages=languages, min_votes=min_votes or None)
    return SearchParams(method=method, k=k, mmr_lambda=lam, language_policy=policy), filters


def intent_chips(searcher, query: str) -> tuple[str, ...]:
    """What the query was understood to ask (years, genres, languages, people, "like <title>") as
    chips; a chip clicked off is left out of the search. Returns the keys left out."""
    chips = searcher.analyze(query).chips
    if not chips:
        return ()
    labels = {chip["key"]: chip["label"] for chip in chips}
    kept = st.pills("Understood as (click a chip to drop it)", list(labels), selection_mode="multi",
                    default=list(labels), format_func=labels.get, key=f"chips-{zlib.crc32(query.encode())}")
    return tuple(key for key in labels if key not in (kept or []))


@widgets.guarded("page Search")  # one line on the page, the traceback in the log
def render() -> None:
    st.title("Search")
    name = catalogs.active_name()
    status = index_panel(name)
    searcher = search.searcher(name, status)
    query, seeds = query_inputs(name, status)
    params, filters = settings(name, status)
    if not seeds and not query.strip():
        st.info("Type a query, or pick films you like.")
        return
    try:
        if not seeds:
            params.ignore = intent_chips(searcher, query)
            if st.session_state.get("search-anyway") == query:
                params.min_score = 0.0
        response = searcher.more_like(seeds, params, filters) if seeds else searcher.search(query, params, filters)
    except MarqueeError as exc:
        st.warning(widgets.plain_line(exc))
        return
    st.caption(widgets.escape_markdown(response.summary()))
    if not response.hits:
        st.info(f"No film matches well enough ({response.no_match or 'no results'}). Try other words, fewer "
                "filters or chips, or the 'retrieval' method.")
        if response.no_match and not response.no_match.startswith("no good match: the query has"):
            if st.button("Show the closest films anyway", key="search-anyway-button"):
                st.session_state["search-anyway"] = query
                st.rerun()
        return
    for rank, hit in enumerate(response.hits, start=1):
        search.hit_card(rank, hit)
    widgets.csv_download(
        pd.DataFrame([{**h.as_dict(), "reasons": "; ".join(h.reasons)} for h in response.hits])
        .drop(columns=["explanation", "overview"]), f"search-{name}.csv", key="search-download")


render()
