"""Personal taste model: the label store, the uncertainty scores per label version, trained models."""
from __future__ import annotations

import streamlit as st

from core.personal import api
from pages.state import catalogs


@st.cache_resource(show_spinner=False)
def labels_store(location: str | None = None):
    """The labels store (SQLite under data/personal/ unless MARQUEE_LABELS_URL says otherwise)."""
    return api.get_store(location)


@st.cache_data(show_spinner="Fitting a quick model to find uncertain titles…", max_entries=8)
def _uncertainty(profile: str, catalog_name: str, labels_version: int, data_checksum: str):
    return api.uncertainty_scores(labels_store(), profile, catalogs.load(catalog_name))


def uncertainty(profile: str, catalog) -> object:
    """Quick-model P(would watch) per title, recomputed only when the labels or the catalog change."""
    return _uncertainty(profile, catalog.name, labels_store().version(profile, catalog.name), catalog.data_checksum)


@st.cache_resource(show_spinner="Loading the taste model…", max_entries=4)
def _model(profile: str, catalog_name: str, version: str):
    return api.load_trained(profile, catalog_name)


def model_or_none(profile: str, catalog_name: str):
    """The saved taste model (reloaded when it is retrained), or None before the first training."""
    version = api.trained_version(profile, catalog_name)
    return None if version is None else _model(profile, catalog_name, version)


# ------------------------------------------------------------------ actions (button callbacks)
def act(action: str, profile: str, catalog_name: str, movie_id: int, title: str) -> None:
    """Save a label (or a skip) the moment the button is clicked, then move the queue on."""
    from core.personal.store import LABEL_TEXT, SKIP

    labels = labels_store()
    if action == SKIP:
        labels.skip(profile, catalog_name, movie_id)
    else:
        labels.set_label(profile, catalog_name, movie_id, action, title=title)
    st.session_state.pop("labeling_pinned", None)
    st.session_state["labeling_message"] = f"{'Skipped' if action == SKIP else LABEL_TEXT[action]}: {title}"


def exclude(profile: str, catalog_name: str, movie_id: int, title: str) -> None:
    labels_store().exclude(profile, catalog_name, [movie_id], reason="not available")
    st.session_state.pop("labeling_pinned", None)
    st.session_state["labeling_message"] = f"Excluded from recommendations: {title}"


def undo(profile: str, catalog_name: str) -> None:
    undone = labels_store().undo(profile, catalog_name)
    st.session_state["labeling_message"] = "Nothing to undo" if undone is None else \
        f"Undid {undone.action.replace('_', ' ')} of film {undone.movie_id}"


def new_profile() -> None:
    from core.errors import MarqueeError

    name = st.session_state.get("labeling_new_profile", "").strip()
    try:
        labels_store().create_profile(name)
        st.session_state["labeling_profile"] = name
        st.session_state["labeling_new_profile"] = ""
    except MarqueeError as exc:
        st.session_state["labeling_message"] = f"⚠️ {exc}"


# ------------------------------------------------------------------ widgets
BUTTONS = {"would_watch": "Would watch", "would_not_watch": "Would not watch",
           "would_watch_many": "Would watch many times", "skip": "Skip"}


def title_card(catalog, profile: str, current: int, why: str) -> None:
    """The title to judge (poster, facts, overview, people, the model's view) and the label buttons."""
    from core.personal.store import SKIP
    from pages.state import widgets

    card = api.title_card(catalog, current)
    poster, body = st.columns([1, 3])
    widgets.poster(card["poster_url"], container=poster, width=180)
    body.subheader(f"{card['title']} ({card['year'] or '?'})", anchor=False)
    facts = [", ".join(card["genres"]), f"{card['runtime']:.0f} min" if card["runtime"] else "",
             f"rated {card['vote_average']:.1f}/10" if card["vote_average"] else "", why]
    body.caption(" · ".join(f for f in facts if f))
    body.write(card["overview"] or "_No overview._")
    body.write(f"**Director:** {', '.join(card['directors']) or 'unknown'}  \n"
               f"**Cast:** {', '.join(card['cast']) or 'unknown'}")
    trained = model_or_none(profile, catalog.name)
    if trained is not None:
        why = api.explain(profile, catalog.name, current, top=3, store=labels_store(), trained=trained)
        body.metric("Model: P(would watch)", f"{why['p_watch']:.0%}")
        reasons = [f"{c['feature']} ({c['contribution']:+.2f})" for c in why["top_positive"] + why["top_negative"]]
        body.caption("Largest effects: " + ", ".join(reasons) + (". Because you liked " + ", ".join(
            s["title"] for s in why["because_you_liked"]) if why["because_you_liked"] else ""))
    buttons = st.columns([1, 1.1, 1.6, 0.7, 0.7])
    for column, (action, text) in zip(buttons, BUTTONS.items()):
        column.button(text, key=f"label_{action}", on_click=act, args=(action, profile, catalog.name, current, card["title"]),
                      type="primary" if action != SKIP else "secondary", width="stretch")
    buttons[4].button("Undo", key="label_undo", on_click=undo, args=(profile, catalog.name), width="stretch")
    st.button("Not available to me (never recommend)", key="label_exclude", type="tertiary", on_click=exclude,
              args=(profile, catalog.name, current, card["title"]))


def summary_metrics(profile: str, catalog_name: str) -> None:
    """Counts per label and the class balance."""
    from core.personal.store import LABEL_TEXT, SKIP

    summary = api.label_summary(labels_store(), profile, catalog_name)
    counts = summary["counts"]
    shown = [("Labeled", summary["labeled"])] + [(LABEL_TEXT[k], counts[k]) for k in BUTTONS if k != SKIP] \
        + [("Skipped", counts[SKIP])]
    for column, (text, value) in zip(st.columns(5), shown):
        column.metric(text, f"{value:,}")
    share = summary["positive_share"]
    st.progress(share or 0.0, text="Class balance: " + (f"{share:.0%} would watch, {1 - share:.0%} would not"
                                                        if share is not None else "no labels yet"))
