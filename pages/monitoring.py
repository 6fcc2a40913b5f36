"""Monitoring: recommender simulation rounds, per-genre drift, champion/challenger decisions,
beyond-accuracy trends, and the reliability of the classification models."""
import streamlit as st

from core.cf.scenario import PRESETS, make_scenario
from core.cf.simulate import Simulation, list_runs
from core.errors import MarqueeError
from core.monitoring import reliability, sources
from core.monitoring import simulation as views
from pages.state import catalogs, widgets


def start_simulation(catalog) -> None:
    with st.form("new_simulation"):
        left, middle, right = st.columns(3)
        scenario = left.selectbox("Scenario", list(PRESETS), index=list(PRESETS).index("genre-penalty"),
                                  help="genre-penalty: the most-rated genre is suddenly rated lower")
        seed = middle.number_input("Seed", min_value=0, max_value=1_000_000, value=0, step=1)
        start = right.number_input("Drift starts at round", min_value=1, max_value=100, value=2, step=1)
        if not st.form_submit_button("Start new simulation"):
            return
    with st.status("Training the first champion and calibrating the simulated world…", expanded=True) as status:
        try:
            run = Simulation.create(catalog, f"{scenario}-seed{seed}", make_scenario(scenario, start_round=int(start)),
                                    seed=int(seed), progress=widgets.progress_bar()).config["run"]
        except MarqueeError as exc:
            status.update(label="Could not start the simulation", state="error")
            st.error(str(exc))
            return
        status.update(label=f"Simulation {run} ready", state="complete", expanded=False)
    st.session_state["monitoring_run_picker"] = run


def show_simulation(sim: Simulation) -> None:
    frame = views.rounds_frame(sim.rounds)
    if frame.empty:
        st.info("No round yet: press **Run simulation round**.")
        return
    last = frame.iloc[-1]
    cols = st.columns(5)
    cols[0].metric("Rounds", len(frame))
    cols[1].metric("Champion", sim.registry.champion())
    cols[2].metric("R² (last round)", f"{last['r2']:.3f}", f"{last['r2'] - last['baseline_r2']:+.3f} vs baseline")
    cols[3].metric("RMSE (last round)", f"{last['rmse']:.3f}")
    cols[4].metric("Coverage", f"{last['coverage']:.1%}")
    st.plotly_chart(views.metrics_figure(frame), key="monitoring-metrics")
    st.subheader("Per-genre drift")
    st.caption("RMSE change against the champion's baseline; ▲ marks a degraded segment. Genres with fewer than "
               f"{sim.policy.min_segment_count} ratings in a round are left blank.")
    st.plotly_chart(views.drift_heatmap(sim.segments()), key="monitoring-heatmap")
    st.subheader("Champion / challenger history")
    decisions = views.decisions_frame(sim.registry.decisions())
    st.dataframe(decisions, hide_index=True)
    widgets.csv_download(decisions, f"{sim.config['run']}-decisions.csv", key="download-decisions")
    st.subheader("Coverage, diversity and personalization")
    st.plotly_chart(views.trends_figure(frame), key="monitoring-trends")
    with st.expander("Rounds table"):
        st.dataframe(frame, hide_index=True)
        widgets.csv_download(frame, f"{sim.config['run']}-rounds.csv", key="download-rounds")


def drift_tab(catalog) -> None:
    with st.expander("Start a new simulation", expanded=not list_runs(catalog.name)):
        start_simulation(catalog)
    runs = list_runs(catalog.name)
    if not runs:
        st.info("No simulation for this catalog yet: start one above. Each round every user watches 1–20 films "
                "drawn from the champion's ranking, the simulated world rates them, and drift checks decide "
                "whether a challenger is trained and promoted.")
        return
    run = st.selectbox("Simulation run", runs, key="monitoring_run_picker")
    try:
        simulation = Simulation.open(catalog, run)
    except MarqueeError as exc:
        st.error(str(exc))
        return
    st.caption(f"{simulation.config['scenario_text']} · seed {simulation.config['seed']} · real held-out R² "
               f"{simulation.config['target_r2']:.3f} · noise sd {simulation.config['sigma']:.3f}")
    if st.button("Run simulation round", type="primary", key="run-simulation-round"):
        with st.spinner("Simulating a round…"):
            record = simulation.run_round()
        st.toast(f"Round {record['round']} done in {record['seconds']:.1f}s")
    show_simulation(simulation)


def reliability_tab(catalog) -> None:
    found = sources.reliability_sources(catalog.name)
    if not found:
        st.info("Train a casting or personal model to see its calibration here.")
        return
    summaries = [reliability.reliability_summary(y, p, name) for name, y, p in found]
    table = reliability.summary_frame(summaries)
    st.dataframe(table, hide_index=True)
    widgets.csv_download(table, "reliability.csv", key="download-reliability")
    st.plotly_chart(reliability.reliability_figure(summaries), key="monitoring-reliability")


def render() -> None:
    st.title("📈 Monitoring")
    catalog = catalogs.active()
    drift, reliable = st.tabs(["Recommender drift", "Reliability"])
    with drift:
        drift_tab(catalog)
    with reliable:
        reliability_tab(catalog)


render()
