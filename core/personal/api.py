"""The personal taste model's public functions, shared by the CLI, the Labeling page and others.

A trained model lives in ``artifacts/personal/models/<profile>/<catalog>/``: ``model.json``
(XGBoost), ``normalisation.json``, ``estimator.json``, ``item_features.parquet`` (the exact
features it was trained on, so predictions never drift with a library upgrade), ``cv.json``
(metrics, grid, out-of-fold predictions) and ``manifest.json``. The folder is written to a
staging folder and swapped in whole.
"""
from __future__ import annotations

import logging
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from core import config
from core.errors import MarqueeError
from core.io import build_manifest, read_json, staged_dir, write_json_atomic, write_parquet_atomic
from core.personal import active
from core.personal.evaluate import error_lists, grid_search
from core.personal.features import PEOPLE_COLUMNS, ItemFeatures, build_item_features
from core.personal.model import TasteModel, watch_probability
from core.personal.labels import LABELS, WOULD_NOT_WATCH, WOULD_WATCH, WOULD_WATCH_MANY, validate_profile
from core.personal.store import LabelStore, open_store
from core.progress import ProgressFn, null_progress

log = logging.getLogger(__name__)

MODEL_KIND = "personal-taste-model"
DEFAULT_GRID = {"max_depth": [1, 2, 3], "learning_rate": [0.02, 0.05]}
THREE_WAY_MODES = ("auto", "binary", "three-way")
MIN_MANY_FOR_THREE_WAY = 10
GROUP_NAMES = {"text_": "overview text", "cf_": "viewing-pattern factors", "directors_": "director (your labels)",
               "cast_": "cast (your labels)"}


def get_store(location: str | None = None) -> LabelStore:
    return open_store(location)


def model_dir(profile: str, catalog: str) -> Path:
    return config.artifacts_dir() / "personal" / "models" / validate_profile(profile) / catalog


# ------------------------------------------------------------------------------------ training
def training_targets(labels: pd.DataFrame, three_way: str = "auto", n_splits: int = 5) -> tuple[np.ndarray, str]:
    """The target vector and the mode actually used ("binary" or "three-way")."""
    if three_way not in THREE_WAY_MODES:
        raise MarqueeError(f"unknown three-way mode {three_way!r}: expected one of {', '.join(THREE_WAY_MODES)}")
    y = labels["label"].to_numpy(dtype=object)
    n_many = int((y == WOULD_WATCH_MANY).sum())
    n_once = int((y == WOULD_WATCH).sum())
    use_three = three_way == "three-way" or (three_way == "auto" and n_many >= max(MIN_MANY_FOR_THREE_WAY, n_splits)
                                              and n_once >= n_splits)
    if use_three and min(n_many, n_once) < n_splits:
        raise MarqueeError(f"three-way training needs at least {n_splits} 'would watch' and {n_splits} "
                           f"'would watch many times' labels (have {n_once} and {n_many})")
    if not use_three:
        y = np.where(y == WOULD_WATCH_MANY, WOULD_WATCH, y).astype(object)
    n_neg, n_pos = int((y == WOULD_NOT_WATCH).sum()), int((y != WOULD_NOT_WATCH).sum())
    if min(n_neg, n_pos) < n_splits:
        raise MarqueeError(f"label more titles first: {n_splits}-fold cross-validation needs at least {n_splits} "
                           f"'would watch' and {n_splits} 'would not watch' labels (have {n_pos} and {n_neg})")
    return y, ("three-way" if use_three else "binary")


