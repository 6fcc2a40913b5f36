"""Casting: a brief in; a calibrated, diverse slate out, with alternates, reasons, comparables, what-ifs."""
import streamlit as st

from core.casting import Brief, brief_options, co_star_help, parse_co_stars, with_weights
from core.errors import MarqueeError
from pages.state import casting, catalogs, jobs, widgets


def brief_form(trained, options: dict, shown):
    """The brief; a submitted brief goes into the URL (what a shared link casts) and is returned."""
    brief, weight = shown or (Brief(options["default_year"], 30.0, tuple(options["popular_genres"][:1])),
                              trained.config.director_weight)
    def clamp(value, low, high):
        return min(max(value, low), high)

    # Keyed widgets: a widget's identity is its key, not its default, so the next run (whose defaults
    # come from the URL the last brief wrote) keeps what the person typed since. Unkeyed, every second
    # submit lost the edits: the new defaults made new widgets that took their defaults.
    key = f"casting-brief-{trained.catalog_name}-"

    with st.form("casting-brief"):
        # One row of four columns for every small field (each column is one more element sent per brief).
        c1, c2, c3, c4 = st.columns(4)
        year = c1.number_input("Release year", options["year_min"], options["year_max"],
                               clamp(brief.year, options["year_min"], options["year_max"]), step=1,
                               key=key + "year")
        budget = c2.number_input("Budget (millions of US$)", 0.0, 1000.0, clamp(float(brief.budget_musd), 0.0, 1000.0),
                                 step=5.0, key=key + "budget")
        bill = c3.number_input("Bill order (1 = top billed)", 1, 50, clamp(brief.bill_order, 1, 50), step=1,
                               key=key + "bill")
        size = c4.number_input("Slate size", 1, 20, clamp(brief.n, 1, 20), step=1, key=key + "n")
        languages = options["languages"] or [options["default_language"]]
        language = c1.selectbox("Original language", languages,
                                index=languages.index(brief.language or options["default_language"])
                                if (brief.language or options["default_language"]) in languages else 0,
                                key=key + "language")
        runtime = c2.number_input("Runtime (minutes, 0 = not known yet)", 0, 600, clamp(int(brief.runtime or 0), 0, 600),
                                  step=5, key=key + "runtime")
        country = _optional_select(c3, "Production country (optional)", options["countries"], brief.country,
                                   key=key + "country")
        weight = c4.number_input("Director synergy weight", 0.0, 2.0, float(weight), step=0.1, key=key + "dw",
                                 help="Weight of the director bump in the ranking score (the director's record, and "
                                      "their past films with the actor); used when a director is chosen below.")
        genres = st.multiselect("Genres", options["genres"], default=[g for g in brief.genres if g in options["genres"]],
                                key=key + "genres")
        directors = ["(none)"] + options["directors"]
        director = st.selectbox("Director (optional)", directors,
                                index=directors.index(brief.director) if brief.director in directors else 0,
                                key=key + "director")
        co_stars = st.text_input("Co-stars already cast (optional, comma-separated names)", ", ".join(brief.co_stars),
                                 help=co_star_help(trained.config.feature_set), key=key + "co-stars")
        if st.form_submit_button("Cast this brief", type="primary"):
            try:
                names = parse_co_stars(co_stars)
            except MarqueeError as exc:
                st.error(widgets.plain_line(exc))
                return shown
            submitted = (Brief(int(year), float(budget), tuple(genres), int(bill), int(size),
                               None if director == "(none)" else director, language,
                               float(runtime) if runtime else None, names, country), float(weight))
            casting.brief_to_url(*submitted)
            return submitted
    return shown


def _optional_select(column, label: str, values: list[str], current: str | None, key: str) -> str | None:
    """A select box of the catalog's values with '(not known)' first; None when it is chosen."""
    choices = ["(not known)"] + list(values)
    picked = column.selectbox(label, choices, index=choices.index(current) if current in choices else 0,
                              disabled=not values, help=None if values else "this catalog records none", key=key)
    return None if picked == "(not known)" else picked


