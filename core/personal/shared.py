"""The shared taste model: one combiner, learned across many simulated labelers, for any new person.

Per-person models fitted on 100–400 labels barely beat the crowd. What works better is learning
*how to combine* the crowd and the person's own collaborative signals across many people:

1. **Simulated labelers.** Every catalog rater with enough ratings plays a labeler (rating ≥ the
   like threshold = "would watch"). Raters are split into folds; the signals a labeler's
   features are built from (``core.personal.signals``) come from the ratings of the *other*
   folds only, so no rating of the labeler reaches a feature. Each labeler's ratings are cut into
   five blocks; a block's features come from a random subset (5 to all) of the other four, so
   the combiner sees people with few and many labels.
2. **One combiner** over the per-(labeler, film) features: a logistic regression on standardised
   features plus their interactions with the number of known labels, or gradient-boosted trees;
   which one is chosen on held-out simulated labelers (``combiner="auto"``).
3. **Serving** a person: their labels are the known set; the signals are built from every rater
   of the catalog (a profile linked to a catalog user is served from signals without that user).

``SharedTasteModel`` follows the ``core.models`` contract; ``learning_curve`` gives the
cross-validated ROC-AUC a person's labels reach as they grow, and ``queue_curve`` simulates the
labeling queues (popular-first, random, most uncertain) for the benchmark.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from core.errors import MarqueeError
from core.io import load_npz, read_json, save_npz, write_json_atomic
from core.models import Flag, Model, ModelIntegrityError, Predictions, flags_array
from core.personal.signals import (FEATURES, LIKE_THRESHOLD, PERSONAL_FEATURES, CatalogSignals, build_signals,
                                   labeler_features)
from core.progress import ProgressFn, null_progress

log = logging.getLogger(__name__)

KNOWN_SIZES = (5, 10, 20, 50, 100)
MIN_LABELER_RATINGS = 20
MIN_KNOWN_FOR_PERSONAL = 5        # fewer known labels: the crowd answers (flag cold_start)
COMBINERS = ("logistic", "boosted")
SIGNALS_FILE, COMBINER_FILE = "signals.npz", "combiner.json"


# ------------------------------------------------------------------------------ simulation
def labeler_blocks(liked: np.ndarray, n_blocks: int, rng: np.random.Generator) -> np.ndarray:
    """Block number of each rating, stratified by like/dislike so every block has both when possible."""
    blocks = np.empty(len(liked), dtype=np.int64)
    for side in (0, 1):
        idx = np.flatnonzero(liked == side)
        rng.shuffle(idx)
        blocks[idx] = np.arange(len(idx)) % n_blocks
    return blocks


def simulate_rows(signals: CatalogSignals, labelers: dict[int, pd.DataFrame], *, n_blocks: int = 5,
                  known_sizes=KNOWN_SIZES, like_threshold: float = LIKE_THRESHOLD, seed: int = 0) -> pd.DataFrame:
    """Training rows for the combiner from labelers whose ratings are *not* in ``signals``.

    ``labelers``: user id → that user's ratings (movie_id, rating). Each rating is a target once
    per block split, with features from a random known subset of the labeler's other blocks (one
    drawn size and the full pool). Columns: user_id, movie_id, known, liked, *FEATURES."""
    leaked = set(labelers) - set(signals.excluded_users)
    if leaked:
        raise MarqueeError(f"{len(leaked)} labeler(s) are not excluded from the signals (first: {min(leaked)}): "
                           "their own ratings would reach their features")
    rng = np.random.default_rng(seed)
    frames = []
    for user_id, mine in labelers.items():
        ids = mine["movie_id"].to_numpy(dtype=np.int64)
        liked = (mine["rating"].to_numpy(dtype=float) >= like_threshold).astype(int)
        blocks = labeler_blocks(liked, n_blocks, rng)
        for block in range(n_blocks):
            target = blocks == block
            pool = np.flatnonzero(~target)
            if not target.any() or len(pool) == 0:
                continue
            sizes = {len(pool), min(len(pool), int(rng.choice(known_sizes)))}
            for size in sorted(sizes):
                known = np.sort(rng.choice(pool, size=size, replace=False))
                X = labeler_features(signals, ids[known], liked[known], ids[target])
                frame = pd.DataFrame(X, columns=list(FEATURES))
                frame.insert(0, "user_id", int(user_id))
                frame.insert(1, "movie_id", ids[target])
                frame.insert(2, "known", size)
                frame.insert(3, "liked", liked[target])
                frames.append(frame)
    if not frames:
        raise MarqueeError("no simulated labeler has enough ratings to learn from")
    return pd.concat(frames, ignore_index=True)


def simulate_catalog(ratings: pd.DataFrame, movies: pd.DataFrame, content: pd.DataFrame | None = None, *,
                     n_folds: int = 5, min_ratings: int = MIN_LABELER_RATINGS, max_labelers: int | None = None,
                     like_threshold: float = LIKE_THRESHOLD, seed: int = 0,
                     progress: ProgressFn | None = None) -> pd.DataFrame:
    """Combiner training rows from the raters of ``ratings``, fold by fold (a fold's signals never
    contain a rating of its own labelers). Adds a ``fold`` column."""
    progress = progress or null_progress
    counts = ratings.groupby("user_id").size()
    eligible = np.array(sorted(int(u) for u in counts[counts >= min_ratings].index))
    rng = np.random.default_rng(seed)
    if max_labelers and len(eligible) > max_labelers:
        eligible = np.sort(rng.choice(eligible, size=max_labelers, replace=False))
    if len(eligible) < n_folds:
        raise MarqueeError(f"only {len(eligible)} raters have {min_ratings}+ ratings: too few to simulate labelers")
    fold_of = rng.permutation(len(eligible)) % n_folds
    by_user = {int(u): g[["movie_id", "rating"]] for u, g in ratings[ratings["user_id"].isin(eligible)].groupby("user_id")}
    frames = []
    for fold in range(n_folds):
        progress(fold, n_folds, f"simulated labelers: fold {fold + 1}/{n_folds}")
        members = eligible[fold_of == fold]
        signals = build_signals(ratings, movies, content=content, exclude_users=members,
                                like_threshold=like_threshold, seed=seed)
        rows = simulate_rows(signals, {int(u): by_user[int(u)] for u in members}, like_threshold=like_threshold,
                             seed=seed + fold)
        rows.insert(0, "fold", fold)
        frames.append(rows)
    progress(n_folds, n_folds, "simulated labelers: done")
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------ combiners
def design_matrix(frame: pd.DataFrame | np.ndarray) -> np.ndarray:
    """The features plus each personal feature × log(known labels): lets a linear combiner trust
    personal signals more as labels accumulate."""
    X = frame[list(FEATURES)].to_numpy(dtype=float) if isinstance(frame, pd.DataFrame) else np.asarray(frame, float)
    n = X[:, FEATURES.index("log_n_known")][:, None]
    personal = X[:, [FEATURES.index(f) for f in PERSONAL_FEATURES]]
    return np.column_stack([X, personal * n])


def fit_combiner(rows: pd.DataFrame, kind: str, C: float = 1.0, seed: int = 0) -> dict[str, Any]:
    """A fitted combiner as plain data (JSON-able): standardisation plus coefficients or trees."""
    X, y = design_matrix(rows), rows["liked"].to_numpy(dtype=int)
    mean, std = X.mean(axis=0), X.std(axis=0)
    std[std == 0] = 1.0
    Z = (X - mean) / std
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=C, max_iter=2000).fit(Z, y)
        return {"kind": kind, "mean": mean.tolist(), "std": std.tolist(), "coef": lr.coef_[0].tolist(),
                "intercept": float(lr.intercept_[0]), "C": C}
    if kind == "boosted":
        import xgboost as xgb

        booster = xgb.train({"objective": "binary:logistic", "eta": 0.05, "max_depth": 4, "subsample": 0.8,
                             "colsample_bytree": 0.8, "min_child_weight": 20, "nthread": 1, "seed": seed,
                             "tree_method": "hist", "verbosity": 0}, xgb.DMatrix(Z, label=y), num_boost_round=300)
        return {"kind": kind, "mean": mean.tolist(), "std": std.tolist(),
                "booster": json.loads(booster.save_raw("json").decode("utf-8"))}
    raise MarqueeError(f"unknown combiner {kind!r}: expected one of {', '.join(COMBINERS)}")


def combiner_proba(combiner: dict[str, Any], X: np.ndarray) -> np.ndarray:
    Z = (design_matrix(X) - np.asarray(combiner["mean"])) / np.asarray(combiner["std"])
    if combiner["kind"] == "logistic":
        return 1.0 / (1.0 + np.exp(-(Z @ np.asarray(combiner["coef"]) + combiner["intercept"])))
    booster = _booster(combiner)
    import xgboost as xgb

    return booster.predict(xgb.DMatrix(Z))


def _booster(combiner: dict[str, Any]):
    import xgboost as xgb

    cached = combiner.get("_booster")
    if cached is None:
        cached = xgb.Booster()
        cached.load_model(bytearray(json.dumps(combiner["booster"]).encode("utf-8")))
        combiner["_booster"] = cached
    return cached


def per_user_auc(frame: pd.DataFrame, score: np.ndarray) -> pd.Series:
    """ROC-AUC per user (users with a single class are left out)."""
    aucs = {}
    for user_id, idx in frame.groupby("user_id").indices.items():
        y = frame["liked"].to_numpy()[idx]
        if 0 < y.sum() < len(y):
            aucs[user_id] = roc_auc_score(y, score[idx])
    return pd.Series(aucs, dtype=float)


def choose_combiner(rows: pd.DataFrame, kinds=COMBINERS, Cs=(0.1, 1.0), validation_fold: int = 0,
                    seed: int = 0) -> tuple[dict[str, Any], pd.DataFrame]:
    """Fit every candidate on the other folds' labelers and score it on ``validation_fold``'s
    (full known pool rows only): mean per-user AUC decides. Returns (best spec, table)."""
    train, valid = rows[rows["fold"] != validation_fold], rows[rows["fold"] == validation_fold]
    full = valid.groupby("user_id")["known"].transform("max") == valid["known"]
    valid = valid[full.to_numpy()]
    table = []
    for kind in kinds:
        for C in (Cs if kind == "logistic" else (None,)):
            combiner = fit_combiner(train, kind, C or 1.0, seed)
            auc = per_user_auc(valid, combiner_proba(combiner, valid[list(FEATURES)].to_numpy()))
            table.append({"combiner": kind, "C": C, "mean_user_auc": float(auc.mean()), "users": int(len(auc))})
    best = max(table, key=lambda row: row["mean_user_auc"])  # first of equals: the simpler candidate
    return {"kind": best["combiner"], "C": best["C"]}, pd.DataFrame(table).astype(object).where(
        pd.DataFrame(table).notna(), None)


# ------------------------------------------------------------------------------ the model
class SharedTasteModel(Model):
    """P(would watch) for any person from their labels, via a combiner learned across simulated
    labelers (see the module docstring). Fitted once per catalog; a person needs no training."""

    kind = "personal-shared"
    fitted_attribute = "combiner_"

    def __init__(self, combiner: str = "auto", C: float = 1.0, n_folds: int = 5,
                 min_labeler_ratings: int = MIN_LABELER_RATINGS, max_labelers: int | None = None,
                 like_threshold: float = LIKE_THRESHOLD, seed: int = 0):
        self.combiner = combiner
        self.C = C
        self.n_folds = n_folds
        self.min_labeler_ratings = min_labeler_ratings
        self.max_labelers = max_labelers
        self.like_threshold = like_threshold
        self.seed = seed

    def fit(self, catalog, content: pd.DataFrame | None = None, progress: ProgressFn | None = None) -> "SharedTasteModel":
        """Simulate labelers from ``catalog``'s raters, choose and fit the combiner, then build the
        serving signals from every rater. ``content``: label-free content columns per film."""
        progress = progress or null_progress
        rows = simulate_catalog(catalog.ratings, catalog.movies, content, n_folds=self.n_folds,
                                min_ratings=self.min_labeler_ratings, max_labelers=self.max_labelers,
                                like_threshold=self.like_threshold, seed=self.seed, progress=progress)
        if self.combiner == "auto":
            spec, table = choose_combiner(rows, seed=self.seed)
            self.selection_ = table.to_dict("records")
        elif self.combiner in COMBINERS:
            spec = {"kind": self.combiner, "C": self.C}
            self.selection_ = []
        else:
            raise MarqueeError(f"unknown combiner {self.combiner!r}: expected auto or one of {', '.join(COMBINERS)}")
        validation = self._validate(rows, spec)
        progress(0, None, f"fitting the {spec['kind']} combiner on {len(rows):,} rows")
        combiner = fit_combiner(rows, spec["kind"], spec.get("C") or 1.0, self.seed)
        progress(0, None, "building the serving signals from every rater")
        self.signals_ = build_signals(catalog.ratings, catalog.movies, content=content,
                                      like_threshold=self.like_threshold, seed=self.seed)
        self.coef_ = np.asarray(combiner.get("coef", []), dtype=float)
        self.scale_ = np.column_stack([combiner["mean"], combiner["std"]])
        self.combiner_ = combiner
        self.metrics_ = validation
        self.data_checksum_ = getattr(catalog, "data_checksum", None)
        self.labelers_ = int(rows["user_id"].nunique())
        return self

    @classmethod
    def from_parts(cls, combiner: dict[str, Any], signals: CatalogSignals, **params: Any) -> "SharedTasteModel":
        """A model from a fitted combiner and signals (the benchmark builds them on its own split)."""
        model = cls(**params)
        model.combiner_, model.signals_ = combiner, signals
        model.coef_ = np.asarray(combiner.get("coef", []), dtype=float)
        model.scale_ = np.column_stack([combiner["mean"], combiner["std"]])
        return model

    def _validate(self, rows: pd.DataFrame, spec: dict[str, Any]) -> dict[str, float]:
        """Out-of-fold per-user AUC on simulated labelers (fold 0 held out), against the crowd."""
        train, valid = rows[rows["fold"] != 0], rows[rows["fold"] == 0]
        full = (valid.groupby("user_id")["known"].transform("max") == valid["known"]).to_numpy()
        valid = valid[full]
        p = combiner_proba(fit_combiner(train, spec["kind"], spec.get("C") or 1.0, self.seed),
                           valid[list(FEATURES)].to_numpy())
        self.validation_ = pd.DataFrame({"label": valid["liked"].to_numpy(dtype=np.int64), "p": p})
        model_auc = per_user_auc(valid, p)
        crowd_auc = per_user_auc(valid, valid["crowd_mean"].to_numpy())
        return {"validation_users": int(len(model_auc)), "mean_user_auc": float(model_auc.mean()),
                "crowd_mean_user_auc": float(crowd_auc.mean()),
                "share_users_above_crowd": float((model_auc > crowd_auc.reindex(model_auc.index)).mean())}

    # ------------------------------------------------------------------ predicting
    def predict_flagged(self, known_ids, known_liked, candidate_ids, signals: CatalogSignals | None = None) -> Predictions:
        """P(would watch) of each candidate for a person with these labels. Films the catalog does
        not know are flagged ``unknown_item`` (scored at the person's base rate); with fewer than
        ``MIN_KNOWN_FOR_PERSONAL`` labels every prediction is ``cold_start`` (mostly the crowd)."""
        self.check_fitted()
        signals = signals or self.signals_
        candidate_ids = np.asarray(candidate_ids, dtype=np.int64)
        known_ids = np.asarray(known_ids, dtype=np.int64)
        known_liked = np.asarray(known_liked, dtype=int)
        in_catalog = signals.index.get_indexer(candidate_ids) >= 0
        keep = signals.index.get_indexer(known_ids) >= 0
        known_ids, known_liked = known_ids[keep], known_liked[keep]
        values = np.full(len(candidate_ids), float(signals.like_rate))
        if in_catalog.any():
            X = labeler_features(signals, known_ids, known_liked, candidate_ids[in_catalog])
            values[in_catalog] = combiner_proba(self.combiner_, X)
        flag = Flag.COLD_START if len(known_ids) < MIN_KNOWN_FOR_PERSONAL else Flag.OK
        flags = np.where(in_catalog, flag, Flag.UNKNOWN_ITEM).astype(object)
        return Predictions(values, flags)

    def features(self, known_ids, known_liked, candidate_ids) -> pd.DataFrame:
        """The per-film features behind a prediction (for explanations)."""
        self.check_fitted()
        return pd.DataFrame(labeler_features(self.signals_, known_ids, known_liked, candidate_ids),
                            columns=list(FEATURES), index=pd.Index(np.asarray(candidate_ids, dtype=np.int64), name="movie_id"))

    # ------------------------------------------------------------------ persistence (core.models)
    def library_names(self) -> tuple[str, ...]:
        return ("scikit-learn", "xgboost", "scipy")

    def _learned_arrays(self) -> dict[str, Any]:
        arrays = {"coef": self.coef_, "scale": self.scale_}
        arrays.update({f"signals {k}": v for k, v in self.signals_.arrays().items()})
        return arrays

    def _save_state(self, folder: Path) -> list[str]:
        save_npz(folder / SIGNALS_FILE, self.signals_.arrays())
        combiner = {k: v for k, v in self.combiner_.items() if not k.startswith("_")}
        combiner.update(mean=self.scale_[:, 0].tolist(), std=self.scale_[:, 1].tolist())
        if combiner["kind"] == "logistic":
            combiner["coef"] = self.coef_.tolist()
        write_json_atomic(folder / COMBINER_FILE, {"combiner": combiner, "signals_parameters": self.signals_.parameters,
                                                   "selection": getattr(self, "selection_", []),
                                                   "labelers": getattr(self, "labelers_", None)})
        return [SIGNALS_FILE, COMBINER_FILE]

    def _load_state(self, folder: Path, record: dict[str, Any]) -> None:
        try:
            state = read_json(folder / COMBINER_FILE)
            combiner = state["combiner"]
            self.signals_ = CatalogSignals.from_arrays(load_npz(folder / SIGNALS_FILE, "shared taste model signals"),
                                                       state.get("signals_parameters") or {})
            self.coef_ = np.asarray(combiner.get("coef", []), dtype=float)
            self.scale_ = np.column_stack([combiner["mean"], combiner["std"]])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelIntegrityError(f"{folder}: the saved shared taste model is incomplete ({type(exc).__name__})") from None
        self.selection_ = state.get("selection", [])
        self.labelers_ = state.get("labelers")
        self.combiner_ = combiner


# ------------------------------------------------------------------------------ curves
def learning_curve(model: SharedTasteModel, labels: pd.DataFrame, checkpoints=(10, 20, 30, 50, 75, 100, 150, 200, 300),
                   n_splits: int = 5, seed: int = 0, signals: CatalogSignals | None = None) -> pd.DataFrame:
    """Cross-validated ROC-AUC a person's labels reached as they grew (labels in the order given,
    e.g. by time): at each checkpoint the first ``n`` labels are split in ``n_splits`` folds and
    each fold is predicted from the others. Also the crowd's AUC on the same labels.

    Columns: n_labels, auc, crowd_auc. Checkpoints without both classes are left out."""
    from sklearn.model_selection import StratifiedKFold

    signals = signals or model.signals_
    labels = labels[labels["movie_id"].isin(signals.index)]
    ids = labels["movie_id"].to_numpy(dtype=np.int64)
    liked = (labels["label"] != "would_not_watch").to_numpy(dtype=int)
    rows = []
    for n in sorted({c for c in checkpoints if c <= len(ids)} | ({len(ids)} if len(ids) >= min(checkpoints) else set())):
        y = liked[:n]
        if min(y.sum(), n - y.sum()) < 2:
            continue
        folds = StratifiedKFold(n_splits=min(n_splits, int(min(y.sum(), n - y.sum()))), shuffle=True, random_state=seed)
        p = np.zeros(n)
        for known, held in folds.split(np.zeros(n), y):
            p[held] = model.predict_flagged(ids[known], y[known], ids[held], signals=signals).values
        crowd = signals.crowd[signals.positions(ids[:n]), 0]
        rows.append({"n_labels": int(n), "auc": float(roc_auc_score(y, p)), "crowd_auc": float(roc_auc_score(y, crowd))})
    return pd.DataFrame(rows, columns=["n_labels", "auc", "crowd_auc"])


def queue_curve(model: SharedTasteModel, signals: CatalogSignals, pool_ids, pool_liked, test_ids, test_liked,
                strategy: str, sizes=(10, 20, 50, 100), popularity: pd.Series | None = None, step: int = 5,
                seed: int = 0) -> dict[int, float]:
    """AUC on a person's held-out films after labeling ``n`` films of their pool in the order a
    queue would show them: ``popular`` (most rated first), ``random``, or ``uncertain`` (P closest
    to 0.5 under the current labels, re-ranked every ``step`` labels)."""
    pool_ids, pool_liked = np.asarray(pool_ids, dtype=np.int64), np.asarray(pool_liked, dtype=int)
    rng = np.random.default_rng(seed)
    order: list[int] = []
    remaining = list(range(len(pool_ids)))
    if strategy == "popular":
        pop = (popularity.reindex(pool_ids).fillna(-1).to_numpy() if popularity is not None
               else signals.crowd[signals.positions(pool_ids), 2])
        order = list(np.lexsort((pool_ids, -pop)))
    elif strategy == "random":
        order = list(rng.permutation(len(pool_ids)))
    elif strategy != "uncertain":
        raise MarqueeError(f"unknown queue strategy {strategy!r}")
    result = {}
    for n in sorted(s for s in sizes if s <= len(pool_ids)):
        if strategy == "uncertain":
            while len(order) < n:
                if len(order) < MIN_KNOWN_FOR_PERSONAL or len(set(pool_liked[order])) < 2:
                    # nothing to be uncertain about yet: start from the popular end
                    pop = signals.crowd[signals.positions(pool_ids[remaining]), 2]
                    picks = [remaining[i] for i in np.argsort(-pop, kind="stable")[:step]]
                else:
                    p = model.predict_flagged(pool_ids[order], pool_liked[order], pool_ids[remaining],
                                              signals=signals).values
                    picks = [remaining[i] for i in np.argsort(np.abs(p - 0.5), kind="stable")[:step]]
                picks = picks[: n - len(order)]
                order += picks
                remaining = [i for i in remaining if i not in set(picks)]
        chosen = np.asarray(order[:n])
        p = model.predict_flagged(pool_ids[chosen], pool_liked[chosen], test_ids, signals=signals).values
        result[n] = float(roc_auc_score(test_liked, p))
    return result
