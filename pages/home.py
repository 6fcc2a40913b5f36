"""Home: what the active catalog is and where to go next."""
import streamlit as st

from pages.state import catalogs, widgets

LINKS = [("pages/import.py", "Import", ":material/upload_file:", "bring in Wikipedia, IMDB 5000, MovieLens; merge"),
         ("pages/eda.py", "Explore data", ":material/bar_chart:", "distributions, mixes and gaps of the catalog"),
         ("pages/search.py", "Search", ":material/search:", "films by words, people, a description or seed titles"),
         ("pages/labeling.py", "Labeling", ":material/label:", "teach a personal taste model, one title at a time"),
         ("pages/casting.py", "Casting", ":material/theater_comedy:", "a brief in, a calibrated and diverse slate out"),
         ("pages/monitoring.py", "Monitoring", ":material/monitoring:", "recommender drift, retraining, reliability"),
         ("pages/download.py", "Download", ":material/download:", "build or refresh a catalog from TMDb")]


@widgets.guarded("page Home")  # one line on the page, the traceback in the log
def render() -> None:
    catalog = catalogs.active()
    st.title("Marquee")
    st.caption("Film analytics and recommendation workbench")
    if catalog.synthetic:
        st.warning("You are looking at **synthetic demo data** generated on this machine, not real films. "
                   "Bring real data in on the Import page (or `python -m core import …`).", icon=":material/science:")
    counts = catalog.manifest.get("row_counts", {})
    for column, (label, key) in zip(st.columns(4), [("Films", "movies"), ("People", "people"),
                                                     ("Credits", "credits"), ("Ratings", "ratings")]):
        column.metric(label, f"{counts.get(key, 0):,}")

    st.subheader("Where to go")
    for column, (page, title, icon, what) in zip(st.columns(4) * 2, LINKS):
        column.page_link(page, label=title, icon=icon, help=what)
        column.caption(what)

    st.subheader(f"Catalog {catalog.name}", anchor=False)
    st.text(f"Source: {catalog.manifest.get('source', '?')} · built {catalog.manifest.get('created_at', '?')} · "
            f"data checksum {catalog.data_checksum[:12]}")
    report = catalog.manifest.get("report") or {}
    if report:
        with st.expander("Import report"):
            st.json(report)


render()
