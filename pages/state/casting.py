"""Casting: the catalog's trained model (per data version and settings) and cached brief results."""
from __future__ import annotations

import json
from functools import partial

import streamlit as st

from core.casting import Brief, CastingConfig, cast_brief, get_model, train_and_save, what_if
from core.casting import model_card_html as _model_card_html
from pages.state import catalogs, widgets


@st.cache_resource(show_spinner="Preparing the casting model (trained once per catalog, a few seconds)…",
                   max_entries=4)
def _model(name: str, data_checksum: str, config_json: str):
    config = CastingConfig.from_dict(json.loads(config_json)) if config_json else None
    return get_model(catalogs.load(name), config)


def model(name: str, cfg: CastingConfig | None = None):
    """The catalog's champion casting model bound to the catalog (saved settings unless ``cfg`` is given)."""
    return _model(name, catalogs.checksum(name), json.dumps(cfg.to_dict(), sort_keys=True) if cfg else "")


def model_version(trained) -> str:
    """What identifies a fitted model: its catalog version and every setting (serving weights too)."""
    return f"{trained.catalog_name}|{trained.data_checksum}|{json.dumps(trained.config.to_dict(), sort_keys=True)}"


def retrain_job_key(name: str) -> str:
    return f"casting-train:{name}"


def start_retrain(name: str, cfg: CastingConfig):
    """Train (and save) the catalog's casting model in the background with these settings."""
    from pages.state import jobs

    return jobs.start("casting-train", retrain_job_key(name), train_and_save, title=f"Casting model of {name}",
                      catalog=catalogs.load(name), config=cfg)


def forget_models(_snapshot=None) -> None:
    """A retrained model replaces the saved one: reload it (and what was drawn from it)."""
    for cached in (_model, _brief_result, _card_html, _figures):
        cached.clear()


# ------------------------------------------------------------------ the brief in the URL
BRIEF_PARAMS = ("year", "budget", "genres", "bill", "n", "director", "language", "runtime", "co_star", "country",
                "dw")
OLD_PARAMS = ("rating",)  # links made before the content rating left the brief: ignored, and dropped on the next cast


def brief_from_url(options: dict, default_weight: float):
    """(Brief, director weight) from the page's query parameters, None when the URL holds no
    brief, or a ``MarqueeError`` naming the bad parameter."""
    from core import validation

    params = st.query_params
    if "year" not in params or "genres" not in params:
        return None
    # Only types here (and the runtime the form's 0..600 widget can hold): the brief's ranges are checked by
    # core (validate_brief) with the catalog's words.
    year = validation.integer(params["year"], "year")
    budget = validation.finite_float(params.get("budget", "30"), "budget")
    genres = tuple(validation.plain_text(g, "genres", max_length=60) for g in params.get_all("genres"))
    bill = validation.integer(params.get("bill", "1"), "bill")
    size = validation.integer(params.get("n", "5"), "n")
    director = validation.plain_text(params["director"], "director", 200) if params.get("director") else None
    language = validation.plain_text(params["language"], "language", 60) if params.get("language") else None
    runtime = validation.finite_float(params["runtime"], "runtime", 1, 600) if params.get("runtime") else None
    co_stars = tuple(validation.plain_text(c, "co_star", max_length=200) for c in params.get_all("co_star"))
    country = validation.plain_text(params["country"], "country", 60) if params.get("country") else None
    weight = validation.finite_float(params.get("dw", default_weight), "dw", 0.0, 2.0)
    return Brief(year, budget, genres, bill, size, director, language, runtime, co_stars, country), weight


def brief_to_url(brief, weight: float) -> None:
    """Put the brief into the URL (a shared link reproduces the slate), other parameters kept.

    One replacement of the whole query string: each ``pop``/``update`` of ``st.query_params`` sends
    the browser its own message and history entry (8 per brief before, ~45 ms of browser time)."""
    params = st.query_params
    kept = {key: params.get_all(key) for key in params  # from_dict keeps Streamlit's own embed parameters itself
            if key not in BRIEF_PARAMS + OLD_PARAMS and key.lower() not in ("embed", "embed_options")}
    params.from_dict({**kept, "year": str(brief.year), "budget": f"{brief.budget_musd:g}", "genres": list(brief.genres),
                      "bill": str(brief.bill_order), "n": str(brief.n), "dw": f"{weight:g}",
                      **({"director": brief.director} if brief.director else {}),
                      **({"language": brief.language} if brief.language else {}),
                      **({"runtime": f"{brief.runtime:g}"} if brief.runtime else {}),
                      **({"co_star": list(brief.co_stars)} if brief.co_stars else {}),
                      **({"country": brief.country} if brief.country else {})})


