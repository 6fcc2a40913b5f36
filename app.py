"""Marquee entry point: page navigation and the sidebar catalog picker, nothing else."""
import streamlit as st

from pages.state import catalogs, widgets

st.set_page_config(page_title="Marquee", page_icon=":material/movie:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/import.py", title="Import", icon=":material/upload_file:", url_path="import"),
    st.Page("pages/eda.py", title="Explore data", icon=":material/bar_chart:", url_path="eda"),
    st.Page("pages/search.py", title="Search", icon=":material/search:", url_path="search"),
    st.Page("pages/labeling.py", title="Labeling", icon=":material/label:", url_path="labeling"),
    st.Page("pages/casting.py", title="Casting", icon=":material/theater_comedy:", url_path="casting"),
    st.Page("pages/monitoring.py", title="Monitoring", icon=":material/monitoring:", url_path="monitoring"),
    st.Page("pages/download.py", title="Download", icon=":material/download:", url_path="download"),
]

navigation = st.navigation(PAGES)
with widgets.error_boundary(f"page {navigation.title}"):  # one line on the page, the traceback in the log
    catalogs.sidebar()
    navigation.run()
