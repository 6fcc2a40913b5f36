"""Search documents built from a catalog: one text per film plus the fields that filters,
boosts and explanations need.

The text is ``title (year) · genres · language · overview · starring … · directed by …``; its
sha256 (with the format version) is the document's content hash, so an index rebuild embeds only
documents whose text changed.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from core.io import sha256_text
from core.search import languages

DOC_FORMAT_VERSION = 1
TOP_CAST = 5
COLUMNS = ["movie_id", "title", "year", "language", "genres", "overview", "cast", "cast_ids",
           "directors", "director_ids", "popularity", "vote_count", "vote_average", "poster_url",
           "text", "hash"]


def document_text(title: str, year, genres: list[str], language: str, overview: str,
                  cast: list[str], directors: list[str]) -> str:
    head = f"{title} ({int(year)})" if _present(year) else title
    parts = [head]
    if genres:
        parts.append(", ".join(genres))
    if language:
        parts.append(f"{languages.name(language)} language")
    if overview:
        parts.append(overview.strip())
    if cast:
        parts.append("Starring " + ", ".join(cast))
    if directors:
        parts.append("Directed by " + ", ".join(directors))
    return " · ".join(parts)


def content_hash(text: str) -> str:
    return sha256_text(f"v{DOC_FORMAT_VERSION}\x1f{text}")


def build_documents(catalog) -> pd.DataFrame:
    """Documents for every film of ``catalog`` (a ``store.Catalog``), in ``movie_id`` order."""
    movies = catalog.movies.sort_values("movie_id", kind="stable").reset_index(drop=True)
    cast = _names_by_film(catalog.cast(), top=TOP_CAST)
    directors = _names_by_film(catalog.directors(), top=None)
    docs = pd.DataFrame({
        "movie_id": movies["movie_id"].astype("int64"),
        "title": movies["title"].astype(str),
        "year": pd.to_numeric(movies["year"], errors="coerce").astype("Float64").astype("Int64"),
        "language": movies["original_language"].fillna("").astype(str).str.lower(),
        "genres": [list(g) for g in movies["genres"]],
        "overview": movies["overview"].fillna("").astype(str),
        "popularity": pd.to_numeric(movies["popularity"], errors="coerce").astype(float),
        "vote_count": pd.to_numeric(movies["vote_count"], errors="coerce").astype(float),
        "vote_average": pd.to_numeric(movies["vote_average"], errors="coerce").astype(float),
        "poster_url": movies["poster_url"].fillna("").astype(str),
    })
    for names, ids, source in (("cast", "cast_ids", cast), ("directors", "director_ids", directors)):
        docs[names] = [source["names"].get(m, []) for m in docs["movie_id"]]
        docs[ids] = [[int(i) for i in source["ids"].get(m, [])] for m in docs["movie_id"]]
    docs["text"] = [document_text(*row) for row in zip(docs["title"], docs["year"], docs["genres"], docs["language"],
                                                       docs["overview"], docs["cast"], docs["directors"])]
    docs["hash"] = [content_hash(t) for t in docs["text"]]
    return docs[COLUMNS]


PASSAGE_WORDS = 40    # plot passages of at most this many words (0: one vector per film); see passages()
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\u201c])")


def plot_windows(overview: str, words: int, every_plot: bool = False) -> list[str]:
    """The plot cut into windows of whole sentences, each at most ``words`` words (a longer
    sentence is a window of its own); no windows when the plot already fits in one (unless
    ``every_plot``: then a short plot is one window)."""
    text = " ".join(str(overview or "").split())
    if words <= 0 or not text or (len(text.split()) <= words and not every_plot):
        return []
    windows, current, size = [], [], 0
    for sentence in _SENTENCE_END.split(text):
        n = len(sentence.split())
        if current and size + n > words:
            windows.append(" ".join(current))
            current, size = [], 0
        current.append(sentence)
        size += n
    if current:
        windows.append(" ".join(current))
    return windows


def passages(documents: pd.DataFrame, words: int = PASSAGE_WORDS, every_plot: bool = False,
             prefix: bool = True) -> pd.DataFrame:
    """Plot passages of the films whose plot is longer than ``words`` words: one row per window
    (``row`` = the document's row, ``text`` = "title (year) · genres · window", ``hash``).

    The encoder reads at most ~256 word pieces, so a long plot's end never reaches the film's
    single vector; each passage gets its own vector, and a film's dense similarity is the best of
    its document and its passages (max-pool). Passages are keyed by content hash in the embedding
    cache like documents, so a rebuild embeds only passages whose text changed.

    ``every_plot`` and ``prefix=False`` (windows of short plots too; windows without the
    "title (year) · genres" head) are build-time variants measured by ``bench_search_dense_side.py``
    with header-only documents (:func:`header_text`); not the default."""
    rows, texts = [], []
    for row, (title, year, genres, overview) in enumerate(zip(documents["title"], documents["year"],
                                                               documents["genres"], documents["overview"])):
        windows = plot_windows(overview, words, every_plot)
        if not windows:
            continue
        head = f"{title} ({int(year)})" if _present(year) else str(title)
        if len(genres):
            head += " · " + ", ".join(genres)
        for window in windows:
            rows.append(row)
            texts.append(f"{head} · {window}" if prefix else window)
    return pd.DataFrame({"row": np.asarray(rows, dtype=np.int64), "text": texts,
                         "hash": [content_hash("passage\x1f" + t) for t in texts]})


def header_text(title: str, year, genres: list[str], language: str, cast: list[str], directors: list[str]) -> str:
    """The document text without the plot (title, year, genres, language, people): the short
    header of the header-plus-passages variant (see :func:`passages`)."""
    return document_text(title, year, genres, language, "", cast, directors)


def _names_by_film(credits: pd.DataFrame, top: int | None) -> dict[str, dict[int, list]]:
    credits = credits.dropna(subset=["name"])
    if top is not None:
        credits = credits.groupby("movie_id", sort=False).head(top)
    grouped = credits.groupby("movie_id", sort=False)
    return {"names": grouped["name"].agg(list).to_dict(), "ids": grouped["person_id"].agg(list).to_dict()}


def _present(value) -> bool:
    return value is not None and value is not pd.NA and not (isinstance(value, float) and np.isnan(value))