@st.fragment
@widgets.guarded("casting details")
def details(result) -> None:
    """Why, alternates and comparables of one pick: switching picks reruns only this part."""
    pick = st.selectbox("Details for", result.slate["actor"].tolist(), key="casting-pick")
    rank = int(result.slate.loc[result.slate["actor"] == pick, "rank"].iloc[0])
    left, right = st.columns([3, 2])
    left.markdown("**Why**")
    reasons = result.reasons.loc[result.reasons["rank"] == rank, "reason"]
    if len(reasons):  # one element, not one per line: each element is one more message to the browser
        left.text("\n".join(f"• {reason}" for reason in reasons))
    right.markdown("**Alternates (similar, less exposed)**")
    right.dataframe(result.alternates.loc[result.alternates["rank"] == rank,
                                          ["alternate", "similarity", "prior_roles", "p_cal"]],
                    hide_index=True, width="stretch", column_config=casting.ALTERNATE_COLUMNS)
    st.markdown("**Comparable past films**")
    st.dataframe(result.comparables.loc[result.comparables["rank"] == rank].drop(columns=["rank", "person_id", "actor"]),
                 hide_index=True, width="stretch", column_config=casting.COMPARABLE_COLUMNS)


def results(trained, brief: Brief, options: dict) -> None:
    try:
        result = casting.brief_result(trained, brief)
    except MarqueeError as exc:
        st.error(widgets.plain_line(exc))
        return
    st.caption(casting.result_caption(result))
    st.subheader("Slate", anchor=False)
    st.dataframe(result.slate[list(casting.SLATE_COLUMNS)], hide_index=True, width="stretch", key="casting-slate",
                 column_config=casting.SLATE_COLUMNS)
    details(result)
    downloads(trained, result)
    what_if(trained, result, options)


@st.fragment
@widgets.guarded("casting downloads")
def downloads(trained, result) -> None:
    """The brief's files; a lazy expander: closed, its buttons are not sent, and opening it reruns
    only this part."""
    with st.expander("Downloads", key=casting.DOWNLOADS_OPEN, on_change="rerun") as box:
        if box.open:
            for i, (file_name, build) in enumerate(casting.brief_downloads(result, trained).items()):
                st.download_button(file_name, build, file_name=file_name, key=f"casting-dl-{i}", on_click="ignore")


@st.fragment
@widgets.guarded("casting what-if")
def what_if(trained, result, options: dict) -> None:
    """Comparing a swap, year or budget reruns only this part."""
    casting.what_if_form(trained, result, options)


@st.fragment
@widgets.guarded("casting brief")
def brief_and_slate(trained, options: dict) -> None:
    """The brief form and its slate: casting a brief reruns only this part (not the model card's
    charts or the retrain form below). The brief is read from the URL on every run of it."""
    try:
        shown = casting.brief_from_url(options, trained.config.director_weight)
    except MarqueeError as exc:
        st.error(f"The link's brief cannot be used: {widgets.plain_line(exc)}")
        shown = None
    shown = brief_form(trained, options, shown)
    if shown is None:
        st.info("Fill in the brief and press **Cast this brief**.")
    else:
        results(with_weights(trained, director_weight=shown[1]), shown[0], options)


@widgets.guarded("page Casting")  # one line on the page, the traceback in the log
def render() -> None:
    st.title("Casting")
    name = catalogs.active_name()
    jobs.panel(casting.retrain_job_key(name), on_done=casting.forget_models)
    try:
        trained = casting.model(name)
    except MarqueeError as exc:
        casting.cannot_cast(name, exc)
        return
    options = brief_options(trained)
    if trained.synthetic:
        st.warning("Synthetic demo catalog: actors and outcomes are generated, not real.", icon=":material/science:")
    brief_and_slate(trained, options)
    casting.model_card(trained)
    casting.retrain_form(name, trained.config, options)


render()