def train(profile: str, catalog: str, *, store: LabelStore | None = None, grid: dict[str, list] | None = None,
          n_splits: int = 5, three_way: str = "auto", text_source: str = "tfidf", seed: int = 0,
          progress: ProgressFn | None = None) -> dict[str, Any]:
    """Grid-search with stratified CV, refit the best point on every label, save, return the report."""
    from core.catalog import store as catalogs

    progress = progress or null_progress
    store = store or get_store()
    labels = store.labels(profile, catalog)
    if labels.empty:
        raise MarqueeError(f"profile {profile!r} has no labels in catalog {catalog!r}: label some titles first")
    y, mode = training_targets(labels, three_way, n_splits)
    progress(0, None, "building features")
    cat = catalogs.load_catalog(catalog, verify=False)
    exclude_user = store.linked_user(profile, catalog)
    features = build_item_features(cat, text_source=text_source, exclude_user=exclude_user)
    X = features.frame(labels["movie_id"])
    search = grid_search(X, y, DEFAULT_GRID if grid is None else grid, base_params={"random_state": seed},
                         n_splits=n_splits, seed=seed, progress=progress)
    model = TasteModel(**search["best_params"]).fit(X, y)
    p_watch = watch_probability(search["oof_proba"], model.classes_)
    report = {
        "profile": profile, "catalog": catalog, "mode": mode, "n_labels": int(len(y)), "n_splits": n_splits,
        "metrics": search["metrics"], "best_params": search["best_params"], "grid": search["grid"],
        "text_source": text_source, "exclude_user": exclude_user, "feature_groups": {g: len(c) for g, c in features.groups.items()},
        **error_lists(labels["movie_id"], labels["movie_id"].map(cat.movies.set_index("movie_id")["title"]).fillna(""),
                      y, p_watch),
    }
    oof = {"movie_id": labels["movie_id"].tolist(), "label": list(y), "p_watch": p_watch.round(6).tolist(),
           "classes": list(model.classes_), "proba": search["oof_proba"].round(6).tolist()}
    _save(profile, catalog, model, features, report, oof, cat.data_checksum, labels_version=store.version(profile, catalog))
    progress(1, 1, "saved")
    return report


def _save(profile: str, catalog: str, model: TasteModel, features: ItemFeatures, report: dict, oof: dict,
          data_checksum: str, labels_version: int) -> Path:
    target = model_dir(profile, catalog)
    with staged_dir(target) as staging:
        model.save(staging)
        table = pa.Table.from_pandas(features.numeric.join(features.people), preserve_index=True)
        write_parquet_atomic(staging / "item_features.parquet", table)
        write_json_atomic(staging / "cv.json", {"report": report, "oof": oof})
        manifest = build_manifest(MODEL_KIND, {**model.get_params(), "text_source": report["text_source"],
                                               "n_splits": report["n_splits"], "mode": report["mode"]},
                                  data_checksum, extra_versions=("xgboost", "scikit-learn"),
                                  profile=profile, catalog=catalog, labels_version=labels_version,
                                  n_labels=report["n_labels"], classes=list(model.classes_),
                                  metrics={k: report["metrics"][k] for k in ("roc_auc", "pr_auc", "brier", "accuracy")},
                                  feature_groups=features.groups, feature_parameters=features.parameters,
                                  files=["model.json", "normalisation.json", "estimator.json", "item_features.parquet", "cv.json"])
        write_json_atomic(staging / "manifest.json", manifest)
    return target


@dataclass
class TrainedModel:
    profile: str
    catalog: str
    model: TasteModel
    features: ItemFeatures
    manifest: dict[str, Any]
    path: Path

    def report(self) -> dict[str, Any]:
        return read_json(self.path / "cv.json")["report"]


def load_trained(profile: str, catalog: str) -> TrainedModel:
    path = model_dir(profile, catalog)
    if not (path / "manifest.json").exists():
        raise MarqueeError(f"no trained taste model for profile {profile!r} in catalog {catalog!r}: "
                           f"run `python -m core personal train --profile {profile} --catalog {catalog}`")
    manifest = read_json(path / "manifest.json")
    frame = pd.read_parquet(path / "item_features.parquet")
    people = frame[list(PEOPLE_COLUMNS)].copy()
    for column in PEOPLE_COLUMNS:
        people[column] = people[column].map(lambda v: [int(x) for x in v] if v is not None else [])
    features = ItemFeatures(numeric=frame.drop(columns=list(PEOPLE_COLUMNS)), people=people,
                            groups=manifest.get("feature_groups", {}), parameters=manifest.get("feature_parameters", {}))
    return TrainedModel(profile, catalog, TasteModel.load(path), features, manifest, path)


def trained_version(profile: str, catalog: str) -> str | None:
    """An id of the saved model version (None: never trained), for cache keys."""
    path = model_dir(profile, catalog) / "manifest.json"
    return f"{read_json(path).get('created_at')}|{path.stat().st_mtime_ns}" if path.exists() else None


