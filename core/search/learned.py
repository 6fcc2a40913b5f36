"""A learned re-ranker over the hybrid top ``depth`` films (XGBoost ``rank:pairwise``).

One function computes the features of the candidates, :func:`candidate_features`; the searcher
calls it at query time (``Searcher._ranked``) and training reads the features back through
:meth:`Searcher.candidate_features`, which runs the same pipeline and captures what the searcher
computed, so what is trained on is what is served. Features (no prominence: plot length, credits,
popularity or votes would exploit how the known-item query sets were built):

* the pipeline's own: bounded score, text relevance, 1 / hybrid rank;
* dense: document cosine, film cosine (best of document and plot passages);
* sparse: stemmed BM25 share of the query, and per field (title, plot, people, labels) the share
  from a fielded BM25 fitted on the index's documents when the searcher loads a re-ranker;
* understanding: year match and distance, genre share, language match, named-people share;
* title-word overlap (share of the query's content terms in the title).

The model is saved with the model contract (``model.json``) as XGBoost's own JSON model format
(no pickle) plus ``features.json`` (names and the training means that stand in for a missing
value, flagged ``missing_features``). It lives in the artifact store, slot
``Slot("search-reranker", catalog)``, beside the catalog's search index; it is used only when its
index signature (encoder, BM25 stemming, passages, document format) and catalog checksum match the
loaded index. The score shown stays the bounded hybrid score (so "no good match" and the
documented scale are unchanged); the re-ranker only reorders the top ``depth`` films.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.errors import MarqueeError
from core.io import read_json, write_json_atomic
from core.models import Flag, Model, ModelIntegrityError, NotFittedError, Predictions

log = logging.getLogger(__name__)
KIND = "search-reranker"
MODEL_JSON, FEATURES_JSON = "ranker.json", "features.json"
FIELD_NAMES = ("title", "plot", "people", "labels")
FEATURES = ("score", "relevance", "inv_rank", "doc_cos", "film_cos", "bm25_share",
            *(f"bm25_{f}" for f in FIELD_NAMES),
            "year_match", "year_distance", "genre_share", "language_match", "people_share", "title_overlap")


def candidate_features(searcher, intent, qvec, rows: np.ndarray, score: np.ndarray, relevance: np.ndarray,
                       dense: np.ndarray | None, sparse: np.ndarray | None) -> np.ndarray:
    """The feature matrix (rows × ``FEATURES``) of candidate ``rows`` in hybrid order.

    ``score``/``relevance``/``dense``/``sparse`` are the pipeline's values for those rows (bounded
    score, text relevance, film cosine, BM25 share; ``None`` where the method did not use one)."""
    n = len(rows)
    zeros = np.zeros(n)
    index, docs = searcher.index, searcher.docs
    cols: dict[str, np.ndarray] = {
        "score": np.asarray(score, dtype=float),
        "relevance": np.nan_to_num(np.asarray(relevance, dtype=float), nan=0.0),
        "inv_rank": 1.0 / np.arange(1, n + 1),
    }
    if qvec is not None:
        cols["doc_cos"] = (index.vectors[rows] @ np.asarray(qvec, dtype=np.float32)).astype(float)
        cols["film_cos"] = np.asarray(dense, dtype=float) if dense is not None else cols["doc_cos"]
    else:
        cols["doc_cos"] = cols["film_cos"] = zeros
    cols["bm25_share"] = zeros if sparse is None else np.asarray(sparse, dtype=float)
    content = intent.content
    fielded = searcher.fielded_bm25
    for field in FIELD_NAMES:
        model = fielded.fields_[field]
        upper = model.upper_bound(content) if content else 0.0
        cols[f"bm25_{field}"] = (np.clip(model.scores(content)[rows] / upper, 0.0, None) if upper > 0 else zeros)
    years = searcher.years[rows]
    has_years = intent.year_min is not None or intent.year_max is not None
    low = intent.year_min if intent.year_min is not None else -np.inf
    high = intent.year_max if intent.year_max is not None else np.inf
    if has_years:
        cols["year_match"] = ((years >= low) & (years <= high)).astype(float)
        with np.errstate(invalid="ignore"):
            cols["year_distance"] = np.nan_to_num(np.maximum(low - years, years - high).clip(0), nan=10.0)
    else:
        cols["year_match"] = cols["year_distance"] = zeros
    if intent.genres:
        wanted = set(intent.genres)
        cols["genre_share"] = np.array([len(wanted & searcher.genre_sets[r]) / len(wanted) for r in rows], dtype=float)
    else:
        cols["genre_share"] = zeros
    cols["language_match"] = (np.isin(searcher.languages[rows], intent.languages).astype(float)
                              if intent.languages else zeros)
    if intent.people:
        people = set(intent.people)
        cast, directors = docs["cast_ids"].to_numpy(), docs["director_ids"].to_numpy()   # no per-row .iat
        cols["people_share"] = np.array([len(people.intersection(cast[r]) | people.intersection(directors[r])) / len(people)
                                         for r in rows], dtype=float)
    else:
        cols["people_share"] = zeros
    query_terms = set(index.bm25.terms(content)) if content else set()
    titles = searcher.title_terms
    cols["title_overlap"] = (np.array([len(query_terms & titles[r]) / len(query_terms) for r in rows], dtype=float)
                             if query_terms else zeros)
    return np.column_stack([cols[name] for name in FEATURES]).astype(float) if n else np.zeros((0, len(FEATURES)))


class SearchReranker(Model):
    """XGBoost ``rank:pairwise`` over candidate features; ``fit(X, y, group)`` with ``y`` = 1 for
    the wanted film and ``group`` the number of candidates of each query (in row order)."""

    kind = KIND
    fitted_attribute = "booster_"

    def __init__(self, features: Sequence[str] = FEATURES, depth: int = 50, n_estimators: int = 100,
                 max_depth: int = 4, learning_rate: float = 0.1, min_child_weight: float = 1.0,
                 subsample: float = 0.8, colsample_bytree: float = 0.8, random_state: int = 0):
        self.features = tuple(features)
        self.depth = depth
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.random_state = random_state

    def _matrix(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(self.features):
            raise MarqueeError(f"the re-ranker expects {len(self.features)} feature columns, got shape {X.shape}")
        return X

    def fit(self, X, y, group) -> "SearchReranker":
        import xgboost

        X = self._matrix(X)
        y = np.asarray(y, dtype=float)
        group = [int(g) for g in group]
        if sum(group) != len(X) or len(y) != len(X):
            raise MarqueeError("fit: group sizes must add up to the number of rows of X and y")
        means = np.nanmean(np.where(np.isfinite(X), X, np.nan), axis=0) if len(X) else np.zeros(X.shape[1])
        means = np.nan_to_num(means, nan=0.0)
        ranker = xgboost.XGBRanker(objective="rank:pairwise", n_estimators=self.n_estimators, max_depth=self.max_depth,
                                   learning_rate=self.learning_rate, subsample=self.subsample,
                                   colsample_bytree=self.colsample_bytree, min_child_weight=self.min_child_weight,
                                   random_state=self.random_state, n_jobs=1)
        ranker.fit(np.where(np.isfinite(X), X, means), y, group=group)
        self.feature_means_ = means.astype(float)
        self.booster_ = _one_thread(ranker.get_booster())
        return self

    def predict_flagged(self, X) -> Predictions:
        """One ranking score per row (higher first; comparable within a query only). A row with a
        missing (non-finite) feature is scored with the training mean in its place and flagged."""
        self.check_fitted()
        X = self._matrix(X)
        finite = np.isfinite(X)
        values = (np.asarray(self.booster_.inplace_predict(np.where(finite, X, self.feature_means_)), dtype=float)
                  if len(X) else np.zeros(0))
        flags = np.where(finite.all(axis=1), Flag.OK.value, Flag.MISSING_FEATURES.value)
        return Predictions(values, flags)

    def order(self, X) -> np.ndarray:
        """Positions of the rows, best first (ties keep the given order)."""
        values = self.predict_flagged(X).values
        return np.lexsort((np.arange(len(values)), -values)).astype(np.int64)

    # ------------------------------------------------------------------ persistence
    def _save_state(self, folder: Path) -> list[str]:
        self.booster_.save_model(str(folder / MODEL_JSON))   # XGBoost's JSON model format
        write_json_atomic(folder / FEATURES_JSON, {"features": list(self.features),
                                                   "means": [float(v) for v in self.feature_means_]})
        return [MODEL_JSON, FEATURES_JSON]

    def _load_state(self, folder: Path, record: dict[str, Any]) -> None:
        import xgboost

        saved = read_json(folder / FEATURES_JSON)
        if not isinstance(saved, dict) or list(saved.get("features") or []) != list(self.features) \
                or len(saved.get("means") or []) != len(self.features):
            raise ModelIntegrityError(f"{folder / FEATURES_JSON}: features do not match the model record")
        booster = xgboost.Booster()
        try:
            booster.load_model(str(folder / MODEL_JSON))
        except xgboost.core.XGBoostError as exc:
            raise ModelIntegrityError(f"{folder / MODEL_JSON}: not an XGBoost model ({exc})") from None
        if booster.num_features() != len(self.features):
            raise ModelIntegrityError(f"{folder / MODEL_JSON}: {booster.num_features()} features, "
                                      f"expected {len(self.features)}")
        self.feature_means_ = np.asarray(saved["means"], dtype=float)
        self.booster_ = _one_thread(booster)

    def _learned_arrays(self) -> dict[str, Any]:
        return {"feature_means": getattr(self, "feature_means_", np.zeros(0))}

    @classmethod
    def _params_from_record(cls, params: dict[str, Any]) -> dict[str, Any]:
        if "features" in params:
            params["features"] = tuple(params["features"])
        return params

    def library_names(self) -> tuple[str, ...]:
        return ("xgboost",)


def _one_thread(booster):
    """Predict on the calling thread: a query scores ~100 rows, and XGBoost's default thread pool
    cost ~110 ms per call on the loaded 2-core machine (vs ~2 ms for the features)."""
    booster.set_param({"nthread": 1})
    return booster


# ---------------------------------------------------------------------- training and storage
def training_groups(searcher, items: Sequence[dict], depth: int, progress=None) -> list[dict]:
    """Per known-item query (``query``, ``movie_id``, ``kind``): the candidates' rows, features and
    labels (1 = the wanted film), from :meth:`Searcher.candidate_features`."""
    out = []
    for n, item in enumerate(items):
        rows, X = searcher.candidate_features(item["query"], depth)
        target = searcher.row_of_movie.get(int(item["movie_id"]), -1)
        out.append({"rows": rows, "X": X, "y": (rows == target).astype(int), "kind": item.get("kind", "")})
        if progress and n % 100 == 0:
            progress(n, len(items))
    return out


def fit_groups(model: SearchReranker, groups: Sequence[dict]) -> SearchReranker:
    """Fit on the queries whose film is among the candidates (the others carry no pair)."""
    train = [g for g in groups if len(g["rows"]) and g["y"].any()]
    if not train:
        raise MarqueeError("no training query has its film among the candidates")
    return model.fit(np.vstack([g["X"] for g in train]), np.concatenate([g["y"] for g in train]),
                     [len(g["rows"]) for g in train])


def index_signature(searcher) -> dict[str, Any]:
    """What the features depend on besides the catalog: encoder, BM25 stemming, passages, format."""
    index = searcher.index
    parameters = (index.manifest or {}).get("parameters", {})
    return {"model_id": getattr(searcher.encoder, "model_id", None), "bm25_stem": bool(getattr(index.bm25, "stem", False)),
            "passages": bool(index.has_passages), "doc_format_version": parameters.get("doc_format_version")}


def slot(catalog: str):
    from core.artifacts import Slot

    return Slot(KIND, catalog)


def save_reranker(model: SearchReranker, searcher, catalog: str, metrics: dict | None = None, note: str = "",
                  store=None, promote: bool = True):
    """A new version of the catalog's re-ranker (promoted to champion by default)."""
    from core.artifacts import default_store

    store = store or default_store()
    version = store.save(slot(catalog), model, data_checksum=(searcher.index.manifest or {}).get("data_checksum"),
                         metrics=metrics or {}, note=note, index=index_signature(searcher))
    if promote:
        store.promote(slot(catalog), version.name)
    return version


