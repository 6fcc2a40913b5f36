"""Widgets every page shares: a progress bar for core's ProgressFn, CSV downloads, posters."""
from __future__ import annotations

import html
import re
from contextlib import contextmanager
from functools import wraps
from urllib.parse import quote

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
    """Every table a person sees can be downloaded. The CSV is written when the button is
    clicked (deferred data), not on every rerun of the page that shows the button."""
    from core.io import spreadsheet_csv  # formula-leading text cells neutralised (CSV injection)

    (container or st).download_button(label, lambda: spreadsheet_csv(frame).encode("utf-8"), file_name=file_name,
                                      mime="text/csv", key=key or f"download-{file_name}", on_click="ignore")


def poster(url: str | None, container=None, width: int | str = "stretch") -> None:
    """A poster from an http(s) URL drawn over a neat placeholder: a film without a poster, or
    whose poster cannot load (offline, gone), shows the placeholder, never a broken-image icon.
    Never a local file path."""
    (container or st).markdown(poster_html(poster_source(url), width), unsafe_allow_html=True)


def poster_source(url: str | None) -> str | None:
    """The URL to draw: absolute http(s) with a host; no paths, file:, data:, userinfo."""
    from core.validation import safe_image_url

    return safe_image_url(url)


def poster_html(src: str | None, width: int | str = "stretch") -> str:
    """The placeholder frame (2:3, grey, "No poster") with the poster as a CSS background layer on
    top of it: an image that fails to load draws nothing (an ``<img>`` would draw a broken-image
    icon), so the frame shows through. The URL is percent-encoded so no quote, bracket or
    backslash can leave the ``url('…')`` or the attribute."""
    size = f"{int(width)}px" if isinstance(width, int) else "100%"
    layer = ""
    if src:
        safe = html.escape(quote(src, safe=":/?#[]@!$&*+,;=%~-._"), quote=True)
        layer = (f"<div role='img' aria-label='Poster' style='position:absolute;inset:0;background:url(\"{safe}\") "
                 "center/cover no-repeat'></div>")
    return (f"<div class='marquee-poster' style='position:relative;aspect-ratio:2/3;max-width:{size};"
            "border-radius:6px;overflow:hidden;background:#eceff3;border:1px solid #dde1e7;display:flex;"
            "align-items:center;justify-content:center;color:#6b7280;font-size:0.8rem'>"
            f"<span>No poster</span>{layer}</div>")


_MARKDOWN_SPECIALS = set("\\`*_[]{}#!|<>~$:&")


def escape_markdown(text: str) -> str:
    """Catalog text made safe for the few elements that always read Markdown (headings, labels):
    every character that starts Markdown, HTML, LaTeX or a Streamlit directive is backslash-escaped
    (parentheses, dots and dashes cannot start anything inside a heading), so a title like
    ``![x](http://host/t.png)`` shows as typed and fetches nothing."""
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIALS else c for c in " ".join(str(text).split()))


_LINE_SPECIALS = re.compile(r"([\\`*\[\]<>!$|~#])")
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(?=://)|(?<=\bwww)(?=\.)")
WORD_JOINER = "\u2060"


def plain_line(text) -> str:
    """A message for ``st.error``/``st.warning``/``st.info`` (which render Markdown) that may quote
    a URL parameter, a typed query, a file's or the catalog's text: one line in which no link,
    image, HTML, LaTeX or Streamlit directive can start (``[Verify](https://evil)`` shows as typed
    and is not clickable). Unlike ``escape_markdown`` it leaves ``_``, ``:``, ``-`` and ``.`` as
    they are. Bare URLs: the browser's GFM autolinking runs on the text after backslash escapes
    are undone (checked in Chromium: ``https\\://x`` and ``www\\.x`` still became links), so an
    invisible word joiner (U+2060) goes before ``://`` and after ``www``: the line reads the same
    and no URL in it is clickable."""
    line = _LINE_SPECIALS.sub(r"\\\1", " ".join(str(text).split()))
    return _AUTOLINK.sub(WORD_JOINER, line)


FILM_LINK_COLUMNS = {
    "imdb": st.column_config.LinkColumn("IMDb", display_text="IMDb", width="small"),
    "tmdb": st.column_config.LinkColumn("TMDb", display_text="TMDb", width="small"),
}


def with_film_links(frame: pd.DataFrame, catalog) -> pd.DataFrame:
    """``frame`` (with a ``movie_id`` column) plus IMDb/TMDb page links where the catalog has the ids."""
    if "movie_id" not in frame or frame.empty:
        return frame
    ids = catalog.movies.set_index("movie_id")[["imdb_id", "tmdb_id"]].reindex(frame["movie_id"])
    imdb = ids["imdb_id"].astype("string").str.fullmatch(r"tt\d{1,10}").fillna(False)
    tmdb = pd.to_numeric(ids["tmdb_id"], errors="coerce")
    out = frame.copy()
    if imdb.any():
        out["imdb"] = ["https://www.imdb.com/title/" + i + "/" if ok else None
                       for i, ok in zip(ids["imdb_id"].astype("string").fillna(""), imdb)]
    if tmdb.notna().any():
        out["tmdb"] = [f"https://www.themoviedb.org/movie/{int(t)}" if t == t and t > 0 else None for t in tmdb]
    return out


def dialog_button(label: str, key: str, **kwargs) -> bool:
    """A button opening a dialog that stays open across reruns until it closes itself or is
    dismissed (``close_dialog(key)``); returns whether the dialog is open."""
    if st.button(label, key=key, **kwargs):
        open_dialog(key)
    return bool(st.session_state.get(f"{key}-open"))


def open_dialog(key: str) -> None:
    st.session_state[f"{key}-open"] = True


def close_dialog(key: str) -> None:
    st.session_state.pop(f"{key}-open", None)


def show_error(exc: BaseException, context: str) -> None:
    """One clear line on the page; the traceback goes to the incident log (never to the page)."""
    from core.errors import MarqueeError
    from core.logs import log_exception, user_message

    incident = log_exception(exc, context)
    st.error(plain_line(user_message(exc, context, None if isinstance(exc, MarqueeError) else incident)), icon="⚠️")


@contextmanager
def error_boundary(context: str):
    """Everything inside either renders or ends in one line (``show_error``). Streamlit's own
    control flow (rerun, stop, page switch) derives from BaseException and passes through."""
    try:
        yield
    except Exception as exc:
        show_error(exc, context)


def guarded(context: str):
    """The error boundary for fragments, dialogs and callbacks, which rerun without app.py."""
    def decorate(function):
        @wraps(function)
        def run(*args, **kwargs):
            with error_boundary(context):
                return function(*args, **kwargs)
        return run
    return decorate
