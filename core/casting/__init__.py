"""Casting briefs: temporal actor model, calibrated slate, alternates, reason codes.

Public entry points (the rest are implementation modules)::

    from core.casting import Brief, CastingConfig, cast_brief, get_model, holdout_predictions, what_if
"""
from core.casting.api import get_model, holdout_predictions, train_and_save
from core.casting.brief import Brief
from core.casting.config import ALPHA_CYCLE, TRAIN_CUTOFF_YEAR, CastingConfig
from core.casting.serving import cast_brief
from core.casting.whatif import what_if

__all__ = ["ALPHA_CYCLE", "TRAIN_CUTOFF_YEAR", "Brief", "CastingConfig", "cast_brief", "get_model",
           "holdout_predictions", "train_and_save", "what_if"]
