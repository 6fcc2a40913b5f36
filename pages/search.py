"""Search: films by words, people, a description, a language, or seed titles ("more like these")."""
import pandas as pd
import streamlit as st

from core.errors import MarqueeError
from core.search import LANGUAGE_POLICIES, METHODS, Filters, SearchParams
from core.search.languages import name as language_name
from pages import cached

METHOD_HELP = {"retrieval": "dense embeddings only", "bm25": "exact words only (BM25)",
               "hybrid": "dense + BM25 fused by reciprocal rank", "blend": "dense + recency + popularity",
               "mmr": "hybrid, diversified (MMR)", "ce": "hybrid, reranked by a cross-encoder"}

st.title("🔎 Search")
name = cached.active_catalog_name()
status = cached.search_index_status(name)
if not status["fresh"]:
    st.warning(f"Catalog `{name}` has no up-to-date search index ({status['reason']}). Building embeds only "
               "new or changed films; a 3,000-film catalog takes about a minute.")
    if st.button("Build search index", key="search-build", type="primary"):
        bar = st.progress(0.0, text="Embedding films…")
        try:
            cached.build_search_index(name, lambda done, total, message="": bar.progress(
                min(done / total, 1.0) if total else 1.0, text=f"{message} {done:,}/{total or 0:,}"))
            st.rerun()
        except MarqueeError as exc:
            st.error(str(exc))
    if not status["exists"]:
        st.stop()

searcher = cached.searcher(name, status)
options = cached.search_title_options(name, status)
query = st.text_input("Query", key="search-query", placeholder="e.g. malayalam thriller · Tom Hanks comedy · "
                      "a heist that goes wrong on a train")
seeds = st.multiselect("…or more like these films", list(options), key="search-seeds",
                       help="Ranks films by closeness to the average of the chosen films (a taste vector).")
c1, c2, c3, c4 = st.columns(4)
method = c1.selectbox("Method", METHODS, index=METHODS.index("hybrid"), key="search-method",
                      format_func=lambda m: f"{m} — {METHOD_HELP[m]}")
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
                               format_func=lambda c: f"{language_name(c)} ({c})")

params = SearchParams(method=method, k=k, mmr_lambda=lam, language_policy=policy)
filters = Filters(year_min=year_range[0] if year_range[0] > low else None,
                  year_max=year_range[1] if year_range[1] < high else None,
                  genres=genres, languages=languages, min_votes=min_votes or None)
try:
    if seeds:
        response = searcher.more_like([options[s] for s in seeds], params, filters)
    elif query.strip():
        response = searcher.search(query, params, filters)
    else:
        st.info("Type a query, or pick films you like.")
        st.stop()
except MarqueeError as exc:
    st.warning(str(exc))
    st.stop()

st.caption(response.summary())
if not response.hits:
    st.info("No film matches. Try other words, fewer filters or the 'retrieval' method.")
    st.stop()
for rank, hit in enumerate(response.hits, start=1):
    with st.container(border=True):
        left, right = st.columns([1, 7])
        if hit.poster_url:
            left.image(hit.poster_url, width="stretch")
        else:
            left.markdown("## 🎬")
        right.markdown(f"**{rank}. {hit.title}** ({hit.year or '?'}) · {', '.join(hit.genres) or 'no genre'}"
                       f"{' · ' + language_name(hit.language) if hit.language else ''} · score {hit.score:.3f}")
        if hit.reasons:
            right.caption("Why: " + " · ".join(hit.reasons))
        right.write(hit.overview[:400] + ("…" if len(hit.overview) > 400 else ""))
cached.download_csv_button(
    pd.DataFrame([{**h.as_dict(), "reasons": "; ".join(h.reasons)} for h in response.hits])
    .drop(columns=["explanation", "overview"]), f"search-{name}.csv", key="search-download")