SLATE_COLUMNS = {
    "rank": st.column_config.NumberColumn("#", width="small"),
    "actor": st.column_config.TextColumn("Actor"),
    "p_cal": st.column_config.ProgressColumn(
        "Chance it resonates", format="%.2f", min_value=0.0, max_value=1.0,
        help="Calibrated probability that a film like this brief, with this actor, reaches the target "
             "(for example the top quarter of vote averages)."),
    "actor_effect": st.column_config.NumberColumn(
        "Actor's effect", format="%+.3f",
        help="How much this actor moves the chance from the brief's base chance (the same film with a typical "
             "actor); the model's own answer, so it orders the slate as the chance does."),
    "p_high": st.column_config.NumberColumn(
        "Ranking score", format="%.3f",
        help="The chance, plus the director-synergy bump (and the cycle bump when its weight is set), minus "
             "budget-fit and release-pace penalties."),
    "p_base": st.column_config.NumberColumn("Raw model score", format="%.3f",
                                            help="The model's score before calibration."),
    "prior_roles": st.column_config.NumberColumn("Roles before", help="Roles before the brief's year."),
    "pace3": st.column_config.NumberColumn("Roles in last 3 years",
                                           help="Release pace: roles in the three years before the brief's year."),
    "bfd": st.column_config.NumberColumn("Budget-fit gap", format="%.1f",
                                         help="Deciles between the brief's budget and the actor's usual budgets."),
}


@st.cache_resource(show_spinner="Casting…", max_entries=32)
def _brief_result(version: str, brief_json: str, _trained):
    values = json.loads(brief_json)
    return cast_brief(_trained, Brief(**{**values, "genres": tuple(values["genres"]),
                                         "co_stars": tuple(values.get("co_stars", ()))}))


def brief_result(trained, brief: Brief):
    """The slate for a brief, computed once per (model, brief): picking another actor's details,
    downloading or reopening the page does not recompute it."""
    return _brief_result(model_version(trained), json.dumps(brief.to_dict(), sort_keys=True), trained)


@st.cache_data(show_spinner=False, max_entries=4)
def _card_html(version: str, _trained) -> str:
    return _model_card_html(_trained)


def model_card_html(trained) -> str:
    return _card_html(model_version(trained), trained)


@st.cache_resource(show_spinner=False, max_entries=4)
def _figures(version: str, _trained) -> dict:
    from core.casting import model_figures

    return model_figures(_trained)


def model_card(trained) -> None:
    """Holdout metrics, the model's figures (drawn once per model) and the HTML card download."""
    st.subheader("Model card")
    m = trained.metrics
    for col, (label, key) in zip(st.columns(4), [("AUROC", "auroc"), ("PR-AUC", "pr_auc"), ("Brier", "brier"),
                                                 ("ECE", "ece")]):
        col.metric(f"Holdout {label}", f"{m[key]:.3f}")
    st.caption(f"Target: {trained.target_label} (threshold {m['threshold']:.3g} on films up to {m['cutoff']}) · "
               f"holdout {m['years'][0]}–{m['years'][1]}, {m['n_rows']:,} rows, base rate {m['positive_rate']:.2f} · "
               f"head {m['head']} (calibration-slice AUROC "
               + ", ".join(f"{k} {v:.3f}" for k, v in m["selection_auroc"].items())
               + f") · {m['calibrator']} calibration on {m['calibration_years'][0]}–{m['calibration_years'][1]}")
    left, right = st.columns(2)
    for i, fig in enumerate(_figures(model_version(trained), trained).values()):
        (left if i % 2 == 0 else right).plotly_chart(fig, width="stretch", key=f"casting-fig-{i}")
    st.download_button("Download model card (HTML)", partial(model_card_html, trained),
                       file_name="casting_model_card.html", key="casting-card", on_click="ignore")

