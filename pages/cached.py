"""The one app-side module: cached wrappers around ``core`` and the shared sidebar.

Pages call these instead of ``core`` directly when a result is worth keeping across reruns.
``st.cache_resource`` holds shared read-only objects (catalogs, models, indexes);
``st.cache_data`` holds small computed frames. Cache keys include the catalog's data checksum,
so a rewritten catalog is reloaded instead of served stale.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.catalog import store
from core.errors import MarqueeError

DEMO_NAME = "demo"


def _leave_legacy_pages_mode() -> None:
    """Run every page through app.py's ``st.navigation``, even on a fresh server.

    Streamlit treats a top-level ``pages/`` folder as a legacy (v1) multipage app until
    ``st.navigation`` has run once in the process. Until then a direct link such as ``/eda``
    executes ``pages/eda.py`` on its own: no catalog picker, a menu of raw file names. The first
    page import after start-up switches the flag off and reruns, so app.py takes over.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_pages_mode()


# ---------------------------------------------------------------- catalogs
@st.cache_resource(show_spinner="Loading catalog…", max_entries=4)
def _load_catalog(name: str, data_checksum: str) -> store.Catalog:
    return store.load_catalog(name, verify=False)


def load_catalog(name: str) -> store.Catalog:
    """The catalog, loaded once per process per content version."""
    manifest = store.read_manifest(name)
    return _load_catalog(name, manifest.get("data_checksum", ""))


def ensure_a_catalog() -> None:
    """A fresh machine has no data: build the synthetic demo so every page works."""
    if store.list_catalogs():
        return
    from core.catalog.demo import build_demo_catalog

    with st.status("No catalog yet: building the synthetic demo catalog…", expanded=True) as status:
        bar = st.progress(0.0)
        build_demo_catalog(DEMO_NAME, progress=lambda done, total, message="": bar.progress(
            min(done / total, 1.0) if total else 0.0, text=message))
        status.update(label="Synthetic demo catalog ready", state="complete", expanded=False)


def catalog_sidebar() -> None:
    """Sidebar catalog picker and status; stores the choice in ``st.session_state['catalog']``."""
    ensure_a_catalog()
    names = store.list_catalogs()
    stored = store.get_active()
    active = st.session_state.get("catalog")
    if active not in names:
        active = stored or names[0]
    with st.sidebar:
        chosen = st.selectbox("Catalog", names, index=names.index(active), key="catalog_picker",
                              help="Catalogs live in the data folder; build more with `python -m core import …`.")
        if chosen != stored:
            store.set_active(chosen)
        st.session_state["catalog"] = chosen
        manifest = store.read_manifest(chosen)
        counts = manifest.get("row_counts", {})
        kind = "🧪 synthetic demo data" if manifest.get("synthetic") else f"📁 {manifest.get('source', 'real data')}"
        st.caption(f"{kind} · {counts.get('movies', 0):,} films · {counts.get('people', 0):,} people · "
                   f"{counts.get('ratings', 0):,} ratings")


def active_catalog_name() -> str:
    ensure_a_catalog()
    name = st.session_state.get("catalog") or store.get_active()
    if name is None:
        raise MarqueeError("no catalog is active")
    return name


def active_catalog() -> store.Catalog:
    return load_catalog(active_catalog_name())


# ---------------------------------------------------------------- EDA
@st.cache_data(show_spinner="Summarising catalog…", max_entries=4)
def _eda_summary(name: str, data_checksum: str):
    from core.catalog import eda

    return eda.summarize(load_catalog(name))


def eda_summary(name: str):
    return _eda_summary(name, store.read_manifest(name).get("data_checksum", ""))


@st.cache_resource(show_spinner="Drawing charts…", max_entries=4)
def _eda_figures(name: str, data_checksum: str):
    from core.catalog import eda

    return eda.build_figures(_eda_summary(name, data_checksum))


def eda_figures(name: str) -> dict:
    """The EDA charts, built once per catalog version (shared read-only figures)."""
    return _eda_figures(name, store.read_manifest(name).get("data_checksum", ""))


def download_csv_button(frame: pd.DataFrame, file_name: str, label: str = "Download CSV", key: str | None = None) -> None:
    """Every table a person sees can be downloaded."""
    st.download_button(label, frame.to_csv(index=False).encode("utf-8"), file_name=file_name,
                       mime="text/csv", key=key or f"download-{file_name}")


