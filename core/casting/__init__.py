"""Casting: who to cast for a film brief, with a calibrated P(resonates) and reasons.

Owns the casting long table and its strictly as-of features, the casting model (``CastingModel``
with its actor and director heads, on the ``core.models`` contract), its versions in the
artifact store (``artifacts/casting/<catalog>/``), brief serving (candidate pool, diverse slate,
alternates, reason codes, comparables, what-ifs), the exports and the model-card figures.
Pages, the API and other packages import from here only::

    from core.casting import Brief, CastingConfig, get_model, cast_brief, what_if
"""
from core.casting.api import brief_options, get_model, holdout_predictions, train_and_save, train_casting
from core.casting.artifacts import load_model, save_model
from core.casting.brief import Brief, co_star_help, parse_co_stars
from core.casting.config import ALPHA_CYCLE, TARGETS, TRAIN_CUTOFF_YEAR, CastingConfig
from core.casting.export import BRIEF_FILE_NAMES, brief_files, model_card_html, write_brief_exports
from core.casting.heads import ActorHead, DirectorHead
from core.casting.model import CastingModel
from core.casting.plots import model_figures
from core.casting.scoring import candidate_pool
from core.casting.serving import BriefResult, cast_brief
from core.casting.trained import TrainedCasting, bind, with_weights
from core.casting.whatif import what_if

__all__ = [
    "ALPHA_CYCLE", "BRIEF_FILE_NAMES", "TARGETS", "TRAIN_CUTOFF_YEAR",
    "ActorHead", "Brief", "BriefResult", "CastingConfig", "CastingModel", "DirectorHead", "TrainedCasting",
    "bind", "brief_files", "brief_options", "candidate_pool", "cast_brief", "co_star_help", "get_model",
    "holdout_predictions", "load_model", "model_card_html", "model_figures", "parse_co_stars", "save_model",
    "train_and_save", "train_casting", "what_if", "with_weights", "write_brief_exports",
]
