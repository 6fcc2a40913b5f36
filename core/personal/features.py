"""Item features for the personal taste model, computed from a catalog without any labels.

Blocks (each a set of numeric columns, NaN where unknown):

* ``meta``: year, runtime, log popularity, vote average, log vote count, log budget, genre
  count, one-hot genres and the most common original languages;
* ``text``: a few components of the film's text from a pluggable ``TextSource``: ``tfidf``
  (TF-IDF of overview + keywords, truncated SVD; fast, the default) or ``minilm`` (the search
  package's cached MiniLM document embeddings, PCA-reduced);
* ``collab`` (only when the catalog has ratings): shrunk mean rating and log count per title and
  item factors from a truncated SVD of the user-centred ratings matrix. ``exclude_user`` leaves
  one catalog user's ratings out of this block, so a MovieLens user standing in for a labeler
  never sees their own ratings through the features.

Director and cast are returned as id lists (``directors``, ``cast``); the model target-encodes them
inside each training fold (see ``core.personal.model``), never here.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from core import config
from core.errors import MarqueeError
from core.io import sha256_text, write_parquet_atomic

log = logging.getLogger(__name__)

FEATURE_VERSION = 1
PEOPLE_COLUMNS = ("directors", "cast")
TOP_CAST = 5
TOP_LANGUAGES = 10
RATING_SHRINKAGE = 5.0


# ------------------------------------------------------------------------------ text sources
class TextSource(Protocol):
    """Turns a catalog's films into a few dense text components (rows align with ``catalog.movies``)."""

    name: str

    def components(self, catalog) -> np.ndarray: ...


def film_text(movies: pd.DataFrame) -> pd.Series:
    """Overview plus keywords: the text a person reads about a film."""
    overview = movies["overview"].fillna("").astype(str)
    keywords = movies["keywords"].map(lambda ks: " ".join(ks) if isinstance(ks, (list, np.ndarray)) else "")
    return (overview + " " + keywords).str.strip()


@dataclass
class TfidfSvdText:
    """TF-IDF of overview + keywords reduced by truncated SVD (fast, deterministic, no model)."""

    n_components: int = 16
    name: str = "tfidf"

    def components(self, catalog) -> np.ndarray:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        movies = catalog.movies
        docs = film_text(movies)
        has_text = docs.str.len() > 0
        out = np.full((len(movies), self.n_components), np.nan)
        if has_text.sum() < 10:
            return out
        try:
            tfidf = TfidfVectorizer(min_df=2, max_features=30000, stop_words="english", sublinear_tf=True)
            matrix = tfidf.fit_transform(docs[has_text])
        except ValueError:  # empty vocabulary
            return out
        k = min(self.n_components, matrix.shape[1] - 1, matrix.shape[0] - 1)
        if k < 1:
            return out
        reduced = TruncatedSVD(n_components=k, random_state=0).fit_transform(matrix)
        out[has_text.to_numpy(), :k] = reduced
        return out


@dataclass
class SearchEmbeddingText:
    """MiniLM sentence embeddings of the search documents (``core.search``), reduced by PCA.

    Vectors come from the search package's content-hash embedding cache, so a catalog whose search
    index is built costs nothing here, and the two features never disagree about a film's text.
    """

    n_components: int = 16
    name: str = "minilm"

    def components(self, catalog) -> np.ndarray:
        from sklearn.decomposition import PCA

        from core.search.documents import build_documents
        from core.search.embeddings import Encoder
        from core.search.index import embed_documents

        documents = build_documents(catalog)
        vectors, counts = embed_documents(documents, Encoder())
        log.info("text embeddings for %s: %s", catalog.name, counts)
        k = min(self.n_components, len(documents) - 1, vectors.shape[1])
        reduced = PCA(n_components=k, random_state=0).fit_transform(vectors)
        rows = pd.Index(documents["movie_id"]).get_indexer(catalog.movies["movie_id"].astype("int64"))
        out = np.full((len(catalog.movies), self.n_components), np.nan)
        out[:, :k] = reduced[rows]
        return out


TEXT_SOURCES: dict[str, Callable[[int], TextSource]] = {
    "tfidf": lambda n: TfidfSvdText(n_components=n),
    "minilm": lambda n: SearchEmbeddingText(n_components=n),
}


