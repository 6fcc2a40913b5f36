"""Casting settings: one typed object holding every knob of training and serving.

The defaults are the module constants below; the CLI and the page override them per call.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from core.errors import MarqueeError

TRAIN_CUTOFF_YEAR = 2010      # last training year; later years are the holdout
# Weight of the cycle head in the ranking score p_high. 0: the cycle term depends on the release
# year only, so it is one constant for every candidate of a brief and cannot reorder a slate
# (validation within-year AUROC is identical with and without it); it only shifted p_high away
# from the calibrated chance. Kept as a setting for comparisons across years.
ALPHA_CYCLE = 0.0
DIRECTOR_WEIGHT = 0.5         # weight of the director synergy bump
TARGETS = {
    "vote_average": "top quantile of vote average",
    "popularity": "top quantile of popularity",
    "roi": "top quantile of revenue / budget",
}


@dataclass(frozen=True)
class CastingConfig:
    """Everything that determines a trained casting model (saved in its manifest)."""

    target: str = "vote_average"
    quantile: float = 0.75            # label = target ≥ this quantile of training films
    cutoff: int = TRAIN_CUTOFF_YEAR   # train on years ≤ cutoff, hold out later years
    calib_years: int = 3              # rolling validation years (the last training years): head choice, calibration
    candidates: tuple[str, ...] = ("logit", "gbm", "ens")
    flip_margin: float = 0.005        # another head replaces the first candidate only if it wins by this AUROC margin
    calibration: str = "auto"         # "auto" (Platt unless it collapses, then isotonic), "platt" or "isotonic"
    alpha_cycle: float = ALPHA_CYCLE
    director_weight: float = DIRECTOR_WEIGHT
    n_genres: int = 40                # genre vocabulary size (most frequent training genres)
    n_languages: int = 8
    feature_set: str = "brief"        # "brief": film + director + people features; "seed": the first model's set;
                                      # "brief_co_stars": brief + the named co-stars' record (opt-in)
    baselines: bool = False           # also measure the seed-style, film-only and film + director models (CLI train: on)
    random_state: int = 0

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise MarqueeError(f"unknown casting target {self.target!r}: choose one of {', '.join(TARGETS)}")
        if not 0.5 <= self.quantile < 1.0:
            raise MarqueeError(f"quantile must be in [0.5, 1), got {self.quantile}")
        if self.calibration not in ("auto", "platt", "isotonic"):
            raise MarqueeError(f"calibration must be auto, platt or isotonic, got {self.calibration!r}")
        heads = ("logit", "gbm", "ens", "hgb", "rf")
        unknown = set(self.candidates) - set(heads)
        if unknown or not self.candidates:
            raise MarqueeError(f"actor head candidates must be among {', '.join(heads)}; got {', '.join(self.candidates)}")
        if self.feature_set not in ("seed", "brief", "brief_co_stars"):
            raise MarqueeError(f"feature set must be seed, brief or brief_co_stars, got {self.feature_set!r}")
        if self.calib_years < 1:
            raise MarqueeError("calib_years must be at least 1")
        for name in ("alpha_cycle", "director_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 5:
                raise MarqueeError(f"{name.replace('_', '-')} must be a number from 0 to 5, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["candidates"] = list(self.candidates)
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "CastingConfig":
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in values.items() if k in known}
        if "candidates" in kwargs:
            kwargs["candidates"] = tuple(kwargs["candidates"])
        return cls(**kwargs)

    def training_key(self) -> dict[str, Any]:
        """The parameters that change the fitted model (serving weights excluded)."""
        out = self.to_dict()
        out.pop("alpha_cycle")
        out.pop("director_weight")
        out.pop("baselines")  # measuring the baselines does not change the fitted model
        return out