ALTERNATE_COLUMNS = {
    "alternate": st.column_config.TextColumn("Alternate"),
    "similarity": st.column_config.NumberColumn("Similarity", format="%.2f",
                                                help="How alike the two actors' careers are (1 = identical profile)."),
    "prior_roles": st.column_config.NumberColumn("Roles before", help="Roles before the brief's year."),
    "p_cal": st.column_config.ProgressColumn("Chance it resonates", format="%.2f", min_value=0.0, max_value=1.0),
}
COMPARABLE_COLUMNS = {
    "title": st.column_config.TextColumn("Film"), "year": st.column_config.NumberColumn("Year", format="%d"),
    "budget_musd": st.column_config.NumberColumn("Budget (M$)", format="%.1f"),
    "genres": st.column_config.TextColumn("Genres"), "bill_order": st.column_config.NumberColumn("Billed"),
    "resonated": st.column_config.CheckboxColumn("Resonated", help="Did the film reach the target?"),
    "match": st.column_config.TextColumn("Why comparable"),
    # the target's own value (one of these, as the model was trained): plain names, not column ids
    "vote_average": st.column_config.NumberColumn("Vote average", format="%.1f"),
    "popularity": st.column_config.NumberColumn("Popularity", format="%.1f"),
    "roi": st.column_config.NumberColumn("Revenue / budget", format="%.2f"),
}


def result_caption(result) -> str:
    flags = result.flags
    return (f"{flags['candidates']:,} eligible actors · {flags['head']} head · {flags['calibrator']} calibration"
            f" · {result.timings['total_s'] * 1000:.0f} ms"
            + "".join(f" · ⚠️ {flags[k]}" for k in ("warning", "short_slate") if k in flags))


def brief_downloads(result, trained) -> dict:
    """The brief's export files by name, each a callable that builds it when its button is clicked
    (not on every run that shows the buttons)."""
    from core.casting import BRIEF_FILE_NAMES, brief_files

    return {name: partial(lambda n: brief_files(result, trained, with_plots=False)[n], name)
            for name in BRIEF_FILE_NAMES}

WHAT_IF_COLUMNS = {
    "position": st.column_config.NumberColumn("#", width="small"),
    "actor": st.column_config.TextColumn("Actor (as cast)"),
    "p_cal": st.column_config.ProgressColumn("Chance it resonates", format="%.2f", min_value=0.0, max_value=1.0,
                                             help="Calibrated chance for the brief as cast."),
    "actor_after": st.column_config.TextColumn("Actor (what if)"),
    "p_cal_after": st.column_config.ProgressColumn("Chance after the change", format="%.2f", min_value=0.0,
                                                   max_value=1.0, help="Calibrated chance with the swap, year or budget."),
    "change": st.column_config.NumberColumn("Change", format="%+.3f", help="Chance after minus chance as cast."),
    "roles_before_year_after": st.column_config.NumberColumn("Roles before", help="The actor's roles before the "
                                                             "(possibly changed) year."),
}


def what_if_form(trained, result, options: dict) -> None:
    # A lazy expander: closed, its form is not built or sent (about 11 elements less per brief).
    with st.expander("What if… (swap an actor, another year or budget)", key=WHAT_IF_OPEN, on_change="rerun") as box:
        if box.open:
            _what_if_compare(trained, result, options)


WHAT_IF_OPEN = "casting-whatif-open"
DOWNLOADS_OPEN = "casting-downloads-open"


