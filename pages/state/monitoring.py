"""Monitoring: simulation runs started and advanced as background jobs."""
from __future__ import annotations

from functools import partial

import streamlit as st

from core import monitoring
from core.simulation import PRESETS, make_scenario
from pages.state import jobs, widgets


def run_job_key(catalog_name: str, run: str) -> str:
    return f"simulation:{catalog_name}:{run}"


def _create(progress, catalog, run: str, scenario: str, seed: int, start_round: int) -> str:
    return monitoring.start_simulation(catalog, run, make_scenario(scenario, start_round=start_round), seed=seed,
                                       progress=progress).config["run"]


def _round(progress, catalog, run: str) -> dict:
    return monitoring.open_simulation(catalog, run).run_round()


def start_run(catalog, scenario: str, seed: int, start_round: int) -> str:
    """Train the first champion and calibrate the simulated world, in the background."""
    run = f"{scenario}-seed{seed}"
    jobs.start("simulation-start", run_job_key(catalog.name, run), _create, title=f"Simulation {run}",
               catalog=catalog, run=run, scenario=scenario, seed=seed, start_round=start_round)
    return run


def start_round(catalog, run: str) -> None:
    """One round (users watch, the world rates, drift checks decide) in the background."""
    jobs.start("simulation-round", run_job_key(catalog.name, run), _round, title=f"Round of {run}",
               cancellable=False, catalog=catalog, run=run)


NEW_RUN = "monitoring-new"


@st.dialog("Start a new simulation", on_dismiss=partial(widgets.close_dialog, NEW_RUN))
@widgets.guarded("new simulation")
def new_run_dialog(catalog, existing: list[str]) -> None:
    left, middle, right = st.columns(3)
    scenario = left.selectbox("Scenario", list(PRESETS), index=list(PRESETS).index("genre-penalty"),
                              help="genre-penalty: the most-rated genre is suddenly rated lower")
    seed = middle.number_input("Seed", min_value=0, max_value=1_000_000, value=0, step=1)
    start = right.number_input("Drift starts at round", min_value=1, max_value=100, value=2, step=1)
    run = f"{scenario}-seed{int(seed)}"
    st.caption(f"Run {run}: trains the first champion and calibrates the simulated world in the background"
               + (f"; it replaces the existing run {run}." if run in existing else "."))
    if st.button("Start new simulation", type="primary", key="monitoring-start-confirm"):
        st.session_state["monitoring_pending_run"] = start_run(catalog, scenario, int(seed), int(start))
        widgets.close_dialog(NEW_RUN)
        st.rerun()
