"""Download: build or refresh a catalog from TMDb in the background.

The API server is a setting of the server (``TMDB_API_BASE``), never a field here, so the key
only ever goes to an allow-listed host. No job starts until the key has checked out.
"""
import pandas as pd

import streamlit as st

from core import tmdb
from core.catalog import list_catalogs
from core.errors import MarqueeError
from core.logs import user_message
from pages.state import widgets

NO_KEY = ("**No TMDb key set.** Paste a v3 API key or a v4 read access token above (kept for this session "
          "only), or set `TMDB_API_KEY` / `TMDB_BEARER_TOKEN` on the server (environment, `.env` or "
          "`.streamlit/secrets.toml`). Get one free at themoviedb.org → Settings → API.")


def secrets_key() -> str | None:
    """TMDB_BEARER_TOKEN / TMDB_API_KEY (or [tmdb] api_key) from .streamlit/secrets.toml, if any."""
    try:
        for name in ("TMDB_BEARER_TOKEN", "TMDB_API_KEY"):
            if st.secrets.get(name):
                return str(st.secrets[name])
        return str(st.secrets.get("tmdb", {}).get("api_key") or "") or None
    except Exception:  # no secrets file at all
        return None


def check(credentials) -> dict:
    """Run the key check once per (key, server) and remember the outcome for the session."""
    stamp = tmdb.fingerprint(credentials, server)
    stored = st.session_state.get("tmdb_check_result")
    if stored and stored["fingerprint"] == stamp and stored["ok"]:
        return stored
    try:
        outcome = {**tmdb.check_key(credentials.value, None, credentials.source), "fingerprint": stamp}
    except MarqueeError as exc:
        outcome = {"ok": False, "error": user_message(exc, secrets=(credentials.value,)), "fingerprint": stamp}
    st.session_state["tmdb_check_result"] = outcome
    return outcome


def launch(kind: str, catalog: str, **kwargs) -> None:
    """Start a job only for a key that checks out; otherwise say why, once, and start nothing."""
    if credentials is None:
        st.error("Set a TMDb key first (see Connection above).")
        return
    outcome = check(credentials)
    if not outcome["ok"]:
        st.error(f"The key did not check out, so nothing was started: {outcome['error']}")
        return
    options = tmdb.CrawlOptions(concurrency=int(st.session_state.tmdb_concurrency),
                                batch_size=int(st.session_state.tmdb_batch))
    connection = tmdb.Connection(api_key=credentials.value, key_source=credentials.source)
    try:
        job = tmdb.start_job(kind, catalog, connection=connection, options=options, **kwargs)
    except MarqueeError as exc:
        st.error(user_message(exc))
        return
    st.session_state["tmdb_job"] = job.id


st.title("⬇️ Download from TMDb")
st.caption("Lists every film released in a date range (past TMDb's 10,000-result cap), fetches details and "
           "credits, and writes a catalog. Runs in the background; stop and resume at any time.")

with st.expander("Connection", expanded=True):
    try:
        server = tmdb.api_base()
    except MarqueeError as exc:
        server = None
        st.error(f"The server's TMDb setting is unusable: {user_message(exc)}")
    typed = st.text_input("API key or read access token (this session only; never stored, logged or shown)",
                          type="password", key="tmdb_key")
    try:
        credentials = tmdb.find_credentials(typed, secrets_key()) if server else None
    except MarqueeError as exc:
        credentials = None
        st.error(user_message(exc))
    if credentials is None:
        st.warning(NO_KEY, icon="🔑")
    else:
        st.caption(f"Using the {credentials.describe()} · API server {server} (a server setting, `TMDB_API_BASE`)")
    if st.button("Check key", key="tmdb_check", disabled=credentials is None):
        check(credentials)
    checked = st.session_state.get("tmdb_check_result")
    if credentials is not None and checked and checked["fingerprint"] == tmdb.fingerprint(credentials, server):
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


@st.fragment(run_every=1.0)
def progress_panel() -> None:
    job = tmdb.get_job(st.session_state.get("tmdb_job"))
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
        st.session_state["tmdb_job"] = tmdb.resume_job(job).id
    if snap["error"]:
        st.error(snap["error"])
    if snap["status"] == "complete":
        st.success(f"Catalog `{snap['catalog']}` written in {snap['elapsed']}s; pick it in the sidebar.")
        st.json(snap["result"], expanded=False)


st.subheader("Progress")
progress_panel()
