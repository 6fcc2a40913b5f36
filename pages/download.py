"""Download: build or refresh a catalog from TMDb (or any TMDb-compatible server) in the background."""
import os

import pandas as pd

import streamlit as st

from core.catalog import store
from core.errors import MarqueeError
from core.tmdb import jobs
from core.tmdb.client import check_key
from core.tmdb.crawl import Connection, CrawlOptions, date_presets
from core.tmdb.credentials import DEFAULT_API_BASE, ENV_BASE
from pages.state import widgets


def secrets_key() -> str | None:
    """TMDB_BEARER_TOKEN / TMDB_API_KEY (or [tmdb] api_key) from .streamlit/secrets.toml, if any."""
    try:
        for name in ("TMDB_BEARER_TOKEN", "TMDB_API_KEY"):
            if st.secrets.get(name):
                return str(st.secrets[name])
        return str(st.secrets.get("tmdb", {}).get("api_key") or "") or None
    except Exception:  # no secrets file at all
        return None


def launch(kind: str, catalog: str, **kwargs) -> None:
    options = CrawlOptions(concurrency=int(st.session_state.tmdb_concurrency),
                           batch_size=int(st.session_state.tmdb_batch))
    try:
        job = jobs.start_job(kind, catalog, connection=connection, options=options, **kwargs)
    except MarqueeError as exc:
        st.error(str(exc))
        return
    st.session_state["tmdb_job"] = job.id


st.title("⬇️ Download from TMDb")
st.caption("Lists every film released in a date range (past TMDb's 10,000-result cap), fetches details and "
           "credits, and writes a catalog. Runs in the background; stop and resume at any time.")

with st.expander("Connection", expanded=True):
    base_url = st.text_input("API base URL", os.environ.get(ENV_BASE, DEFAULT_API_BASE), key="tmdb_base")
    typed = st.text_input("API key or read access token (this session only; otherwise Streamlit secrets, "
                          "TMDB_API_KEY / TMDB_BEARER_TOKEN or .env)", type="password", key="tmdb_key")
    secret = secrets_key()
    key, source = (typed, "the page") if typed else (secret, "Streamlit secrets") if secret else (None, "the environment")
    connection = Connection(api_key=key, key_source=source, base_url=base_url)
    if st.button("Check key", key="tmdb_check"):
        try:
            st.session_state["tmdb_check_result"] = check_key(key, base_url, source)
        except MarqueeError as exc:
            st.session_state["tmdb_check_result"] = {"ok": False, "error": str(exc)}
    checked = st.session_state.get("tmdb_check_result")
    if checked and checked["ok"]:
        st.success(f"TMDb answered ({checked['credentials']}); popular films right now:")
        films = pd.DataFrame(checked["films"])
        st.dataframe(films, hide_index=True)
        widgets.csv_download(films, "tmdb-popular.csv", key="tmdb-popular-download")
    elif checked:
        st.error(checked["error"])
    left, right = st.columns(2)
    left.slider("Concurrency (requests in flight)", 1, 20, 8, key="tmdb_concurrency")
    right.number_input("Batch size (films per checkpoint)", 10, 5000, 200, step=10, key="tmdb_batch")

new_tab, backfill_tab, sync_tab = st.tabs(["New catalog", "Backfill credits", "Sync changes"])
with new_tab, st.form("tmdb_discover"):
    name = st.text_input("Catalog name", "tmdb")
    presets = date_presets()
    preset = st.selectbox("Release dates", [*presets, "custom"], index=list(presets).index("last-year"))
    left, right = st.columns(2)
    bounds = {"min_value": presets["everything"][0], "max_value": presets["everything"][1]}
    start = left.date_input("From (custom)", presets["last-year"][0], **bounds)
    end = right.date_input("To (custom)", presets["last-year"][1], **bounds)
    left, middle, right = st.columns(3)
    language = left.text_input("Language", "en-US")
    region = middle.text_input("Region (optional)", "")
    include_adult = right.checkbox("Include adult films")
    details = st.checkbox("Fetch details and credits", value=True)
    if st.form_submit_button("Start download"):
        start, end = presets[preset] if preset != "custom" else (start, end)
        launch("discover", name, start=start, end=end, details=details, include_adult=include_adult,
               language=language or None, region=region or None)

catalogs = store.list_catalogs()
with backfill_tab, st.form("tmdb_backfill"):
    target = st.selectbox("Catalog", catalogs, key="tmdb_backfill_catalog")
    st.caption("Fetches details and credits for every film with a TMDb id but no cast and no director.")
    if st.form_submit_button("Start backfill") and target:
        launch("backfill", target)
with sync_tab, st.form("tmdb_sync"):
    target = st.selectbox("Catalog", catalogs, key="tmdb_sync_catalog")
    include_new = st.checkbox("Also add new films released in the catalog's date range")
    st.caption("Asks TMDb which films changed since the catalog's last sync and refetches only those.")
    if st.form_submit_button("Start sync") and target:
        launch("sync", target, include_new=include_new)


@st.fragment(run_every=1.0)
def progress_panel() -> None:
    job = jobs.get_job(st.session_state.get("tmdb_job"))
    if job is None:
        st.info("No download started in this session.")
        return
    snap = job.snapshot()
    total = f"{snap['total']:,}" if snap["total"] is not None else "?"
    st.progress(snap["fraction"], text=f"{snap['kind']} `{snap['catalog']}` · {snap['phase'] or 'starting'} · "
                                        f"{snap['done']:,} / {total} films")
    cols = st.columns(4)
    cols[0].metric("Status", snap["status"])
    cols[1].metric("Films", f"{snap['done']:,}")
    cols[2].metric("Rate", f"{snap['rate']:.1f}/s")
    cols[3].metric("ETA", f"{snap['eta_seconds']}s" if snap["eta_seconds"] is not None else "–")
    if job.running:
        if st.button("Stop", key="tmdb_stop"):
            job.stop()
    elif snap["status"] in ("stopped", "failed", "incomplete") and st.button("Resume", key="tmdb_resume"):
        st.session_state["tmdb_job"] = jobs.resume(job).id
    if snap["error"]:
        st.error(snap["error"])
    if snap["status"] == "complete":
        st.success(f"Catalog `{snap['catalog']}` written in {snap['elapsed']}s; pick it in the sidebar.")
        st.json(snap["result"], expanded=False)


st.subheader("Progress")
progress_panel()