# ---------------------------------------------------------------- personal taste model (labeling page)
@st.cache_resource(show_spinner=False)
def labels_store(location: str | None = None):
    """The labels store (SQLite under data/personal/ unless MARQUEE_LABELS_URL says otherwise)."""
    from core.personal import api

    return api.get_store(location)


@st.cache_data(show_spinner="Fitting a quick model to find uncertain titles…", max_entries=8)
def personal_uncertainty(profile: str, catalog_name: str, labels_version: int, data_checksum: str):
    """Quick-model P(would watch) per title, recomputed only when the labels change."""
    from core.personal import api

    return api.uncertainty_scores(labels_store(), profile, load_catalog(catalog_name))


@st.cache_resource(show_spinner="Loading the taste model…", max_entries=4)
def personal_model(profile: str, catalog_name: str, created_at: str):
    """A saved taste model, reloaded when it is retrained (``created_at`` is the cache key)."""
    from core.personal import api

    return api.load_trained(profile, catalog_name)


def personal_model_or_none(profile: str, catalog_name: str):
    from core.personal import api

    version = api.trained_version(profile, catalog_name)
    return None if version is None else personal_model(profile, catalog_name, version)


# ---------------------------------------------------------------- search
@st.cache_resource(show_spinner="Loading the embedding model…")
def search_encoder():
    """The sentence-transformers model, loaded once per process."""
    from core.search.embeddings import Encoder

    return Encoder()


@st.cache_resource(show_spinner="Loading the search index…", max_entries=2)
def _searcher(name: str, index_key: str):
    from core.search import Searcher, load_index

    return Searcher(load_index(name), search_encoder())


def search_index_status(name: str) -> dict:
    from core.search import index_status

    return index_status(name)


def _index_key(name: str, status: dict | None) -> str:
    manifest = (status or search_index_status(name)).get("manifest") or {}
    return f"{manifest.get('created_at')}|{manifest.get('data_checksum')}|{manifest.get('documents')}"


def searcher(name: str, status: dict | None = None):
    """The catalog's searcher, reloaded when its index is rebuilt (pass the page's ``status``
    to avoid checking the index again)."""
    return _searcher(name, _index_key(name, status))


def build_search_index(name: str, progress) -> dict:
    from core.search import build_index

    _, stats = build_index(name, encoder=search_encoder(), progress=progress)
    _searcher.clear()
    _search_title_options.clear()
    return stats


@st.cache_resource(max_entries=2)
def _search_title_options(name: str, index_key: str) -> dict[str, int]:
    docs = _searcher(name, index_key).docs
    options: dict[str, int] = {}
    for title, year, movie_id in zip(docs["title"], docs["year"].astype("float"), docs["movie_id"]):
        label = f"{title} ({int(year)})" if year == year else title
        options[label if label not in options else f"{label} #{movie_id}"] = int(movie_id)
    return options


def search_title_options(name: str, status: dict | None = None) -> dict[str, int]:
    """"Title (Year)" → movie_id for the seed-title picker, built once per index version."""
    return _search_title_options(name, _index_key(name, status))


# ---------------------------------------------------------------- casting
@st.cache_resource(show_spinner="Preparing the casting model (trained once per catalog, a few seconds)…",
                   max_entries=4)
def _casting_model(name: str, data_checksum: str, config_json: str):
    import json

    from core.casting import api
    from core.casting.config import CastingConfig

    return api.get_model(name, CastingConfig.from_dict(json.loads(config_json)) if config_json else None)


def casting_model(name: str, cfg=None):
    """The catalog's trained casting model (saved parameters unless ``cfg`` is given)."""
    import json

    checksum = store.read_manifest(name).get("data_checksum", "")
    return _casting_model(name, checksum, json.dumps(cfg.to_dict(), sort_keys=True) if cfg else "")


def casting_retrain(name: str, cfg) -> None:
    from core.casting import api

    api.train_and_save(load_catalog(name), cfg)
    _casting_model.clear()


@st.cache_data(show_spinner=False, max_entries=4)
def casting_model_card_html(name: str, model_version: str) -> str:
    from core.casting.export import model_card_html

    return model_card_html(casting_model(name))
