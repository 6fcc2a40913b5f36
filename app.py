"""Marquee entry point: page navigation and the sidebar catalog picker, nothing else."""
import streamlit as st

from pages.state import catalogs

st.set_page_config(page_title="Marquee", page_icon="🎬", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/eda.py", title="Explore data", icon="📊", url_path="eda"),
    st.Page("pages/labeling.py", title="Labeling", icon="🏷️", url_path="labeling"),
    st.Page("pages/download.py", title="Download", icon="⬇️", url_path="download"),
    st.Page("pages/search.py", title="Search", icon="🔎", url_path="search"),
    st.Page("pages/monitoring.py", title="Monitoring", icon="📈", url_path="monitoring"),
    st.Page("pages/casting.py", title="Casting", icon="🎭", url_path="casting"),
]

catalogs.sidebar()
navigation = st.navigation(PAGES)
navigation.run()