def list_trained() -> list[dict[str, Any]]:
    """Every saved taste model: profile, catalog, when, metrics (for pickers on other pages)."""
    root = config.artifacts_dir() / "personal" / "models"
    rows = []
    for manifest_path in sorted(root.glob("*/*/manifest.json")):
        manifest = read_json(manifest_path)
        rows.append({"profile": manifest.get("profile"), "catalog": manifest.get("catalog"),
                     "created_at": manifest.get("created_at"), "n_labels": manifest.get("n_labels"),
                     **manifest.get("metrics", {})})
    return rows


def oof_predictions(profile: str, catalog: str) -> tuple[np.ndarray, np.ndarray]:
    """Cross-validated out-of-fold (label, probability) of a trained model: label 1 = would watch
    (once or many times), probability = P(would watch). For reliability plots."""
    trained_path = model_dir(profile, catalog) / "cv.json"
    if not trained_path.exists():
        load_trained(profile, catalog)  # raises the helpful error
    oof = read_json(trained_path)["oof"]
    labels = np.array([0 if label == WOULD_NOT_WATCH else 1 for label in oof["label"]], dtype=int)
    return labels, np.asarray(oof["p_watch"], dtype=float)


# ------------------------------------------------------------------------------------ predicting
def _titles(catalog) -> pd.DataFrame:
    return catalog.movies.set_index("movie_id")


def explain(profile: str, catalog: str, movie_id: int, top: int = 6, similar: int = 3,
            store: LabelStore | None = None, trained: TrainedModel | None = None) -> dict[str, Any]:
    """P(would watch) for one title, its largest feature contributions and the liked titles most like it."""
    from core.catalog import store as catalogs

    trained = trained or load_trained(profile, catalog)
    store = store or get_store()
    movie_id = int(movie_id)
    if movie_id not in trained.features.numeric.index:
        raise MarqueeError(f"film {movie_id} is not in catalog {catalog!r}")
    X = trained.features.frame([movie_id])
    proba = trained.model.predict_proba(X)[0]
    contributions = group_contributions(trained.model.contributions(X).iloc[0])
    movies = _titles(catalogs.load_catalog(catalog, verify=False, tables=("movies",)))
    labels = store.labels(profile, catalog)
    liked = labels[labels["label"] != WOULD_NOT_WATCH]["movie_id"]
    result = {
        "movie_id": movie_id, "title": str(movies.at[movie_id, "title"]) if movie_id in movies.index else "",
        "p_watch": float(watch_probability(proba[None, :], trained.model.classes_)[0]),
        "probabilities": {c: float(p) for c, p in zip(trained.model.classes_, proba)},
        "your_label": _label_of(labels, movie_id),
        "top_positive": contributions[contributions["contribution"] > 0].head(top).to_dict("records"),
        "top_negative": contributions[contributions["contribution"] < 0].sort_values("contribution").head(top).to_dict("records"),
        "because_you_liked": similar_titles(trained.features, movie_id, liked, movies, n=similar),
    }
    return result


