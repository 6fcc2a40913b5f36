"""What a trained taste model says: P(would watch) for titles, explanations, a ranked list.

Every function takes a loaded ``TrainedModel`` and a loaded ``Catalog``. Predictions of a model
too weak to trust carry ``flag = "unreliable_model"`` (see ``core.personal.guards``); ranked lists
show title, year and a short reason, with the film id as the (hidden) index only.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.errors import MarqueeError
from core.personal.features import ItemFeatures
from core.personal.labels import WOULD_NOT_WATCH, WOULD_WATCH_MANY
from core.personal.model import watch_probability
from core.personal.store import LabelStore
from core.personal.trained import TrainedModel

GROUP_NAMES = {"text_": "overview text", "cf_": "viewing-pattern factors", "directors_": "director (your labels)",
               "cast_": "cast (your labels)"}
RECOMMENDATION_COLUMNS = ["rank", "title", "year", "p_watch", "reason", "flag"]
# A liked title at least this similar (cosine of standardised item vectors) is worth naming as the reason.
SIMILAR_ENOUGH = 0.3


def explain(trained: TrainedModel, catalog, movie_id: int, store: LabelStore, top: int = 6,
            similar: int = 3) -> dict[str, Any]:
    """P(would watch) for one title, its largest feature contributions, the liked titles most like
    it and whether the model can be trusted (``flag``, ``reliability``)."""
    movie_id = int(movie_id)
    if movie_id not in trained.features.numeric.index:
        raise MarqueeError(f"film {movie_id} is not in catalog {catalog.name!r}")
    X = trained.features.frame([movie_id])
    proba = trained.model.predict_proba(X)[0]
    flagged = trained.model.predict_flagged(X)
    contributions = group_contributions(trained.model.contributions(X).iloc[0])
    movies = catalog.movies.set_index("movie_id")
    labels = store.labels(trained.profile, catalog.name)
    liked = labels[labels["label"] != WOULD_NOT_WATCH]["movie_id"]
    reliability = trained.reliability()
    return {
        "movie_id": movie_id, "title": str(movies.at[movie_id, "title"]) if movie_id in movies.index else "",
        "p_watch": float(watch_probability(proba[None, :], trained.model.classes_)[0]),
        "probabilities": {c: float(p) for c, p in zip(trained.model.classes_, proba)},
        "flag": str(flagged.flags[0]), "reliability": reliability.message if not reliability.ok else None,
        "your_label": _label_of(labels, movie_id),
        "top_positive": contributions[contributions["contribution"] > 0].head(top).to_dict("records"),
        "top_negative": contributions[contributions["contribution"] < 0].sort_values("contribution").head(top).to_dict("records"),
        "because_you_liked": similar_titles(trained.features, movie_id, liked, movies, n=similar),
    }


def explanation_text(explained: dict[str, Any]) -> str:
    """One line for a page: the largest effects and the liked titles most like this one."""
    reasons = [f"{c['feature']} ({c['contribution']:+.2f})" for c in explained["top_positive"] + explained["top_negative"]]
    text = "Largest effects: " + ", ".join(reasons)
    if explained["because_you_liked"]:
        text += ". Because you liked " + ", ".join(s["title"] for s in explained["because_you_liked"])
    return text


def group_contributions(row: pd.Series) -> pd.DataFrame:
    """Fold component features (text_*, cf_*, people encodings) into readable groups, sorted by |effect|."""
    grouped = row.groupby(row.index.map(feature_group)).sum()
    frame = grouped.rename("contribution").reset_index().rename(columns={"index": "feature"})
    frame["contribution"] = frame["contribution"].astype("float64").round(4)
    return frame.reindex(frame["contribution"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def feature_group(name: str) -> str:
    """The readable group of one model feature ("genre Drama", "overview text", …)."""
    for prefix, label in GROUP_NAMES.items():
        if name.startswith(prefix):
            return label
    return name.replace("genre:", "genre ").replace("lang:", "language ").replace("_", " ")


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


def recommend(trained: TrainedModel, catalog, store: LabelStore, top: int = 20) -> pd.DataFrame:
    """Unlabeled titles ranked by P(would watch), leaving out everything labeled (seen or declined)
    and the profile's exclusion list. Skipped titles stay in: a skip is not a decline.

    Columns ``rank, title, year, p_watch, reason, flag`` (``p_watch_many`` too for a three-way
    model); the index is ``movie_id``, for links and actions, not for show."""
    profile = trained.profile
    labels = store.labels(profile, catalog.name)
    excluded = set(store.exclusions(profile, catalog.name)["movie_id"])
    everything = trained.features.frame()
    keep = everything[~everything.index.isin(list(set(labels["movie_id"]) | excluded))]
    if keep.empty:
        return pd.DataFrame(columns=RECOMMENDATION_COLUMNS, index=pd.Index([], name="movie_id", dtype="int64"))
    proba = trained.model.predict_proba(keep)
    flagged = trained.model.predict_flagged(keep)
    frame = pd.DataFrame({"p_watch": watch_probability(proba, trained.model.classes_).round(4),
                          "flag": [str(f) for f in flagged.flags]}, index=pd.Index(keep.index.astype("int64"), name="movie_id"))
    if WOULD_WATCH_MANY in trained.model.classes_:
        frame["p_watch_many"] = proba[:, list(trained.model.classes_).index(WOULD_WATCH_MANY)].round(4)
    frame = frame.reset_index().sort_values(["p_watch", "movie_id"], ascending=[False, True]).head(top).set_index("movie_id")
    movies = catalog.movies.set_index("movie_id")
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame.insert(1, "title", frame.index.map(movies["title"]))
    frame.insert(2, "year", frame.index.map(movies["year"]).astype("Int64"))
    liked = labels.loc[labels["label"] != WOULD_NOT_WATCH, "movie_id"]
    frame.insert(4, "reason", recommendation_reasons(trained, keep.loc[frame.index], liked, movies))
    return frame


def recommendation_reasons(trained: TrainedModel, X: pd.DataFrame, liked, movies: pd.DataFrame) -> list[str]:
    """A short reason per row: the liked title it is most like (when similar enough) and the
    feature group that pushed it up most."""
    if X.empty:
        return []
    contributions = trained.model.contributions(X)
    reasons = []
    for movie_id, row in contributions.iterrows():
        grouped = group_contributions(row)
        up = grouped[grouped["contribution"] > 0]
        parts = [str(up["feature"].iloc[0])] if len(up) else []
        similar = similar_titles(trained.features, int(movie_id), liked, movies, n=1)
        if similar and similar[0]["similarity"] >= SIMILAR_ENOUGH:
            parts.insert(0, f"like {similar[0]['title']}")
        reasons.append("; ".join(parts) or "overall profile")
    return reasons


def predict_titles(trained: TrainedModel, movie_ids) -> pd.DataFrame:
    """Class probabilities, P(would watch), the predicted label and a flag for given films."""
    movie_ids = [int(m) for m in movie_ids]
    X = trained.features.frame(movie_ids)
    proba = trained.model.predict_proba(X)
    flagged = trained.model.predict_flagged(X)
    out = pd.DataFrame(proba.round(4), columns=[f"p_{c}" for c in trained.model.classes_])
    out.insert(0, "movie_id", movie_ids)
    out.insert(1, "p_watch", watch_probability(proba, trained.model.classes_).round(4))
    out["prediction"] = trained.model.classes_[np.argmax(proba, axis=1)]
    out["flag"] = [str(f) for f in flagged.flags]
    return out