def register_text_source(name: str, factory: Callable[[int], TextSource]) -> None:
    """Plug in another text representation (e.g. sentence embeddings) under ``name``."""
    TEXT_SOURCES[name] = factory


def make_text_source(name: str, n_components: int) -> TextSource | None:
    if name == "none":
        return None
    if name not in TEXT_SOURCES:
        raise MarqueeError(f"unknown text source {name!r}: expected one of none, {', '.join(TEXT_SOURCES)}")
    return TEXT_SOURCES[name](n_components)


# ------------------------------------------------------------------------------ item features
@dataclass
class ItemFeatures:
    """Numeric features per film (index ``movie_id``) plus director/cast id lists."""

    numeric: pd.DataFrame
    people: pd.DataFrame
    groups: dict[str, list[str]] = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)

    def frame(self, movie_ids=None) -> pd.DataFrame:
        """Model input for ``movie_ids`` (all films when None): numeric columns plus id lists."""
        joined = self.numeric.join(self.people, how="left")
        for column in PEOPLE_COLUMNS:
            joined[column] = joined[column].map(lambda v: list(v) if isinstance(v, (list, np.ndarray)) else [])
        if movie_ids is None:
            return joined
        missing = pd.Index(movie_ids).difference(joined.index)
        if len(missing):
            raise MarqueeError(f"{len(missing)} labeled film(s) are not in the catalog (first: {missing[0]})")
        return joined.loc[list(movie_ids)]

    def vectors(self, groups: tuple[str, ...] = ("meta", "text", "collab")) -> pd.DataFrame:
        """Standardised item vectors (NaN → 0) for "titles most like it"."""
        columns = [c for g in groups for c in self.groups.get(g, [])]
        values = self.numeric[columns].astype(float)
        std = values.std().replace(0, 1).fillna(1)
        return ((values - values.mean()) / std).fillna(0.0)


def build_item_features(catalog, text_source: str = "tfidf", n_text: int = 16, n_factors: int = 16,
                        exclude_user: int | None = None, use_cache: bool = True) -> ItemFeatures:
    """All feature blocks for every film of ``catalog`` (a ``core.catalog.store.Catalog``)."""
    parameters = {"text_source": text_source, "n_text": n_text, "n_factors": n_factors,
                  "exclude_user": exclude_user, "feature_version": FEATURE_VERSION,
                  "catalog": catalog.name, "data_checksum": catalog.data_checksum}
    base = _cached_base(catalog, text_source, n_text, use_cache)
    groups = {"meta": [c for c in base.columns if not c.startswith("text_")],
              "text": [c for c in base.columns if c.startswith("text_")]}
    numeric = base
    if len(catalog.ratings):
        collab = collaborative_features(catalog.ratings, base.index, n_factors, exclude_user)
        numeric = base.join(collab)
        groups["collab"] = list(collab.columns)
    numeric = numeric.loc[:, numeric.notna().any() & (numeric.nunique() > 1)]
    groups = {g: [c for c in cols if c in numeric.columns] for g, cols in groups.items()}
    return ItemFeatures(numeric=numeric, people=people_lists(catalog), groups=groups, parameters=parameters)


def content_features(catalog, text_source: str = "tfidf", n_text: int = 16) -> pd.DataFrame:
    """Metadata and text components per film (index ``movie_id``): no labels and no ratings in
    them, so they are safe to use for anyone, including people held out of the ratings."""
    return _cached_base(catalog, text_source, n_text, use_cache=True)


def _cached_base(catalog, text_source: str, n_text: int, use_cache: bool) -> pd.DataFrame:
    key = sha256_text(f"{catalog.name}|{catalog.data_checksum}|{text_source}|{n_text}|{FEATURE_VERSION}")[:16]
    path = config.artifacts_dir() / "personal" / "features" / f"{catalog.name}-{key}.parquet"
    if use_cache and catalog.data_checksum and path.exists():
        return pd.read_parquet(path)
    base = meta_features(catalog.movies)
    source = make_text_source(text_source, n_text)
    if source is not None:
        text = source.components(catalog)
        for i in range(text.shape[1]):
            base[f"text_{i}"] = text[:, i]
    if use_cache and catalog.data_checksum:
        write_parquet_atomic(path, pa.Table.from_pandas(base, preserve_index=True))
    return base


