"""Labeling: judge one title at a time for a profile's personal taste model."""
import streamlit as st

from core import personal as taste
from core.errors import MarqueeError
from pages.state import catalogs, personal, widgets


def pick_title(catalog) -> None:
    """Search a title to label it next (pins it above the queue)."""
    query = st.text_input("Search a title to label", key="labeling_search")
    if not query:
        return
    hits = taste.search_titles(catalog, query)
    if hits.empty:
        st.info(f"No title contains “{widgets.plain_line(query)}”.")
        return
    choice = st.selectbox("Matches", hits["movie_id"], key="labeling_match", format_func=lambda m: "{} ({})".format(
        *hits.set_index("movie_id").loc[m, ["title", "year"]].tolist()))
    if st.button("Label this title", key="labeling_pin"):
        st.session_state["labeling_pinned"] = int(choice)


@st.fragment
@widgets.guarded("labeling")
def label_panel(catalog, profile: str, strategy: str) -> None:
    """The title to judge, the buttons and the counts: a label click reruns only this part."""
    scores = personal.uncertainty(profile, catalog) if strategy == "uncertain" else None
    if strategy == "uncertain" and scores is None:
        st.info(f"Most-uncertain needs at least {taste.MIN_PER_CLASS_FOR_UNCERTAINTY} labels on each side; "
                "showing popular titles meanwhile.")
        strategy = "popular"
    queue = taste.next_titles(personal.labels_store(), profile, catalog, strategy, n=1, scores=scores)
    pinned = st.session_state.get("labeling_pinned")
    current = pinned or (int(queue["movie_id"].iloc[0]) if len(queue) else None)
    if message := st.session_state.pop("labeling_message", None):
        st.success(message)
    if current is None:
        st.success("Every title of this catalog is labeled or excluded.")
    else:
        personal.title_card(catalog, profile, current, "from search" if pinned else queue["why"].iloc[0])
    personal.summary_metrics(profile, catalog.name)


def labels_tab(catalog, profile: str) -> None:
    labels = personal.labels_store()
    if widgets.dialog_button("Review and correct labels…", key=personal.REVIEW, icon=":material/edit_note:"):
        personal.review_labels(profile, catalog.name)
    widgets.csv_download(labels.labels(profile, catalog.name), f"labels-{profile}-{catalog.name}.csv",
                         label="Download labels CSV")
    upload = st.file_uploader("Import labels CSV (movie_id,label[,labeled_at,title])", type="csv", key="labeling_upload")
    if upload is not None and st.button("Import", key="labeling_import"):
        try:
            count = labels.import_csv(profile, catalog.name, upload, known_movie_ids=set(catalog.movies["movie_id"]))
            st.success(f"Imported {count} labels.")
        except MarqueeError as exc:
            st.error(f"Nothing imported: {widgets.plain_line(exc)}")
    export = st.file_uploader("Import from a Letterboxd, IMDb or Trakt export (ratings.csv, diary.csv, …)",
                              type="csv", key="labeling_export")
    if export is not None:
        personal.export_import(catalog, profile, export)


@widgets.guarded("page Labeling")  # one line on the page, the traceback in the log
def render() -> None:
    st.title("Labeling")
    catalog = catalogs.active()
    labels = personal.labels_store()
    st.caption(f"Catalog `{catalog.name}` · labels are saved the moment you click, in `{labels.describe()}`. "
               "A skip is never counted as a dislike.")
    left, right = st.columns([2, 1])
    profile = left.selectbox("Profile", labels.profiles() or ["me"], key="profile", bind="query-params")
    right.text_input("New profile", key="labeling_new_profile", on_change=personal.new_profile,
                     placeholder="name, then Enter")
    strategy = st.radio("Queue", list(taste.STRATEGIES), format_func=taste.STRATEGIES.get, horizontal=True,
                        key="queue", bind="query-params")
    pick_title(catalog)
    label_panel(catalog, profile, strategy)
    labels_tab_, model_tab_ = st.tabs(["Your labels", "Model"])
    with labels_tab_:
        labels_tab(catalog, profile)
    with model_tab_:
        personal.model_tab(catalog, profile)


render()