def load_reranker(catalog: str, searcher, store=None) -> SearchReranker | None:
    """The catalog's current re-ranker when one was trained for this index (same catalog data and
    index signature); ``None`` otherwise (the searcher then ranks as without one)."""
    from core.artifacts import ArtifactNotFound, StaleArtifact, default_store

    store = store or default_store()
    try:
        found = store.resolve(slot(catalog), data_checksum=(searcher.index.manifest or {}).get("data_checksum"))
    except ArtifactNotFound:
        return None
    except StaleArtifact as exc:
        log.warning("search re-ranker not used: %s", exc)
        return None
    if found.manifest.get("index") != index_signature(searcher):
        log.warning("search re-ranker %s of %s not used: trained on another index setting (%s, now %s)",
                    found.name, catalog, found.manifest.get("index"), index_signature(searcher))
        return None
    try:
        return SearchReranker.load(found.path)
    except (ModelIntegrityError, NotFittedError) as exc:
        log.warning("search re-ranker %s of %s not used: %s", found.name, catalog, exc)
        return None


def reranker_version(catalog: str, store=None) -> str:
    """The current re-ranker version of a catalog ("" when none): part of a cached searcher's key,
    so a newly trained re-ranker is picked up without rebuilding the index."""
    from core.artifacts import default_store

    try:
        found = (store or default_store()).current(slot(catalog))
    except MarqueeError:
        return ""
    return found.name if found is not None else ""