def meta_features(movies: pd.DataFrame) -> pd.DataFrame:
    """Catalog metadata as numbers; unknown stays NaN (XGBoost routes missing values itself)."""
    out = pd.DataFrame(index=pd.Index(movies["movie_id"].astype("int64"), name="movie_id"))

    def col(name):
        return pd.to_numeric(movies[name], errors="coerce").to_numpy(dtype=float)

    out["year"] = col("year")
    out["runtime"] = np.where(col("runtime") > 0, col("runtime"), np.nan)
    out["log_popularity"] = np.log1p(col("popularity"))
    out["vote_average"] = col("vote_average")
    out["log_vote_count"] = np.log1p(col("vote_count"))
    out["log_budget"] = np.log1p(np.where(col("budget") > 0, col("budget"), np.nan))
    genres = movies["genres"].map(lambda g: list(g) if isinstance(g, (list, np.ndarray)) else [])
    out["n_genres"] = genres.map(len).to_numpy(dtype=float)
    for genre in sorted({g for gs in genres for g in gs}):
        out[f"genre:{genre}"] = genres.map(lambda gs, g=genre: float(g in gs)).to_numpy()
    languages = movies["original_language"].fillna("")
    for language in languages[languages != ""].value_counts().index[:TOP_LANGUAGES]:
        out[f"lang:{language}"] = (languages == language).to_numpy(dtype=float)
    return out


def people_lists(catalog) -> pd.DataFrame:
    """Director ids and top-billed cast ids per film."""
    credits = catalog.credits
    directors = credits[(credits["role"] == "crew") & (credits["job"] == "Director")]
    cast = credits[credits["role"] == "cast"].sort_values(["movie_id", "bill_order"], kind="stable")
    cast = cast.groupby("movie_id").head(TOP_CAST)
    frame = pd.DataFrame(index=pd.Index(catalog.movies["movie_id"].astype("int64"), name="movie_id"))
    frame["directors"] = directors.groupby("movie_id")["person_id"].agg(list)
    frame["cast"] = cast.groupby("movie_id")["person_id"].agg(list)
    for column in PEOPLE_COLUMNS:
        frame[column] = frame[column].map(lambda v: [int(x) for x in v] if isinstance(v, list) else [])
    return frame


def collaborative_features(ratings: pd.DataFrame, movie_ids: pd.Index, n_factors: int = 16,
                           exclude_user: int | None = None) -> pd.DataFrame:
    """Shrunk mean rating, log count and SVD item factors of the user-centred ratings matrix."""
    from scipy import sparse
    from sklearn.decomposition import TruncatedSVD

    if exclude_user is not None:
        ratings = ratings[ratings["user_id"] != exclude_user]
    out = pd.DataFrame(index=movie_ids)
    ratings = ratings[ratings["movie_id"].isin(movie_ids)]
    if ratings.empty:
        return out
    mu = float(ratings["rating"].mean())
    per_item = ratings.groupby("movie_id")["rating"].agg(["sum", "count"])
    out["cf_mean_rating"] = ((per_item["sum"] + RATING_SHRINKAGE * mu) / (per_item["count"] + RATING_SHRINKAGE)).reindex(movie_ids)
    out["cf_log_count"] = np.log1p(per_item["count"].reindex(movie_ids).fillna(0.0))
    users = pd.Index(ratings["user_id"].unique())
    items = pd.Index(per_item.index)
    k = min(n_factors, len(users) - 1, len(items) - 1)
    if k < 2:
        return out
    centred = ratings["rating"].to_numpy(dtype=float) - ratings.groupby("user_id")["rating"].transform("mean").to_numpy()
    matrix = sparse.csr_matrix((centred, (users.get_indexer(ratings["user_id"]), items.get_indexer(ratings["movie_id"]))),
                               shape=(len(users), len(items)))
    svd = TruncatedSVD(n_components=k, random_state=0).fit(matrix)
    factors = svd.components_.T * np.sqrt(svd.singular_values_)  # items × k
    factor_frame = pd.DataFrame(factors, index=items, columns=[f"cf_{i}" for i in range(k)])
    return out.join(factor_frame)
