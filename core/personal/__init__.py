"""Personal taste model: durable "would I watch it?" labels per profile, a classifier over catalog
features, labeling queues (popular, random, active learning) and explained, guarded predictions.

Owns, by role: ``labels`` (the vocabulary), ``store/`` (the labels store: SQLite, PostgreSQL,
CSV), ``features`` (item features from a catalog), ``model`` (``TasteModel`` on the
``core.models`` contract), ``guards`` (when a model is too weak to trust), ``evaluate`` (CV,
grid, metrics), ``active`` (queue strategies), ``training``, ``trained`` (versions in the
artifact store, checked against the catalog's data checksum), ``predictions`` and ``labeling``;
``imports`` (labels from Letterboxd, IMDb and Trakt exports, previewed before writing);
and the shared (new-labeler) model: ``signals`` (catalog-derived signals and per-(labeler, film)
features), ``shared`` (simulated labelers, the combiner, ``SharedTasteModel``, learning curves)
and ``shared_serving`` (one profile's predictions, reasons and label curve from it).
Functions take a loaded ``Catalog``; pages and the command line import only the names below.
"""
from core.catalog.lookup import search_titles, title_card
from core.personal.active import MIN_PER_CLASS_FOR_UNCERTAINTY, STRATEGIES
from core.personal.guards import MIN_LABELS, MIN_PER_CLASS, Reliability
from core.personal.imports import ImportPreview, apply_import, preview_import
from core.personal.labeling import import_user_ratings, label_summary, next_titles, uncertainty_scores
from core.personal.labels import (LABEL_TEXT, LABELS, SKIP, WOULD_NOT_WATCH, WOULD_WATCH, WOULD_WATCH_MANY,
                                  validate_profile)
from core.personal.model import TasteModel
from core.personal.predictions import explain, explanation_text, predict_titles, recommend
from core.personal.store import LabelStore, default_location, open_store
from core.personal.shared import SharedTasteModel
from core.personal.shared_serving import label_curve, shared_explain, shared_recommend, shared_scores
from core.personal.trained import (TrainedModel, list_trained, load_shared, load_trained, oof_predictions, shared_version,
                                   trained_version)
from core.personal.training import DEFAULT_GRID, train, train_shared, training_targets

__all__ = [
    "DEFAULT_GRID", "LABELS", "LABEL_TEXT", "MIN_LABELS", "MIN_PER_CLASS", "MIN_PER_CLASS_FOR_UNCERTAINTY", "SKIP",
    "STRATEGIES", "WOULD_NOT_WATCH", "WOULD_WATCH", "WOULD_WATCH_MANY",
    "ImportPreview", "LabelStore", "Reliability", "SharedTasteModel", "TasteModel", "TrainedModel",
    "apply_import", "default_location", "explain", "explanation_text", "import_user_ratings", "label_curve", "label_summary",
    "list_trained", "load_shared", "load_trained", "next_titles", "oof_predictions", "open_store", "predict_titles", "preview_import",
    "recommend", "search_titles", "shared_explain", "shared_recommend", "shared_scores", "shared_version",
    "title_card", "trained_version", "train", "train_shared", "training_targets", "uncertainty_scores",
    "validate_profile",
]
