"""Search: the encoder (once per process) and each catalog's searcher, keyed by index version."""
from __future__ import annotations

import streamlit as st

from core import search
from core.search import language_name
from pages.state import widgets


@st.cache_resource(show_spinner="Loading the embedding model…")
def encoder():
    """The sentence-transformers model, loaded once per process."""
    return search.Encoder()


def status(name: str) -> dict:
    """Whether the catalog's index exists and is fresh (checked once per rerun by the page)."""
    return search.index_status(name)


def index_version(status: dict) -> str:
    """The cache key of everything built from an index: rebuilt index → new key."""
    manifest = status.get("manifest") or {}
    return f"{manifest.get('created_at')}|{manifest.get('data_checksum')}|{manifest.get('documents')}"


@st.cache_resource(show_spinner="Loading the search index…", max_entries=2)
def _searcher(name: str, version: str) -> search.Searcher:
    return search.load_searcher(name, encoder())


def searcher(name: str, status: dict) -> search.Searcher:
    """The catalog's searcher, reloaded when its index is rebuilt."""
    return _searcher(name, _key(name, status))


def _key(name: str, status: dict) -> str:
    """Index version plus the catalog's trained re-ranker version (a new one is loaded afresh)."""
    return f"{index_version(status)}|{search.reranker_version(name)}"


@st.cache_resource(max_entries=2)
def _title_options(name: str, version: str) -> dict[str, int]:
    docs = _searcher(name, version).docs
    options: dict[str, int] = {}
    for title, year, movie_id in zip(docs["title"], docs["year"].astype("float"), docs["movie_id"]):
        label = f"{title} ({int(year)})" if year == year else title
        options[label if label not in options else f"{label} #{movie_id}"] = int(movie_id)
    return options


def title_options(name: str, status: dict) -> dict[str, int]:
    """"Title (Year)" → movie_id for the seed-title picker, built once per index version."""
    return _title_options(name, _key(name, status))


def index_job_key(name: str) -> str:
    return f"search-index:{name}"


def start_index_build(name: str):
    """Build (or refresh) the catalog's index in the background; the next ``searcher`` call after
    it finishes loads the new index (its version is the cache key)."""
    from pages.state import jobs

    return jobs.start("search-index", index_job_key(name), search.build_index, title=f"Search index of {name}",
                      catalog_name=name, encoder=encoder())


METHOD_HELP = {"retrieval": "dense embeddings only", "bm25": "exact words only (BM25)",
               "hybrid": "dense + BM25 fused by reciprocal rank", "blend": "dense + recency + popularity",
               "mmr": "hybrid, diversified (MMR)", "ce": "hybrid, reranked by a cross-encoder"}


def language_label(code: str) -> str:
    return f"{language_name(code)} ({code})"


def hit_card(rank: int, hit) -> None:
    """One result: poster (or placeholder), title line, reasons, the start of the overview — the
    catalog's text shown as typed (escaped where Streamlit reads Markdown, plain text elsewhere)."""
    with st.container(border=True):
        left, right = st.columns([1, 7])
        widgets.poster(hit.poster_url, container=left)
        line = (f"{hit.title} ({hit.year or '?'}) · {', '.join(hit.genres) or 'no genre'}"
                f"{' · ' + language_name(hit.language) if hit.language else ''}")
        right.markdown(f"**{rank}.** {widgets.escape_markdown(line)} · score {hit.score:.3f}")
        if hit.reasons:
            right.caption(widgets.escape_markdown("Why: " + " · ".join(hit.reasons)))
        right.text(hit.overview[:400] + ("…" if len(hit.overview) > 400 else ""))


@st.cache_resource(max_entries=2)
def _filter_options(name: str, version: str) -> dict:
    searcher = _searcher(name, version)
    years = searcher.years[searcher.years == searcher.years]
    low, high = (int(years.min()), int(years.max())) if len(years) else (1900, 2030)
    return {"low": low, "high": max(high, low + 1), "genres": sorted({g for gs in searcher.genre_sets for g in gs}),
            "languages": sorted({c for c in searcher.languages if c})}


def filter_options(name: str, status: dict) -> dict:
    """Year range, genres and languages the filters offer, computed once per index version."""
    return _filter_options(name, _key(name, status))