def _what_if_compare(trained, result, options: dict) -> None:
    from core.errors import MarqueeError

    with st.form("casting-whatif"):
        w1, w2, w3, w4 = st.columns(4)
        swap_out = w1.selectbox("Swap out", ["(no swap)"] + result.slate["actor"].tolist(), key="casting-swap-out")
        swap_in = w2.text_input("Swap in (actor name)", value=result.alternates["alternate"].iloc[0]
                                if len(result.alternates) else "", key="casting-swap-in")
        new_year = w3.number_input("Year", options["year_min"], options["year_max"], result.brief.year, step=1,
                                   key="casting-whatif-year")
        new_budget = w4.number_input("Budget (millions of US$)", 0.0, 1000.0, float(result.brief.budget_musd),
                                     step=5.0, key="casting-whatif-budget")
        if not st.form_submit_button("Compare"):
            return
        swapping = swap_out != "(no swap)"
        try:
            table, summary = what_if(trained, result.brief, result.slate["person_id"], swap_out if swapping else None,
                                     swap_in if swapping else None, int(new_year), float(new_budget))
        except MarqueeError as exc:
            st.error(widgets.plain_line(exc))
            return
        st.dataframe(table, hide_index=True, width="stretch", key="casting-whatif-table",
                     column_config=WHAT_IF_COLUMNS)
        st.metric("Slate's mean chance it resonates", f"{summary['slate_mean_p_cal_after']:.3f}",
                  f"{summary['slate_mean_p_cal_after'] - summary['slate_mean_p_cal']:+.3f}",
                  help="The slate's average calibrated chance after the change; the delta is against the brief as cast.")


def retrain_form(name: str, config: CastingConfig | None, options: dict, expanded: bool = False) -> None:
    """Target, cutoff and label quantile; retraining asks for confirmation, then runs as a job."""
    from core.casting import TARGETS

    config = config or CastingConfig()
    with st.expander("Retrain with another target or cutoff", expanded=expanded), st.form("casting-retrain"):
        r1, r2, r3 = st.columns(3)
        target = r1.selectbox("Target", list(TARGETS), index=list(TARGETS).index(config.target),
                              format_func=TARGETS.get, key="casting-target")
        cutoff = r2.number_input("Last training year", options["year_min"], options["year_max"],
                                 min(max(config.cutoff, options["year_min"]), options["year_max"]), step=1,
                                 key="casting-cutoff")
        quantile = r3.number_input("Label quantile", 0.5, 0.95, config.quantile, step=0.05, key="casting-quantile")
        if st.form_submit_button("Retrain…"):
            st.session_state["casting-retrain-settings"] = {"target": target, "cutoff": int(cutoff),
                                                            "quantile": float(quantile)}
            widgets.open_dialog(RETRAIN)
    if st.session_state.get(f"{RETRAIN}-open"):
        confirm_retrain(name, st.session_state["casting-retrain-settings"])


RETRAIN = "casting-retrain"


@st.dialog("Retrain the casting model?", on_dismiss=partial(widgets.close_dialog, RETRAIN))
@widgets.guarded("retrain")
def confirm_retrain(name: str, settings: dict) -> None:
    from core.errors import MarqueeError

    st.write(f"Catalog {name}: target {settings['target']}, training on films up to {settings['cutoff']}, "
             f"label = top {100 - settings['quantile'] * 100:.0f}%.")
    st.caption("The new model replaces the saved one for everyone using this catalog. Training runs in the "
               "background; you can leave the page meanwhile.")
    left, right = st.columns(2)
    if left.button("Retrain", type="primary", key="casting-retrain-confirm"):
        try:
            start_retrain(name, CastingConfig(**settings))
        except MarqueeError as exc:
            st.error(widgets.plain_line(exc))
            return
        widgets.close_dialog(RETRAIN)
        st.rerun()
    if right.button("Keep the current model", key="casting-retrain-cancel"):
        widgets.close_dialog(RETRAIN)
        st.rerun()


def cannot_cast(name: str, error: Exception) -> None:
    """Casting on a catalog that cannot support it: why in one line, and the fixes."""
    catalog = catalogs.load(name)
    st.error(f"Casting cannot train on catalog {name}: {widgets.plain_line(error)}")
    scored = catalog.movies[["vote_average", "popularity", "budget", "revenue"]].notna().sum()
    hints = []
    if scored["vote_average"] == 0 and scored["popularity"] == 0:
        hints.append("No film has a vote average or popularity. Merge a scored source, e.g. "
                     f"`python -m core merge {name} imdb5000 --into {name}_imdb` (IMDB-5000 brings scores and budgets).")
    hints.append("Or try another target or a later cutoff below (fewer films need a score).")
    for hint in hints:
        st.info(hint)
    years = catalog.movies["year"].dropna()
    low, high = (int(years.min()) + 1, int(years.max())) if len(years) else (1900, 2030)
    retrain_form(name, None, {"year_min": low, "year_max": max(high, low)}, expanded=True)
