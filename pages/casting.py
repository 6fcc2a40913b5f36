"""Casting: a brief in; a calibrated, diverse slate out, with alternates, reasons, comparables, what-ifs."""
import streamlit as st

from core.casting import TARGETS, Brief, CastingConfig, brief_files, brief_options, what_if, with_weights
from core.errors import MarqueeError
from pages.state import casting, catalogs


def brief_form(trained, options: dict) -> None:
    with st.form("casting-brief"):
        c1, c2, c3, c4 = st.columns(4)
        year = c1.number_input("Release year", options["year_min"], options["year_max"], options["default_year"],
                               step=1, key="casting-year")
        budget = c2.number_input("Budget (millions of US$)", 0.0, 1000.0, 30.0, step=5.0, key="casting-budget")
        bill = c3.number_input("Bill order (1 = top billed)", 1, 50, 1, step=1, key="casting-bill")
        size = c4.number_input("Slate size", 1, 20, 5, step=1, key="casting-n")
        genres = st.multiselect("Genres", options["genres"], default=options["popular_genres"][:1], key="casting-genres")
        d1, d2 = st.columns([3, 1])
        director = d1.selectbox("Director (optional)", ["(none)"] + options["directors"], key="casting-director")
        weight = d2.number_input("Director synergy weight", 0.0, 2.0, trained.config.director_weight, step=0.1,
                                 key="casting-director-weight")
        if st.form_submit_button("Cast this brief", type="primary"):
            st.session_state["casting-last-brief"] = (Brief(int(year), float(budget), tuple(genres), int(bill),
                                                            int(size), None if director == "(none)" else director),
                                                      float(weight))


def slate(trained, result) -> None:
    flags = result.flags
    st.caption(f"{flags['candidates']:,} eligible actors · {flags['head']} head · {flags['calibrator']} calibration"
               f" · {result.timings['total_s'] * 1000:.0f} ms" + "".join(
                   f" · ⚠️ {flags[k]}" for k in ("warning", "short_slate") if k in flags))
    left, right = st.columns([3, 2])
    left.subheader("Slate")
    left.dataframe(result.slate[["rank", "actor", "p_cal", "p_base", "p_high", "prior_roles", "pace3", "bfd"]],
                   hide_index=True, width="stretch", key="casting-slate", column_config={
                       "p_cal": st.column_config.ProgressColumn("P(resonates), calibrated", format="%.2f",
                                                                min_value=0.0, max_value=1.0),
                       "p_high": st.column_config.NumberColumn("ranking score", format="%.3f")})
    pick = right.selectbox("Details for", result.slate["actor"].tolist(), key="casting-pick")
    rank = int(result.slate.loc[result.slate["actor"] == pick, "rank"].iloc[0])
    right.markdown("**Why**\n" + "\n".join(f"- {r}" for r in result.reasons.loc[result.reasons["rank"] == rank, "reason"]))
    right.markdown("**Alternates (similar, less exposed)**")
    right.dataframe(result.alternates.loc[result.alternates["rank"] == rank,
                                          ["alternate", "similarity", "prior_roles", "p_cal"]],
                    hide_index=True, width="stretch")
    st.subheader(f"Comparable past films of {pick}")
    st.dataframe(result.comparables.loc[result.comparables["rank"] == rank].drop(columns=["rank", "person_id"]),
                 hide_index=True, width="stretch")
    with st.expander("Downloads"):
        for i, (file_name, payload) in enumerate(brief_files(result, trained, with_plots=False).items()):
            st.download_button(file_name, payload, file_name=file_name, key=f"casting-dl-{i}")


def what_if_form(trained, result, options: dict) -> None:
    st.subheader("What if…")
    with st.form("casting-whatif"):
        w1, w2, w3, w4 = st.columns(4)
        swap_out = w1.selectbox("Swap out", ["(no swap)"] + result.slate["actor"].tolist(), key="casting-swap-out")
        swap_in = w2.text_input("Swap in (actor name)", value=result.alternates["alternate"].iloc[0]
                                if len(result.alternates) else "", key="casting-swap-in")
        new_year = w3.number_input("Year", options["year_min"], options["year_max"], result.brief.year, step=1,
                                   key="casting-whatif-year")
        new_budget = w4.number_input("Budget (millions of US$)", 0.0, 1000.0, float(result.brief.budget_musd),
                                     step=5.0, key="casting-whatif-budget")
        if st.form_submit_button("Compare"):
            swapping = swap_out != "(no swap)"
            try:
                table, summary = what_if(trained, result.brief, result.slate["person_id"],
                                         swap_out if swapping else None, swap_in if swapping else None,
                                         int(new_year), float(new_budget))
                st.dataframe(table, hide_index=True, width="stretch", key="casting-whatif-table")
                st.metric("Slate mean P(resonates)", f"{summary['slate_mean_p_cal_after']:.3f}",
                          f"{summary['slate_mean_p_cal_after'] - summary['slate_mean_p_cal']:+.3f}")
            except MarqueeError as exc:
                st.error(str(exc))


def retrain_form(name: str, trained, options: dict) -> None:
    with st.expander("Retrain with another target or cutoff"), st.form("casting-retrain"):
        r1, r2, r3 = st.columns(3)
        target = r1.selectbox("Target", list(TARGETS), index=list(TARGETS).index(trained.config.target),
                              format_func=TARGETS.get, key="casting-target")
        cutoff = r2.number_input("Last training year", options["year_min"], options["year_max"], trained.config.cutoff,
                                 step=1, key="casting-cutoff")
        quantile = r3.number_input("Label quantile", 0.5, 0.95, trained.config.quantile, step=0.05,
                                   key="casting-quantile")
        if st.form_submit_button("Retrain"):
            try:
                casting.retrain(name, CastingConfig(target=target, cutoff=int(cutoff), quantile=float(quantile)))
                st.rerun()
            except MarqueeError as exc:
                st.error(str(exc))


def render() -> None:
    st.title("🎭 Casting")
    name = catalogs.active_name()
    try:
        trained = casting.model(name)
    except MarqueeError as exc:
        st.error(f"Casting needs cast billing and a success signal: {exc}")
        st.stop()
    options = brief_options(trained)
    if trained.synthetic:
        st.warning("Synthetic demo catalog: actors and outcomes are generated, not real.", icon="🧪")
    brief_form(trained, options)
    if "casting-last-brief" not in st.session_state:
        st.info("Fill in the brief and press **Cast this brief**.")
    else:
        brief, weight = st.session_state["casting-last-brief"]
        trained = with_weights(trained, director_weight=weight)
        try:
            result = casting.brief_result(trained, brief)
        except MarqueeError as exc:
            st.error(str(exc))
        else:
            slate(trained, result)
            what_if_form(trained, result, options)
    casting.model_card(trained)
    retrain_form(name, trained, options)


render()
