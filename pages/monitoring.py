"""Monitoring: recommender simulation rounds, per-genre drift, champion/challenger decisions,
beyond-accuracy trends, and the reliability of the classification models."""
import streamlit as st

from core import monitoring
from core.errors import MarqueeError
from core.simulation import list_runs
from pages.state import catalogs, jobs, widgets
from pages.state import monitoring as simulations


def show_simulation(sim) -> None:
    frame = monitoring.rounds_frame(sim.rounds)
    if frame.empty:
        st.info("No round yet: press **Run simulation round**.")
        return
    for column, tile in zip(st.columns(5), monitoring.summary_tiles(frame)):
        column.metric(tile["label"], tile["value"], tile["delta"], help=tile["help"])
    st.plotly_chart(monitoring.r2_figure(frame), key="monitoring-r2")
    st.plotly_chart(monitoring.rmse_figure(frame), key="monitoring-rmse")
    st.subheader("Per-genre drift")
    st.plotly_chart(monitoring.drift_heatmap(sim.segments(), sim.reviewer.policy.min_segment_count),
                    key="monitoring-heatmap")
    st.subheader("Champion / challenger history")
    decisions = monitoring.decisions_frame(sim.decisions())
    st.dataframe(decisions, hide_index=True, column_config=simulations.DECISION_COLUMNS)
    with st.expander("Full reasons of every decision"):
        for row in decisions.itertuples():
            st.text(f"round {row.round}: {row.challenger} {row.outcome}\n{row.reasons}\n{row.drift}".rstrip())
    widgets.csv_download(decisions, f"{sim.config['run']}-decisions.csv", key="download-decisions")
    st.plotly_chart(monitoring.trends_figure(frame), key="monitoring-trends")
    with st.expander("Rounds table"):
        st.dataframe(frame, hide_index=True, column_config=simulations.ROUND_COLUMNS)
        widgets.csv_download(frame, f"{sim.config['run']}-rounds.csv", key="download-rounds")


def drift_tab(catalog) -> None:
    if catalog.ratings is None or catalog.ratings.empty:  # the simulation replays users' ratings
        st.info(f"Catalog {catalog.name} has no ratings, so there is no recommender to simulate. Import MovieLens "
                "ratings on the Import page (or merge a MovieLens catalog into this one), then open that catalog.")
        st.page_link("pages/import.py", label="Import ratings", icon=":material/upload_file:")
        return
    runs = list_runs(catalog.name)
    if widgets.dialog_button("New simulation…", key=simulations.NEW_RUN, icon=":material/add:"):
        simulations.new_run_dialog(catalog, runs)
    pending = st.session_state.get("monitoring_pending_run")
    if pending and pending not in runs:
        jobs.panel(simulations.run_job_key(catalog.name, pending))
    elif pending:  # the new run exists now: show it
        st.session_state["monitoring_run_picker"] = st.session_state.pop("monitoring_pending_run")
    if not runs:
        st.info("No simulation for this catalog yet: start one. Each round every user watches 1–20 films drawn "
                "from the champion's ranking, the simulated world rates them, and drift checks decide whether a "
                "challenger is trained and promoted.")
        return
    run = st.selectbox("Simulation run", runs, key="monitoring_run_picker")
    try:
        simulation = monitoring.open_simulation(catalog, run)
    except MarqueeError as exc:
        st.error(widgets.plain_line(exc))
        return
    st.caption(f"{simulation.config['scenario_text']} · seed {simulation.config['seed']} · real held-out R² "
               f"{simulation.config['target_r2']:.3f} · noise sd {simulation.config['sigma']:.3f}")
    snap = jobs.panel(simulations.run_job_key(catalog.name, run))
    if st.button("Run simulation round", type="primary", key="run-simulation-round",
                 disabled=snap is not None and snap.running):
        simulations.start_round(catalog, run)
        st.rerun()
    show_simulation(simulation)


def reliability_tab(catalog) -> None:
    found, problems = monitoring.summaries(monitoring.reliability_sources(catalog))
    for problem in problems:
        st.warning(problem)
    if not found:
        st.info("Train a casting or personal model to see its calibration here.")
        return
    for summary in found:
        if summary["warning"]:
            st.warning(f"{summary['name']}: {summary['warning']}; it is drawn apart (dotted, markers only).")
    table = monitoring.summary_frame(found)
    st.dataframe(table, hide_index=True, column_config=simulations.RELIABILITY_COLUMNS)
    widgets.csv_download(table, "reliability.csv", key="download-reliability")
    st.plotly_chart(monitoring.reliability_figure(found), key="monitoring-reliability")


@widgets.guarded("page Monitoring")  # one line on the page, the traceback in the log
def render() -> None:
    st.title("Monitoring")
    catalog = catalogs.active()
    drift, reliable = st.tabs(["Recommender drift", "Reliability"])
    with drift:
        drift_tab(catalog)
    with reliable:
        reliability_tab(catalog)


render()
