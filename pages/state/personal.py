"""Personal taste model: the label store, the uncertainty scores per label version, trained models."""
from __future__ import annotations

from functools import partial

import streamlit as st

from core import personal
from pages.state import catalogs, widgets


@st.cache_resource(show_spinner=False)
def labels_store(location: str | None = None):
    """The labels store (SQLite under data/personal/ unless MARQUEE_LABELS_URL says otherwise)."""
    return personal.open_store(location)


@st.cache_data(show_spinner="Scoring titles to find the uncertain ones…", max_entries=8)
def _uncertainty(profile: str, catalog_name: str, labels_version: int, data_checksum: str, shared_version: str | None):
    catalog = catalogs.load(catalog_name)
    return personal.uncertainty_scores(labels_store(), profile, catalog, shared=shared_or_none(catalog))


def uncertainty(profile: str, catalog) -> object:
    """P(would watch) per title (the shared model's when the catalog has one, else a quick model's),
    recomputed only when the labels, the catalog or the shared model change."""
    return _uncertainty(profile, catalog.name, labels_store().version(profile, catalog.name), catalog.data_checksum,
                        personal.shared_version(catalog.name))


@st.cache_resource(show_spinner="Loading the shared taste model…", max_entries=2)
def _shared(catalog_name: str, version: str, data_checksum: str):
    return personal.load_shared(catalogs.load(catalog_name))


def shared_or_none(catalog):
    """The catalog's shared (new-labeler) model, None when it has none or it is stale."""
    from core.errors import MarqueeError

    version = personal.shared_version(catalog.name)
    if version is None:
        return None
    try:
        return _shared(catalog.name, version, catalog.data_checksum)
    except MarqueeError:  # stale or unreadable: the Model tab says so
        return None


def shared_problem(catalog) -> str | None:
    """Why the catalog's shared model cannot be used (None: it can, or there is none)."""
    from core.errors import MarqueeError

    if personal.shared_version(catalog.name) is None:
        return None
    try:
        _shared(catalog.name, personal.shared_version(catalog.name), catalog.data_checksum)
    except MarqueeError as exc:
        return str(exc)
    return None


@st.cache_resource(show_spinner="Loading the taste model…", max_entries=4)
def _model(profile: str, catalog_name: str, version: str, data_checksum: str):
    return personal.load_trained(profile, catalogs.load(catalog_name))


def model_or_none(profile: str, catalog):
    """The saved taste model (reloaded when it is retrained or the catalog changes), or None
    before the first training. A model trained on an earlier version of the catalog raises the
    clear "train it again" ``MarqueeError``."""
    version = personal.trained_version(profile, catalog.name)
    return None if version is None else _model(profile, catalog.name, version, catalog.data_checksum)


def model_and_problem(profile: str, catalog):
    """(model or None, the one-line reason there is no usable model, or None)."""
    from core.errors import MarqueeError

    try:
        return model_or_none(profile, catalog), None
    except MarqueeError as exc:
        return None, str(exc)


# ------------------------------------------------------------------ actions (button callbacks)
@widgets.guarded("labeling")
def act(action: str, profile: str, catalog_name: str, movie_id: int, title: str) -> None:
    """Save a label (or a skip) the moment the button is clicked, then move the queue on."""
    from core.personal import LABEL_TEXT, SKIP

    labels = labels_store()
    if action == SKIP:
        labels.skip(profile, catalog_name, movie_id)
    else:
        labels.set_label(profile, catalog_name, movie_id, action, title=title)
    st.session_state.pop("labeling_pinned", None)
    st.session_state["labeling_message"] = f"{'Skipped' if action == SKIP else LABEL_TEXT[action]}: {title}"


@widgets.guarded("labeling")
def exclude(profile: str, catalog_name: str, movie_id: int, title: str) -> None:
    labels_store().exclude(profile, catalog_name, [movie_id], reason="not available")
    st.session_state.pop("labeling_pinned", None)
    st.session_state["labeling_message"] = f"Excluded from recommendations: {title}"


@widgets.guarded("labeling")
def undo(profile: str, catalog_name: str) -> None:
    undone = labels_store().undo(profile, catalog_name)
    st.session_state["labeling_message"] = "Nothing to undo" if undone is None else \
        f"Undid {undone.action.replace('_', ' ')} of film {undone.movie_id}"


