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


# ------------------------------------------------------------------ tables: plain names, help for the jargon
ROUND_COLUMNS = {
    "round": st.column_config.NumberColumn("Round", format="%d"),
    "ratings": st.column_config.NumberColumn("Ratings", help="Ratings the simulated users gave this round."),
    "users": st.column_config.NumberColumn("Users", help="Simulated users who watched something this round."),
    "rmse": st.column_config.NumberColumn("Rating error (RMSE)", format="%.3f",
                                          help="Root mean squared error of the champion's predicted ratings this "
                                               "round (lower is better)."),
    "mae": st.column_config.NumberColumn("Mean abs. error", format="%.3f",
                                         help="Mean absolute error of the predicted ratings (lower is better)."),
    "r2": st.column_config.NumberColumn("Variance explained (R²)", format="%.3f",
                                        help="Share of the rating variance the champion explains this round "
                                             "(1 = perfect, 0 = no better than the mean)."),
    "baseline_r2": st.column_config.NumberColumn("Champion's baseline R²", format="%.3f",
                                                 help="The current champion's R² when it was promoted."),
    "baseline_rmse": st.column_config.NumberColumn("Champion's baseline RMSE", format="%.3f",
                                                   help="The current champion's RMSE when it was promoted."),
    "reference_r2": st.column_config.NumberColumn("First champion's R²", format="%.3f",
                                                  help="The first champion's baseline, fixed for the whole run."),
    "reference_rmse": st.column_config.NumberColumn("First champion's RMSE", format="%.3f",
                                                    help="The first champion's baseline, fixed for the whole run."),
    "coverage": st.column_config.ProgressColumn("Coverage", format="percent", min_value=0.0, max_value=1.0,
                                                help="Share of the catalog's films shown in at least one top-10 list."),
    "diversity": st.column_config.NumberColumn("Diversity", format="%.3f",
                                               help="How unlike each other the films of one list are (0–1)."),
    "personalization": st.column_config.NumberColumn("Personalization", format="%.3f",
                                                     help="How unlike each other different users' lists are (0–1)."),
    "champion": st.column_config.TextColumn("Champion", help="The model serving this round."),
    "champion_after": st.column_config.TextColumn("Champion after", help="The model serving the next round."),
    "drift": st.column_config.CheckboxColumn("Drift", help="Did the drift checks fire this round?"),
    "challenger": st.column_config.TextColumn("Challenger", help="The model trained to replace the champion."),
    "promoted": st.column_config.CheckboxColumn("Promoted", help="Did the challenger replace the champion?"),
    "seconds": st.column_config.NumberColumn("Seconds", format="%.1f", help="Time the round took."),
}
DECISION_COLUMNS = {
    "round": st.column_config.NumberColumn("Round", format="%d"),
    "champion": st.column_config.TextColumn("Champion"),
    "challenger": st.column_config.TextColumn("Challenger"),
    "outcome": st.column_config.TextColumn("Outcome"),
    "reasons": st.column_config.TextColumn("Reasons", width="large"),
    "drift": st.column_config.TextColumn("Drift found", width="large"),
    "time": st.column_config.TextColumn("When"),
}
RELIABILITY_COLUMNS = {
    "model": st.column_config.TextColumn("Model"),
    "predictions": st.column_config.NumberColumn("Predictions", help="Held-out predictions the curve is drawn from."),
    "positives": st.column_config.NumberColumn("Positives", help="How many of them turned out positive."),
    "positive_rate": st.column_config.ProgressColumn("Positive rate", format="percent", min_value=0.0, max_value=1.0,
                                                     help="Share of positives (the base rate)."),
    "brier": st.column_config.NumberColumn("Brier score", format="%.4f",
                                           help="Mean squared gap between the predicted chance and what happened "
                                                "(0 is perfect; lower is better)."),
    "ece": st.column_config.NumberColumn("Calibration error (ECE)", format="%.4f",
                                         help="Expected calibration error: the average gap between predicted chance "
                                              "and observed rate across bins (0 = perfectly calibrated)."),
    "warning": st.column_config.TextColumn("Warning"),
}
