"""App-side state: cached ``core`` objects per capability, plus the widgets every page shares.

One module per capability (``catalogs``, ``eda``, ``search``, ``casting``, ``personal``) keeps
the objects worth holding across reruns and builds its own cache keys from what makes them
stale: a catalog's data checksum, a profile's label version, an index or model version.
``st.cache_resource`` holds shared read-only objects (catalogs, models, indexes);
``st.cache_data`` holds small computed frames. ``widgets`` holds the shared pieces of page
(progress bar, CSV download, poster with placeholder, plain-text rendering).

Every page imports this package first: the import is what hands a bookmarked URL on a fresh
server over to app.py's navigation (see ``_leave_legacy_pages_mode``).
"""
from __future__ import annotations

import streamlit as st


def _leave_legacy_pages_mode() -> None:
    """Run every page through app.py's ``st.navigation``, even on a fresh server.

    Streamlit treats a top-level ``pages/`` folder as a legacy (v1) multipage app until
    ``st.navigation`` has run once in the process. Until then a direct link such as ``/eda``
    executes ``pages/eda.py`` on its own: no catalog picker, a menu of raw file names. The first
    page import after start-up switches the flag off and reruns, so app.py takes over.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_pages_mode()