@widgets.guarded("new profile")
def new_profile() -> None:
    from core.errors import MarqueeError

    name = st.session_state.get("labeling_new_profile", "").strip()
    try:
        labels_store().create_profile(name)
        st.session_state["profile"] = name
        st.session_state["labeling_new_profile"] = ""
    except MarqueeError as exc:
        st.session_state["labeling_message"] = f"⚠️ {exc}"


# ------------------------------------------------------------------ widgets
BUTTONS = {  # label → (text, icon, button type): the three answers look different at a glance
    "would_watch": ("Would watch", ":material/thumb_up:", "primary"),
    "would_watch_many": ("Would watch many times", ":material/favorite:", "primary"),
    "would_not_watch": ("Would not watch", ":material/thumb_down:", "secondary"),
    "skip": ("Skip", ":material/skip_next:", "tertiary"),
}


def title_card(catalog, profile: str, current: int, why: str) -> None:
    """The title to judge (poster, facts, overview, people, the model's view) and the label buttons."""
    from pages.state import widgets

    card = personal.title_card(catalog, current)
    poster, body = st.columns([1, 3])
    widgets.poster(card["poster_url"], container=poster, width=180)
    body.subheader(widgets.escape_markdown(f"{card['title']} ({card['year'] or '?'})"), anchor=False)
    facts = [", ".join(card["genres"]), f"{card['runtime']:.0f} min" if card["runtime"] else "",
             f"rated {card['vote_average']:.1f}/10" if card["vote_average"] else "", why]
    body.text(" · ".join(f for f in facts if f))
    body.text(card["overview"] or "No overview.")
    body.text(f"Director: {', '.join(card['directors']) or 'unknown'}\nCast: {', '.join(card['cast']) or 'unknown'}")
    shared = shared_or_none(catalog)
    trained, _ = model_and_problem(profile, catalog)  # the Model tab says why there is none
    if shared is not None:
        view = personal.shared_explain(shared, catalog, labels_store(), profile, current)
        body.metric("Shared model: P(would watch)", f"{view['p_watch']:.0%}" + (" (cold start)" if view["cold_start"] else ""))
        body.text(f"Why: {view['reason']}")
    elif trained is not None:
        why = personal.explain(trained, catalog, current, store=labels_store(), top=3)
        body.metric("Model: P(would watch)", f"{why['p_watch']:.0%}" + (" (unreliable)" if why["reliability"] else ""))
        body.text(personal.explanation_text(why))
    buttons = st.columns([1, 1.5, 1.1, 0.7, 0.7])
    for column, (action, (text, icon, kind)) in zip(buttons, BUTTONS.items()):
        column.button(text, key=f"label_{action}", icon=icon, type=kind, width="stretch", on_click=act,
                      args=(action, profile, catalog.name, current, card["title"]))
    buttons[4].button("Undo", key="label_undo", icon=":material/undo:", on_click=undo, args=(profile, catalog.name),
                      width="stretch")
    st.button("Not available to me (never recommend)", key="label_exclude", type="tertiary", on_click=exclude,
              args=(profile, catalog.name, current, card["title"]))


def summary_metrics(profile: str, catalog_name: str) -> None:
    """Counts per label and the class balance."""
    from core.personal import LABEL_TEXT, SKIP

    summary = personal.label_summary(labels_store(), profile, catalog_name)
    counts = summary["counts"]
    shown = [("Labeled", summary["labeled"])] + [(LABEL_TEXT[k], counts[k]) for k in LABEL_TEXT] \
        + [("Skipped", counts[SKIP])]
    for column, (text, value) in zip(st.columns(5), shown):
        column.metric(text, f"{value:,}")
    share = summary["positive_share"]
    st.progress(share or 0.0, text="Class balance: " + (f"{share:.0%} would watch, {1 - share:.0%} would not"
                                                        if share is not None else "no labels yet"))


# ------------------------------------------------------------------ reviewing labels
LABEL_CHOICES = ["would_watch", "would_watch_many", "would_not_watch"]


REVIEW = "labeling_review"


