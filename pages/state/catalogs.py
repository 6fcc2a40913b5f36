"""Catalogs: loaded once per process per content version, the active one chosen in the sidebar."""
from __future__ import annotations

import streamlit as st

import core.catalog as catalogs
from core.errors import MarqueeError
from pages.state import widgets

DEMO_NAME = "demo"


def checksum(name: str) -> str:
    """The catalog's data checksum: the cache key of everything derived from its tables."""
    return catalogs.read_manifest(name).get("data_checksum", "")


@st.cache_resource(show_spinner="Loading catalog…", max_entries=4)
def _load(name: str, data_checksum: str) -> catalogs.Catalog:
    return catalogs.load_catalog(name, verify=False)


def load(name: str) -> catalogs.Catalog:
    """The catalog, loaded once per process per content version (a rebuilt catalog is reloaded)."""
    return _load(name, checksum(name))


def ensure_a_catalog() -> None:
    """A fresh machine has no data: build the synthetic demo so every page works."""
    if catalogs.list_catalogs():
        return
    with st.status("No catalog yet: building the synthetic demo catalog…", expanded=True) as status:
        catalogs.build_demo_catalog(DEMO_NAME, progress=widgets.progress_bar())
        status.update(label="Synthetic demo catalog ready", state="complete", expanded=False)


def sidebar() -> None:
    """Sidebar catalog picker and status; stores the choice in ``st.session_state['catalog']`` and
    in the URL (``?catalog=…``), so a shared link opens the same catalog."""
    ensure_a_catalog()
    names = catalogs.list_catalogs()
    stored = catalogs.get_active()
    linked = st.query_params.get("catalog")
    if st.session_state.get("catalog_picker") not in names:  # a new session, or its catalog is gone
        wanted = [linked, st.session_state.get("catalog"), stored]
        st.session_state["catalog_picker"] = next((n for n in wanted if n in names), names[0])
    with st.sidebar:
        chosen = st.selectbox("Catalog", names, key="catalog_picker",
                              help="Catalogs live in the data folder; build more on the Import page or with "
                                   "`python -m core import …`.")
        if chosen != stored:
            catalogs.set_active(chosen)
        st.session_state["catalog"] = chosen
        if linked != chosen:
            st.query_params["catalog"] = chosen
        manifest = catalogs.read_manifest(chosen)
        counts = manifest.get("row_counts", {})
        # Material icons, not emoji: headless and minimal systems have no emoji font (a box is drawn)
        kind = (":material/science: synthetic demo data" if manifest.get("synthetic")
                else f":material/folder: {manifest.get('source', 'real data')}")
        st.caption(f"{kind} · {counts.get('movies', 0):,} films · {counts.get('people', 0):,} people · "
                   f"{counts.get('ratings', 0):,} ratings")


def active_name() -> str:
    ensure_a_catalog()
    name = st.session_state.get("catalog") or catalogs.get_active()
    if name is None:
        raise MarqueeError("no catalog is active")
    return name


def active() -> catalogs.Catalog:
    return load(active_name())


def choose(name: str) -> None:
    """Make ``name`` this session's catalog (a button callback: runs before the sidebar is drawn)."""
    st.session_state["catalog_picker"] = name


def names() -> list[str]:
    return catalogs.list_catalogs()


def exists(name: str) -> bool:
    return catalogs.catalog_exists(name)
