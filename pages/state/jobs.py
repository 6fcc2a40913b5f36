"""Background jobs on pages: start one, and a live panel (progress, measured rate and ETA, cancel,
resume) that polls only while the job runs. Jobs belong to the server process (``core.jobs``),
not to the browser session, so leaving the page or closing the tab does not stop them."""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from core.jobs import RUNNER, Job, Snapshot, format_duration
from pages.state import widgets

LEAVE_NOTE = ("You can leave this page: the job keeps running on the server and this panel picks it up when "
              "you come back. Cancel stops it at the next step; Resume continues from what was saved.")


def start(kind: str, key: str, work: Callable[..., Any], title: str, cancellable: bool = True, **kwargs: Any) -> Job:
    return RUNNER.start(kind, key, work, title=title, cancellable=cancellable, **kwargs)


def current(key: str) -> Job | None:
    return RUNNER.current(key)


def estimate(kind: str, items: int, unit: str) -> str:
    """"about 3 min at the last measured 16.2 films/s" — or that nothing was measured yet."""
    rate = RUNNER.measured_rate(kind)
    if rate is None:
        return f"{items:,} {unit}; no run measured on this machine yet, so no time estimate"
    return f"{items:,} {unit}, about {format_duration(items / rate)} at the last measured {rate:,.1f} {unit}/s"


def panel(key: str, note: str = LEAVE_NOTE, on_done: Callable[[Snapshot], None] | None = None,
          done_caveat: str | None = None) -> Snapshot | None:
    """The job of ``key`` (if any): live while it runs, then its outcome.

    ``done_caveat`` (e.g. "but the model is too weak to trust yet"): what the finished job produced
    needs a warning, so its "done" line is a warning carrying it, never a green success above it.

    When a running job finishes, the whole page reruns once so it can use the result; a success
    is shown on that rerun only (``on_done`` is called then, once per job and session), while a
    failure or cancel stays with Resume and Dismiss until acted on.
    """
    job = RUNNER.current(key)
    if job is None:
        return None
    seen_key = f"job-seen-{key}"
    first = job.snapshot()
    if first.status == "complete" and st.session_state.get(seen_key) == job.id:
        return first  # already acknowledged in this session
    live = first.running

    @st.fragment(run_every=1.0 if live else None)
    @widgets.guarded(f"job panel {key}")
    def show() -> None:
        snap = job.snapshot()
        if live and not snap.running:
            st.rerun()  # the job just ended: rerun the page so it can use the result
        with st.container(border=True):
            st.progress(snap.fraction, text=snap.describe())
            if snap.running:
                st.caption(note)
                if snap.cancellable:
                    st.button("Cancel", key=f"job-cancel-{key}", on_click=job.cancel,
                              disabled=snap.status == "cancelling")
            elif snap.status == "complete":
                done = f"{snap.title}: done in {format_duration(snap.elapsed_s)}"
                if done_caveat:
                    st.warning(f"{done}, {done_caveat}.")
                else:
                    st.success(f"{done}.")
            else:
                (st.warning if snap.status == "cancelled" else st.error)(snap.outcome())
                left, right, _ = st.columns([1, 1, 4])
                left.button("Resume", key=f"job-resume-{key}", on_click=RUNNER.resume, args=(job,), type="primary")
                right.button("Dismiss", key=f"job-dismiss-{key}", on_click=RUNNER.forget, args=(key,))

    show()
    if first.status == "complete":
        st.session_state[seen_key] = job.id
        if on_done is not None:
            on_done(first)
    return first