@st.dialog("Review and correct labels", width="large", on_dismiss=partial(widgets.close_dialog, REVIEW))
@widgets.guarded("label review")
def review_labels(profile: str, catalog_name: str) -> None:
    """Every label of the profile, newest first: change a label, or delete the row to clear it."""
    from core.errors import MarqueeError
    from core.personal import LABEL_TEXT

    labels = labels_store()
    frame = labels.labels(profile, catalog_name).sort_values("labeled_at", ascending=False).reset_index(drop=True)
    if frame.empty:
        st.info("No labels yet.")
        return
    st.data_editor(frame, key="labeling-review", hide_index=True, width="stretch", num_rows="delete",
                   disabled=["movie_id", "labeled_at", "title"], column_order=["title", "label", "labeled_at"],
                   column_config={"title": st.column_config.TextColumn("Title"),
                                  "label": st.column_config.SelectboxColumn("Label", options=LABEL_CHOICES,
                                                                            format_func=LABEL_TEXT.get, required=True),
                                  "labeled_at": st.column_config.TextColumn("Labeled at")})
    changed, cleared = review_changes(frame, st.session_state.get("labeling-review", {}))
    st.caption(f"{len(changed)} changed, {len(cleared)} to clear. Each change can be undone with Undo.")
    if st.button("Save changes", type="primary", disabled=not (changed or cleared), key="labeling-review-save"):
        try:
            save_review(labels, profile, catalog_name, frame, changed, cleared)
        except MarqueeError as exc:
            st.error(widgets.plain_line(exc))
            return
        st.session_state["labeling_message"] = f"Saved {len(changed)} changed and {len(cleared)} cleared labels"
        widgets.close_dialog(REVIEW)
        st.rerun()


# ------------------------------------------------------------------ the model tab
RECOMMENDATION_COLUMNS = {
    "rank": st.column_config.NumberColumn("#", width="small"),
    "title": st.column_config.TextColumn("Title"),
    "year": st.column_config.NumberColumn("Year", format="%d"),
    "p_watch": st.column_config.ProgressColumn("Would watch", format="%.0f%%", min_value=0, max_value=100,
                                               help="The model's probability that you would watch it."),
    "reason": st.column_config.TextColumn("Why", help="The liked title it is most like, and what raised it most."),
    "flag": st.column_config.TextColumn("Flag", help="unreliable_model: the model is too weak to trust yet."),
}
UNRELIABLE_HELP = "The model is too weak to trust yet (see the warning above): a rough guess, not a probability."


def train_job_key(profile: str, catalog_name: str) -> str:
    return f"personal-train:{catalog_name}:{profile}"


def model_tab(catalog, profile: str) -> None:
    """Train (in the background), the cross-validated quality, and the top recommendations."""
    from pages.state import jobs, widgets

    shared_section(catalog, profile)
    st.subheader("Your own model", anchor=False)
    key = train_job_key(profile, catalog.name)
    trained, problem = model_and_problem(profile, catalog)
    weak = trained is not None and not trained.reliability().ok  # its "done" line is a warning, not a green check
    snap = jobs.panel(key, done_caveat="but the model is too weak to trust yet (see below)" if weak else None)
    if (snap is None or not snap.running) and st.button("Train model", key="labeling_train"):
        jobs.start("personal-train", key, personal.train, title=f"Taste model of {profile}", profile=profile,
                   catalog=catalog, store=labels_store())
        st.rerun()
    if trained is None:
        if problem:
            st.warning(problem)
        else:
            st.info("No model yet for this profile: label both kinds of titles, then train.")
        return
    metrics = trained.report()["metrics"]
    st.write(f"Cross-validated ROC-AUC {metrics['roc_auc']:.3f} · PR-AUC {metrics['pr_auc']:.3f} · "
             f"{metrics['n']} labels")
    reliable = trained.reliability().ok
    if not reliable:  # a model too weak to trust is a warning, never a green check
        st.warning(trained.reliability().message)
    top = personal.recommend(trained, catalog, store=labels_store(), top=15).reset_index()
    shown = widgets.with_film_links(top.assign(p_watch=top["p_watch"] * 100), catalog)
    columns = dict(RECOMMENDATION_COLUMNS)
    if not reliable:  # no confident-looking bars from a model too weak to trust; the warning above says why
        shown["p_watch"] = [f"{p:.0f}% (unreliable)" for p in shown["p_watch"]]
        columns["p_watch"] = st.column_config.TextColumn("Would watch", help=UNRELIABLE_HELP)
    columns.pop("flag")  # the flag's meaning is carried by the warning and the column above, not a raw code
    st.dataframe(shown, hide_index=True, width="stretch", key="labeling-recommendations",
                 column_order=[c for c in (*columns, *widgets.FILM_LINK_COLUMNS) if c in shown],
                 column_config={**columns, **widgets.FILM_LINK_COLUMNS})
    widgets.csv_download(top, f"recommendations-{profile}.csv", label="Download recommendations CSV")