def group_contributions(row: pd.Series) -> pd.DataFrame:
    """Fold component features (text_*, cf_*, people encodings) into readable groups, sorted by |effect|."""
    def group(name: str) -> str:
        for prefix, label in GROUP_NAMES.items():
            if name.startswith(prefix):
                return label
        return name.replace("genre:", "genre ").replace("lang:", "language ").replace("_", " ")
    grouped = row.groupby(row.index.map(group)).sum()
    frame = grouped.rename("contribution").reset_index().rename(columns={"index": "feature"})
    frame["contribution"] = frame["contribution"].astype("float64").round(4)
    return frame.reindex(frame["contribution"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def similar_titles(features: ItemFeatures, movie_id: int, candidates, movies: pd.DataFrame, n: int = 3) -> list[dict]:
    """The ``candidates`` (e.g. liked titles) most similar to ``movie_id`` by cosine of item vectors."""
    candidates = [int(c) for c in candidates if int(c) != movie_id and int(c) in features.numeric.index]
    if not candidates:
        return []
    vectors = features.vectors()
    target = vectors.loc[movie_id].to_numpy()
    others = vectors.loc[candidates].to_numpy()
    norms = np.linalg.norm(others, axis=1) * (np.linalg.norm(target) or 1.0)
    sims = others @ target / np.where(norms == 0, 1.0, norms)
    order = np.argsort(-sims)[:n]
    return [{"movie_id": candidates[i], "title": str(movies.at[candidates[i], "title"]) if candidates[i] in movies.index else "",
             "similarity": round(float(sims[i]), 3)} for i in order]


def _label_of(labels: pd.DataFrame, movie_id: int) -> str | None:
    match = labels.loc[labels["movie_id"] == movie_id, "label"]
    return str(match.iloc[0]) if len(match) else None


def recommend(profile: str, catalog: str, top: int = 20, store: LabelStore | None = None,
              trained: TrainedModel | None = None) -> pd.DataFrame:
    """Unlabeled titles ranked by P(would watch), leaving out everything labeled (seen or declined)
    and the profile's exclusion list. Skipped titles stay in: a skip is not a decline."""
    from core.catalog import store as catalogs

    trained = trained or load_trained(profile, catalog)
    store = store or get_store()
    labeled = set(store.labels(profile, catalog)["movie_id"])
    excluded = set(store.exclusions(profile, catalog)["movie_id"])
    everything = trained.features.frame()
    keep = everything[~everything.index.isin(list(labeled | excluded))]
    if keep.empty:
        return pd.DataFrame(columns=["rank", "movie_id", "title", "year", "p_watch"])
    proba = trained.model.predict_proba(keep)
    movies = _titles(catalogs.load_catalog(catalog, verify=False, tables=("movies",)))
    frame = pd.DataFrame({"movie_id": keep.index.astype("int64"),
                          "p_watch": watch_probability(proba, trained.model.classes_).round(4)})
    if WOULD_WATCH_MANY in trained.model.classes_:
        frame["p_watch_many"] = proba[:, list(trained.model.classes_).index(WOULD_WATCH_MANY)].round(4)
    frame = frame.sort_values(["p_watch", "movie_id"], ascending=[False, True]).head(top).reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame.insert(2, "title", frame["movie_id"].map(movies["title"]))
    frame.insert(3, "year", frame["movie_id"].map(movies["year"]))
    return frame


def predict_titles(profile: str, catalog: str, movie_ids, trained: TrainedModel | None = None) -> pd.DataFrame:
    trained = trained or load_trained(profile, catalog)
    X = trained.features.frame([int(m) for m in movie_ids])
    proba = trained.model.predict_proba(X)
    out = pd.DataFrame(proba.round(4), columns=[f"p_{c}" for c in trained.model.classes_])
    out.insert(0, "movie_id", [int(m) for m in movie_ids])
    out.insert(1, "p_watch", watch_probability(proba, trained.model.classes_).round(4))
    out["prediction"] = trained.model.classes_[np.argmax(proba, axis=1)]
    return out


# ------------------------------------------------------------------------------------ labeling
def import_user_ratings(store: LabelStore, profile: str, catalog, user_id: int, threshold: float = 4.0,
                        many_threshold: float | None = None) -> dict[str, int]:
    """Turn a catalog user's ratings into labels (rating ≥ threshold → would watch, else would not;
    ≥ many_threshold → would watch many times) and link the profile to that user so the model's
    collaborative features leave the user's own ratings out."""
    threshold = _finite_threshold("threshold", threshold)
    if many_threshold is not None:
        many_threshold = _finite_threshold("many_threshold", many_threshold)
        if many_threshold < threshold:
            raise MarqueeError(f"many_threshold {many_threshold} is below threshold {threshold}: "
                               "'would watch many times' needs at least the 'would watch' rating")
    ratings = catalog.ratings[catalog.ratings["user_id"] == int(user_id)]
    if ratings.empty:
        raise MarqueeError(f"catalog {catalog.name!r} has no ratings by user {user_id}")
    label = np.where(ratings["rating"] >= threshold, WOULD_WATCH, WOULD_NOT_WATCH).astype(object)
    if many_threshold is not None:
        label = np.where(ratings["rating"] >= many_threshold, WOULD_WATCH_MANY, label)
    titles = ratings["movie_id"].map(catalog.movies.set_index("movie_id")["title"])
    rows = [{"movie_id": int(m), "label": lab, "title": t if isinstance(t, str) else None,
             "labeled_at": ts.isoformat() if pd.notna(ts) else None}
            for m, lab, t, ts in zip(ratings["movie_id"], label, titles, ratings["timestamp"])]
    count = store.import_rows(profile, catalog.name, rows)
    store.link_user(profile, catalog.name, int(user_id))
    return {"imported": count, **{k: int((label == k).sum()) for k in LABELS}}


def _finite_threshold(field: str, value: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise MarqueeError(f"{field} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise MarqueeError(f"{field} must be a finite rating, got {value}")
    return value


def title_card(catalog, movie_id: int, n_cast: int = 6) -> dict[str, Any]:
    """What a person needs to judge a title: title, year, genres, overview, director, cast, poster."""
    movies = catalog.movies.set_index("movie_id")
    movie_id = int(movie_id)
    if movie_id not in movies.index:
        raise MarqueeError(f"film {movie_id} is not in catalog {catalog.name!r}")
    row = movies.loc[movie_id]
    credits = catalog.credits[catalog.credits["movie_id"] == movie_id]
    names = catalog.people.set_index("person_id")["name"]
    cast = credits[credits["role"] == "cast"].sort_values("bill_order")["person_id"].head(n_cast)
    directors = credits[(credits["role"] == "crew") & (credits["job"] == "Director")]["person_id"]

    def clean(value):
        if value is None or (np.ndim(value) == 0 and pd.isna(value)):
            return None
        return value.item() if isinstance(value, np.generic) else value
    year = clean(row.get("year"))
    return {"movie_id": movie_id, "title": str(row["title"]), "year": int(year) if year is not None else None,
            "genres": list(row.get("genres") or []), "overview": clean(row.get("overview")) or "",
            "runtime": clean(row.get("runtime")), "vote_average": clean(row.get("vote_average")),
            "poster_url": clean(row.get("poster_url")),
            "directors": [str(names.get(p, "")) for p in directors], "cast": [str(names.get(p, "")) for p in cast]}


def search_titles(catalog, query: str, limit: int = 20) -> pd.DataFrame:
    """Titles containing ``query`` (case-insensitive), exact and prefix matches first."""
    query = (query or "").strip().casefold()
    movies = catalog.movies[["movie_id", "title", "year"]]
    if not query:
        return movies.head(0)
    folded = movies["title"].str.casefold()
    hits = movies[folded.str.contains(query, regex=False, na=False)].copy()
    hits["_rank"] = np.where(folded[hits.index] == query, 0, np.where(folded[hits.index].str.startswith(query), 1, 2))
    return hits.sort_values(["_rank", "title"]).head(limit).drop(columns="_rank").reset_index(drop=True)


def next_titles(store: LabelStore, profile: str, catalog, strategy: str = "popular", n: int = 5,
                scores: pd.Series | None = None) -> pd.DataFrame:
    """The labeling queue for a profile (see ``core.personal.active``); stable until the store changes."""
    labeled = set(store.labels(profile, catalog.name)["movie_id"])
    seed = zlib.crc32(f"{profile}|{catalog.name}".encode()) + store.version(profile, catalog.name)
    return active.queue(catalog.movies, strategy=strategy, labeled=labeled,
                        skipped=store.skipped(profile, catalog.name),
                        excluded=set(store.exclusions(profile, catalog.name)["movie_id"]),
                        popularity=active.popularity_order(catalog.movies, catalog.ratings),
                        scores=scores, seed=seed, n=n)


def uncertainty_scores(store: LabelStore, profile: str, catalog) -> pd.Series | None:
    """Quick-model P(would watch) for every title (None until both sides have a few labels)."""
    labels = store.labels(profile, catalog.name)
    features = build_item_features(catalog, exclude_user=store.linked_user(profile, catalog.name))
    return active.uncertainty_scores(features, labels)


def label_summary(store: LabelStore, profile: str, catalog: str) -> dict[str, Any]:
    counts = store.counts(profile, catalog)
    labeled = sum(counts[k] for k in LABELS)
    positive = counts[WOULD_WATCH] + counts[WOULD_WATCH_MANY]
    return {"labeled": labeled, "skipped": counts["skip"], "counts": counts,
            "positive_share": positive / labeled if labeled else None}
