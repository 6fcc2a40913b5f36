"""Widgets every page shares: a progress bar for core's ProgressFn, CSV downloads, posters."""
from __future__ import annotations

from urllib.parse import urlparse

import pandas as pd
import streamlit as st

from core.progress import ProgressFn


def progress_bar(text: str = "", container=None) -> ProgressFn:
    """A ``st.progress`` bar driven by a core ``progress(done, total, message)`` callback."""
    bar = (container or st).progress(0.0, text=text or None)

    def report(done: int, total: int | None, message: str = "") -> None:
        fraction = min(done / total, 1.0) if total else 0.0
        counts = f" {done:,}/{total:,}" if total else ""
        bar.progress(fraction, text=f"{message or text}{counts}".strip() or None)

    return report


def csv_download(frame: pd.DataFrame, file_name: str, label: str = "Download CSV", key: str | None = None,
                 container=None) -> None:
    """Every table a person sees can be downloaded."""
    (container or st).download_button(label, frame.to_csv(index=False).encode("utf-8"), file_name=file_name,
                                      mime="text/csv", key=key or f"download-{file_name}")


def poster(url: str | None, container=None, width: int | str = "stretch") -> None:
    """A poster from an http(s) URL, or a neat placeholder (never a local file path)."""
    target = container or st
    if url and urlparse(str(url)).scheme in ("http", "https"):
        target.image(str(url), width=width)
    else:
        target.markdown(PLACEHOLDER, unsafe_allow_html=True)


PLACEHOLDER = ("<div style='aspect-ratio:2/3;max-width:180px;border-radius:6px;background:#eceff3;"
               "display:flex;align-items:center;justify-content:center;font-size:2.5rem'>🎬</div>")
