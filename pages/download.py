"""Download: build or refresh a catalog from TMDb in the background.

The API server is a setting of the server (``TMDB_API_BASE``), never a field here, so the key
only ever goes to an allow-listed host. No job starts until the key has checked out.
"""
from functools import partial

import pandas as pd

import streamlit as st

from core import tmdb
from core.catalog import list_catalogs
from core.errors import MarqueeError
from core.logs import user_message
from pages.state import download, widgets

st.title("⬇️ Download from TMDb")
st.caption("Lists every film released in a date range (past TMDb's 10,000-result cap), fetches details and "
           "credits, and writes a catalog. Runs in the background; stop and resume at any time.")

with st.expander("Connection", expanded=True):
    try:
        server = tmdb.api_base()
    except MarqueeError as exc:
        server = None
        st.error(f"The server's TMDb setting is unusable: {widgets.plain_line(user_message(exc))}")
    typed = st.text_input("API key or read access token (this session only; never stored, logged or shown)",
                          type="password", key="tmdb_key")
    try:
        credentials = tmdb.find_credentials(typed, download.secrets_key()) if server else None
    except MarqueeError as exc:
        credentials = None
        st.error(widgets.plain_line(user_message(exc)))
    if credentials is None:
        st.warning(download.NO_KEY, icon=":material/key:")
    else:
        st.caption(f"Using the {credentials.describe()} · API server {server} (a server setting, `TMDB_API_BASE`)")
    if st.button("Check key", key="tmdb_check", disabled=credentials is None):
        download.check(credentials, server)
    checked = download.checked(credentials, server)
    if checked:
        if checked["ok"]:
            st.success(f"TMDb answered ({checked['credentials']}); popular films right now:")
            films = pd.DataFrame(checked["films"], columns=["id", "title", "release_date", "popularity"])
            st.dataframe(films, hide_index=True)
            widgets.csv_download(films, "tmdb-popular.csv", key="tmdb-popular-download")
        else:
            st.error(checked["error"])
    left, right = st.columns(2)
    left.slider("Concurrency (requests in flight)", 1, 20, 8, key="tmdb_concurrency")
    right.number_input("Batch size (films per checkpoint)", 10, 5000, 200, step=10, key="tmdb_batch")

blocked = credentials is None
launch = partial(download.launch, credentials, server)
new_tab, backfill_tab, sync_tab = st.tabs(["New catalog", "Backfill credits", "Sync changes"])
with new_tab, st.form("tmdb_discover"):
    name = st.text_input("Catalog name", "tmdb")
    presets = tmdb.date_presets()
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
    if st.form_submit_button("Start download", disabled=blocked):
        start, end = presets[preset] if preset != "custom" else (start, end)
        launch("discover", name, start=start, end=end, details=details, include_adult=include_adult,
               language=language or None, region=region or None)

catalogs = list_catalogs()
with backfill_tab, st.form("tmdb_backfill"):
    target = st.selectbox("Catalog", catalogs, key="tmdb_backfill_catalog")
    st.caption("Fetches details and credits for every film with a TMDb id but no cast and no director.")
    if st.form_submit_button("Start backfill", disabled=blocked) and target:
        launch("backfill", target)
with sync_tab, st.form("tmdb_sync"):
    target = st.selectbox("Catalog", catalogs, key="tmdb_sync_catalog")
    include_new = st.checkbox("Also add new films released in the catalog's date range")
    st.caption("Asks TMDb which films changed since the catalog's last sync and refetches only those.")
    if st.form_submit_button("Start sync", disabled=blocked) and target:
        launch("sync", target, include_new=include_new)


st.subheader("Progress")
download.progress_panel()