def review_changes(frame, edits: dict) -> tuple[dict[int, str], list[int]]:
    """What the data editor's state asks for: {movie_id: new label} and the movie_ids to clear."""
    changed = {int(frame.at[i, "movie_id"]): row["label"] for i, row in edits.get("edited_rows", {}).items()
               if row.get("label") and row["label"] != frame.at[i, "label"]}
    cleared = [int(frame.at[i, "movie_id"]) for i in edits.get("deleted_rows", [])]
    return changed, cleared


def save_review(labels, profile: str, catalog_name: str, frame, changed: dict[int, str], cleared: list[int]) -> None:
    titles = frame.set_index("movie_id")["title"]
    for movie_id, label in changed.items():
        labels.set_label(profile, catalog_name, movie_id, label, title=str(titles.get(movie_id, "")))
    for movie_id in cleared:
        labels.clear(profile, catalog_name, movie_id)


def shared_section(catalog, profile: str) -> None:
    """The catalog's shared model: how it learned from this profile's labels, and its list."""
    from pages.state import jobs, widgets

    st.subheader("Shared model", anchor=False)
    key = f"personal-train-shared:{catalog.name}"
    snap = jobs.panel(key)
    shared = shared_or_none(catalog)
    if shared is None:
        if problem := shared_problem(catalog):
            st.warning(problem)
        if catalog.ratings.empty:
            st.info("This catalog has no ratings by other people, so there is no shared model: import MovieLens "
                    "ratings to get one, or train your own model below.")
            return
        st.info("One model for every labeler, learned once per catalog from its raters; it needs no training "
                "per person and predicts from your first labels.")
        if (snap is None or not snap.running) and st.button("Train the shared model", key="labeling_train_shared"):
            jobs.start("personal-train-shared", key, personal.train_shared, title=f"Shared model of {catalog.name}",
                       catalog=catalog)
            st.rerun()
        return
    m = shared.metrics_
    st.write(f"Learned across {shared.labelers_:,} simulated labelers · held-out mean per-user ROC-AUC "
             f"{m['mean_user_auc']:.3f} (crowd {m['crowd_mean_user_auc']:.3f})")
    curve = personal.label_curve(shared, catalog, labels_store(), profile)
    if curve.empty:
        st.info("Label at least 10 titles (some of each kind) to see how well it predicts you.")
    else:
        st.caption("Cross-validated ROC-AUC on your labels as they grew (the crowd's on the same labels for comparison)")
        st.line_chart(curve.set_index("n_labels").rename(columns={"auc": "shared model", "crowd_auc": "crowd"}),
                      x_label="labels", y_label="ROC-AUC")
    top = personal.shared_recommend(shared, catalog, labels_store(), profile, top=15).reset_index()
    shown = widgets.with_film_links(top.assign(p_watch=top["p_watch"] * 100), catalog)
    st.dataframe(shown, hide_index=True, width="stretch", key="labeling-shared-recommendations",
                 column_order=[c for c in (*RECOMMENDATION_COLUMNS, *widgets.FILM_LINK_COLUMNS) if c in shown],
                 column_config={**RECOMMENDATION_COLUMNS, **widgets.FILM_LINK_COLUMNS})


def export_import(catalog, profile: str, upload) -> None:
    """Preview an uploaded Letterboxd / IMDb / Trakt export (what matches, what does not and why),
    then write the matched rows on a click: nothing is written before."""
    import io

    from core.errors import MarqueeError
    from pages.state import widgets

    try:
        preview = personal.preview_import(catalog, io.BytesIO(upload.getvalue()), name=upload.name)
    except MarqueeError as exc:
        st.error(f"Nothing imported: {widgets.plain_line(exc)}")
        return
    st.text(preview.summary())
    st.dataframe(preview.matched[["title", "year", "rating", "label", "catalog_title", "matched_by"]], hide_index=True,
                 width="stretch", key="labeling-export-matched",
                 column_config={"title": "In the export", "catalog_title": "Catalog film", "matched_by": "Matched by"})
    if not preview.unmatched.empty:
        st.caption("Not imported")
        st.dataframe(preview.unmatched[["title", "year", "rating", "reason"]], hide_index=True, width="stretch",
                     key="labeling-export-unmatched")
    if st.button(f"Import {len(preview.matched)} labels", key="labeling_export_import", type="primary",
                 disabled=preview.matched.empty):
        try:
            count = personal.apply_import(labels_store(), profile, catalog.name, preview)
            st.success(f"Imported {count} labels from {preview.source}.")
        except MarqueeError as exc:
            st.error(f"Nothing imported: {widgets.plain_line(exc)}")
