"""Import: bring real data in from the app — Wikipedia, IMDB 5000, MovieLens — and merge catalogs,
with the same core calls as the command line, in the background, with the report as tables."""
from functools import partial

import streamlit as st

from core.errors import MarqueeError
from pages.state import catalogs, imports, jobs, widgets


def choose_input(source: str):
    """("server", path) or ("upload", files) once chosen, else None. Uploads are written to disk
    only when the import starts."""
    where = st.radio("Files", ["On this server", "Upload"], horizontal=True, key="import-where")
    if where == "On this server":
        choices = imports.server_choices(source)
        if not choices:
            st.info(f"No {imports.SOURCES[source]} found in the server's data folder; upload the files instead.")
            return None
        label = st.selectbox("Data set", [c.label for c in choices], key=f"import-choice-{source}",
                             help="Folders and files under the server's data folder (MARQUEE_SHARED_DATA).")
        return "server", imports.server_path(label)
    files = st.file_uploader(imports.SOURCES[source], type=imports.UPLOAD_TYPES[source], key=f"import-upload-{source}",
                             accept_multiple_files=source == "wikipedia")
    if not files:
        return None
    return "upload", files if isinstance(files, list) else [files]


def import_form() -> None:
    source = st.selectbox("Source", list(imports.SOURCES), format_func=imports.SOURCES.get, key="import-source")
    chosen = choose_input(source)
    left, right = st.columns(2)
    name = left.text_input("New catalog name", value={"wikipedia": "wiki", "imdb5000": "imdb5000",
                                                      "movielens": "movielens"}[source], key=f"import-name-{source}")
    years = right.text_input("Only these years (optional)", key="import-years", placeholder="e.g. 1990-1999",
                             disabled=source != "wikipedia") if source == "wikipedia" else None
    if st.button("Import", type="primary", key="import-start"):
        if chosen is None:
            st.warning("Choose the files to import first.")
        else:
            confirm_or_start(name, partial(imports.start_from, source, chosen, name, years))


def merge_form() -> None:
    names = catalogs.names()
    left, middle, right = st.columns(3)
    base = left.selectbox("Base catalog (kept whole)", names, key="merge-base")
    other = middle.selectbox("Enrich it from", names, index=min(1, len(names) - 1), key="merge-other",
                             help="Films are matched by IMDb/TMDb ids, then by normalised title and year; the base "
                                  "gets the other's budgets, scores, credits and ratings where it has gaps.")
    into = right.text_input("New catalog name", value=f"{base}_{other}", key="merge-into")
    if st.button("Merge", type="primary", key="merge-start"):
        confirm_or_start(into, lambda: imports.start_merge(base, other, into))


def confirm_or_start(name: str, start) -> None:
    """Replacing an existing catalog asks first; a new one starts right away."""
    try:
        if catalogs.exists(imports.check_new_name(name)):
            st.session_state["import-pending"] = (name, start)
            widgets.open_dialog("import-replace")
        else:
            start()
    except MarqueeError as exc:
        st.error(widgets.plain_line(exc))


@st.dialog("Replace the catalog?")
@widgets.guarded("import")
def confirm_replace() -> None:
    name, start = st.session_state["import-pending"]
    st.write(f"Catalog {name} exists. The new one replaces it only when it is completely written; "
             "models and indexes built from the old one become stale and say so.")
    left, right = st.columns(2)
    if left.button("Replace", type="primary", key="import-replace-confirm"):
        widgets.close_dialog("import-replace")
        start()
        st.rerun()
    if right.button("Keep it", key="import-replace-cancel"):
        widgets.close_dialog("import-replace")
        st.rerun()


def show_outcome(snapshot) -> None:
    outcome = snapshot.result
    left, right = st.columns([3, 1])
    left.success(f"Catalog {outcome['catalog']} is ready.")
    right.button(f"Open {outcome['catalog']}", key="import-open", on_click=catalogs.choose, args=(outcome["catalog"],))
    for title, table in imports.report_tables(outcome).items():
        st.markdown(f"**{title}**")
        numbers = table.select_dtypes("number").columns  # 3,062 films, 56.4 %: formatted, not raw
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="percent" if c == "share" else "localized") for c in numbers})


@widgets.guarded("page Import")
def render() -> None:
    st.title("Import data")
    st.caption("Wikipedia brings titles, plots and cast; IMDB 5000 brings budgets, scores and directors (what "
               "casting needs); MovieLens brings ratings (what the recommender needs). Merge them into one catalog.")
    job_slot = st.container()  # above the forms, drawn after them: a job their button starts shows at once
    import_tab, merge_tab = st.tabs(["Import a data set", "Merge two catalogs"])
    with import_tab:
        import_form()
    with merge_tab:
        merge_form()
    with job_slot:
        snapshot = jobs.panel(imports.import_job_key())
        if snapshot is not None and snapshot.status == "complete" and snapshot.result:
            show_outcome(snapshot)
    if st.session_state.get("import-replace-open"):
        confirm_replace()


render()
