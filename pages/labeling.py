"""Labeling: judge one title at a time for a profile's personal taste model."""
import streamlit as st

from core.errors import MarqueeError
from core.personal import active, api
from core.personal.store import LABEL_TEXT, SKIP, WOULD_NOT_WATCH, WOULD_WATCH, WOULD_WATCH_MANY
from pages import cached

st.title("🏷️ Labeling")
catalog = cached.active_catalog()
labels = cached.labels_store()
st.caption(f"Catalog `{catalog.name}` · labels are saved the moment you click, in `{labels.describe()}`. "
           "A skip is never counted as a dislike.")


def _new_profile():
    name = st.session_state.get("labeling_new_profile", "").strip()
    try:
        labels.create_profile(name)
        st.session_state["labeling_profile"] = name
        st.session_state["labeling_new_profile"] = ""
    except MarqueeError as exc:
        st.session_state["labeling_message"] = f"⚠️ {exc}"


def _act(action, profile, movie_id, title):
    if action == SKIP:
        labels.skip(profile, catalog.name, movie_id)
    else:
        labels.set_label(profile, catalog.name, movie_id, action, title=title)
    st.session_state.pop("labeling_pinned", None)
    st.session_state["labeling_message"] = f"{'Skipped' if action == SKIP else LABEL_TEXT[action]}: {title}"


def _exclude(profile, movie_id, title):
    labels.exclude(profile, catalog.name, [movie_id], reason="not available")
    st.session_state.pop("labeling_pinned", None)
    st.session_state["labeling_message"] = f"Excluded from recommendations: {title}"


def _undo(profile):
    undone = labels.undo(profile, catalog.name)
    st.session_state["labeling_message"] = "Nothing to undo" if undone is None else \
        f"Undid {undone.action.replace('_', ' ')} of film {undone.movie_id}"


left, right = st.columns([2, 1])
profiles = labels.profiles() or ["me"]
profile = left.selectbox("Profile", profiles, key="labeling_profile")
right.text_input("New profile", key="labeling_new_profile", on_change=_new_profile, placeholder="name, then Enter")
strategy = st.radio("Queue", list(active.STRATEGIES), format_func=active.STRATEGIES.get, horizontal=True,
                    key="labeling_strategy")

query = st.text_input("Search a title to label", key="labeling_search")
if query:
    hits = api.search_titles(catalog, query)
    if hits.empty:
        st.info(f"No title contains “{query}”.")
    else:
        choice = st.selectbox("Matches", hits["movie_id"], key="labeling_match", format_func=lambda m: "{} ({})".format(
            *hits.set_index("movie_id").loc[m, ["title", "year"]].tolist()))
        if st.button("Label this title", key="labeling_pin"):
            st.session_state["labeling_pinned"] = int(choice)

scores = None
if strategy == "uncertain":
    scores = cached.personal_uncertainty(profile, catalog.name, labels.version(profile, catalog.name), catalog.data_checksum)
    if scores is None:
        st.info(f"Most-uncertain needs at least {active.MIN_PER_CLASS_FOR_UNCERTAINTY} labels on each side; "
                "showing popular titles meanwhile.")
queue = api.next_titles(labels, profile, catalog, strategy if scores is not None or strategy != "uncertain" else "popular",
                        n=1, scores=scores)
current = st.session_state.get("labeling_pinned") or (int(queue["movie_id"].iloc[0]) if len(queue) else None)
if message := st.session_state.pop("labeling_message", None):
    st.success(message)

if current is None:
    st.success("Every title of this catalog is labeled or excluded.")
