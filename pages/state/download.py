"""Download page state: where the TMDb key comes from, its check (once per key and server, kept
for the session) and the background crawl jobs started only for a key that checked out."""
from __future__ import annotations

import streamlit as st

from core import tmdb
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


def check(credentials, server: str | None) -> dict:
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


def checked(credentials, server: str | None) -> dict | None:
    """This session's check outcome for exactly this key and server, if there is one."""
    outcome = st.session_state.get("tmdb_check_result")
    if credentials is None or not outcome or outcome["fingerprint"] != tmdb.fingerprint(credentials, server):
        return None
    return outcome


def launch(credentials, server: str | None, kind: str, catalog: str, **kwargs) -> None:
    """Start a job only for a key that checks out; otherwise say why, once, and start nothing."""
    if credentials is None:
        st.error("Set a TMDb key first (see Connection above).")
        return
    outcome = check(credentials, server)
    if not outcome["ok"]:
        st.error(f"The key did not check out, so nothing was started: {widgets.plain_line(outcome['error'])}")
        return
    options = tmdb.CrawlOptions(concurrency=int(st.session_state.tmdb_concurrency),
                                batch_size=int(st.session_state.tmdb_batch))
    connection = tmdb.Connection(api_key=credentials.value, key_source=credentials.source)
    try:
        job = tmdb.start_job(kind, catalog, connection=connection, options=options, **kwargs)
    except MarqueeError as exc:
        st.error(widgets.plain_line(user_message(exc)))
        return
    st.session_state["tmdb_job"] = job.id


@st.fragment(run_every=1.0)
def progress_panel() -> None:
    """The session's crawl: progress, rate and ETA, stop/resume, the outcome (reruns on its own)."""
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
        st.error(widgets.plain_line(snap["error"]))
    if snap["status"] == "complete":
        st.success(f"Catalog `{snap['catalog']}` written in {snap['elapsed']}s; pick it in the sidebar.")
        st.json(snap["result"], expanded=False)