else:
    card = api.title_card(catalog, current)
    poster, body = st.columns([1, 3])
    if card["poster_url"]:
        poster.image(card["poster_url"], width=180)
    body.subheader(f"{card['title']} ({card['year'] or '?'})")
    facts = [", ".join(card["genres"]), f"{card['runtime']:.0f} min" if card["runtime"] else "",
             f"rated {card['vote_average']:.1f}/10" if card["vote_average"] else ""]
    body.caption(" · ".join(f for f in facts if f) + ("" if current != st.session_state.get("labeling_pinned") else " · from search")
                 + ("" if len(queue) == 0 or current != int(queue["movie_id"].iloc[0]) else f" · {queue['why'].iloc[0]}"))
    body.write(card["overview"] or "_No overview._")
    body.write(f"**Director:** {', '.join(card['directors']) or 'unknown'}  \n**Cast:** {', '.join(card['cast']) or 'unknown'}")
    trained = cached.personal_model_or_none(profile, catalog.name)
    if trained is not None:
        why = api.explain(profile, catalog.name, current, top=3, store=labels, trained=trained)
        body.metric("Model: P(would watch)", f"{why['p_watch']:.0%}")
        reasons = [f"{c['feature']} ({c['contribution']:+.2f})" for c in why["top_positive"] + why["top_negative"]]
        body.caption("Largest effects: " + ", ".join(reasons) + (". Because you liked " + ", ".join(
            s["title"] for s in why["because_you_liked"]) if why["because_you_liked"] else ""))
    buttons = st.columns([1, 1.1, 1.6, 0.7, 0.7])
    for column, action, text in zip(buttons, [WOULD_WATCH, WOULD_NOT_WATCH, WOULD_WATCH_MANY, SKIP],
                                    ["Would watch", "Would not watch", "Would watch many times", "Skip"]):
        column.button(text, key=f"label_{action}", on_click=_act, args=(action, profile, current, card["title"]),
                      type="primary" if action != SKIP else "secondary", width="stretch")
    buttons[4].button("Undo", key="label_undo", on_click=_undo, args=(profile,), width="stretch")
    st.button("Not available to me (never recommend)", key="label_exclude", type="tertiary", on_click=_exclude,
              args=(profile, current, card["title"]))

summary = api.label_summary(labels, profile, catalog.name)
counts = summary["counts"]
columns = st.columns(5)
for column, (text, value) in zip(columns, [("Labeled", summary["labeled"]), ("Would watch", counts[WOULD_WATCH]),
                                           ("Would not watch", counts[WOULD_NOT_WATCH]),
                                           ("Would watch many times", counts[WOULD_WATCH_MANY]), ("Skipped", counts[SKIP])]):
    column.metric(text, f"{value:,}")
share = summary["positive_share"]
st.progress(share or 0.0, text="Class balance: " + (f"{share:.0%} would watch, {1 - share:.0%} would not" if share is not None
                                                    else "no labels yet"))

labels_tab, model_tab = st.tabs(["Your labels", "Model"])
with labels_tab:
    frame = labels.labels(profile, catalog.name)
    st.dataframe(frame.sort_values("labeled_at", ascending=False).head(50), hide_index=True, width="stretch")
    cached.download_csv_button(frame, f"labels-{profile}-{catalog.name}.csv", label="Download labels CSV")
    upload = st.file_uploader("Import labels CSV (movie_id,label[,labeled_at,title])", type="csv", key="labeling_upload")
    if upload is not None and st.button("Import", key="labeling_import"):
        try:
            count = labels.import_csv(profile, catalog.name, upload, known_movie_ids=set(catalog.movies["movie_id"]))
            st.success(f"Imported {count} labels.")
        except MarqueeError as exc:
            st.error(f"Nothing imported: {exc}")
with model_tab:
    if st.button("Train model", key="labeling_train"):
        with st.status("Training the taste model…", expanded=True) as status:
            bar = st.progress(0.0)
            try:
                report = api.train(profile, catalog.name, store=labels, progress=lambda d, t, m="": bar.progress(
                    min(d / t, 1.0) if t else 0.0, text=m))
                status.update(label=f"Trained: CV ROC-AUC {report['metrics']['roc_auc']:.3f}", state="complete")
            except MarqueeError as exc:
                status.update(label="Not trained", state="error")
                st.error(str(exc))
    trained = cached.personal_model_or_none(profile, catalog.name)
    if trained is None:
        st.info("No model yet for this profile: label both kinds of titles, then train.")
    else:
        metrics = trained.report()["metrics"]
        st.write(f"Cross-validated ROC-AUC **{metrics['roc_auc']:.3f}** · PR-AUC **{metrics['pr_auc']:.3f}** · "
                 f"{metrics['n']} labels")
        top = api.recommend(profile, catalog.name, top=15, store=labels, trained=trained)
        st.dataframe(top, hide_index=True, width="stretch")
        cached.download_csv_button(top, f"recommendations-{profile}.csv", label="Download recommendations CSV")
